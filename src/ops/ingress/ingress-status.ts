import { z } from 'zod';
import { defineOp } from '../../core/op.js';
import { namespaceSchema } from '../../core/schemas.js';
import { findingsSchema, summarizeStatus, summaryLineSchema, verdictSchema } from '../shared/findings.js';
import { checkStatus } from '../shared/check.js';
import { ingressCheck, ingressRowSchema } from './ingress-check.js';
import { cutFindings, cutList, limitSchema, stateRank, truncation, truncationShape } from '../shared/bounded.js';

const output = z.object({
  verdict: verdictSchema,
  summary: summaryLineSchema,
  certManager: z.boolean().describe('Whether cert-manager Certificates were read here (TLS is checked through them)'),
  ingresses: z.array(ingressRowSchema),
  findings: findingsSchema,
  ...truncationShape,
});
type Output = z.infer<typeof output>;

/** An ingress row carries its paths and TLS: fewer of them fit an assistant's answer. */
const INGRESS_LIMIT = 3;

export default defineOp({
  name: 'ingress_status',
  title: 'Ingresses',
  description:
    'Hosts and paths to backend service:port, ready endpoints, TLS certificates. Use it when a site does not load, answers 502/503 or has a certificate error.',
  effect: 'read',
  input: z.object({ namespace: namespaceSchema.optional().describe('Only this namespace'), limit: limitSchema(INGRESS_LIMIT) }).strict(),
  output,
  rbac: ingressCheck.rbac,
  timeoutMs: 30_000,
  async run(ctx, input): Promise<Output> {
    const report = await ingressCheck.run(ctx, input);
    const { certManager, ingresses, tlsNotChecked } = report.data;
    const checkedTls = ingresses.some((r) => r.tls.some((t) => t.checkedBy !== 'none'));
    const ok = `${report.scope}: every backend has ready endpoints${checkedTls ? ', every TLS Secret checked is in place' : ''}`;
    const status = checkStatus(report, { name: ingressCheck.name, ok, also: tlsNotChecked });
    const limit = input.limit ?? INGRESS_LIMIT;
    const shown = cutList(ingresses, limit, { by: (i) => i.state, rank: (i) => stateRank(i.state), narrow: 'namespace, limit' });
    const findings = cutFindings(status.findings, limit, 'namespace, limit');
    return { certManager, ...status, ingresses: shown.rows, findings: findings.rows, ...truncation({ ingresses: shown.cut, findings: findings.cut }) };
  },
  summarize: summarizeStatus,
});
