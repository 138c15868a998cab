import { z } from 'zod';
import { defineOp } from '../../core/op.js';
import { FLUX_KINDS, SUSPENDABLE, fluxObjectInput, suspendableKindSchema } from './kinds.js';
import { describeTarget, plannedChange, resolveTarget, sendPatch, suspendPatch } from './request.js';
import { observed } from '../shared/plan.js';

export const suspendRbac = FLUX_KINDS.filter((k) => (SUSPENDABLE as readonly string[]).includes(k.key)).map((k) => ({
  apiGroup: k.group,
  resource: k.resource,
  verbs: ['get', 'patch'] as const,
}));

export default defineOp({
  name: 'flux_suspend',
  title: 'Suspend a Flux object',
  description: 'Stop Flux reconciling an object, as `flux suspend`, to hold it while you fix something by hand. Returns whether it was already suspended.',
  effect: 'write',
  input: z
    .object({
      ...fluxObjectInput(suspendableKindSchema),
    })
    .strict(),
  output: z.object({
    kind: z.string(),
    namespace: z.string(),
    name: z.string(),
    suspended: z.literal(true),
    wasSuspended: z.boolean().describe('true when it was already suspended (nothing changed)'),
  }),
  args: ['kind', 'name'],
  hints: { destructive: false, idempotent: true },
  guard: { list: 'flux', target: (input) => `${input.namespace}/${input.name}` },
  rbac: suspendRbac,
  timeoutMs: 30_000,
  async plan(ctx, input) {
    const { target, object } = await resolveTarget(ctx, input.kind, input.namespace, input.name);
    const wasSuspended = object.spec.suspend === true;
    const patch = suspendPatch(target);
    return {
      summary: wasSuspended ? `${describeTarget(target)} is already suspended: nothing to change` : `suspend ${describeTarget(target)}`,
      changes: wasSuspended ? [] : [plannedChange(patch)],
      effects: wasSuspended ? [] : [`Flux stops reconciling ${describeTarget(target)}: changes in Git are not applied to it until it is resumed`],
      observed: [observed(target.kind.kind, object)],
      state: { patch, wasSuspended },
    };
  },
  async run(ctx, input, plan) {
    const { patch, wasSuspended } = plan.state;
    if (!wasSuspended) {
      ctx.log.progress(`► suspending ${describeTarget(patch.target)}`);
      await sendPatch(ctx, patch);
    }
    return { kind: patch.target.kind.kind, namespace: input.namespace, name: input.name, suspended: true as const, wasSuspended };
  },
  summarize: (out) => ({ verdict: 'ok', line: `${out.kind} ${out.namespace}/${out.name} ${out.wasSuspended ? 'was already suspended' : 'suspended'}` }),
});
