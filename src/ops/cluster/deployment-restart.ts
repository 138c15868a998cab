import { z } from 'zod';
import { defineOp } from '../../core/op.js';
import { Forbidden, UserError } from '../../core/errors.js';
import { namespacedNameSchema, splitNamespacedName } from '../../core/schemas.js';
import { listAll } from '../../core/ports/kube.js';
import { parseObject } from '../shared/k8s.js';
import { observed, selectorString, someNames } from '../shared/plan.js';
import { boundWithWait, waitBudget, waitInput } from '../shared/wait.js';
import { DEPLOYMENTS, awaitRollout, deploymentSchema, rolloutSchema, type Deployment } from './rollout.js';

const RESTARTED_AT = 'kubectl.kubernetes.io/restartedAt';

/** RFC3339 with the local offset, as kubectl writes it (time.Now().Format(time.RFC3339)). */
export function rfc3339Local(date: Date): string {
  const offset = -date.getTimezoneOffset();
  const sign = offset >= 0 ? '+' : '-';
  const pad = (n: number) => String(Math.floor(Math.abs(n))).padStart(2, '0');
  const local = new Date(date.getTime() + offset * 60_000);
  const base = local.toISOString().slice(0, 19);
  return offset === 0 ? `${base}Z` : `${base}${sign}${pad(offset / 60)}:${pad(offset % 60)}`;
}

/** What a restart does to the running pods, by the Deployment's strategy (apps/v1 DeploymentStrategy). */
function podsEffect(d: Deployment, pods: string[] | Forbidden): string {
  if (pods instanceof Forbidden) return `its pods are replaced (which ones could not be listed: ${pods.message})`;
  if (!pods.length) return 'it has no pods now: only its pod template changes';
  const which = pods.length === 1 ? `its pod ${pods[0]}` : `its ${pods.length} pods (${someNames(pods)})`;
  if (d.spec.strategy?.type === 'Recreate')
    return `${which} ${pods.length === 1 ? 'stops' : 'all stop'} before new ones start (strategy Recreate): it is down in between`;
  const rolling = d.spec.strategy?.rollingUpdate;
  return `${which} ${pods.length === 1 ? 'is' : 'are'} replaced one by one (RollingUpdate: maxUnavailable ${rolling?.maxUnavailable ?? '25%'}, maxSurge ${rolling?.maxSurge ?? '25%'})`;
}

export default defineOp({
  name: 'deployment_restart',
  title: 'Restart a deployment',
  description:
    'As `kubectl rollout restart`, for a Deployment in allow.restart; waits for the rollout unless wait=false. Returns the restart time and rollout.',
  effect: 'write',
  input: z
    .object({
      deployment: namespacedNameSchema.describe('NAMESPACE/NAME, e.g. jellyfin/jellyfin'),
      ...waitInput({ timeout: '5m', max: '30m' }),
    })
    .strict(),
  output: z.object({
    namespace: z.string(),
    name: z.string(),
    restartedAt: z.string().describe('The restartedAt annotation now on the pod template'),
    generation: z.number().int().optional().describe('The deployment generation after the patch'),
    waited: z.boolean(),
    rollout: rolloutSchema,
  }),
  args: ['deployment'],
  // Pods are replaced one by one; nothing is lost. A second restart rolls the pods again.
  // Every pod is replaced: whatever one held in memory, or a request it was serving, is gone.
  hints: { destructive: true, idempotent: false },
  guard: { list: 'restart', target: (input) => input.deployment },
  rbac: [
    { apiGroup: 'apps', resource: 'deployments', verbs: ['get', 'patch'] },
    // The plan names the pods that will roll.
    { apiGroup: '', resource: 'pods', verbs: ['list'] },
  ],
  timeoutMs: 30_000,
  timeoutFor: boundWithWait(30_000),
  async plan(ctx, input) {
    const { namespace, name } = splitNamespacedName(input.deployment);
    const ref = { ...DEPLOYMENTS, namespace };
    const deployment = parseObject(deploymentSchema, await ctx.kube.get(ref, name), 'Deployment');
    if (deployment.spec.paused) {
      throw new UserError(`deployment ${namespace}/${name} is paused and would not roll out`, {
        hint: `resume it first: kubectl rollout resume deployment/${name} -n ${namespace}`,
      });
    }
    const selector = deployment.spec.selector ? selectorString(deployment.spec.selector) : '';
    // Which pods roll is for the person reading the plan: a role that may not list pods still restarts.
    const pods = selector
      ? await listAll(ctx.kube, { group: '', version: 'v1', resource: 'pods', namespace }, { labelSelector: selector }).then(
          (items) => items.map((p) => p.metadata.name ?? ''),
          (err: unknown) => {
            if (err instanceof Forbidden) return err;
            throw err;
          },
        )
      : [];
    const restartedAt = rfc3339Local(ctx.now());
    const patch = { spec: { template: { metadata: { annotations: { [RESTARTED_AT]: restartedAt } } } } };
    return {
      summary: `restart deployment ${namespace}/${name}`,
      changes: [{ action: `patch Deployment ${namespace}/${name} (strategic merge)`, body: patch }],
      effects: [podsEffect(deployment, pods)],
      observed: [observed('Deployment', deployment)],
      state: { namespace, name, restartedAt, patch },
    };
  },
  async run(ctx, input, plan) {
    const { namespace, name, restartedAt, patch } = plan.state;
    const ref = { ...DEPLOYMENTS, namespace };
    ctx.log.progress(`► restarting deployment ${namespace}/${name}`);
    const patched = parseObject(deploymentSchema, await ctx.kube.patch(ref, name, patch, 'strategic'), 'Deployment');
    const generation = patched.metadata.generation;
    const result = { namespace, name, restartedAt, generation };
    if (!input.wait) return { ...result, waited: false, rollout: { state: 'progressing' as const, message: 'not waited for' } };
    const rollout = await awaitRollout(ctx, ref, name, generation, waitBudget(input), `deployment ${namespace}/${name} was restarted at ${restartedAt}`);
    return { ...result, waited: true, rollout };
  },
  summarize: (out) => {
    const restarted = `deployment ${out.namespace}/${out.name} restarted at ${out.restartedAt}`;
    if (!out.waited) return { verdict: 'ok', line: `${restarted}; its rollout was not waited for` };
    if (out.rollout.state === 'failed') return { verdict: 'crit', line: `${restarted}; its rollout failed: ${out.rollout.message}` };
    return { verdict: 'ok', line: `${restarted}; rolled out` };
  },
});
