import { z } from 'zod';
import { DEFAULT_LIMIT, cutFindings, cutList, limitSchema, stateRank, truncation, truncationShape } from '../shared/bounded.js';
import { defineOp } from '../../core/op.js';
import { UserError } from '../../core/errors.js';
import { namespaceSchema } from '../../core/schemas.js';
import { findingsSchema, summarizeStatus, summaryLineSchema, verdictSchema } from '../shared/findings.js';
import { checkStatus } from '../shared/check.js';
import { DEFAULT_CRIT_DAYS, DEFAULT_WARN_DAYS, certificateStateSchema } from './certificate.js';
import { certificatesCheck, failingSchema } from './certificates-check.js';

const output = z.object({
  installed: z.boolean().describe('false when cert-manager.io is not served by this cluster'),
  version: z.string().optional().describe('The cert-manager.io version read, e.g. v1'),
  note: z.string().optional().describe('What was looked for when there was nothing to check: cert-manager not installed, or no Certificates'),
  verdict: verdictSchema,
  summary: summaryLineSchema,
  thresholds: z.object({ warnDays: z.number().int(), critDays: z.number().int() }).describe('Days left under which a certificate is warn / crit'),
  certificates: z.array(certificateStateSchema).describe('Every Certificate, soonest expiry first'),
  failing: z.array(failingSchema).describe('CertificateRequests, ACME Orders and Challenges of the current issuance attempt that failed or are stuck'),
  findings: findingsSchema,
  ...truncationShape,
});
type Output = z.infer<typeof output>;

/** The lists cut to limit: the certificates worst first (then soonest expiry), the failing requests, the findings. */
function bounded(certificates: Output['certificates'], failing: Output['failing'], status: ReturnType<typeof checkStatus>, limit: number) {
  const narrow = 'namespace, limit';
  const certs = cutList(certificates, limit, { by: (c) => c.state, rank: (c) => stateRank(c.state), narrow });
  const requests = cutList(failing, limit, { by: (f) => `${f.kind} ${f.state}`, narrow });
  const findings = cutFindings(status.findings, limit, narrow);
  return {
    ...status,
    certificates: certs.rows,
    failing: requests.rows,
    findings: findings.rows,
    ...truncation({ certificates: certs.cut, failing: requests.cut, findings: findings.cut }),
  };
}

export default defineOp({
  name: 'certs_status',
  title: 'Certificates',
  description:
    'cert-manager Certificates: Ready, expiry, renewal, issuer, and the Orders and Challenges of a failing issuance. Use it for a TLS error or what expires soon.',
  effect: 'read',
  input: z
    .object({
      namespace: namespaceSchema.optional().describe('Only this namespace'),
      warnDays: z.number().int().min(1).max(365).default(DEFAULT_WARN_DAYS),
      critDays: z.number().int().min(0).max(365).default(DEFAULT_CRIT_DAYS),
      limit: limitSchema(),
    })
    .strict(),
  output,
  rbac: certificatesCheck.rbac,
  timeoutMs: 30_000,
  async run(ctx, input): Promise<Output> {
    if (input.critDays > input.warnDays) throw new UserError(`critDays (${input.critDays}) must not be more than warnDays (${input.warnDays})`);
    const report = await certificatesCheck.run(ctx, input);
    const { version, certificates, failing } = report.data;
    const next = certificates.find((c) => c.daysLeft !== undefined);
    const ok = `${report.scope}, all Ready${next ? `; next expiry in ${Math.floor(next.daysLeft ?? 0)} days (${next.namespace}/${next.name})` : ''}`;
    return {
      installed: report.installed,
      version,
      note: report.note,
      thresholds: { warnDays: input.warnDays, critDays: input.critDays },
      ...bounded(certificates, failing, checkStatus(report, { name: certificatesCheck.name, ok }), input.limit ?? DEFAULT_LIMIT),
    };
  },
  summarize: summarizeStatus,
});
