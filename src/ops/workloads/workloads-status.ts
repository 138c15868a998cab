import { z } from 'zod';
import { defineOp } from '../../core/op.js';
import { namespaceSchema } from '../../core/schemas.js';
import { findingsSchema, summarizeStatus, summaryLineSchema, verdictSchema } from '../shared/findings.js';
import { checkStatus } from '../shared/check.js';
import { plural } from '../shared/format.js';
import { findingsCountSchema, findingsShown } from '../shared/shown.js';
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
  findings: findingsSchema.describe('Why each listed workload is not fine, and what could not be read'),
  ...findingsCountSchema,
});
type Output = z.infer<typeof output>;

export default defineOp({
  name: 'workloads_status',
  title: 'Workloads and rollouts',
  description: 'Deployments, StatefulSets and DaemonSets whose rollout is stuck or pods not ready, with the reason. Use it after a deploy that did not take.',
  effect: 'read',
  input: z
    .object({
      namespace: namespaceSchema.optional().describe('Only this namespace; default: every namespace'),
      limit: z.number().int().min(1).max(500).default(3).describe('Workloads listed, stuck first'),
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
    const listed = workloads.slice(0, input.limit);
    const truncated = workloads.length > listed.length;
    const rolling = byState['rolling out'] ?? 0;
    const ok = `${report.scope}, all rolled out and ready${rolling ? `; ${plural(rolling, 'rollout')} in progress` : ''}`;
    const status = checkStatus(report, { name: workloadsCheck.name, ok });
    return {
      workloads: listed,
      notFine: workloads.length,
      byState,
      counts,
      truncated,
      ...(truncated
        ? {
            narrow: `${plural(workloads.length - listed.length, 'more workload')} not listed (stuck ones come first): narrow with namespace (-n) or raise limit`,
          }
        : {}),
      verdict: status.verdict,
      summary: status.summary,
      ...findingsShown(status.findings, workloads, listed),
    };
  },
  summarize: summarizeStatus,
});
