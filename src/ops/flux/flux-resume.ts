import { z } from 'zod';
import { defineOp } from '../../core/op.js';
import { fluxObjectInput, suspendableKindSchema } from './kinds.js';
import { awaitReconcile, describeTarget, reconcileResultSchema, requestReconcile, requestedResult, resolveTarget, waitBudget, waitInput } from './request.js';
import { suspendRbac } from './flux-suspend.js';

export default defineOp({
  name: 'flux_resume',
  title: 'Resume a Flux object',
  description:
    'Let Flux reconcile a suspended object again, as `flux resume`. Waits unless wait=false; returns Ready or the ' +
    'failure.',
  effect: 'write',
  input: z
    .object({
      ...fluxObjectInput(suspendableKindSchema),
      ...waitInput,
    })
    .strict(),
  output: reconcileResultSchema.extend({ wasSuspended: z.boolean().describe('false when it was not suspended (it was reconciled anyway)') }),
  args: ['kind', 'name'],
  hints: { destructive: false, idempotent: true },
  guard: { list: 'flux', target: (input) => `${input.namespace}/${input.name}` },
  rbac: suspendRbac,
  timeoutMs: 20 * 60_000,
  async run(ctx, input) {
    const { target, object } = await resolveTarget(ctx, input.kind, input.namespace, input.name);
    const wasSuspended = object.spec.suspend === true;
    ctx.log.progress(`► resuming ${describeTarget(target)}`);
    const requestedAt = await requestReconcile(ctx, target, { spec: { suspend: false } });
    if (!input.wait) return { ...requestedResult(target, object, requestedAt, ctx.now()), wasSuspended };
    return { ...(await awaitReconcile(ctx, target, requestedAt, waitBudget(input.timeout))), wasSuspended };
  },
  summarize: (out) => ({
    verdict: !out.waited || out.ready === 'True' ? 'ok' : out.ready === 'False' ? 'crit' : 'warn',
    line: `${out.kind} ${out.namespace}/${out.name} resumed${out.waited ? (out.ready === 'True' ? ' and ready' : `, not ready: ${out.message ?? out.reason ?? ''}`) : ''}`,
  }),
});
