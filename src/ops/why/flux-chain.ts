import { z } from 'zod';
import { NotFound } from '../../core/errors.js';
import type { KubeObject } from '../../core/ports/kube.js';
import { FLUX_KINDS, fluxKind, servedVersion, type FluxKind } from '../flux/kinds.js';
import { fluxFindings, fluxObjectSchema, summarizeFluxObject, type FluxObject } from '../flux/objects.js';
import { directSources } from '../flux/sources.js';
import type { Chain } from './links.js';
import { stateOf, type Link } from './links.js';

/** The labels Flux's controllers put on what they apply (kustomize-controller, helm-controller). */
const APPLIED_BY = [
  { key: 'helmrelease', name: 'helm.toolkit.fluxcd.io/name', namespace: 'helm.toolkit.fluxcd.io/namespace' },
  { key: 'kustomization', name: 'kustomize.toolkit.fluxcd.io/name', namespace: 'kustomize.toolkit.fluxcd.io/namespace' },
] as const;

/** Flux objects one walk reads at most: the owners, their sources, parents and dependencies. */
const MAX_FLUX = 10;

interface FluxRef {
  key: string;
  namespace: string;
  name: string;
  /** The link this one may explain (a dependency explains its dependant). */
  dependant?: Link;
}

/** spec.dependsOn of a Kustomization or HelmRelease (meta.NamespacedObjectReference: name, namespace optional). */
const dependsOnSchema = z.looseObject({
  spec: z.looseObject({ dependsOn: z.array(z.looseObject({ name: z.string(), namespace: z.string().optional() })).optional() }).optional(),
});

/** The Flux objects that applied an object, by the labels their controllers put on it: HelmRelease first (it is nearer). */
export function appliedBy(labels: Record<string, string> | undefined): FluxRef[] {
  return APPLIED_BY.flatMap((a) => {
    const name = labels?.[a.name];
    const namespace = labels?.[a.namespace];
    return name && namespace ? [{ key: a.key, namespace, name }] : [];
  });
}

/** "Ready at 0.8.6", or what history says a stuck release runs and what failed. */
function revisionLine(kind: FluxKind, object: FluxObject, revision: string | undefined): string[] {
  if (kind.kind !== 'HelmRelease') return [];
  const history = (object.status.history ?? []) as Array<{ chartVersion?: string; status?: string; version?: number }>;
  const deployed = history.find((h) => h.status === 'deployed');
  const failed = history.filter((h) => h.status && h.status !== 'deployed' && h.status !== 'superseded').slice(0, 1);
  const lines = [
    ...(deployed
      ? [`runs chart ${deployed.chartVersion ?? '?'}${deployed.version !== undefined ? ` (release ${deployed.version})` : ''}: the last release deployed`]
      : []),
    ...failed.map((h) => `chart ${h.chartVersion ?? '?'}${h.version !== undefined ? ` (release ${h.version})` : ''}: ${h.status}`),
  ];
  return deployed && revision && deployed.chartVersion !== revision ? lines : lines.slice(1);
}

/**
 * The Flux side of the chain: the objects that applied what was walked (by their labels), each
 * judged as flux_status judges it (fluxFindings), its sources (as reconcile --with-source follows
 * them), what it waits for (dependsOn, when Ready says DependencyNotReady) and the Kustomization
 * that applied it in turn, up to the root.
 */
export async function fluxLinks(chain: Chain, start: FluxRef[]): Promise<void> {
  const { ctx } = chain;
  const now = ctx.now();
  const versions = new Map<string, Promise<string | undefined>>();
  const versionOf = (kind: FluxKind) => {
    let v = versions.get(kind.key);
    if (!v) versions.set(kind.key, (v = servedVersion(ctx, kind)));
    return v;
  };
  const seen = new Set<string>();
  // A HelmRelease is nearer what it installed than the Kustomization that applied it: it goes first.
  const owners = chain.labels.flatMap(appliedBy);
  const queue: FluxRef[] = [...start, ...owners.filter((o) => o.key === 'helmrelease'), ...owners.filter((o) => o.key !== 'helmrelease')];

  /** Reads and judges one Flux object; its link, or undefined when it could not be (a link says why). */
  const visit = async (ref: FluxRef): Promise<{ link: Link; object: FluxObject; raw: KubeObject } | undefined> => {
    const kind = fluxKind(ref.key);
    const what = { kind: kind.kind, namespace: ref.namespace, name: ref.name };
    const version = await chain.read(what, () => versionOf(kind));
    if (version === undefined) {
      if (!chain.find(what.kind, what.namespace, what.name))
        chain.add({ ...what, state: 'unknown', detail: `${kind.group} is not served here: it could not be read` });
      return undefined;
    }
    const raw = await chain.read(what, () =>
      ctx.kube
        .get({ group: kind.group, version, resource: kind.resource, namespace: ref.namespace }, ref.name)
        .catch((err: unknown) => (err instanceof NotFound ? null : Promise.reject(err))),
    );
    if (raw === undefined) return undefined;
    if (raw === null) {
      chain.add({ ...what, state: 'warn', detail: 'named by the labels of what it applied, but it does not exist (deleted, or applied by hand since)' });
      return undefined;
    }
    const object = fluxObjectSchema.parse(raw);
    const summary = summarizeFluxObject(kind, object, now);
    const findings = fluxFindings(kind, object, summary, now);
    const worst = findings[0];
    const revision = summary.revision ? ` at ${summary.revision}` : '';
    const link = chain.add({
      ...what,
      state: stateOf(findings),
      detail: worst ? `${worst.reason}: ${worst.message}` : `${summary.ready === 'True' ? 'Ready' : `Ready=${summary.ready}`}${revision}`,
      evidence: worst ? revisionLine(kind, object, summary.revision) : [],
      ...(worst?.fix ? { fix: worst.fix } : {}),
    });
    return { link, object, raw };
  };

  const idOf = (r: FluxRef) => `${r.key}/${r.namespace}/${r.name}`;
  /** What an object is built from (directSources, as reconcile --with-source follows it); none when its spec cannot be read. */
  const sourcesOf = (r: FluxRef, object: FluxObject): FluxRef[] => {
    const kind = fluxKind(r.key);
    try {
      return directSources({ kind, ref: { group: kind.group, version: '', resource: kind.resource, namespace: r.namespace }, name: r.name }, object).flatMap(
        (s) => {
          const sourceKind = FLUX_KINDS.find((k) => k.kind === s.kind && k.source);
          return sourceKind ? [{ key: sourceKind.key, namespace: s.namespace, name: s.name }] : [];
        },
      );
    } catch {
      return [];
    }
  };
  /** Sources, depth first: a HelmRelease's HelmChart, then the chart's HelmRepository; a broken one explains what is built from it. */
  const follow = async (above: Link, refs: FluxRef[]): Promise<void> => {
    for (const r of refs) {
      if (seen.has(idOf(r)) || seen.size >= MAX_FLUX) continue;
      seen.add(idOf(r));
      const got = await visit(r);
      if (!got) continue;
      await follow(got.link, sourcesOf(r, got.object));
      chain.explain(above, got.link);
    }
  };

  while (queue.length && seen.size < MAX_FLUX) {
    const ref = queue.shift() as FluxRef;
    if (seen.has(idOf(ref))) continue;
    seen.add(idOf(ref));
    const found = await visit(ref);
    if (!found) continue;
    const { link, object, raw } = found;
    chain.explain(ref.dependant, link);
    await follow(link, sourcesOf(ref, object));
    // What it waits for, when that is why it is not ready.
    if (link.detail.startsWith('DependencyNotReady')) {
      const deps = dependsOnSchema.safeParse(raw).data?.spec?.dependsOn ?? [];
      for (const d of deps) queue.unshift({ key: ref.key, namespace: d.namespace ?? ref.namespace, name: d.name, dependant: link });
    }
    // The Kustomization that applied it (the root applies itself: seen already).
    queue.push(...appliedBy(object.metadata.labels));
  }
}
