import { z } from 'zod';
import { conditionSchema, metadataSchema } from '../shared/k8s.js';
import { verdictSchema, type Finding } from '../shared/findings.js';
import { plural } from '../shared/format.js';
import { conditionStatusSchema, conditionStatus } from '../shared/conditions.js';

/** cert-manager serves its kinds only as v1 since 1.7; the older versions are not read. */
export const CERT_MANAGER = 'cert-manager.io';
export const ACME = 'acme.cert-manager.io';
export const CERT_VERSIONS = ['v1'] as const;

export const DEFAULT_WARN_DAYS = 14;
export const DEFAULT_CRIT_DAYS = 3;
const DAY_MS = 86_400_000;

export const certificateSchema = z.looseObject({
  metadata: metadataSchema,
  spec: z
    .looseObject({
      secretName: z.string().optional(),
      dnsNames: z.array(z.string()).optional(),
      commonName: z.string().optional(),
      issuerRef: z.looseObject({ name: z.string().optional(), kind: z.string().optional(), group: z.string().optional() }).optional(),
    })
    .default({}),
  status: z
    .looseObject({
      conditions: z.array(conditionSchema).optional(),
      notBefore: z.string().optional(),
      notAfter: z.string().optional(),
      renewalTime: z.string().optional(),
      revision: z.number().optional(),
      lastFailureTime: z.string().optional(),
      failedIssuanceAttempts: z.number().optional(),
    })
    .default({}),
});
export type Certificate = z.infer<typeof certificateSchema>;

export const certificateStateSchema = z.object({
  namespace: z.string(),
  name: z.string(),
  ready: conditionStatusSchema.describe('The Ready condition; Unknown when cert-manager has not said'),
  readyReason: z.string().optional().describe('Reason of the Ready condition, e.g. Ready, Expired, DoesNotExist'),
  readyMessage: z.string().optional(),
  notAfter: z.string().optional().describe('RFC3339 end of validity of the certificate in the Secret'),
  daysLeft: z.number().optional().describe('Days until notAfter, one decimal; negative when expired'),
  renewalTime: z.string().optional().describe('When cert-manager plans to renew it'),
  issuing: z.boolean().describe('A (re)issuance is in progress (Issuing=True)'),
  renewalFailure: z.string().optional().describe('Why the last issuance failed, while it is being retried'),
  failedIssuanceAttempts: z.number().int().optional(),
  lastFailureTime: z.string().optional(),
  issuer: z.object({ kind: z.string(), name: z.string() }).describe('issuerRef: Issuer or ClusterIssuer and its name'),
  dnsNames: z.array(z.string()),
  secretName: z.string().optional(),
  state: verdictSchema.describe('The worst finding on this certificate'),
});
export type CertificateState = z.infer<typeof certificateStateSchema>;

export interface Thresholds {
  warnDays: number;
  critDays: number;
}

/** Days to one decimal, rounded down, so a table's whole days agree with "expires in N days". */
function days(ms: number): number {
  return Math.floor((ms / DAY_MS) * 10) / 10;
}
/** cert-manager may be a little late; an hour past renewalTime is not yet news. */
const OVERDUE_GRACE_MS = 3_600_000;

/** "3.2 days", "5 hours": the time left, as a person says it. */
export function describeLeft(ms: number): string {
  if (ms < 2 * DAY_MS) return `${Math.max(0, Math.round(ms / 3_600_000))} hours`;
  return `${Math.floor(ms / DAY_MS)} days`;
}

/**
 * One certificate's state and its problems, by cert-manager's own signals: Ready, notAfter, the
 * Issuing condition and the failure bookkeeping of a renewal that is being retried.
 */
export function evaluateCertificate(cert: Certificate, now: Date, t: Thresholds): { state: CertificateState; findings: Finding[] } {
  const namespace = cert.metadata.namespace ?? '';
  const name = cert.metadata.name;
  const conditions = cert.status.conditions ?? [];
  const ready = conditions.find((c) => c.type === 'Ready');
  const issuing = conditions.find((c) => c.type === 'Issuing');
  const readyStatus = conditionStatus(cert, 'Ready');
  const notAfterMs = cert.status.notAfter ? Date.parse(cert.status.notAfter) : NaN;
  const leftMs = Number.isNaN(notAfterMs) ? undefined : notAfterMs - now.getTime();
  const attempts = cert.status.failedIssuanceAttempts;
  const failedIssuing = issuing?.status === 'False' && issuing.reason !== 'Issued';
  const renewalFailure =
    failedIssuing || cert.status.lastFailureTime || (attempts ?? 0) >= 1
      ? ((failedIssuing ? (issuing?.message ?? issuing?.reason) : undefined) ?? 'the last issuance failed and will be retried')
      : undefined;

  const renewalMs = cert.status.renewalTime ? Date.parse(cert.status.renewalTime) : NaN;
  const overdue = !Number.isNaN(renewalMs) && now.getTime() - renewalMs > OVERDUE_GRACE_MS && issuing?.status !== 'True' && !renewalFailure;
  const overdueText = overdue
    ? `renewal was due ${cert.status.renewalTime} (${describeLeft(now.getTime() - renewalMs)} ago) and has not happened: is the cert-manager controller running?`
    : '';

  const findings: Finding[] = [];
  const add = (severity: Finding['severity'], reason: string, message: string) =>
    findings.push({ severity, kind: 'Certificate', namespace, name, reason, message });
  let expired = false;
  if (leftMs !== undefined) {
    if (leftMs <= 0) {
      expired = true;
      add('crit', 'Expired', `expired ${describeLeft(-leftMs)} ago (notAfter ${cert.status.notAfter})`);
    } else if (leftMs < t.critDays * DAY_MS) {
      add(
        'crit',
        'ExpiresSoon',
        `expires in ${describeLeft(leftMs)} (notAfter ${cert.status.notAfter}; under ${t.critDays} days)${overdue ? `; ${overdueText}` : ''}`,
      );
    } else if (leftMs < t.warnDays * DAY_MS) {
      add(
        'warn',
        'ExpiresSoon',
        `expires in ${describeLeft(leftMs)} (notAfter ${cert.status.notAfter}; under ${t.warnDays} days)${overdue ? `; ${overdueText}` : ''}`,
      );
    } else if (overdue) {
      add('warn', 'RenewalOverdue', overdueText);
    }
  }
  if (readyStatus !== 'True' && !(expired && ready?.reason === 'Expired')) {
    const why = ready
      ? `Ready=${ready.status}${ready.reason ? ` (${ready.reason})` : ''}: ${ready.message ?? 'no message'}`
      : 'cert-manager has not reported it Ready (no Ready condition)';
    add('crit', 'NotReady', why);
  }
  if (renewalFailure) {
    const tries = attempts ? ` (${plural(attempts, 'failed attempt')}${cert.status.lastFailureTime ? `, last at ${cert.status.lastFailureTime}` : ''})` : '';
    add('warn', 'RenewalFailing', `${renewalFailure}${tries}`);
  }
  const worst = findings.some((f) => f.severity === 'crit') ? 'crit' : findings.length ? 'warn' : 'ok';
  return {
    state: {
      namespace,
      name,
      ready: readyStatus,
      readyReason: ready?.reason,
      readyMessage: ready?.message,
      notAfter: cert.status.notAfter,
      daysLeft: leftMs === undefined ? undefined : days(leftMs),
      renewalTime: cert.status.renewalTime,
      issuing: issuing?.status === 'True',
      renewalFailure,
      failedIssuanceAttempts: attempts,
      lastFailureTime: cert.status.lastFailureTime,
      issuer: { kind: cert.spec.issuerRef?.kind ?? 'Issuer', name: cert.spec.issuerRef?.name ?? '' },
      dnsNames: cert.spec.dnsNames ?? (cert.spec.commonName ? [cert.spec.commonName] : []),
      secretName: cert.spec.secretName,
      state: worst,
    },
    findings,
  };
}
