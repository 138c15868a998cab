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
    'Every Ingress with its class, hosts and paths to backend service:port, whether each backend Service exists and ' +
    'has ready endpoints, and its TLS: checked through the cert-manager Certificate that writes each TLS Secret (Ready, ' +
    'days left, renewal). homelab reads no Secrets: a TLS Secret no Certificate manages is reported as not checked, ' +
    'unless the config lists it under ingress.tlsSecrets (then its name alone is read). Use it when a site does not ' +
    'load, answers 502/503, or shows a certificate error. Returns verdict ok/warn/crit (crit: a TLS Secret missing, a ' +
    'backend Service missing or without ready endpoints, a certificate not Ready or expiring within 3 days; warn: a ' +
    'certificate expiring within 14 days or failing to renew, or a kind that could not be read), the ingresses and findings.',
  effect: 'read',
  input: z.object({ namespace: namespaceSchema.optional().describe('Only this namespace; default: every namespace'), limit: limitSchema('Ingresses and findings each, problems first', INGRESS_LIMIT) }).strict(),
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
