import { partlyDone } from '../../core/errors.js';
import { z } from 'zod';
import { defineOp } from '../../core/op.js';
import { commandLine } from '../shared/fix.js';
import { summarizeFluxObject } from './objects.js';
import { FLUX_KINDS, fluxObjectInput, reconcilableKindSchema } from './kinds.js';
import {
  awaitReconcile, describeTarget, reconcileResultSchema, refuseSuspended, requestReconcile, requestedResult, resolveTarget, resultOf,
  waitBudget, waitInput, type ReconcileResult,
} from './request.js';
import { sourceChain } from './sources.js';

export default defineOp({
  name: 'flux_reconcile',
  title: 'Reconcile a Flux object',
  description:
    'Make Flux reconcile an object now, as `flux reconcile` (withSource: its sources first). Refuses a suspended ' +
    'object; every object touched must be in allow.flux. Waits unless wait=false; returns Ready or the failure.',
  effect: 'write',
  input: z
    .object({
      ...fluxObjectInput(reconcilableKindSchema),
      withSource: z.boolean().default(false).describe('Reconcile its sources first'),
      ...waitInput,
    })
    .strict(),
  output: reconcileResultSchema.extend({ sources: z.array(reconcileResultSchema).describe('Sources reconciled first (withSource), deepest first') }),
  args: ['kind', 'name'],
  hints: { destructive: false, idempotent: true },
  guard: { list: 'flux', target: (input) => `${input.namespace}/${input.name}` },
  // Sources of any kind may be reconciled first (withSource), so every kind but ImagePolicy.
  rbac: FLUX_KINDS.filter((k) => k.key !== 'imagepolicy').map((k) => ({ apiGroup: k.group, resource: k.resource, verbs: ['get', 'patch'] })),
  timeoutMs: 20 * 60_000,
  async run(ctx, input) {
    const { target, object } = await resolveTarget(ctx, input.kind, input.namespace, input.name);
    refuseSuspended(target, object);
    // The whole set first: every source is read, and each one to be annotated is checked, before any write.
    const steps = input.withSource ? await sourceChain(ctx, target, object) : [];
    const annotated = steps.filter((step) => !step.static);
    for (const step of annotated) refuseSuspended(step.target, step.object);
    for (const step of annotated) ctx.authorize('flux', `${step.target.ref.namespace ?? ''}/${step.target.name}`);

    const budget = waitBudget(input.timeout);
    const sources: ReconcileResult[] = [];
    // Annotations are requests each controller handles on its own: a step that fails leaves
    // nothing half-applied, but the person is told what was already requested and how to finish.
    const requested: string[] = [];
    for (const step of steps) {
      if (step.static) {
        sources.push({ ...resultOf(step.target, summarizeFluxObject(step.target.kind, step.object, ctx.now())), message: step.static });
        continue;
      }
      try {
        ctx.log.progress(`► annotating ${describeTarget(step.target)}`);
        const requestedAt = await requestReconcile(ctx, step.target);
        requested.push(describeTarget(step.target));
        sources.push(input.wait ? await awaitReconcile(ctx, step.target, requestedAt, budget) : requestedResult(step.target, step.object, requestedAt, ctx.now()));
      } catch (err) {
        if (!requested.length) throw err;
        throw partlyDone(err, `Reconcile was requested for ${requested.join(', ')}; ${describeTarget(target)} was not annotated`, commandLine('flux_reconcile', { kind: input.kind, name: input.name, namespace: input.namespace, withSource: true }));
      }
    }

    ctx.log.progress(`► annotating ${describeTarget(target)}`);
    let requestedAt: string;
    try {
      requestedAt = await requestReconcile(ctx, target);
    } catch (err) {
      if (!requested.length) throw err;
      throw partlyDone(err, `Its sources were ${input.wait ? 'reconciled' : 'annotated'} first (${requested.join(', ')}); ${describeTarget(target)} itself was not annotated`, commandLine('flux_reconcile', { kind: input.kind, name: input.name, namespace: input.namespace }));
    }
    if (!input.wait) return { ...requestedResult(target, object, requestedAt, ctx.now()), sources };
    return { ...(await awaitReconcile(ctx, target, requestedAt, budget)), sources };
  },
  summarize: (out) => {
    const what = `${out.kind} ${out.namespace}/${out.name}`;
    const failedSource = out.sources.find((s) => s.waited && s.ready === 'False');
    const sourceNote = failedSource ? `; its source ${failedSource.kind} ${failedSource.namespace}/${failedSource.name} failed: ${failedSource.message ?? failedSource.reason ?? 'no message'}` : '';
    if (!out.waited) return { verdict: 'ok', line: `reconcile of ${what}${out.sources.length ? ' and its sources' : ''} requested` };
    if (out.ready === 'True') return { verdict: failedSource ? 'crit' : 'ok', line: `${what} reconciled${out.revision ? ` at ${out.revision}` : ''}${sourceNote}` };
    return { verdict: out.ready === 'False' || failedSource ? 'crit' : 'warn', line: `${what} is not ready: ${out.message ?? out.reason ?? 'no message'}${sourceNote}` };
  },
});
