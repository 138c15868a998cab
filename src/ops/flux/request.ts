import { z } from 'zod';
import type { OpContext } from '../../core/op.js';
import type { ResourceRef } from '../../core/ports/kube.js';
import { UserError } from '../../core/errors.js';
import { parseDuration } from '../../core/schemas.js';
import { parseObject } from '../shared/k8s.js';
import { pollUntil } from '../shared/wait.js';
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

export const waitInput = {
  wait: z.boolean().default(true).describe('Wait for the controller and report Ready'),
  timeout: z
    .string()
    .refine((s) => { const secs = parseDuration(s); return secs !== undefined && secs >= 1 && secs <= 540; }, 'must be a duration from 1s to 9m, e.g. 2m')
    .default('5m')
    .describe('How long to wait in all, sources included'),
};

/** The one wait budget of a write: every object it waits for takes from the same --timeout. */
export interface WaitBudget {
  /** As the user gave it, for messages: "5m". */
  label: string;
  deadline: number;
}

export function waitBudget(timeout: string): WaitBudget {
  return { label: timeout, deadline: Date.now() + (parseDuration(timeout) ?? 300) * 1000 };
}

/**
 * Annotates the object so its controller reconciles now (merge patch: strategic merge is refused
 * on custom resources), plus any extra annotations/spec the caller needs in the same write.
 */
export async function requestReconcile(ctx: OpContext, target: FluxTarget, extra: { annotations?: Record<string, string>; spec?: Record<string, unknown> } = {}): Promise<string> {
  // RFC3339 like the flux CLI's token; any new value triggers a reconcile.
  const requestedAt = ctx.now().toISOString();
  const patch: Record<string, unknown> = { metadata: { annotations: { [REQUESTED_AT]: requestedAt, ...extra.annotations } } };
  if (extra.spec) patch.spec = extra.spec;
  await ctx.kube.patch(target.ref, target.name, patch, 'merge');
  return requestedAt;
}

/**
 * Waits until the controller has handled the request (status.lastHandledReconcileAt echoes it and
 * the generation is observed) and Ready is no longer Unknown, then reports it.
 */
export async function awaitReconcile(ctx: OpContext, target: FluxTarget, requestedAt: string, budget: WaitBudget): Promise<ReconcileResult> {
  const timeoutMs = Math.max(0, budget.deadline - Date.now());
  let last: FluxObject | undefined;
  ctx.log.progress(`◎ waiting for ${describeTarget(target)} to be reconciled`);
  const done = await pollUntil(
    async () => {
      last = parseObject(fluxObjectSchema, await ctx.kube.get(target.ref, target.name), target.kind.kind);
      const handled = last.status.lastHandledReconcileAt === requestedAt;
      const observed = last.status.observedGeneration === undefined || last.metadata.generation === undefined || last.status.observedGeneration >= last.metadata.generation;
      return handled && observed && conditionStatus(last, 'Ready') !== 'Unknown' ? last : undefined;
    },
    {
      timeoutMs,
      signal: ctx.signal,
      describe: () => `${describeTarget(target)} was not reconciled within ${budget.label}${last?.status.lastHandledReconcileAt === requestedAt ? ' (the request was handled; Ready is still Unknown)' : ' (its controller has not handled the request: is it running?)'}`,
    },
  );
  const summary = summarizeFluxObject(target.kind, done, ctx.now());
  ctx.log.progress(summary.ready === 'True' ? `✔ ${describeTarget(target)} reconciled` : `✗ ${describeTarget(target)} failed: ${summary.message ?? summary.reason ?? ''}`);
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

