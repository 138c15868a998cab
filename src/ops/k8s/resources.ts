import { z } from 'zod';
import { NotFound, UserError } from '../../core/errors.js';
import type { ApiDiscovery, ApiResource, ResourceRef } from '../../core/ports/kube.js';
import { closest } from '../../core/suggest.js';

/**
 * What a person types for a kind (`po`, `deploy`, `Deployment`, `deployments.apps`,
 * `deployments.v1.apps`, `hr`, `storageclass.storage`) to the resource the server serves, by the
 * rules of kubectl's RESTMapper (k8s.io/cli-runtime's Builder.mappingFor over
 * restmapper.NewShortcutExpander and NewDiscoveryRESTMapper, k8s.io/apimachinery meta.DefaultRESTMapper):
 *
 * 1. `RESOURCE.VERSION.GROUP` (two dots or more) is tried as fully specified first.
 * 2. Then `RESOURCE.GROUP` (or just `RESOURCE`): a short name expands to its resource unless the text
 *    is already a plural or singular name in that group; the group may be a prefix of the real one
 *    (`storage` for `storage.k8s.io`).
 * 3. Plural and singular names match lowercased; when several groups serve the name, the core group
 *    wins, then the groups in discovery's order, each group's preferred version before its others.
 * 4. Failing that, the text is read as a Kind (`Deployment`, `Deployment.apps`), matched exactly.
 */
export function resolveResource(typed: string, discovery: ApiDiscovery): ApiResource {
  const text = typed.trim();
  if (!text) throw new UserError('KIND is empty: name a kind, e.g. pods, deploy or helmreleases.helm.toolkit.fluxcd.io');
  const { resources } = discovery;
  const parts = text.split('.');
  if (parts.length >= 3) {
    const [resource, version, ...group] = parts as [string, string, ...string[]];
    const found = byResource(resources, { resource, group: group.join('.'), version });
    if (found) return found;
  }
  const dot = text.indexOf('.');
  const groupResource = dot >= 0 ? { resource: text.slice(0, dot), group: text.slice(dot + 1) } : { resource: text, group: '' };
  const found = byResource(resources, expandShortcut(resources, groupResource)) ?? byKind(resources, text);
  if (found) return found;

  const category = resources.filter((r) => r.categories.includes(text));
  if (category.length) {
    throw new UserError(
      `"${text}" is a category of kinds (${category.map(qualifiedName).slice(0, 8).join(', ')}${category.length > 8 ? ', …' : ''}): name one kind`,
    );
  }
  const names = new Set(resources.flatMap((r) => [r.resource, ...r.shortNames]));
  const near = closest(groupResource.resource.toLowerCase(), names);
  const unread = discovery.failed.length
    ? ` Discovery could not read ${discovery.failed.map((f) => f.groupVersion).join(', ')} (${discovery.failed[0]?.error ?? ''}): it may be served there.`
    : '';
  throw new NotFound(`the server doesn't have a resource type "${text}".${unread}`, {
    hint: near.length
      ? `did you mean ${near.join(', ')}? (\`homelab get\` takes what kubectl get takes: a plural, singular or short name, a Kind, or NAME.GROUP)`
      : 'name a kind the cluster serves: kubectl api-resources lists them',
  });
}

interface Wanted {
  resource: string;
  group: string;
  version?: string;
}

/** restmapper's shortcutExpander.expandResourceShortcut: a short name becomes its resource and group. */
function expandShortcut(resources: readonly ApiResource[], wanted: Wanted): Wanted {
  const inGroup = (r: ApiResource) => !wanted.group || r.group === wanted.group;
  // An exact plural or singular name is never expanded (kubectl compares these as typed).
  if (resources.some((r) => inGroup(r) && (r.resource === wanted.resource || r.singular === wanted.resource))) return wanted;
  const short =
    resources.find((r) => inGroup(r) && r.shortNames.includes(wanted.resource)) ??
    (wanted.group ? resources.find((r) => r.group.startsWith(wanted.group) && r.shortNames.includes(wanted.resource)) : undefined);
  return short ? { resource: short.resource, group: short.group, version: wanted.version } : wanted;
}

/** DefaultRESTMapper.ResourcesFor under the priority of NewDiscoveryRESTMapper: the first served match. */
function byResource(resources: readonly ApiResource[], wanted: Wanted): ApiResource | undefined {
  const name = wanted.resource.toLowerCase();
  const named = (r: ApiResource) => r.resource === name || r.singular === name;
  if (wanted.version !== undefined) return resources.find((r) => named(r) && r.group === wanted.group && r.version === wanted.version);
  if (!wanted.group) return resources.find(named);
  return resources.find((r) => named(r) && r.group === wanted.group) ?? resources.find((r) => named(r) && r.group.startsWith(wanted.group));
}

/** Builder.mappingFor's fallback: the text as Kind, Kind.group or Kind.version.group (exact, or lowercased as discovery registers both). */
function byKind(resources: readonly ApiResource[], text: string): ApiResource | undefined {
  const parts = text.split('.');
  const kindIs = (r: ApiResource, kind: string) => r.kind === kind || r.kind.toLowerCase() === kind;
  if (parts.length >= 3) {
    const [kind, version, ...group] = parts as [string, string, ...string[]];
    const found = resources.find((r) => kindIs(r, kind) && r.version === version && r.group === group.join('.'));
    if (found) return found;
  }
  const dot = text.indexOf('.');
  const kind = dot >= 0 ? text.slice(0, dot) : text;
  const group = dot >= 0 ? text.slice(dot + 1) : '';
  return resources.find((r) => kindIs(r, kind) && r.group === group);
}

/** "deployments.apps", "pods": how kubectl and RBAC name a resource. */
export function qualifiedName(r: Pick<ApiResource, 'resource' | 'group'>): string {
  return r.group ? `${r.resource}.${r.group}` : r.resource;
}

/** Where a resource's objects are read: in `namespace` when it is namespaced (and one is given). */
export function refOf(r: ApiResource, namespace?: string): ResourceRef {
  return { group: r.group, version: r.version, resource: r.resource, ...(r.namespaced && namespace ? { namespace } : {}) };
}

/**
 * Kinds whose objects hold secret data, read as metadata and printer columns only: the Secret kind
 * in any group (the core `secrets` however it is typed, resolved above to the same resource; and
 * any API that serves Secrets again, a proxy or an aggregated API), and any resource named
 * `secrets`. Their data is never asked for.
 */
export function holdsSecrets(r: Pick<ApiResource, 'kind' | 'resource'>): boolean {
  return r.kind === 'Secret' || r.resource === 'secrets';
}

/** The resource a Kind of an apiVersion is served as (for owner references): undefined when not served. */
export function resourceOfKind(discovery: ApiDiscovery, apiVersion: string, kind: string): ApiResource | undefined {
  const slash = apiVersion.lastIndexOf('/');
  const group = slash >= 0 ? apiVersion.slice(0, slash) : '';
  const version = slash >= 0 ? apiVersion.slice(slash + 1) : apiVersion;
  return (
    discovery.resources.find((r) => r.group === group && r.version === version && r.kind === kind) ??
    discovery.resources.find((r) => r.group === group && r.kind === kind)
  );
}

export const resourceInfoSchema = z.object({
  kind: z.string(),
  resource: z.string().describe('As kubectl and RBAC name it: deployments.apps'),
  apiVersion: z.string(),
  namespaced: z.boolean(),
});

/** The resource a get or describe resolved, as answers name it. */
export function resourceInfo(r: ApiResource): z.infer<typeof resourceInfoSchema> {
  return { kind: r.kind, resource: qualifiedName(r), apiVersion: r.group ? `${r.group}/${r.version}` : r.version, namespaced: r.namespaced };
}
