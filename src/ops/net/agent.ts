import type { NamespaceSetting, OpContext, RbacRule } from '../../core/op.js';
import type { ExecResult } from '../../core/ports/kube.js';
import { NotFound, Upstream } from '../../core/errors.js';
import { listAll } from '../../core/ports/kube.js';
import { parseObject, podSchema } from '../shared/k8s.js';
import { commandLine } from '../shared/fix.js';
import { isRunningAndReady } from '../shared/pods.js';

/**
 * What running commands in pods needs: list pods to find the target, and both verbs on pods/exec
 * (the WebSocket upgrade is a GET; Kubernetes 1.35+ also checks create) — granted only in the
 * namespaces the op execs into, never cluster-wide.
 */
export function execRbac(...where: NamespaceSetting[]): RbacRule[] {
  return [
    { apiGroup: '', resource: 'pods', verbs: ['list'] },
    { apiGroup: '', resource: 'pods/exec', verbs: ['get', 'create'], inNamespacesOf: where },
  ];
}
export const NODE_RBAC: RbacRule = { apiGroup: '', resource: 'nodes', verbs: ['get'] };

/** Where a command runs: a pod and its container. */
export interface ExecTarget {
  namespace: string;
  pod: string;
  container?: string;
  /** For messages: "debug agent on pi5-worker-1", "Pi-hole pod pihole-…". */
  label: string;
}

/** Bounds every exec op shares unless it says otherwise. */
const DEFAULT_TIMEOUT_MS = 20_000;
const DEFAULT_MAX_BYTES = 1024 * 1024;

/**
 * The debug agent's pod on a node. The node must be a real node of the cluster (a typo is told
 * apart from a node without an agent), and the agent must be running there.
 */
export async function agentOnNode(ctx: OpContext, node: string): Promise<ExecTarget> {
  await ctx.kube.get({ group: '', version: 'v1', resource: 'nodes' }, node).catch((err: unknown) => {
    if (err instanceof NotFound) throw new NotFound(`there is no node "${node}" in this cluster`, { hint: `${commandLine('cluster_health', {})} lists the nodes` });
    throw err;
  });
  const { namespace, labelSelector, container } = ctx.config.debugAgent;
  const pods = (await listAll(ctx.kube, { group: '', version: 'v1', resource: 'pods', namespace }, { labelSelector, fieldSelector: `spec.nodeName=${node}` }))
    .map((p) => parseObject(podSchema, p, 'Pod'));
  const pod = pods.find(isRunningAndReady);
  if (!pod) {
    throw new Upstream(
      pods.length
        ? `the debug agent on node ${node} (${pods[0]?.metadata.name}) is not running and ready`
        : `no debug agent pod on node ${node} (looked for ${labelSelector} in namespace ${namespace})`,
      { hint: 'deploy deploy/base/debug-agent.yaml (a DaemonSet), or set debugAgent in the config to where yours runs' },
    );
  }
  return { namespace, pod: pod.metadata.name, container, label: `debug agent on ${node}` };
}

/** Any running debug agent, or why there is none (for callers that can go on without one). */
export async function findAnyAgent(ctx: OpContext): Promise<ExecTarget | { missing: string }> {
  const { namespace, labelSelector, container } = ctx.config.debugAgent;
  const pods = (await listAll(ctx.kube, { group: '', version: 'v1', resource: 'pods', namespace }, { labelSelector })).map((p) => parseObject(podSchema, p, 'Pod'));
  const pod = pods.find(isRunningAndReady);
  if (!pod) return { missing: `no running debug agent pod (looked for ${labelSelector} in namespace ${namespace})` };
  return { namespace, pod: pod.metadata.name, container, label: `debug agent on ${pod.spec.nodeName ?? 'a node'}` };
}

/** Any running debug agent, for commands that do not care which node they run from. */
export async function anyAgent(ctx: OpContext): Promise<ExecTarget> {
  const found = await findAnyAgent(ctx);
  if ('missing' in found) throw new Upstream(found.missing, { hint: 'deploy deploy/base/debug-agent.yaml' });
  return found;
}

/**
 * Runs an argument vector (never a shell string) in the target and returns what it printed.
 * A non-zero exit is data for the caller to read (dig's 9, ping's 1), not an error.
 */
export async function runIn(ctx: OpContext, target: ExecTarget, argv: string[], options: { timeoutMs?: number; maxBytes?: number } = {}): Promise<ExecResult> {
  ctx.log.debug(`exec in ${target.namespace}/${target.pod}: ${JSON.stringify(argv)}`);
  return ctx.kube.exec(target.namespace, target.pod, target.container, argv, {
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    maxBytes: options.maxBytes ?? DEFAULT_MAX_BYTES,
    signal: ctx.signal,
  });
}

/** For tools whose non-zero exit means they could not run at all (e.g. `ip`, `iptables-save`). */
export function requireSuccess(result: ExecResult, what: string, target: ExecTarget): ExecResult {
  if (result.exitCode !== 0) {
    throw new Upstream(`${what} failed in the ${target.label} (exit ${result.exitCode}): ${result.stderr.trim().split('\n')[0] ?? ''}`);
  }
  return result;
}
