import { z } from 'zod';
import type { OpContext } from '../../core/op.js';
import type { ResourceRef } from '../../core/ports/kube.js';
import { conditionSchema, metadataSchema, parseObject } from '../shared/k8s.js';
import { pollInterval, pollUntil, remainingMs, type WaitBudget } from '../shared/wait.js';

export const DEPLOYMENTS = { group: 'apps', version: 'v1', resource: 'deployments' } as const;

/** The parts of a Deployment (apps/v1) a restart and its rollout read. */
export const deploymentSchema = z.looseObject({
  metadata: metadataSchema,
  spec: z
    .looseObject({
      paused: z.boolean().optional(),
      replicas: z.number().int().optional(),
      selector: z
        .looseObject({
          matchLabels: z.record(z.string(), z.string()).optional(),
          matchExpressions: z.array(z.looseObject({ key: z.string(), operator: z.string(), values: z.array(z.string()).optional() })).optional(),
        })
        .optional(),
      strategy: z
        .looseObject({
          type: z.string().optional(),
          rollingUpdate: z
            .looseObject({ maxUnavailable: z.union([z.number(), z.string()]).optional(), maxSurge: z.union([z.number(), z.string()]).optional() })
            .optional(),
        })
        .optional(),
    })
    .default({}),
  status: z
    .looseObject({
      observedGeneration: z.number().optional(),
      replicas: z.number().optional(),
      updatedReplicas: z.number().optional(),
      availableReplicas: z.number().optional(),
      conditions: z.array(conditionSchema).optional(),
    })
    .default({}),
});
export type Deployment = z.infer<typeof deploymentSchema>;

export const rolloutSchema = z.object({
  state: z.enum(['complete', 'progressing', 'failed']).describe('progressing: not waited for, or still rolling out'),
  message: z.string().describe("The rollout's status as `kubectl rollout status` words it"),
});
export type Rollout = z.infer<typeof rolloutSchema>;

/**
 * Where a Deployment's rollout stands, judged as `kubectl rollout status` judges it
 * (kubectl/pkg/polymorphichelpers/rollout_status.go, DeploymentStatusViewer): the controller has
 * seen the change, every replica is updated, no old one is left, and every updated one is available;
 * Progressing=False with ProgressDeadlineExceeded is a failed rollout.
 */
export function rolloutOf(d: Deployment, generation: number | undefined): Rollout {
  const name = d.metadata.name;
  const s = d.status;
  if (generation !== undefined && (s.observedGeneration ?? 0) < generation)
    return { state: 'progressing', message: 'Waiting for deployment spec update to be observed...' };
  const progressing = s.conditions?.find((c) => c.type === 'Progressing');
  if (progressing?.reason === 'ProgressDeadlineExceeded')
    return { state: 'failed', message: `deployment "${name}" exceeded its progress deadline${progressing.message ? `: ${progressing.message}` : ''}` };
  const wanted = d.spec.replicas ?? 1;
  const updated = s.updatedReplicas ?? 0;
  const waiting = (what: string): Rollout => ({ state: 'progressing', message: `Waiting for deployment "${name}" rollout to finish: ${what}...` });
  if (updated < wanted) return waiting(`${updated} out of ${wanted} new replicas have been updated`);
  if ((s.replicas ?? 0) > updated) return waiting(`${(s.replicas ?? 0) - updated} old replicas are pending termination`);
  if ((s.availableReplicas ?? 0) < updated) return waiting(`${s.availableReplicas ?? 0} of ${updated} updated replicas are available`);
  return { state: 'complete', message: `deployment "${name}" successfully rolled out` };
}

/** Waits until the rollout of `generation` is complete or failed; a Timeout says where it stood. */
export async function awaitRollout(
  ctx: OpContext,
  ref: ResourceRef,
  name: string,
  generation: number | undefined,
  budget: WaitBudget,
  restarted: string,
): Promise<Rollout> {
  let last: Rollout = { state: 'progressing', message: 'Waiting for deployment spec update to be observed...' };
  ctx.log.progress(`◎ waiting for the rollout of deployment ${ref.namespace}/${name}`);
  return pollUntil(
    async () => {
      const now = rolloutOf(parseObject(deploymentSchema, await ctx.kube.get(ref, name), 'Deployment'), generation);
      if (now.message !== last.message) ctx.log.progress(`  ${now.message}`);
      last = now;
      return now.state === 'progressing' ? undefined : now;
    },
    {
      timeoutMs: remainingMs(budget),
      intervalMs: pollInterval(ctx),
      signal: ctx.signal,
      describe: () =>
        `${restarted}, but its rollout did not finish within ${budget.label}: ${last.message} (it goes on; watch it with kubectl rollout status deployment/${name} -n ${ref.namespace})`,
    },
  );
}
