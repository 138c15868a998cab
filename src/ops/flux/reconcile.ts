import { z } from 'zod';
import { defineOp, type OpContext } from '../../core/op.js';
import { parseObject } from '../shared/k8s.js';
import { FLUX_KINDS, fluxObjectInput, reconcilableKindSchema, refFor, servedVersion } from './kinds.js';
import { fluxObjectSchema, summarizeFluxObject, type FluxObject } from './objects.js';
import { awaitReconcile, describeTarget, reconcileResultSchema, refuseSuspended, requestReconcile, resolveTarget, resultOf, waitInput, type FluxTarget, type ReconcileResult } from './request.js';

/**
 * The source an object is built from, as `flux reconcile --with-source` finds it: a
 * Kustomization's sourceRef; a HelmRelease's chart source (its HelmRepository/GitRepository,
 * then the HelmChart built from it) or chartRef.
 */
async function sourcesOf(ctx: OpContext, target: FluxTarget, object: FluxObject): Promise<FluxTarget[]> {
  const ns = target.ref.namespace ?? 'flux-system';
  const refs: Array<{ kind: string; name: string; namespace: string }> = [];
  if (object.spec.sourceRef?.kind) refs.push({ kind: object.spec.sourceRef.kind, name: object.spec.sourceRef.name, namespace: object.spec.sourceRef.namespace ?? ns });
  const chartSource = object.spec.chart?.spec?.sourceRef;
  if (chartSource?.kind) {
    const sourceNs = chartSource.namespace ?? ns;
    refs.push({ kind: chartSource.kind, name: chartSource.name, namespace: sourceNs });
    refs.push({ kind: 'HelmChart', name: `${ns}-${target.name}`, namespace: sourceNs });
  }
  if (object.spec.chartRef?.kind) refs.push({ kind: object.spec.chartRef.kind, name: object.spec.chartRef.name, namespace: object.spec.chartRef.namespace ?? ns });
  const targets: FluxTarget[] = [];
  for (const ref of refs) {
    const kind = FLUX_KINDS.find((k) => k.kind === ref.kind && k.source);
    if (!kind || !(await servedVersion(ctx, kind))) continue;
    targets.push({ kind, ref: await refFor(ctx, kind, ref.namespace), name: ref.name });
  }
  return targets;
}

/** Reconciles one source first; an OCI HelmRepository is static and has nothing to reconcile. */
async function reconcileSource(ctx: OpContext, source: FluxTarget, timeout: string): Promise<ReconcileResult> {
  const object = parseObject(fluxObjectSchema, await ctx.kube.get(source.ref, source.name), source.kind.kind);
  if (source.kind.kind === 'HelmRepository' && object.spec.type === 'oci') {
    return { ...resultOf(source, summarizeFluxObject(source.kind, object, ctx.now())), waited: false, message: 'OCI HelmRepository: static, nothing to reconcile' };
  }
  refuseSuspended(source, object);
  ctx.log.progress(`► annotating ${describeTarget(source)}`);
  const requestedAt = await requestReconcile(ctx, source);
  return awaitReconcile(ctx, source, requestedAt, timeout);
}

export default defineOp({
  name: 'flux_reconcile',
  title: 'Reconcile a Flux object',
  description:
    'Ask Flux to reconcile an object now, as `flux reconcile` does: refuses a suspended object, annotates it with ' +
    'reconcile.fluxcd.io/requestedAt, and (unless wait=false) waits until its controller has handled the request, then ' +
    'reports Ready or the failure. withSource reconciles the source (GitRepository, HelmRepository/HelmChart, ' +
    'OCIRepository) first. Kinds: kustomization, helmrelease, gitrepository, helmrepository, ocirepository, ' +
    'imagerepository, imageupdateautomation.',
  effect: 'write',
  input: z
    .object({
      ...fluxObjectInput(reconcilableKindSchema),
      withSource: z.boolean().default(false).describe('Reconcile its source first'),
      ...waitInput,
    })
    .strict(),
  output: reconcileResultSchema.extend({ sources: z.array(reconcileResultSchema).describe('Sources reconciled first (withSource)') }),
  args: ['kind', 'name'],
  hints: { destructive: false, idempotent: true },
  guard: { list: 'flux', target: (input) => `${input.namespace}/${input.name}` },
  // Sources of any kind may be reconciled first (withSource), so every kind but ImagePolicy.
  rbac: FLUX_KINDS.filter((k) => k.key !== 'imagepolicy').map((k) => ({ apiGroup: k.group, resource: k.resource, verbs: ['get', 'patch'] })),
  timeoutMs: 20 * 60_000,
  async run(ctx, input) {
    const { target, object } = await resolveTarget(ctx, input.kind, input.namespace, input.name);
    refuseSuspended(target, object);
    const sources: ReconcileResult[] = [];
    if (input.withSource) {
      for (const source of await sourcesOf(ctx, target, object)) sources.push(await reconcileSource(ctx, source, input.timeout));
    }
    ctx.log.progress(`► annotating ${describeTarget(target)}`);
    const requestedAt = await requestReconcile(ctx, target);
    if (!input.wait) return { ...resultOf(target, summarizeFluxObject(target.kind, object, ctx.now())), requestedAt, waited: false, sources };
    return { ...(await awaitReconcile(ctx, target, requestedAt, input.timeout)), sources };
  },
  summarize: (out) => ({
    verdict: !out.waited ? 'ok' : out.ready === 'True' ? 'ok' : out.ready === 'False' ? 'crit' : 'warn',
    line: !out.waited
      ? `reconcile of ${out.kind} ${out.namespace}/${out.name} requested`
      : out.ready === 'True'
        ? `${out.kind} ${out.namespace}/${out.name} reconciled${out.revision ? ` at ${out.revision}` : ''}`
        : `${out.kind} ${out.namespace}/${out.name} is not ready: ${out.message ?? out.reason ?? 'no message'}`,
  }),
});
