import type { OpContext, RbacRule } from '../../core/op.js';
import { Reads, resourceName } from '../shared/reads.js';
import type { Finding } from '../shared/findings.js';
import type { Check, CheckReport } from '../shared/check.js';
import { plural } from '../shared/format.js';
import { FLUX_KINDS, servedVersion, type FluxKind } from './kinds.js';
import { fluxFindings, fluxObjectSchema, summarizeFluxObject, type FluxObjectSummary } from './objects.js';
import { compareText } from '../../core/compare.js';

/** The kinds `flux status` and health read (every Flux kind but the notification ones). */
export const STATUS_KINDS = FLUX_KINDS.filter((k) => k.inStatus);

export interface FluxParams {
  namespace?: string;
  /** A kind's key (helmrelease, kustomization, …): only that kind. */
  kind?: string;
}

export interface FluxData {
  /** Each kind read: the version discovery chose, or null when not served; `error` when it could not be read. */
  apis: Array<{ kind: string; version: string | null; error?: string }>;
  objects: FluxObjectSummary[];
}

const NOT_INSTALLED = 'Flux is not installed on this cluster (no toolkit.fluxcd.io APIs are served)';

/**
 * Reads every served Flux kind (optionally one namespace or kind) page by page. A kind whose
 * discovery or list fails is a finding and the others are still read; when none can be read the
 * error is thrown: failing discovery is never "Flux is not installed".
 */
async function checkFlux(ctx: OpContext, params: FluxParams): Promise<CheckReport<FluxData>> {
  const kinds = STATUS_KINDS.filter((k) => !params.kind || k.key === params.kind);
  const reads = new Reads(ctx);
  const versions = await Promise.all(
    kinds.map((k) => reads.discover(`${k.group} (${k.kind})`, { group: k.group, resource: k.resource }, () => servedVersion(ctx, k))),
  );
  const now = ctx.now();
  const objects: FluxObjectSummary[] = [];
  const findings: Finding[] = [];
  await Promise.all(
    kinds.map(async (kind: FluxKind, i) => {
      const version = versions[i];
      if (!version) return;
      const ref = { group: kind.group, version, resource: kind.resource, namespace: params.namespace };
      await reads.list({ ref, kind: kind.kind, schema: fluxObjectSchema }, (obj) => {
        const summary = summarizeFluxObject(kind, obj, now);
        objects.push(summary);
        findings.push(...fluxFindings(kind, obj, summary, now));
      });
    }),
  );
  const problems = reads.finish();
  const failed = new Map(problems.filter((p) => p.kind === 'Check').map((p) => [p.name, p.message]));
  const order = new Map(STATUS_KINDS.map((k, i) => [k.kind, i]));
  objects.sort((a, b) => (order.get(a.kind) ?? 0) - (order.get(b.kind) ?? 0) || compareText(a.namespace, b.namespace) || compareText(a.name, b.name));
  const apis = kinds.map((k, i) => {
    const error = failed.get(resourceName(k));
    return { kind: k.kind, version: versions[i] ?? null, ...(error ? { error } : {}) };
  });
  // Installed when any Flux kind is served, or could not be asked about (then it is a finding, not "not installed").
  const installed = apis.some((a) => a.version || a.error);
  const served = apis.filter((a) => a.version).map((a) => a.kind);
  const note = !installed
    ? NOT_INSTALLED
    : objects.length
      ? undefined
      : `no Flux objects ${params.namespace ? `in namespace ${params.namespace}` : 'in any namespace'} (looked for ${served.join(', ') || 'nothing that is served'}): nothing to check`;
  return reads.report({
    installed,
    scope: scope(objects),
    note,
    findings: [...findings, ...problems],
    data: { apis, objects },
    subject: params.namespace ? { kind: 'Namespace', name: params.namespace } : undefined,
  });
}

/** "27 Kustomizations, 7 HelmReleases, 9 sources, 6 image objects" */
function scope(objects: FluxObjectSummary[]): string {
  const count = (pred: (o: FluxObjectSummary) => boolean) => objects.filter(pred).length;
  const sources = new Set(FLUX_KINDS.filter((k) => k.source).map((k) => k.kind));
  const parts = [
    [count((o) => o.kind === 'Kustomization'), 'Kustomization'],
    [count((o) => o.kind === 'HelmRelease'), 'HelmRelease'],
    [count((o) => sources.has(o.kind)), 'source'],
    [count((o) => o.kind.startsWith('Image')), 'image object'],
  ] as const;
  return (
    parts
      .filter(([n]) => n > 0)
      .map(([n, what]) => plural(n, what))
      .join(', ') || 'no Flux objects'
  );
}

export const fluxCheck: Check<FluxParams, FluxData> = {
  name: 'flux',
  about: 'Kustomizations, HelmReleases, sources, image automation',
  rbac: STATUS_KINDS.map((k): RbacRule => ({ apiGroup: k.group, resource: k.resource, verbs: ['list'] })),
  run: checkFlux,
};
