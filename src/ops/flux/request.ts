import { z } from 'zod';
import type { OpContext, PlannedChange } from '../../core/op.js';
import type { ResourceRef } from '../../core/ports/kube.js';
import { UserError } from '../../core/errors.js';
import { parseObject } from '../shared/k8s.js';
import { pollInterval, pollUntil, remainingMs, type WaitBudget } from '../shared/wait.js';
import { conditionStatusSchema, conditionStatus } from '../shared/conditions.js';
import { commandLine } from '../shared/fix.js';
import { fluxKind, refFor, type FluxKind } from './kinds.js';
import { fluxObjectSchema, summarizeFluxObject, type FluxObject } from './objects.js';

export const REQUESTED_AT = 'reconcile.fluxcd.io/requestedAt';
export const RESET_AT = 'reconcile.fluxcd.io/resetAt';

/** One Flux object, resolved against the versions this cluster serves. */
export interface FluxTarget {
  kind: FluxKind;
  ref: ResourceRef;
  name: string;
}

export async function resolveTarget(ctx: OpContext, kindKey: string, namespace: string, name: string): Promise<{ target: FluxTarget; object: FluxObject }> {
  const kind = fluxKind(kindKey);
  const ref = await refFor(ctx, kind, namespace);
  const object = parseObject(fluxObjectSchema, await ctx.kube.get(ref, name), kind.kind);
  return { target: { kind, ref, name }, object };
}

export function describeTarget(t: FluxTarget): string {
  return `${t.kind.kind} ${t.ref.namespace}/${t.name}`;
}

/** The result of asking a controller to reconcile one object, as reconcile, resume and heal report it. */
export const reconcileResultSchema = z.object({
  kind: z.string(),
  namespace: z.string(),
  name: z.string(),
  requestedAt: z.string().optional().describe('The reconcile.fluxcd.io/requestedAt value sent'),
  waited: z.boolean().describe('false with --no-wait: the request was sent, the outcome not awaited'),
  ready: conditionStatusSchema,
  reason: z.string().optional(),
  message: z.string().optional(),
  revision: z.string().optional(),
});
export type ReconcileResult = z.infer<typeof reconcileResultSchema>;

/**
 * One merge patch a Flux write sends (strategic merge is refused on custom resources), worked out
 * when the write is planned and sent as planned.
 */
export interface FluxPatch {
  target: FluxTarget;
  patch: Record<string, unknown>;
  /** The reconcile.fluxcd.io/requestedAt value it sets; absent for a patch that asks for no reconcile (suspend). */
  requestedAt?: string;
}

/** A reconcile request: the requestedAt annotation, plus any spec the same write must carry (resume: suspend false). */
export function reconcilePatch(ctx: OpContext, target: FluxTarget, spec?: Record<string, unknown>): FluxPatch & { requestedAt: string } {
  // RFC3339 like the flux CLI's token; any new value triggers a reconcile.
  const requestedAt = ctx.now().toISOString();
  return { target, requestedAt, patch: { metadata: { annotations: { [REQUESTED_AT]: requestedAt } }, ...(spec ? { spec } : {}) } };
}

export function suspendPatch(target: FluxTarget): FluxPatch {
  return { target, patch: { spec: { suspend: true } } };
}

/** The patch as a plan shows it: the step in words ("suspend HelmRelease a/b"), the merge patch as its body. */
export function plannedChange(p: FluxPatch, verb = p.requestedAt ? 'request a reconcile of' : 'patch', note = ''): PlannedChange {
  return { action: `${verb} ${describeTarget(p.target)}${note ? ` ${note}` : ''} (merge patch)`, body: p.patch };
}

export async function sendPatch(ctx: OpContext, p: FluxPatch): Promise<void> {
  await ctx.kube.patch(p.target.ref, p.target.name, p.patch, 'merge');
}

/** What a reconcile of each kind sets in motion: the controller that acts, and what it does. */
const RECONCILE_EFFECTS: Record<string, string> = {
  Kustomization: 'kustomize-controller applies what its source holds now: the objects it manages may change',
  HelmRelease: 'helm-controller reconciles the release: an upgrade runs if the chart or values changed, and its pods may roll',
  GitRepository: 'source-controller fetches the repository again',
  HelmRepository: 'source-controller fetches the repository index again',
  OCIRepository: 'source-controller pulls the artifact again',
  Bucket: 'source-controller fetches the bucket again',
  HelmChart: 'source-controller builds the chart again',
  ImageRepository: 'image-reflector-controller scans the registry for tags again',
  ImagePolicy: 'image-reflector-controller selects the latest image again',
  ImageUpdateAutomation: 'image-automation-controller updates image references in Git now, and may push a commit',
};

export function reconcileEffect(target: FluxTarget): string {
  return `${describeTarget(target)}: ${RECONCILE_EFFECTS[target.kind.kind] ?? 'its controller reconciles it'}`;
}

/**
 * Waits until the controller has handled the request (status.lastHandledReconcileAt echoes it and
 * the generation is observed) and Ready is no longer Unknown, then reports it.
 */
export async function awaitReconcile(ctx: OpContext, target: FluxTarget, requestedAt: string, budget: WaitBudget): Promise<ReconcileResult> {
  const timeoutMs = remainingMs(budget);
  let last: FluxObject | undefined;
  ctx.log.progress(`◎ waiting for ${describeTarget(target)} to be reconciled`);
  const done = await pollUntil(
    async () => {
      last = parseObject(fluxObjectSchema, await ctx.kube.get(target.ref, target.name), target.kind.kind);
      const handled = last.status.lastHandledReconcileAt === requestedAt;
      const observed =
        last.status.observedGeneration === undefined || last.metadata.generation === undefined || last.status.observedGeneration >= last.metadata.generation;
      return handled && observed && conditionStatus(last, 'Ready') !== 'Unknown' ? last : undefined;
    },
    {
      timeoutMs,
      intervalMs: pollInterval(ctx),
      signal: ctx.signal,
      describe: () =>
        `${describeTarget(target)} was not reconciled within ${budget.label}${last?.status.lastHandledReconcileAt === requestedAt ? ' (the request was handled; Ready is still Unknown)' : ' (its controller has not handled the request: is it running?)'}`,
    },
  );
  const summary = summarizeFluxObject(target.kind, done, ctx.now());
  ctx.log.progress(
    summary.ready === 'True' ? `✔ ${describeTarget(target)} reconciled` : `✗ ${describeTarget(target)} failed: ${summary.message ?? summary.reason ?? ''}`,
  );
  return { ...resultOf(target, summary), requestedAt, waited: true };
}

export function resultOf(target: FluxTarget, summary: ReturnType<typeof summarizeFluxObject>): ReconcileResult {
  return {
    kind: target.kind.kind,
    namespace: target.ref.namespace ?? '',
    name: target.name,
    waited: false,
    ready: summary.ready,
    reason: summary.reason,
    message: summary.message,
    revision: summary.revision,
  };
}

/** The flux CLI's refusal: a suspended object ignores reconcile requests. */
export function refuseSuspended(target: FluxTarget, object: FluxObject): void {
  if (object.spec.suspend) {
    throw new UserError(`${describeTarget(target)} is suspended: its controller ignores reconcile requests`, {
      hint: `resume it: ${commandLine('flux_resume', { kind: target.kind.key, name: target.name, namespace: target.ref.namespace ?? 'flux-system' })}`,
    });
  }
}

/** What a reconcile request looks like before the controller answered (wait=false). */
export function requestedResult(target: FluxTarget, object: FluxObject, requestedAt: string, now: Date): ReconcileResult {
  return { ...resultOf(target, summarizeFluxObject(target.kind, object, now)), requestedAt, waited: false };
}
