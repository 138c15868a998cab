import { z } from 'zod';
import { defineOp, type Verdict } from '../../core/op.js';
import { findingsSchema, sortFindings, summarizeStatus, summaryLineSchema, verdictOf, verdictSchema, type Finding } from '../shared/findings.js';
import { attemptCheck, checkLine, checkLineSchema, outcomeFindings, rbacOf, type AnyCheck, type Check, type CheckOutcome } from '../shared/check.js';
import { plural } from '../shared/format.js';
import { cutList, limitSchema, topCounts, countBy, truncation, truncationShape } from '../shared/bounded.js';
import { namespaceSchema } from '../../core/schemas.js';
import { CHECKS, CHECK_WORDS, HEALTH_CHECKS, findCheck } from '../checks.js';
import { metricsStateSchema, nodeSummarySchema, nodesCheck, type NodeSummary } from './nodes-check.js';
import { podCountsSchema, podsCheck } from './pods-check.js';
import { eventsCheck, warningEventSchema } from './events-check.js';
import { compareText } from '../../core/compare.js';

const checkResultSchema = z.object({
  name: z.string(),
  ok: z.boolean().describe('false when the check could not run; its reason is also a finding'),
  error: z.string().optional(),
});

const output = z.object({
  verdict: verdictSchema.describe('ok: nothing to do; warn: look soon; crit: something is down'),
  summary: summaryLineSchema,
  findings: findingsSchema,
  nodes: z.array(nodeSummarySchema).optional().describe('Absent when the nodes check was not run (only)'),
  metrics: metricsStateSchema.optional(),
  pods: podCountsSchema.optional().describe('Absent when the pods check was not run (only)'),
  events: z.array(warningEventSchema).optional().describe('Recent Warning events, newest first; absent when the events check was not run (only)'),
  eventsTotal: z.number().int().optional().describe('Warning events in the window, before the list was cut to size'),
  checks: z.array(checkResultSchema).describe('Every check that ran'),
  subsystems: z.array(checkLineSchema).describe('One line per subsystem that ran, also when not installed or not checkable'),
  ...truncationShape,
});
type Output = z.infer<typeof output>;

/**
 * Rows an assistant gets when it does not say (8 KiB a result): the worst findings, and fewer rows
 * of nodes and events, which are context (a node or event with a problem is a finding too).
 */
const DEFAULT_LIMIT = 3;
const DEFAULT_CONTEXT_LIMIT = 1;

/** Nodes worst first: not ready, under pressure, cordoned, then the busiest. */
function nodeRank(n: NodeSummary): number {
  return (
    (n.ready ? 0 : 4000) +
    (n.pressure.length ? 2000 : 0) +
    (n.status.includes('SchedulingDisabled') ? 1000 : 0) +
    Math.max(n.cpuPercent ?? 0, n.memoryPercent ?? 0)
  );
}

/** The checks health shows as its own tables; every other check it runs gets a line under subsystems. */
const CLUSTER: readonly AnyCheck[] = [nodesCheck, podsCheck, eventsCheck];

function summaryLine(verdict: Verdict, findings: Finding[], ran: readonly CheckOutcome[], nodes: number | undefined, pods: number | undefined): string {
  if (verdict === 'ok') {
    if (nodes !== undefined && pods !== undefined) return `healthy: ${plural(nodes, 'node')} ready, ${pods} pods, no problems found`;
    return `healthy: no problems found (checked ${ran.map((o) => o.name).join(', ')})`;
  }
  const crit = findings.filter((f) => f.severity === 'crit').length;
  const warn = findings.length - crit;
  const counts = [crit && `${crit} critical`, warn && plural(warn, 'warning')].filter(Boolean).join(', ');
  const first = findings.slice(0, 3).map((f) => `${f.kind.toLowerCase()} ${f.namespace ? `${f.namespace}/` : ''}${f.name} ${f.reason}`);
  return `${counts}: ${first.join('; ')}${findings.length > 3 ? '; …' : ''}`;
}

export default defineOp({
  name: 'cluster_health',
  title: 'Cluster health',
  description: 'Call it first when something seems wrong: nodes, problem pods, Warning events, each subsystem. Returns the verdict, worst findings with fixes.',
  effect: 'read',
  input: z
    .object({
      only: z.array(z.enum(CHECK_WORDS)).min(1).optional().describe('Default: all but ingress'),
      namespace: namespaceSchema.optional().describe('List only findings and events here (verdict: all)'),
      reason: z.string().min(1).max(100).optional().describe("A finding's reason, e.g. CrashLoopBackOff"),
      limit: limitSchema(DEFAULT_LIMIT).describe(
        `Rows per list, worst first (default ${DEFAULT_LIMIT} findings, ${DEFAULT_CONTEXT_LIMIT} node, ${DEFAULT_CONTEXT_LIMIT} event; CLI: all)`,
      ),
    })
    .strict(),
  output,
  // What every check it may run reads, and nothing declared by hand.
  rbac: rbacOf(CHECKS),
  timeoutMs: 60_000,
  async run(ctx, input): Promise<Output> {
    const wanted = new Set<unknown>(input.only ? input.only.map((word) => findCheck(word)) : HEALTH_CHECKS);
    const run = <P extends object, D>(check: Check<P, D>, params: P) => (wanted.has(check) ? attemptCheck(check, ctx, params) : undefined);
    const [nodes, pods, events, ...others] = await Promise.all([
      run(nodesCheck, {}),
      run(podsCheck, {}),
      run(eventsCheck, {}),
      ...CHECKS.filter((c) => !CLUSTER.includes(c)).map((c) => run(c, {})),
    ]);
    const outcomes: CheckOutcome[] = [nodes, pods, events, ...others].filter((o) => o !== undefined);
    // When nothing could be asked (cluster unreachable, no credentials) that is an error, not a verdict.
    if (outcomes.every((o) => o.error !== undefined)) throw outcomes[0]?.cause;
    const findings = sortFindings(outcomes.flatMap(outcomeFindings));
    const verdict = verdictOf(findings);
    const limit = input.limit ?? DEFAULT_LIMIT;
    const listed = findings.filter((f) => (!input.namespace || f.namespace === input.namespace) && (!input.reason || f.reason === input.reason));
    const busiest = topCounts(countBy(listed, (f) => f.namespace));
    const shownFindings = cutList(listed, limit, {
      by: (f) => f.reason,
      narrow: `namespace${busiest ? ` (most: ${busiest})` : ''}, reason, only, limit`,
    });
    const contextLimit = input.limit ?? DEFAULT_CONTEXT_LIMIT;
    const shownNodes =
      nodes?.report &&
      cutList(
        [...nodes.report.data.nodes].sort((a, b) => nodeRank(b) - nodeRank(a) || compareText(a.name, b.name)),
        contextLimit,
        {
          by: (n) => n.status,
          narrow: 'limit (worst first)',
        },
      );
    const eventData = events?.report?.data;
    const inNamespace = (eventData?.events ?? []).filter((e) => !input.namespace || e.namespace === input.namespace);
    const shownEvents = cutList(inNamespace, contextLimit, { by: (e) => e.reason, narrow: 'namespace, limit (newest first)' });
    // The events the check kept are the newest; counts by reason cover every one in the window.
    if (shownEvents.cut && !input.namespace && eventData) shownEvents.cut = { ...shownEvents.cut, total: eventData.total, by: eventData.byReason };
    return {
      verdict,
      summary: summaryLine(verdict, findings, outcomes, nodes && (nodes.report?.data.nodes.length ?? 0), pods && (pods.report?.data.total ?? 0)),
      findings: shownFindings.rows,
      ...(nodes ? { nodes: shownNodes?.rows ?? [], metrics: nodes.report?.data.metrics ?? { available: false, note: 'nodes could not be read' } } : {}),
      ...(pods ? { pods: pods.report?.data ?? { total: 0, running: 0, pending: 0, succeeded: 0, failed: 0, withProblems: 0 } } : {}),
      ...(events ? { events: shownEvents.rows, eventsTotal: eventData?.total ?? 0 } : {}),
      checks: outcomes.map((o) => ({ name: o.name, ok: o.error === undefined, ...(o.error !== undefined ? { error: o.error } : {}) })),
      // Every subsystem that ran has its line, installed or not: none is silently dropped.
      subsystems: outcomes.filter((o) => !CLUSTER.some((c) => c.name === o.name)).map(checkLine),
      ...truncation({ findings: shownFindings.cut, nodes: shownNodes?.cut, events: shownEvents.cut }),
    };
  },
  summarize: summarizeStatus,
});
