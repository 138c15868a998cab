import { z } from 'zod';
import type { OpContext } from '../../core/op.js';
import type { ResourceRef } from '../../core/ports/kube.js';
import { conditionSchema, metadataSchema } from '../shared/k8s.js';
import { pickVersion } from '../shared/api.js';
import { Reads } from '../shared/reads.js';
import type { Finding } from '../shared/findings.js';
import type { Check, CheckReport } from '../shared/check.js';
import { plural } from '../shared/format.js';
import {
  ACME,
  CERT_MANAGER,
  CERT_VERSIONS,
  DEFAULT_CRIT_DAYS,
  DEFAULT_WARN_DAYS,
  certificateSchema,
  evaluateCertificate,
  type CertificateState,
  type Thresholds,
} from './certificate.js';
import { compareText } from '../../core/compare.js';

const CERT_NAME = 'cert-manager.io/certificate-name';
const CERT_REVISION = 'cert-manager.io/certificate-revision';
/** ACME states that end an Order or Challenge without a certificate. */
const ACME_FAILED = new Set(['invalid', 'errored', 'expired']);

const requestSchema = z.looseObject({
  metadata: metadataSchema,
  status: z.looseObject({ conditions: z.array(conditionSchema).optional(), failureTime: z.string().optional() }).default({}),
});
const acmeSchema = z.looseObject({
  metadata: metadataSchema,
  spec: z.looseObject({ dnsName: z.string().optional(), type: z.string().optional() }).default({}),
  status: z.looseObject({ state: z.string().optional(), reason: z.string().optional() }).default({}),
});

export const failingSchema = z.object({
  kind: z.enum(['CertificateRequest', 'Order', 'Challenge']),
  namespace: z.string(),
  name: z.string(),
  certificate: z.string().optional().describe('The Certificate it was made for, when known'),
  state: z.string().describe('Ready reason (Failed, Denied) for a request; ACME state (invalid, errored, expired, pending) for an Order or Challenge'),
  reason: z.string().describe('Why, as cert-manager or the ACME server says it'),
});
export type Failing = z.infer<typeof failingSchema>;

export interface CertificatesData {
  /** The cert-manager.io version read, when installed. */
  version?: string;
  /** Every Certificate, soonest expiry first. */
  certificates: CertificateState[];
  failing: Failing[];
}

export interface CertificatesParams {
  namespace?: string;
  warnDays?: number;
  critDays?: number;
}

interface RequestInfo {
  certificate?: string;
  /** A request of a revision that a later success superseded: history, not a problem. */
  superseded: boolean;
}

function ref(group: string, version: string, resource: string, namespace?: string): ResourceRef {
  return { group, version, resource, namespace };
}

/** Every Certificate, and the requests, Orders and Challenges of a failing issuance, by cert-manager's own conditions. */
async function checkCertificates(ctx: OpContext, params: CertificatesParams): Promise<CheckReport<CertificatesData>> {
  const { namespace } = params;
  const thresholds: Thresholds = { warnDays: params.warnDays ?? DEFAULT_WARN_DAYS, critDays: params.critDays ?? DEFAULT_CRIT_DAYS };
  const subject = namespace ? { kind: 'Namespace', name: namespace } : undefined;
  const reads = new Reads(ctx);
  // Discovery that fails is an error (finish() throws it), never "not installed".
  const version = await reads.discover(CERT_MANAGER, { group: CERT_MANAGER }, () => pickVersion(ctx.kube, CERT_MANAGER, CERT_VERSIONS));
  const certsServed = version ? await reads.serves(CERT_MANAGER, version, 'certificates') : false;
  if (!version || !certsServed) {
    return reads.report({
      installed: false,
      scope: scopeOf([]),
      subject,
      findings: reads.finish(),
      data: { certificates: [], failing: [] },
      note: `cert-manager is not installed (${CERT_MANAGER}/${CERT_VERSIONS.join(', ')} serves no certificates): no certificates to check`,
    });
  }
  const now = ctx.now();
  const certs = new Map<string, { revision: number; state: CertificateState; findings: Finding[] }>();
  await reads.list({ ref: ref(CERT_MANAGER, version, 'certificates', namespace), kind: 'Certificate', schema: certificateSchema }, (cert) => {
    const { state, findings } = evaluateCertificate(cert, now, thresholds);
    certs.set(`${state.namespace}/${state.name}`, { revision: cert.status.revision ?? 0, state, findings });
  });

  const failing: Failing[] = [];
  const requests = new Map<string, RequestInfo>();
  const requestsRef = ref(CERT_MANAGER, version, 'certificaterequests', namespace);
  await reads.list({ ref: requestsRef, kind: 'CertificateRequest', schema: requestSchema, impact: 'failing issuance attempts are not shown' }, (cr) => {
    const ns = cr.metadata.namespace ?? '';
    const certificate = cr.metadata.annotations?.[CERT_NAME] ?? cr.metadata.labels?.[CERT_NAME];
    const revision = Number(cr.metadata.annotations?.[CERT_REVISION]);
    const owner = certificate ? certs.get(`${ns}/${certificate}`) : undefined;
    const superseded = Boolean(owner && Number.isFinite(revision) && revision <= owner.revision);
    requests.set(`${ns}/${cr.metadata.name}`, { certificate, superseded });
    if (superseded) return;
    const conditions = cr.status.conditions ?? [];
    const ready = conditions.find((c) => c.type === 'Ready');
    const denied = conditions.find((c) => (c.type === 'Denied' || c.type === 'InvalidRequest') && c.status === 'True');
    if (denied || (ready?.status === 'False' && (ready.reason === 'Failed' || ready.reason === 'Denied'))) {
      const why = denied ?? ready;
      failing.push({
        kind: 'CertificateRequest',
        namespace: ns,
        name: cr.metadata.name,
        certificate,
        state: why?.reason ?? why?.type ?? 'Failed',
        reason: why?.message ?? 'no message',
      });
    }
  });

  // The ACME kinds exist only for ACME issuers' releases; a cluster may lack them.
  if (await reads.serves(ACME, version, 'orders', 'failing ACME orders are not shown')) {
    const orders = new Map<string, RequestInfo>();
    await reads.list(
      { ref: ref(ACME, version, 'orders', namespace), kind: 'Order', schema: acmeSchema, impact: 'failing ACME orders are not shown' },
      (order) => {
        const ns = order.metadata.namespace ?? '';
        const ownerName = order.metadata.ownerReferences?.find((o) => o.kind === 'CertificateRequest')?.name;
        const owner = ownerName ? requests.get(`${ns}/${ownerName}`) : undefined;
        const info = { certificate: owner?.certificate ?? order.metadata.annotations?.[CERT_NAME], superseded: owner?.superseded ?? false };
        orders.set(`${ns}/${order.metadata.name}`, info);
        const state = order.status.state ?? '';
        if (!info.superseded && ACME_FAILED.has(state)) {
          failing.push({
            kind: 'Order',
            namespace: ns,
            name: order.metadata.name,
            certificate: info.certificate,
            state,
            reason: order.status.reason ?? `order ${state}`,
          });
        }
      },
    );
    if (await reads.serves(ACME, version, 'challenges', 'failing ACME challenges are not shown')) {
      await reads.list(
        { ref: ref(ACME, version, 'challenges', namespace), kind: 'Challenge', schema: acmeSchema, impact: 'failing ACME challenges are not shown' },
        (ch) => {
          const ns = ch.metadata.namespace ?? '';
          const ownerName = ch.metadata.ownerReferences?.find((o) => o.kind === 'Order')?.name;
          const owner = ownerName ? orders.get(`${ns}/${ownerName}`) : undefined;
          if (owner?.superseded) return;
          const state = ch.status.state ?? '';
          // A pending challenge with a reason is stuck: the self-check or propagation is failing.
          if (ACME_FAILED.has(state) || (state === 'pending' && ch.status.reason)) {
            const what = [ch.spec.type, ch.spec.dnsName].filter(Boolean).join(' for ');
            failing.push({
              kind: 'Challenge',
              namespace: ns,
              name: ch.metadata.name,
              certificate: owner?.certificate,
              state,
              reason: `${what ? `${what}: ` : ''}${ch.status.reason ?? `challenge ${state}`}`,
            });
          }
        },
      );
    }
  }

  // A failing request, order or challenge is a failing renewal of its certificate; said once per certificate.
  const orphans: Finding[] = [];
  for (const f of failing) {
    const cert = f.certificate ? certs.get(`${f.namespace}/${f.certificate}`) : undefined;
    if (!cert) {
      orphans.push({ severity: 'warn', kind: f.kind, namespace: f.namespace, name: f.name, reason: f.state || 'Failed', message: f.reason });
      continue;
    }
    if (cert.findings.some((x) => x.reason === 'RenewalFailing')) continue;
    cert.findings.push({
      severity: 'warn',
      kind: 'Certificate',
      namespace: f.namespace,
      name: cert.state.name,
      reason: 'RenewalFailing',
      message: `${f.kind} ${f.name} ${f.state}: ${f.reason}`,
    });
    if (cert.state.state === 'ok') cert.state.state = 'warn';
  }

  const all = [...certs.values()];
  const certificates = all
    .map((c) => c.state)
    .sort((a, b) => (a.daysLeft ?? Infinity) - (b.daysLeft ?? Infinity) || compareText(a.namespace, b.namespace) || compareText(a.name, b.name));
  const findings = [...all.flatMap((c) => c.findings), ...orphans, ...reads.finish()];
  const note = certificates.length
    ? undefined
    : `no Certificates ${namespace ? `in namespace ${namespace}` : 'in any namespace'} (${CERT_MANAGER}/${version} is served): nothing to check`;
  return reads.report({ installed: true, scope: scopeOf(certificates), note, subject, findings, data: { version, certificates, failing } });
}

function scopeOf(certificates: readonly CertificateState[]): string {
  return plural(certificates.length, 'certificate');
}

export const certificatesCheck: Check<CertificatesParams, CertificatesData> = {
  name: 'certificates',
  aliases: ['certs'],
  about: 'cert-manager Certificates: Ready, expiry, failing renewals',
  rbac: [
    { apiGroup: CERT_MANAGER, resource: 'certificates', verbs: ['list'] },
    { apiGroup: CERT_MANAGER, resource: 'certificaterequests', verbs: ['list'] },
    { apiGroup: ACME, resource: 'orders', verbs: ['list'] },
    { apiGroup: ACME, resource: 'challenges', verbs: ['list'] },
  ],
  run: checkCertificates,
};
