import { z } from 'zod';
import { defineOp } from '../../core/op.js';
import { describeError } from '../../core/errors.js';
import {
  findingSchema, sortFindings, subsystemCouldNotCheck, subsystemSummarySchema, summarizeSubsystem, verdictOf,
  type Finding, type HealthCheck, type SubsystemCheck, type SubsystemSummary,
} from '../shared/findings.js';
import { SUBSYSTEMS } from './health/subsystems.js';
import { metricsStateSchema, nodeSummarySchema, nodesCheck } from './health/nodes.js';
import { podCountsSchema, podsCheck } from './health/pods.js';
import { eventsCheck, warningEventSchema } from './health/events.js';

const checkResultSchema = z.object({
  name: z.string(),
  ok: z.boolean().describe('false when the check could not run; its reason is also a finding'),
  error: z.string().optional(),
});

const output = z.object({
  verdict: z.enum(['ok', 'warn', 'crit']).describe('ok: nothing to do; warn: look soon; crit: something is down'),
  summary: z.string().describe('One line a person reads first'),
  findings: z.array(findingSchema).describe('Every problem found, crit first'),
  nodes: z.array(nodeSummarySchema),
  metrics: metricsStateSchema,
  pods: podCountsSchema,
  events: z.array(warningEventSchema).describe('Recent Warning events, newest first'),
  eventsTotal: z.number().int().describe('Warning events in the window, before the list was cut to size'),
  checks: z.array(checkResultSchema),
  subsystems: z
    .array(subsystemSummarySchema)
    .describe('One line per platform subsystem (Flux, certificates, External Secrets, Tailscale, backups), also when not installed or when it could not be checked'),
});
type Output = z.infer<typeof output>;

/** Runs one check; a check that cannot run is a finding that raises the verdict, never a silent green. */
async function attempt<T>(check: HealthCheck<T>, ctx: Parameters<HealthCheck<T>['run']>[0]): Promise<{ findings: Finding[]; data: T | undefined; result: z.infer<typeof checkResultSchema>; error?: unknown }> {
  try {
    const { findings, data } = await check.run(ctx);
    return { findings, data, result: { name: check.name, ok: true } };
  } catch (err) {
    if (ctx.signal.aborted) throw err;
    const error = describeError(err);
    return {
      findings: [{ severity: 'warn', kind: 'Check', name: check.name, reason: 'CheckFailed', message: `could not check ${check.name}: ${error}` }],
      data: undefined,
      result: { name: check.name, ok: false, error },
      error: err,
    };
  }
}

/** A subsystem as health reports it: its summary line and findings, or why it could not be checked. */
async function checkSubsystem(subsystem: SubsystemCheck, ctx: Parameters<SubsystemCheck['check']>[0]): Promise<{ summary: SubsystemSummary; findings: Finding[]; result: z.infer<typeof checkResultSchema> }> {
  try {
    const result = await subsystem.check(ctx);
    return { summary: summarizeSubsystem(subsystem.name, result), findings: result.findings, result: { name: subsystem.name, ok: true } };
  } catch (err) {
    if (ctx.signal.aborted) throw err;
    const error = describeError(err);
    const { summary, finding } = subsystemCouldNotCheck(subsystem.name, error);
    return { summary, findings: [finding], result: { name: subsystem.name, ok: false, error } };
  }
}

function summaryLine(verdict: Output['verdict'], findings: Finding[], nodes: number, pods: number): string {
  if (verdict === 'ok') return `healthy: ${nodes} node${nodes === 1 ? '' : 's'} ready, ${pods} pods, no problems found`;
  const crit = findings.filter((f) => f.severity === 'crit').length;
  const warn = findings.length - crit;
  const counts = [crit && `${crit} critical`, warn && `${warn} warning${warn === 1 ? '' : 's'}`].filter(Boolean).join(', ');
  const first = findings.slice(0, 3).map((f) => `${f.kind.toLowerCase()} ${f.namespace ? `${f.namespace}/` : ''}${f.name} ${f.reason}`);
  return `${counts}: ${first.join('; ')}${findings.length > 3 ? '; …' : ''}`;
}

export default defineOp({
  name: 'cluster_health',
  title: 'Cluster health',
  description:
    'One verdict for the whole cluster: nodes (Ready, pressure, CPU and memory use), problem pods ' +
    '(CrashLoopBackOff, image pull errors, OOMKilled, unschedulable, failed, not ready, restarting) and recent ' +
    'Warning events, plus one line for each platform subsystem (Flux, certificates, External Secrets, Tailscale, ' +
    'backups) naming its worst problem, or that it is not installed, or that it could not be checked (a warning). Use it first when something seems wrong, or from cron. Returns verdict ok/warn/crit, ' +
    'a summary line and a list of findings naming kind, namespace, name and reason.',
  effect: 'read',
  input: z.object({}).strict(),
  output,
  rbac: [
    { apiGroup: '', resource: 'nodes', verbs: ['list'] },
    { apiGroup: '', resource: 'pods', verbs: ['list'] },
    { apiGroup: '', resource: 'events', verbs: ['list'] },
    { apiGroup: 'metrics.k8s.io', resource: 'nodes', verbs: ['list'] },
    ...SUBSYSTEMS.flatMap((s) => s.rbac),
  ],
  timeoutMs: 60_000,
  async run(ctx) {
    const [nodes, pods, events] = await Promise.all([attempt(nodesCheck, ctx), attempt(podsCheck, ctx), attempt(eventsCheck, ctx)]);
    // When nothing could be asked (cluster unreachable, no credentials) that is an error, not a verdict.
    if (nodes.error && pods.error && events.error) throw nodes.error;
    const subsystems = await Promise.all(SUBSYSTEMS.map((s) => checkSubsystem(s, ctx)));
    const findings = sortFindings([...nodes.findings, ...pods.findings, ...events.findings, ...subsystems.flatMap((s) => s.findings)]);
    const verdict = verdictOf(findings);
    const nodeList = nodes.data?.nodes ?? [];
    const podCounts = pods.data ?? { total: 0, running: 0, pending: 0, succeeded: 0, failed: 0, withProblems: 0 };
    return {
      verdict,
      summary: summaryLine(verdict, findings, nodeList.length, podCounts.total),
      findings,
      nodes: nodeList,
      metrics: nodes.data?.metrics ?? { available: false, note: 'nodes could not be read' },
      pods: podCounts,
      events: events.data?.events ?? [],
      eventsTotal: events.data?.total ?? 0,
      checks: [nodes.result, pods.result, events.result, ...subsystems.map((s) => s.result)],
      // Every subsystem has its line, installed or not: none is silently dropped.
      subsystems: subsystems.map((s) => s.summary),
    };
  },
  summarize: (out) => ({ verdict: out.verdict, line: out.summary }),
});
