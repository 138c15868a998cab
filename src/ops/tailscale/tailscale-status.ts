import { z } from 'zod';
import { DEFAULT_LIMIT, cutFindings, cutList, limitSchema, readyRank, truncation, truncationShape } from '../shared/bounded.js';
import { defineOp } from '../../core/op.js';
import { podRowSchema } from '../shared/pods.js';
import { findingsSchema, summarizeStatus, summaryLineSchema, verdictSchema } from '../shared/findings.js';
import { checkStatus } from '../shared/check.js';
import { VERSION, kindRowSchema, resourceRowSchema, tailscaleCheck } from './tailscale-check.js';

const output = z.object({
  installed: z.boolean().describe('false when tailscale.com/v1alpha1 is not served (the operator CRDs are not installed)'),
  version: z.string().optional().describe('The tailscale.com version read'),
  note: z.string().optional(),
  namespace: z.string().describe('Where the operator pods were looked for (config tailscale.namespace)'),
  verdict: verdictSchema,
  summary: summaryLineSchema,
  pods: z.array(podRowSchema).describe('Every pod in the operator namespace: the operator and its proxies'),
  kinds: z.array(kindRowSchema).describe('Which operator kinds this cluster serves'),
  resources: z.array(resourceRowSchema),
  findings: findingsSchema,
  ...truncationShape,
});
type Output = z.infer<typeof output>;

export default defineOp({
  name: 'tailscale_status',
  title: 'Tailscale operator',
  description:
    "The operator's pods and each tailscale.com resource (Connectors, ProxyGroups, ...) with Ready. Use it when tailnet access to the cluster stops.",
  effect: 'read',
  input: z.object({ limit: limitSchema() }).strict(),
  output,
  rbac: tailscaleCheck.rbac,
  timeoutMs: 30_000,
  async run(ctx, input): Promise<Output> {
    const report = await tailscaleCheck.run(ctx, {});
    const status = checkStatus(report, { name: tailscaleCheck.name, ok: `${report.scope}, all ready` });
    const limit = input.limit ?? DEFAULT_LIMIT;
    const pods = cutList(report.data.pods, limit, {
      by: (p) => (p.ready ? 'Ready' : (p.reason ?? 'NotReady')),
      rank: (p) => readyRank(p.ready),
      narrow: 'limit',
    });
    const resources = cutList(report.data.resources, limit, {
      by: (r) => `${r.kind} ${r.ready === 'True' ? 'Ready' : 'NotReady'}`,
      rank: (r) => readyRank(r.ready),
      narrow: 'limit',
    });
    const findings = cutFindings(status.findings, limit, 'limit');
    return {
      installed: report.installed,
      version: report.installed ? VERSION : undefined,
      note: report.note,
      ...report.data,
      ...status,
      pods: pods.rows,
      resources: resources.rows,
      findings: findings.rows,
      ...truncation({ pods: pods.cut, resources: resources.cut, findings: findings.cut }),
    };
  },
  summarize: summarizeStatus,
});
