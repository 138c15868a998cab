import { z } from 'zod';
import type { RancherCluster, RancherNode } from '../../core/ports/rancher.js';
import type { Check } from '../shared/check.js';
import type { Finding } from '../shared/findings.js';
import { plural } from '../shared/format.js';
import { capFindings, serviceCheck } from '../shared/service.js';

const MAX_NODE_FINDINGS = 10;

const nodeRowSchema = z.object({
  name: z.string(),
  state: z.string(),
  roles: z.array(z.string()),
  ip: z.string().optional(),
  kubelet: z.string().optional(),
  message: z.string().optional(),
});

export const rancherClusterRowSchema = z.object({
  id: z.string(),
  name: z.string(),
  state: z.string().describe('active, provisioning, updating, unavailable, error, …'),
  provider: z.string().optional(),
  kubernetesVersion: z.string().optional(),
  message: z.string().optional().describe('Why it is changing state or failing'),
  notReady: z.array(z.string()).describe('Conditions that are not True'),
  nodes: z.array(nodeRowSchema).optional().describe('Absent when they could not be read'),
  nodesTotal: z.number().int().optional(),
});

export const rancherStatusSchema = z.object({
  configured: z.boolean(),
  url: z.string().optional(),
  reachable: z.boolean().optional(),
  clusters: z.array(rancherClusterRowSchema).optional(),
});
export type RancherStatus = z.infer<typeof rancherStatusSchema>;

/** Conditions whose False means trouble (Rancher sets many others that are informational). */
const MUST_BE_TRUE = new Set(['Ready', 'Connected', 'Provisioned', 'Updated', 'Waiting']);
const BAD_CLUSTER_STATES = new Set(['unavailable', 'error', 'disconnected']);

function clusterFindings(c: RancherCluster, notReady: string[]): Finding[] {
  const message = c.transitioningMessage ?? c.conditions.find((x) => x.status === 'False' && x.message)?.message;
  if (BAD_CLUSTER_STATES.has(c.state) || c.transitioning === 'error') {
    return [
      {
        severity: 'crit',
        kind: 'RancherCluster',
        name: c.name,
        reason: `Cluster${c.state[0]?.toUpperCase() ?? ''}${c.state.slice(1)}`,
        message: `${c.state}${message ? `: ${message}` : ''}`,
      },
    ];
  }
  if (c.state !== 'active')
    return [{ severity: 'warn', kind: 'RancherCluster', name: c.name, reason: 'NotActive', message: `${c.state}${message ? `: ${message}` : ''}` }];
  if (notReady.length)
    return [
      {
        severity: 'warn',
        kind: 'RancherCluster',
        name: c.name,
        reason: 'ConditionFalse',
        message: `${notReady.join(', ')} not True${message ? `: ${message}` : ''}`,
      },
    ];
  return [];
}

function nodeFinding(c: RancherCluster, n: RancherNode): Finding | undefined {
  if (n.state === 'active') return undefined;
  const crit = n.state === 'unavailable' || n.state === 'error';
  return {
    severity: crit ? 'crit' : 'warn',
    kind: 'RancherNode',
    name: `${c.name}/${n.name}`,
    reason: `Node${n.state[0]?.toUpperCase() ?? ''}${n.state.slice(1)}`,
    message: `${n.state}${n.transitioningMessage ? `: ${n.transitioningMessage}` : ''}`,
  };
}

/** Rancher (services.rancher): every cluster it manages and its state, and the nodes of each. */
export const rancherCheck: Check<{ cluster?: string; nodesLimit?: number }, RancherStatus> = serviceCheck({
  name: 'rancher',
  about: 'Rancher: clusters and their state, nodes per cluster',
  kind: 'Rancher',
  port: (ctx) => ctx.services.rancher(),
  reach: (port) => port.clusters(),
  async read({ port, reached: all, findings, looked, part }, params) {
    const clusters = params.cluster ? all.filter((c) => c.name === params.cluster || c.id === params.cluster) : all;
    const nodesLimit = params.nodesLimit ?? 20;
    const nodeLists = await Promise.all(clusters.map((c) => part(`the nodes of cluster ${c.name}`, port.nodes(c.id))));
    const nodeFindings: Finding[] = [];
    const rows = clusters.map((c, i) => {
      looked.add({ kind: 'RancherCluster', name: c.name });
      const notReady = c.conditions.filter((x) => MUST_BE_TRUE.has(x.type) && x.status !== 'True').map((x) => x.type);
      findings.push(...clusterFindings(c, notReady));
      const nodes = nodeLists[i];
      for (const n of nodes ?? []) {
        looked.add({ kind: 'RancherNode', name: `${c.name}/${n.name}` });
        const f = nodeFinding(c, n);
        if (f) nodeFindings.push(f);
      }
      return {
        id: c.id,
        name: c.name,
        state: c.state,
        provider: c.provider,
        kubernetesVersion: c.kubernetesVersion,
        message: c.transitioningMessage,
        notReady,
        nodes: nodes
          ?.slice(0, nodesLimit)
          .map((n) => ({ name: n.name, state: n.state, roles: n.roles, ip: n.ipAddress, kubelet: n.kubeletVersion, message: n.transitioningMessage })),
        nodesTotal: nodes?.length,
      };
    });
    findings.push(
      ...capFindings(nodeFindings, MAX_NODE_FINDINGS, (n) => ({
        kind: 'Rancher',
        name: port.target,
        reason: 'MoreNodesNotActive',
        message: `and ${plural(n, 'more node')} not active`,
      })),
    );
    const nodesTotal = nodeLists.reduce((n, l) => n + (l?.length ?? 0), 0);
    return {
      scope: `Rancher (${plural(clusters.length, 'cluster')}, ${plural(nodesTotal, 'node')})`,
      note: params.cluster && !clusters.length ? `no cluster named ${params.cluster}` : undefined,
      data: { clusters: rows },
    };
  },
});
