import { NotFound, UserError } from '../../core/errors.js';
import type { OpContext } from '../../core/op.js';
import { listAll, type KubeObject, type ResourceRef } from '../../core/ports/kube.js';
import { dnsNameSchema, objectNameSchema } from '../../core/schemas.js';
import { commandLine } from '../shared/fix.js';
import { fluxKind, servedVersion } from '../flux/kinds.js';
import { compareText } from '../../core/compare.js';

/**
 * What `why` can start from, outermost first: when a bare name matches several kinds in one
 * namespace, the walk starts at the outermost (an Ingress before its Service before its Deployment).
 */
export interface TargetKind {
  kind: string;
  /** What people type before the slash, as kubectl and flux take them. */
  words: readonly string[];
  /** Where it is served; Flux kinds are asked of discovery instead. */
  ref?: Omit<ResourceRef, 'namespace'>;
  flux?: string;
}

export const TARGET_KINDS: readonly TargetKind[] = [
  { kind: 'Ingress', words: ['ingress', 'ingresses', 'ing'], ref: { group: 'networking.k8s.io', version: 'v1', resource: 'ingresses' } },
  { kind: 'Service', words: ['service', 'services', 'svc'], ref: { group: '', version: 'v1', resource: 'services' } },
  { kind: 'Deployment', words: ['deployment', 'deployments', 'deploy'], ref: { group: 'apps', version: 'v1', resource: 'deployments' } },
  { kind: 'StatefulSet', words: ['statefulset', 'statefulsets', 'sts'], ref: { group: 'apps', version: 'v1', resource: 'statefulsets' } },
  { kind: 'DaemonSet', words: ['daemonset', 'daemonsets', 'ds'], ref: { group: 'apps', version: 'v1', resource: 'daemonsets' } },
  { kind: 'Pod', words: ['pod', 'pods', 'po'], ref: { group: '', version: 'v1', resource: 'pods' } },
  { kind: 'HelmRelease', words: ['helmrelease', 'helmreleases', 'hr'], flux: 'helmrelease' },
  { kind: 'Kustomization', words: ['kustomization', 'kustomizations', 'ks'], flux: 'kustomization' },
];

export type ParsedTarget = { type: 'host'; host: string; path: string } | { type: 'object'; kind: TargetKind; name: string } | { type: 'name'; name: string };

/**
 * Reads what the user typed: a URL or a name with a dot is a hostname; KIND/NAME an object of that
 * kind; anything else the name of an app. A string is the reason it is none of these.
 */
export function parseTarget(text: string): ParsedTarget | string {
  const given = text.trim();
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(given)) {
    let url: URL;
    try {
      url = new URL(given);
    } catch {
      return 'must be a URL that parses, e.g. https://jellyfin.home.example.net/web';
    }
    if (!dnsNameSchema.safeParse(url.hostname).success || /^[\d.]+$/.test(url.hostname)) return 'a URL must name a host, not an address';
    return { type: 'host', host: url.hostname.toLowerCase(), path: url.pathname || '/' };
  }
  const slash = given.indexOf('/');
  if (slash >= 0) {
    const word = given.slice(0, slash).toLowerCase();
    const name = given.slice(slash + 1);
    const kind = TARGET_KINDS.find((k) => k.words.includes(word));
    if (!kind)
      return `"${word}" is not a kind why follows: use ${TARGET_KINDS.map((k) => k.words.at(-1)).join(', ')} (e.g. svc/jellyfin), a hostname or a name`;
    if (!objectNameSchema.safeParse(name).success) return `"${name}" is not a Kubernetes object name`;
    return { type: 'object', kind, name };
  }
  if (given.includes('.')) {
    if (!dnsNameSchema.safeParse(given).success || /^[\d.]+$/.test(given)) return 'must be a host name, KIND/NAME or a name';
    return { type: 'host', host: given.toLowerCase().replace(/\.$/, ''), path: '/' };
  }
  if (!objectNameSchema.safeParse(given).success)
    return 'must be a host name, a URL, KIND/NAME (deployment/jellyfin) or a name (lowercase letters, digits, "-")';
  return { type: 'name', name: given };
}

/** Where the walk starts: a hostname, or one object read from the cluster. */
export type Start = { type: 'host'; host: string; path: string } | { type: 'object'; kind: TargetKind; namespace: string; name: string; object: KubeObject };

interface Match {
  kind: TargetKind;
  object: KubeObject;
}

/** How many candidates an ambiguous name lists. */
const MAX_CANDIDATES = 10;

async function refOf(ctx: OpContext, kind: TargetKind, cache: Map<string, Promise<string | undefined>>): Promise<Omit<ResourceRef, 'namespace'> | undefined> {
  if (kind.ref) return kind.ref;
  const flux = fluxKind(kind.flux ?? '');
  let version = cache.get(flux.key);
  if (!version) cache.set(flux.key, (version = servedVersion(ctx, flux)));
  const served = await version;
  return served ? { group: flux.group, version: served, resource: flux.resource } : undefined;
}

/** Objects of one kind with exactly this name: a get in one namespace, a list by field selector in all. */
async function byName(
  ctx: OpContext,
  kind: TargetKind,
  name: string,
  namespace: string | undefined,
  versions: Map<string, Promise<string | undefined>>,
): Promise<Match[]> {
  const ref = await refOf(ctx, kind, versions);
  if (!ref) return [];
  if (namespace) {
    try {
      return [{ kind, object: await ctx.kube.get({ ...ref, namespace }, name) }];
    } catch (err) {
      if (err instanceof NotFound) return [];
      throw err;
    }
  }
  return (await listAll(ctx.kube, ref, { fieldSelector: `metadata.name=${name}` })).map((object) => ({ kind, object }));
}

/** Objects of one kind whose name starts with NAME-: what an app's name usually prefixes (metadata only). */
async function byPrefix(
  ctx: OpContext,
  kind: TargetKind,
  name: string,
  namespace: string | undefined,
  versions: Map<string, Promise<string | undefined>>,
): Promise<Match[]> {
  const ref = await refOf(ctx, kind, versions);
  if (!ref) return [];
  const found: Match[] = [];
  for await (const page of ctx.kube.listPages({ ...ref, namespace }, { metadataOnly: true })) {
    for (const object of page) if (object.metadata.name.startsWith(`${name}-`)) found.push({ kind, object });
  }
  return found;
}

function word(kind: TargetKind): string {
  return kind.words.at(-1) ?? kind.kind.toLowerCase();
}

/** The why command that starts at this object. */
export function whyCommand(kind: TargetKind, namespace: string, name: string): string {
  return commandLine('why', { target: `${word(kind)}/${name}`, namespace });
}

function startOf(m: Match): Start {
  return { type: 'object', kind: m.kind, namespace: m.object.metadata.namespace ?? '', name: m.object.metadata.name, object: m.object };
}

/** Per namespace and name, the outermost kind: the candidates a person chooses from. */
function outermost(matches: Match[], byNamespaceOnly: boolean): Match[] {
  const best = new Map<string, Match>();
  for (const m of matches) {
    const key = byNamespaceOnly ? (m.object.metadata.namespace ?? '') : `${m.object.metadata.namespace ?? ''}/${m.object.metadata.name}`;
    const seen = best.get(key);
    if (!seen || TARGET_KINDS.indexOf(m.kind) < TARGET_KINDS.indexOf(seen.kind)) best.set(key, m);
  }
  return [...best.values()].sort(
    (a, b) => compareText(a.object.metadata.namespace ?? '', b.object.metadata.namespace ?? '') || compareText(a.object.metadata.name, b.object.metadata.name),
  );
}

function ambiguous(text: string, candidates: Match[]): UserError {
  const shown = candidates
    .slice(0, MAX_CANDIDATES)
    .map(
      (c) =>
        `${whyCommand(c.kind, c.object.metadata.namespace ?? '', c.object.metadata.name)}   # ${c.kind.kind} ${c.object.metadata.namespace ?? ''}/${c.object.metadata.name}`,
    );
  const more = candidates.length > shown.length ? `\n… and ${candidates.length - shown.length} more: add -n NAMESPACE` : '';
  return new UserError(`"${text}" matches ${candidates.length} different things; say which one`, { hint: `${shown.join('\n')}${more}` });
}

/**
 * Finds what the target names. A hostname is followed as it is. KIND/NAME is that object (in the
 * namespace given, or the only one of that name). A bare name is the object of that exact name,
 * the outermost kind when several in one namespace have it; failing that, the one app whose
 * objects are named NAME-…; several namespaces or apps: an error listing each with its command.
 */
export async function resolveStart(ctx: OpContext, parsed: ParsedTarget, namespace: string | undefined, text: string): Promise<Start> {
  if (parsed.type === 'host') return parsed;
  const versions = new Map<string, Promise<string | undefined>>();
  const kinds = parsed.type === 'object' ? [parsed.kind] : TARGET_KINDS;
  const exact = (await Promise.all(kinds.map((k) => byName(ctx, k, parsed.name, namespace, versions)))).flat();
  const where = namespace ? `in namespace ${namespace}` : 'in any namespace';
  if (parsed.type === 'object') {
    if (exact.length === 1) return startOf(exact[0] as Match);
    if (!exact.length) throw new NotFound(`no ${parsed.kind.kind} named ${parsed.name} ${where}`);
    throw ambiguous(text, exact);
  }
  if (exact.length) {
    const perNamespace = outermost(exact, true);
    if (perNamespace.length === 1) return startOf(perNamespace[0] as Match);
    throw ambiguous(text, perNamespace);
  }
  // No exact name: the objects of an app named NAME-… (pods are left out: every replica would match).
  const prefixed = outermost(
    (await Promise.all(kinds.filter((k) => k.kind !== 'Pod').map((k) => byPrefix(ctx, k, parsed.name, namespace, versions)))).flat(),
    false,
  );
  if (prefixed.length === 1) {
    const only = prefixed[0] as Match;
    // The prefix search read metadata only: the walk needs the whole object.
    const [full] = await byName(ctx, only.kind, only.object.metadata.name, only.object.metadata.namespace, versions);
    if (full) return startOf(full);
  }
  if (prefixed.length > 1) throw ambiguous(text, prefixed);
  throw new NotFound(`nothing named ${parsed.name} ${where}: no Ingress, Service, Deployment, StatefulSet, DaemonSet, pod, HelmRelease or Kustomization`, {
    hint: 'give a hostname (jellyfin.home.example.net), KIND/NAME (deployment/jellyfin) or add -n NAMESPACE',
  });
}
