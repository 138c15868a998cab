import { z } from 'zod';
import type { OpContext } from '../../core/op.js';
import { describeError } from '../../core/errors.js';
import { listAll } from '../../core/ports/kube.js';
import { nodeMetricsSchema, nodeSchema, parseObject, type Node } from '../shared/k8s.js';
import { parseQuantity } from '../shared/quantity.js';
import { conditionStatus } from '../shared/conditions.js';
import type { Finding } from '../shared/findings.js';
import { Reads } from '../shared/reads.js';
import type { Check } from '../shared/check.js';
import { plural } from '../shared/format.js';

export const nodeSummarySchema = z.object({
  name: z.string(),
  ready: z.boolean(),
  status: z.string().describe('Ready, NotReady or Unknown, plus SchedulingDisabled when cordoned'),
  roles: z.array(z.string()),
  version: z.string().optional(),
  arch: z.string().optional(),
  pressure: z.array(z.string()).describe('Pressure conditions that are True (MemoryPressure, DiskPressure, PIDPressure)'),
  cpuPercent: z.number().optional().describe('CPU in use as % of allocatable (metrics.k8s.io)'),
  memoryPercent: z.number().optional().describe('Memory in use as % of allocatable (metrics.k8s.io)'),
});
export type NodeSummary = z.infer<typeof nodeSummarySchema>;

export const metricsStateSchema = z.object({
  available: z.boolean(),
  note: z.string().optional(),
});

const PRESSURE = ['MemoryPressure', 'DiskPressure', 'PIDPressure', 'NetworkUnavailable'];
const NODES = { group: '', version: 'v1', resource: 'nodes' } as const;

function roles(node: Node): string[] {
  const found = Object.keys(node.metadata.labels ?? {})
    .filter((l) => l.startsWith('node-role.kubernetes.io/'))
    .map((l) => l.slice('node-role.kubernetes.io/'.length))
    .filter(Boolean);
  return found.length ? found.sort() : ['worker'];
}

function summarize(node: Node): { summary: NodeSummary; findings: Finding[] } {
  const conditions = node.status.conditions ?? [];
  const ready = conditions.find((c) => c.type === 'Ready');
  const status = conditionStatus(node, 'Ready');
  const readyState = status === 'True' ? 'Ready' : status === 'False' ? 'NotReady' : 'Unknown';
  const pressure = conditions.filter((c) => PRESSURE.includes(c.type) && c.status === 'True').map((c) => c.type);
  const name = node.metadata.name;
  const findings: Finding[] = [];
  if (readyState !== 'Ready') {
    findings.push({
      severity: 'crit',
      kind: 'Node',
      name,
      reason: readyState,
      message: readyState === 'Unknown' ? 'the node stopped reporting (kubelet heartbeats missing)' : (ready?.message ?? 'kubelet reports the node not ready'),
    });
  }
  for (const type of pressure) {
    const c = conditions.find((x) => x.type === type);
    findings.push({ severity: 'warn', kind: 'Node', name, reason: type, message: c?.message ?? `${type} is True` });
  }
  if (node.spec.unschedulable) {
    findings.push({ severity: 'warn', kind: 'Node', name, reason: 'Cordoned', message: 'the node is cordoned: no new pods are scheduled on it' });
  }
  return {
    summary: {
      name,
      ready: readyState === 'Ready',
      status: node.spec.unschedulable ? `${readyState},SchedulingDisabled` : readyState,
      roles: roles(node),
      version: node.status.nodeInfo?.kubeletVersion,
      arch: node.status.nodeInfo?.architecture,
      pressure,
    },
    findings,
  };
}

async function addMetrics(ctx: OpContext, nodes: Node[], summaries: NodeSummary[]): Promise<z.infer<typeof metricsStateSchema>> {
  if (!(await ctx.kube.servesResource('metrics.k8s.io', 'v1beta1', 'nodes'))) {
    return { available: false, note: 'metrics.k8s.io is not served (metrics-server not installed): CPU and memory use unknown' };
  }
  const usage = await listAll(ctx.kube, { group: 'metrics.k8s.io', version: 'v1beta1', resource: 'nodes' });
  for (const raw of usage) {
    const m = parseObject(nodeMetricsSchema, raw, 'NodeMetrics');
    const i = summaries.findIndex((s) => s.name === m.metadata.name);
    const node = nodes[i];
    const summary = summaries[i];
    if (!node || !summary) continue;
    const cpu = parseQuantity(m.usage.cpu);
    const cpuMax = parseQuantity(node.status.allocatable?.cpu);
    const mem = parseQuantity(m.usage.memory);
    const memMax = parseQuantity(node.status.allocatable?.memory);
    if (cpu !== undefined && cpuMax) summary.cpuPercent = Math.round((cpu / cpuMax) * 100);
    if (mem !== undefined && memMax) summary.memoryPercent = Math.round((mem / memMax) * 100);
  }
  return { available: true };
}

/** Every node: Ready, pressure, cordoned, and CPU and memory use when metrics.k8s.io is served. */
export const nodesCheck: Check<object, { nodes: NodeSummary[]; metrics: z.infer<typeof metricsStateSchema> }> = {
  name: 'nodes',
  about: 'Ready, pressure, cordoned, CPU and memory use',
  rbac: [
    { apiGroup: '', resource: 'nodes', verbs: ['list'] },
    { apiGroup: 'metrics.k8s.io', resource: 'nodes', verbs: ['list'] },
  ],
  async run(ctx) {
    const reads = new Reads(ctx);
    const nodes: Node[] = [];
    await reads.list({ ref: NODES, kind: 'Node', schema: nodeSchema }, (node) => nodes.push(node));
    const unread = reads.finish();
    const results = nodes.map(summarize);
    const summaries = results.map((r) => r.summary);
    const findings = results.flatMap((r) => r.findings);
    if (!nodes.length && !unread.length)
      findings.push({ severity: 'crit', kind: 'Cluster', name: 'nodes', reason: 'NoNodes', message: 'the cluster has no nodes: nothing can run' });
    let metrics: z.infer<typeof metricsStateSchema>;
    try {
      metrics = await addMetrics(ctx, nodes, summaries);
    } catch (err) {
      // Metrics are context, not health: say why they are missing and go on.
      metrics = { available: false, note: `node metrics could not be read: ${describeError(err)}` };
    }
    return reads.report({ installed: true, scope: plural(nodes.length, 'node'), findings: [...findings, ...unread], data: { nodes: summaries, metrics } });
  },
};
