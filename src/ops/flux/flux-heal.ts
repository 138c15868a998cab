import { z } from 'zod';
import { defineOp } from '../../core/op.js';
import { UserError, partlyDone } from '../../core/errors.js';
import { namespaceSchema, objectNameSchema } from '../../core/schemas.js';
import { commandLine } from '../shared/fix.js';
import { fluxKind } from './kinds.js';
import { stuckReason, summarizeFluxObject } from './objects.js';
import { awaitReconcile, describeTarget, plannedChange, reconcilePatch, reconcileResultSchema, resolveTarget, sendPatch, suspendPatch } from './request.js';
import { observed } from '../shared/plan.js';
import { boundWithWait, waitBudget, waitInput } from '../shared/wait.js';

const HELMRELEASE = fluxKind('helmrelease');

export default defineOp({
  name: 'flux_heal',
  title: 'Heal a stuck HelmRelease',
  description: 'For a HelmRelease helm-controller gave up on (retries exhausted): suspend, resume, wait for Ready. Refused unless stuck; fix the cause first.',
  effect: 'write',
  input: z
    .object({
      name: objectNameSchema,
      namespace: namespaceSchema,
      ...waitInput({ timeout: '5m', max: '9m' }),
    })
    .strict(),
  output: z.object({
    namespace: z.string(),
    name: z.string(),
    stuck: z.object({ reason: z.string(), failingFor: z.string().optional() }).describe('Why the release was stuck'),
    done: z.array(z.string()).describe('The steps taken'),
    result: reconcileResultSchema.optional().describe('The release after the steps'),
  }),
  args: ['name'],
  // helm-controller retries the upgrade: the release's objects are replaced.
  hints: { destructive: true, idempotent: false },
  guard: { list: 'flux', target: (input) => `${input.namespace}/${input.name}` },
  rbac: [{ apiGroup: HELMRELEASE.group, resource: HELMRELEASE.resource, verbs: ['get', 'patch'] }],
  timeoutMs: 30_000,
  timeoutFor: boundWithWait(30_000),
  async plan(ctx, input) {
    const { target, object } = await resolveTarget(ctx, 'helmrelease', input.namespace, input.name);
    const reason = stuckReason(object);
    const summary = summarizeFluxObject(target.kind, object, ctx.now());
    if (!reason) {
      throw new UserError(`${describeTarget(target)} is not stuck (Ready=${summary.ready}${summary.message ? `: ${summary.message}` : ''}); nothing to heal`, {
        hint: `to have it reconciled anyway: ${commandLine('flux_reconcile', { kind: 'helmrelease', name: input.name, namespace: input.namespace })}`,
      });
    }
    const stuck = { reason, failingFor: summary.failingFor };
    const suspend = object.spec.suspend ? undefined : suspendPatch(target);
    const resume = reconcilePatch(ctx, target, { suspend: false });
    return {
      summary: `${describeTarget(target)} is stuck${stuck.failingFor ? ` (failing for ${stuck.failingFor})` : ''}: ${reason}; heal it: ${suspend ? 'suspend, then ' : ''}resume it`,
      changes: [...(suspend ? [plannedChange(suspend, 'suspend')] : []), plannedChange(resume, 'resume', 'with a reconcile request')],
      effects: [`helm-controller resets the failure counters of ${describeTarget(target)} and tries its install or upgrade again: its pods may roll`],
      observed: [observed(target.kind.kind, object)],
      state: { stuck, suspend, resume },
    };
  },
  async run(ctx, input, plan) {
    const { stuck, suspend, resume } = plan.state;
    const target = resume.target;
    const done: string[] = [];
    if (suspend) {
      ctx.log.progress(`► suspending ${describeTarget(target)}`);
      await sendPatch(ctx, suspend);
      done.push(`suspend ${describeTarget(target)}`);
    }
    ctx.log.progress(`► resuming ${describeTarget(target)}`);
    try {
      await sendPatch(ctx, resume);
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
    if (!input.wait) return { namespace: input.namespace, name: input.name, stuck, done };
    const result = await awaitReconcile(ctx, target, resume.requestedAt, waitBudget(input));
    done.push(`waited: Ready=${result.ready}`);
    return { namespace: input.namespace, name: input.name, stuck, done, result };
  },
  summarize: (out) => {
    const name = `HelmRelease ${out.namespace}/${out.name}`;
    if (!out.result) return { verdict: 'ok', line: `${name} suspended and resumed; not waited for` };
    return out.result.ready === 'True'
      ? { verdict: 'ok', line: `${name} healed: ${out.result.message ?? 'Ready'}` }
      : { verdict: 'crit', line: `${name} is still failing after suspend/resume: ${out.result.message ?? out.result.reason ?? ''}` };
  },
});
