import { z } from 'zod';
import { defineOp } from '../../core/op.js';
import { fluxObjectInput, suspendableKindSchema } from './kinds.js';
import {
  awaitReconcile,
  describeTarget,
  plannedChange,
  reconcileEffect,
  reconcilePatch,
  reconcileResultSchema,
  requestedResult,
  resolveTarget,
  sendPatch,
} from './request.js';
import { observed } from '../shared/plan.js';
import { boundWithWait, waitBudget, waitInput } from '../shared/wait.js';
import { suspendRbac } from './flux-suspend.js';

export default defineOp({
  name: 'flux_resume',
  title: 'Resume a Flux object',
  description: 'Let Flux reconcile a suspended object again, as `flux resume`. Waits unless wait=false; returns Ready or the failure.',
  effect: 'write',
  input: z
    .object({
      ...fluxObjectInput(suspendableKindSchema),
      ...waitInput({ timeout: '5m', max: '9m' }),
    })
    .strict(),
  output: reconcileResultSchema.extend({ wasSuspended: z.boolean().describe('false when it was not suspended (it was reconciled anyway)') }),
  args: ['kind', 'name'],
  hints: { destructive: false, idempotent: true },
  guard: { list: 'flux', target: (input) => `${input.namespace}/${input.name}` },
  rbac: suspendRbac,
  timeoutMs: 30_000,
  timeoutFor: boundWithWait(30_000),
  async plan(ctx, input) {
    const { target, object } = await resolveTarget(ctx, input.kind, input.namespace, input.name);
    const wasSuspended = object.spec.suspend === true;
    const patch = reconcilePatch(ctx, target, { suspend: false });
    return {
      summary: `resume ${describeTarget(target)}${wasSuspended ? '' : ' (it is not suspended: this only requests a reconcile)'}`,
      changes: [plannedChange(patch, 'resume', 'with a reconcile request')],
      effects: [reconcileEffect(target)],
      observed: [observed(target.kind.kind, object)],
      state: { patch, object, wasSuspended },
    };
  },
  async run(ctx, input, plan) {
    const { patch, object, wasSuspended } = plan.state;
    ctx.log.progress(`► resuming ${describeTarget(patch.target)}`);
    await sendPatch(ctx, patch);
    if (!input.wait) return { ...requestedResult(patch.target, object, patch.requestedAt, ctx.now()), wasSuspended };
    return { ...(await awaitReconcile(ctx, patch.target, patch.requestedAt, waitBudget(input))), wasSuspended };
  },
  summarize: (out) => ({
    verdict: !out.waited || out.ready === 'True' ? 'ok' : out.ready === 'False' ? 'crit' : 'warn',
    line: `${out.kind} ${out.namespace}/${out.name} resumed${out.waited ? (out.ready === 'True' ? ' and ready' : `, not ready: ${out.message ?? out.reason ?? ''}`) : ''}`,
  }),
});
