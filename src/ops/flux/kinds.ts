import { z } from 'zod';
import type { OpContext } from '../../core/op.js';
import type { ResourceRef } from '../../core/ports/kube.js';
import { UserError } from '../../core/errors.js';
import { namespaceSchema, objectNameSchema } from '../../core/schemas.js';

/**
 * The Flux kinds homelab knows, written once: reconcile, suspend and resume are generic over this
 * table, as in the flux CLI. Versions are in order of preference; discovery picks what is served.
 */
export interface FluxKind {
  key: string;
  kind: string;
  group: string;
  resource: string;
  versions: readonly string[];
  /** Shown and checked by `flux status`. */
  inStatus: boolean;
  /** A source other objects are built from. */
  source: boolean;
  /** Short names people type: the CRD's shortNames (kubectl get hr) and the flux CLI's (oci). */
  aliases: readonly string[];
}

const SOURCE = 'source.toolkit.fluxcd.io';
const IMAGE = 'image.toolkit.fluxcd.io';

export const FLUX_KINDS: readonly FluxKind[] = [
  {
    key: 'kustomization',
    kind: 'Kustomization',
    group: 'kustomize.toolkit.fluxcd.io',
    resource: 'kustomizations',
    versions: ['v1', 'v1beta2', 'v1beta1'],
    inStatus: true,
    source: false,
    aliases: ['ks'],
  },
  {
    key: 'helmrelease',
    kind: 'HelmRelease',
    group: 'helm.toolkit.fluxcd.io',
    resource: 'helmreleases',
    versions: ['v2', 'v2beta2', 'v2beta1'],
    inStatus: true,
    source: false,
    aliases: ['hr'],
  },
  {
    key: 'gitrepository',
    kind: 'GitRepository',
    group: SOURCE,
    resource: 'gitrepositories',
    versions: ['v1', 'v1beta2'],
    inStatus: true,
    source: true,
    aliases: ['gitrepo', 'git'],
  },
  {
    key: 'helmrepository',
    kind: 'HelmRepository',
    group: SOURCE,
    resource: 'helmrepositories',
    versions: ['v1', 'v1beta2'],
    inStatus: true,
    source: true,
    aliases: ['helmrepo'],
  },
  {
    key: 'ocirepository',
    kind: 'OCIRepository',
    group: SOURCE,
    resource: 'ocirepositories',
    versions: ['v1', 'v1beta2'],
    inStatus: true,
    source: true,
    aliases: ['ocirepo', 'oci'],
  },
  { key: 'bucket', kind: 'Bucket', group: SOURCE, resource: 'buckets', versions: ['v1', 'v1beta2'], inStatus: true, source: true, aliases: [] },
  { key: 'helmchart', kind: 'HelmChart', group: SOURCE, resource: 'helmcharts', versions: ['v1', 'v1beta2'], inStatus: false, source: true, aliases: ['hc'] },
  {
    key: 'imagerepository',
    kind: 'ImageRepository',
    group: IMAGE,
    resource: 'imagerepositories',
    versions: ['v1', 'v1beta2', 'v1beta1'],
    inStatus: true,
    source: false,
    aliases: ['imgrepo'],
  },
  {
    key: 'imagepolicy',
    kind: 'ImagePolicy',
    group: IMAGE,
    resource: 'imagepolicies',
    versions: ['v1', 'v1beta2', 'v1beta1'],
    inStatus: true,
    source: false,
    aliases: ['imgpol'],
  },
  {
    key: 'imageupdateautomation',
    kind: 'ImageUpdateAutomation',
    group: IMAGE,
    resource: 'imageupdateautomations',
    versions: ['v1', 'v1beta2', 'v1beta1'],
    inStatus: true,
    source: false,
    aliases: ['imgupd'],
  },
];

/** What `flux reconcile` accepts (`flux reconcile source bucket|chart|git|helm|oci` among them). */
export const RECONCILABLE = [
  'kustomization',
  'helmrelease',
  'gitrepository',
  'helmrepository',
  'ocirepository',
  'bucket',
  'helmchart',
  'imagerepository',
  'imageupdateautomation',
] as const;
export type ReconcilableKind = (typeof RECONCILABLE)[number];

/**
 * A Flux kind by its name or a short name (hr, ks, gitrepo, helmrepo, oci, hc, …), normalised to
 * its name; both doors take the short names, as kubectl and the flux CLI do.
 */
export function fluxKindSchema<K extends string>(keys: readonly [K, ...K[]]) {
  const kinds = keys.map((key) => FLUX_KINDS.find((k) => k.key === key) as FluxKind);
  const aliases = Object.fromEntries(kinds.flatMap((k) => k.aliases.map((alias) => [alias, k.key])));
  // The tools/list an assistant reads names the kinds only (the short names would double the list in
  // every Flux tool's listing: issue 11's budget; `listedEnum`, applied by the MCP listing); the op
  // and the CLI's flag (its choices, its completion) take both.
  return z
    .enum([...keys, ...Object.keys(aliases)] as [string, ...string[]])
    .transform((name) => (aliases[name] ?? name) as K)
    .meta({ description: 'Kind or short name (ks, hr, …)', listedEnum: [...keys] });
}

export const reconcilableKindSchema = fluxKindSchema(RECONCILABLE);

/** Suspend/resume also apply to the image policy kind, as in the flux CLI. */
export const SUSPENDABLE = [...RECONCILABLE, 'imagepolicy'] as const;
export const suspendableKindSchema = fluxKindSchema(SUSPENDABLE);

export function fluxKind(key: string): FluxKind {
  const found = FLUX_KINDS.find((k) => k.key === key || k.kind === key);
  if (!found) throw new UserError(`unknown Flux kind "${key}"`);
  return found;
}

/** The served version of one Flux kind, or undefined when its controller is not installed. */
export async function servedVersion(ctx: OpContext, kind: FluxKind): Promise<string | undefined> {
  const served = await ctx.kube.servedVersions(kind.group);
  for (const version of kind.versions) {
    if (served.includes(version) && (await ctx.kube.servesResource(kind.group, version, kind.resource))) return version;
  }
  return undefined;
}

/** The ResourceRef of a kind as this cluster serves it; a clear error when Flux lacks it. */
export async function refFor(ctx: OpContext, kind: FluxKind, namespace?: string): Promise<ResourceRef> {
  const version = await servedVersion(ctx, kind);
  if (!version) {
    throw new UserError(`${kind.kind} is not served by this cluster (${kind.group} ${kind.versions.join('/')} not found)`, {
      hint: 'is Flux installed, with the controller for this kind?',
    });
  }
  return { group: kind.group, version, resource: kind.resource, namespace };
}

/** The KIND NAME [-n NS] input every per-object Flux op takes. */
export function fluxObjectInput<K extends z.ZodType>(kind: K) {
  return {
    kind,
    name: objectNameSchema,
    namespace: namespaceSchema.default('flux-system'),
  };
}
