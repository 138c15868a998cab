import { z } from 'zod';
import { defineOp } from '../../core/op.js';
import { UserError } from '../../core/errors.js';
import { namespacedNameSchema, splitNamespacedName } from '../../core/schemas.js';
import { metadataSchema, parseObject } from '../shared/k8s.js';

const RESTARTED_AT = 'kubectl.kubernetes.io/restartedAt';

const deploymentSchema = z.looseObject({
  metadata: metadataSchema,
  spec: z.looseObject({ paused: z.boolean().optional() }).default({}),
});

/** RFC3339 with the local offset, as kubectl writes it (time.Now().Format(time.RFC3339)). */
export function rfc3339Local(date: Date): string {
  const offset = -date.getTimezoneOffset();
  const sign = offset >= 0 ? '+' : '-';
  const pad = (n: number) => String(Math.floor(Math.abs(n))).padStart(2, '0');
  const local = new Date(date.getTime() + offset * 60_000);
  const base = local.toISOString().slice(0, 19);
  return offset === 0 ? `${base}Z` : `${base}${sign}${pad(offset / 60)}:${pad(offset % 60)}`;
}

export default defineOp({
  name: 'deployment_restart',
  title: 'Restart a deployment',
  description:
    'Rolling restart of a Deployment, as `kubectl rollout restart`. Only those in the config\'s allow.restart. ' +
    'Returns the restart time.',
  effect: 'write',
  input: z
    .object({
      deployment: namespacedNameSchema.describe('The deployment as NAMESPACE/NAME, e.g. jellyfin/jellyfin'),
    })
    .strict(),
  output: z.object({
    namespace: z.string(),
    name: z.string(),
    restartedAt: z.string().describe('The restartedAt annotation now on the pod template'),
    generation: z.number().int().optional().describe('The deployment generation after the patch'),
  }),
  args: ['deployment'],
  // Pods are replaced one by one; nothing is lost. A second restart rolls the pods again.
  // Every pod is replaced: whatever one held in memory, or a request it was serving, is gone.
  hints: { destructive: true, idempotent: false },
  guard: { list: 'restart', target: (input) => input.deployment },
  rbac: [{ apiGroup: 'apps', resource: 'deployments', verbs: ['get', 'patch'] }],
  timeoutMs: 30_000,
  async run(ctx, input) {
    const { namespace, name } = splitNamespacedName(input.deployment);
    const ref = { group: 'apps', version: 'v1', resource: 'deployments', namespace };
    const deployment = parseObject(deploymentSchema, await ctx.kube.get(ref, name), 'Deployment');
    if (deployment.spec.paused) {
      throw new UserError(`deployment ${namespace}/${name} is paused and would not roll out`, { hint: `resume it first: kubectl rollout resume deployment/${name} -n ${namespace}` });
    }
    const restartedAt = rfc3339Local(ctx.now());
    const patch = { spec: { template: { metadata: { annotations: { [RESTARTED_AT]: restartedAt } } } } };
    const patched = parseObject(deploymentSchema, await ctx.kube.patch(ref, name, patch, 'strategic'), 'Deployment');
    return { namespace, name, restartedAt, generation: patched.metadata.generation };
  },
  summarize: (out) => ({ verdict: 'ok', line: `deployment ${out.namespace}/${out.name} restarted at ${out.restartedAt}` }),
});
