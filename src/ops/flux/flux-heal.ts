import { z } from 'zod';
import { defineOp } from '../../core/op.js';
import { UserError, partlyDone } from '../../core/errors.js';
import { namespaceSchema, objectNameSchema } from '../../core/schemas.js';
import { commandLine } from '../shared/fix.js';
import { fluxKind } from './kinds.js';
import { stuckReason, summarizeFluxObject } from './objects.js';
import { awaitReconcile, describeTarget, reconcileResultSchema, requestReconcile, resolveTarget, waitBudget, waitInput } from './request.js';

const HELMRELEASE = fluxKind('helmrelease');

export default defineOp({
  name: 'flux_heal',
  title: 'Heal a stuck HelmRelease',
  description:
    'Unstick a HelmRelease helm-controller gave up on (retries exhausted): suspend, resume, wait for Ready. Refused ' +
    'unless it is stuck; fix the cause first. dryRun only says what it would do. Returns the steps and outcome.',
  effect: 'write',
  input: z
    .object({
      name: objectNameSchema.describe('Name of the HelmRelease'),
      namespace: namespaceSchema.describe('Namespace of the HelmRelease'),
      dryRun: z.boolean().default(false).describe('Only say what would be done'),
      ...waitInput,
    })
    .strict(),
  output: z.object({
    namespace: z.string(),
    name: z.string(),
    dryRun: z.boolean(),
    stuck: z.object({ reason: z.string(), failingFor: z.string().optional() }).describe('Why the release was stuck'),
    plan: z.array(z.string()).describe('The steps, in order'),
    done: z.array(z.string()).describe('The steps taken (empty on a dry run)'),
    result: reconcileResultSchema.optional().describe('The release after the steps'),
  }),
  args: ['name'],
  // helm-controller retries the upgrade: the release's objects are replaced.
  hints: { destructive: true, idempotent: false },
  guard: { list: 'flux', target: (input) => `${input.namespace}/${input.name}` },
  rbac: [{ apiGroup: HELMRELEASE.group, resource: HELMRELEASE.resource, verbs: ['get', 'patch'] }],
  timeoutMs: 20 * 60_000,
  async run(ctx, input) {
    const { target, object } = await resolveTarget(ctx, 'helmrelease', input.namespace, input.name);
    const reason = stuckReason(object);
    const summary = summarizeFluxObject(target.kind, object, ctx.now());
    if (!reason) {
      throw new UserError(`${describeTarget(target)} is not stuck (Ready=${summary.ready}${summary.message ? `: ${summary.message}` : ''}); nothing to heal`, {
        hint: `to have it reconciled anyway: ${commandLine('flux_reconcile', { kind: 'helmrelease', name: input.name, namespace: input.namespace })}`,
      });
    }
    const plan = [
      ...(object.spec.suspend ? [] : [`suspend ${describeTarget(target)}`]),
      `resume it with a reconcile request (helm-controller resets its failure counters and retries)`,
      ...(input.wait ? [`wait up to ${input.timeout} for Ready`] : []),
    ];
    const stuck = { reason, failingFor: summary.failingFor };
    if (input.dryRun) return { namespace: input.namespace, name: input.name, dryRun: true, stuck, plan, done: [] };

    const done: string[] = [];
    if (!object.spec.suspend) {
      ctx.log.progress(`► suspending ${describeTarget(target)}`);
      await ctx.kube.patch(target.ref, target.name, { spec: { suspend: true } }, 'merge');
      done.push(plan[0] as string);
    }
    ctx.log.progress(`► resuming ${describeTarget(target)}`);
    let requestedAt: string;
    try {
      requestedAt = await requestReconcile(ctx, target, { spec: { suspend: false } });
    } catch (err) {
      // Suspending without resuming would leave the release worse off than it was found: say so,
      // with the one command that finishes the job (the undo, a resume, is the same write).
      if (!done.length) throw err;
      throw partlyDone(
        err,
        `${describeTarget(target)} is left suspended: heal suspended it, then resuming it failed, so Flux will not reconcile it until it is resumed`,
        commandLine('flux_resume', { kind: 'helmrelease', name: input.name, namespace: input.namespace }),
      );
    }
    done.push('resumed with a reconcile request');
    if (!input.wait) return { namespace: input.namespace, name: input.name, dryRun: false, stuck, plan, done };
    const result = await awaitReconcile(ctx, target, requestedAt, waitBudget(input.timeout));
    done.push(`waited: Ready=${result.ready}`);
    return { namespace: input.namespace, name: input.name, dryRun: false, stuck, plan, done, result };
  },
  summarize: (out) => {
    const name = `HelmRelease ${out.namespace}/${out.name}`;
    if (out.dryRun) return { verdict: 'ok', line: `dry run: ${name} is stuck (${out.stuck.reason}); would ${out.plan.join(', then ')}` };
    if (!out.result) return { verdict: 'ok', line: `${name} suspended and resumed; not waited for` };
    return out.result.ready === 'True'
      ? { verdict: 'ok', line: `${name} healed: ${out.result.message ?? 'Ready'}` }
      : { verdict: 'crit', line: `${name} is still failing after suspend/resume: ${out.result.message ?? out.result.reason ?? ''}` };
  },
});
