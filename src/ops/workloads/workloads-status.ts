import { z } from 'zod';
import { defineOp } from '../../core/op.js';
import { namespaceSchema } from '../../core/schemas.js';
import { findingsSchema, summarizeStatus, summaryLineSchema, verdictSchema } from '../shared/findings.js';
import { checkStatus } from '../shared/check.js';
import { plural } from '../shared/format.js';
import { workloadKindSchema, workloadStateSchema, workloadsCheck } from './workloads-check.js';

const output = z.object({
  verdict: verdictSchema,
  summary: summaryLineSchema,
  workloads: z.array(workloadStateSchema).describe('Workloads not fully rolled out and ready, stuck first, up to limit'),
  notFine: z.number().int().describe('All of them, before the list was cut'),
  byState: z.record(z.string(), z.number().int()).describe('Every one of them counted by state'),
  counts: z.record(workloadKindSchema, z.number().int()).describe('Workloads looked at, by kind'),
  truncated: z.boolean(),
  narrow: z.string().optional().describe('How to see the rest when truncated'),
  findings: findingsSchema,
});
type Output = z.infer<typeof output>;

export default defineOp({
  name: 'workloads_status',
  title: 'Workloads and rollouts',
  description:
    'Deployments, StatefulSets and DaemonSets whose rollout is stuck (progress deadline exceeded, a new pod that never gets ready, ' +
    'an old ReplicaSet still serving) or whose pods are not ready, each with the reason the controller and the failing pod give. ' +
    'Use it after a deploy that did not take, or when an app runs an old version. Returns verdict ok/warn/crit, the workloads that ' +
    'are not fine (stuck first, bounded by limit), counts and findings with the command that shows why.',
  effect: 'read',
  input: z
    .object({
      namespace: namespaceSchema.optional().describe('Only this namespace; default: every namespace'),
      limit: z.number().int().min(1).max(500).default(20).describe('Workloads listed (stuck first); all are counted'),
    })
    .strict(),
  output,
  rbac: workloadsCheck.rbac,
  timeoutMs: 30_000,
  async run(ctx, input): Promise<Output> {
    const report = await workloadsCheck.run(ctx, input);
    const { workloads, counts } = report.data;
    const byState: Record<string, number> = {};
    for (const w of workloads) byState[w.state] = (byState[w.state] ?? 0) + 1;
    const truncated = workloads.length > input.limit;
    const rolling = byState['rolling out'] ?? 0;
    const ok = `${report.scope}, all rolled out and ready${rolling ? `; ${plural(rolling, 'rollout')} in progress` : ''}`;
    return {
      workloads: workloads.slice(0, input.limit),
      notFine: workloads.length,
      byState,
      counts,
      truncated,
      ...(truncated ? { narrow: `${plural(workloads.length - input.limit, 'more workload')} not listed: narrow with namespace (-n) or raise limit` } : {}),
      ...checkStatus(report, { name: workloadsCheck.name, ok }),
    };
  },
  summarize: summarizeStatus,
});
