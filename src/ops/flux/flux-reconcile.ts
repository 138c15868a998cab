import { partlyDone } from '../../core/errors.js';
import { z } from 'zod';
import { defineOp } from '../../core/op.js';
import { commandLine } from '../shared/fix.js';
import { summarizeFluxObject } from './objects.js';
import { FLUX_KINDS, fluxObjectInput, reconcilableKindSchema } from './kinds.js';
import {
  awaitReconcile,
  describeTarget,
  plannedChange,
  reconcileEffect,
  reconcilePatch,
  reconcileResultSchema,
  refuseSuspended,
  requestedResult,
  resolveTarget,
  resultOf,
  sendPatch,
  type ReconcileResult,
} from './request.js';
import { observed } from '../shared/plan.js';
import { boundWithWait, waitBudget, waitInput } from '../shared/wait.js';
import { sourceChain } from './sources.js';

export default defineOp({
  name: 'flux_reconcile',
  title: 'Reconcile a Flux object',
  description: 'As `flux reconcile` (withSource: its sources first), only what allow.flux names; refuses a suspended object. Returns Ready or the failure.',
  effect: 'write',
  input: z
    .object({
      ...fluxObjectInput(reconcilableKindSchema),
      withSource: z.boolean().default(false).describe('Reconcile its sources first'),
      ...waitInput({ timeout: '5m', max: '9m' }),
    })
    .strict(),
  output: reconcileResultSchema.extend({ sources: z.array(reconcileResultSchema).describe('Sources reconciled first (withSource), deepest first') }),
  args: ['kind', 'name'],
  hints: { destructive: false, idempotent: true },
  guard: { list: 'flux', target: (input) => `${input.namespace}/${input.name}` },
  // Sources of any kind may be reconciled first (withSource), so every kind but ImagePolicy.
  rbac: FLUX_KINDS.filter((k) => k.key !== 'imagepolicy').map((k) => ({ apiGroup: k.group, resource: k.resource, verbs: ['get', 'patch'] })),
  timeoutMs: 30_000,
  timeoutFor: boundWithWait(30_000),
  async plan(ctx, input) {
    const { target, object } = await resolveTarget(ctx, input.kind, input.namespace, input.name);
    refuseSuspended(target, object);
    // The whole set first: every source is read, and each one to be annotated is checked, before any write.
    const chain = input.withSource ? await sourceChain(ctx, target, object) : [];
    const annotated = chain.filter((step) => !step.static);
    for (const step of annotated) refuseSuspended(step.target, step.object);
    for (const step of annotated) ctx.authorize('flux', `${step.target.ref.namespace ?? ''}/${step.target.name}`);
    const steps = chain.map((step) => ({ ...step, patch: step.static ? undefined : reconcilePatch(ctx, step.target) }));
    const patch = reconcilePatch(ctx, target);
    const patches = [...steps.flatMap((step) => (step.patch ? [step.patch] : [])), patch];
    return {
      summary: `reconcile ${describeTarget(target)}${annotated.length ? ` and ${annotated.length === 1 ? 'its source' : `its ${annotated.length} sources`} first` : ''}`,
      changes: patches.map((p) => plannedChange(p)),
      effects: patches.map((p) => reconcileEffect(p.target)),
      observed: [...annotated.map((step) => observed(step.target.kind.kind, step.object)), observed(target.kind.kind, object)],
      state: { steps, patch, object },
    };
  },
  async run(ctx, input, plan) {
    const { steps, patch, object } = plan.state;
    const target = patch.target;
    const budget = waitBudget(input);
    const sources: ReconcileResult[] = [];
    // Annotations are requests each controller handles on its own: a step that fails leaves
    // nothing half-applied, but the person is told what was already requested and how to finish.
    const requested: string[] = [];
    for (const step of steps) {
      if (!step.patch) {
        sources.push({ ...resultOf(step.target, summarizeFluxObject(step.target.kind, step.object, ctx.now())), message: step.static });
        continue;
      }
      try {
        ctx.log.progress(`► annotating ${describeTarget(step.target)}`);
        await sendPatch(ctx, step.patch);
        requested.push(describeTarget(step.target));
        sources.push(
          input.wait
            ? await awaitReconcile(ctx, step.target, step.patch.requestedAt, budget)
            : requestedResult(step.target, step.object, step.patch.requestedAt, ctx.now()),
        );
      } catch (err) {
        if (!requested.length) throw err;
        throw partlyDone(
          err,
          `Reconcile was requested for ${requested.join(', ')}; ${describeTarget(target)} was not annotated`,
          commandLine('flux_reconcile', { kind: input.kind, name: input.name, namespace: input.namespace, withSource: true }),
        );
      }
    }

    ctx.log.progress(`► annotating ${describeTarget(target)}`);
    try {
      await sendPatch(ctx, patch);
    } catch (err) {
      if (!requested.length) throw err;
      throw partlyDone(
        err,
        `Its sources were ${input.wait ? 'reconciled' : 'annotated'} first (${requested.join(', ')}); ${describeTarget(target)} itself was not annotated`,
        commandLine('flux_reconcile', { kind: input.kind, name: input.name, namespace: input.namespace }),
      );
    }
    if (!input.wait) return { ...requestedResult(target, object, patch.requestedAt, ctx.now()), sources };
    return { ...(await awaitReconcile(ctx, target, patch.requestedAt, budget)), sources };
  },
  summarize: (out) => {
    const what = `${out.kind} ${out.namespace}/${out.name}`;
    const failedSource = out.sources.find((s) => s.waited && s.ready === 'False');
    const sourceNote = failedSource
      ? `; its source ${failedSource.kind} ${failedSource.namespace}/${failedSource.name} failed: ${failedSource.message ?? failedSource.reason ?? 'no message'}`
      : '';
    if (!out.waited) return { verdict: 'ok', line: `reconcile of ${what}${out.sources.length ? ' and its sources' : ''} requested` };
    if (out.ready === 'True')
      return { verdict: failedSource ? 'crit' : 'ok', line: `${what} reconciled${out.revision ? ` at ${out.revision}` : ''}${sourceNote}` };
    return {
      verdict: out.ready === 'False' || failedSource ? 'crit' : 'warn',
      line: `${what} is not ready: ${out.message ?? out.reason ?? 'no message'}${sourceNote}`,
    };
  },
});
