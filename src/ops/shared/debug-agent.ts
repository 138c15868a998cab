import type { OpContext, RbacRule } from '../../core/op.js';
import { NotFound, Upstream } from '../../core/errors.js';
import { listAll } from '../../core/ports/kube.js';
import { parseObject, podSchema } from './k8s.js';
import { commandLine } from './fix.js';
import { isRunningAndReady } from './pods.js';
import type { ExecTarget } from './exec.js';

/** The debug agent (deploy/base/debug-agent.yaml, config `debugAgent`): a host-network pod per node to run network tools in. */

/** Telling a node without an agent from a node that does not exist needs `get` on nodes. */
export const NODE_RBAC: RbacRule = { apiGroup: '', resource: 'nodes', verbs: ['get'] };

/**
 * The debug agent's pod on a node. The node must be a real node of the cluster (a typo is told
 * apart from a node without an agent), and the agent must be running there.
 */
export async function agentOnNode(ctx: OpContext, node: string): Promise<ExecTarget> {
  await ctx.kube.get({ group: '', version: 'v1', resource: 'nodes' }, node).catch((err: unknown) => {
    if (err instanceof NotFound)
      throw new NotFound(`there is no node "${node}" in this cluster`, { hint: `${commandLine('cluster_health', {})} lists the nodes` });
    throw err;
  });
  const { namespace, labelSelector, container } = ctx.config.debugAgent;
  const pods = (
    await listAll(ctx.kube, { group: '', version: 'v1', resource: 'pods', namespace }, { labelSelector, fieldSelector: `spec.nodeName=${node}` })
  ).map((p) => parseObject(podSchema, p, 'Pod'));
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
  const pods = (await listAll(ctx.kube, { group: '', version: 'v1', resource: 'pods', namespace }, { labelSelector })).map((p) =>
    parseObject(podSchema, p, 'Pod'),
  );
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
