/**
 * Discovery documents: /version, /api, /api/v1, /apis, /apis/GROUP, /apis/GROUP/VERSION.
 * Served as legacy (unaggregated) JSON with Content-Type application/json, which kubectl accepts
 * when it asked for aggregated discovery (apidiscovery.k8s.io/v2) first: it falls back.
 */
import { createHash } from 'node:crypto';
import { apiVersionOf, type KindRegistry, type ResourceDef } from './kinds.js';

export function versionInfo(gitVersion: string, now: Date): Record<string, string> {
  const m = /^v(\d+)\.(\d+)/.exec(gitVersion);
  return {
    major: m?.[1] ?? '1',
    minor: m?.[2] ?? '31',
    gitVersion,
    gitCommit: createHash('sha1').update(gitVersion).digest('hex'),
    gitTreeState: 'clean',
    buildDate: new Date(now.getTime() - 200 * 86400_000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    goVersion: 'go1.22.9',
    compiler: 'gc',
    platform: 'linux/arm64',
  };
}

export function apiVersions(host: string): Record<string, unknown> {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: host }] };
}

function groupEntry(name: string, versions: string[]): Record<string, unknown> {
  const vs = versions.map((v) => ({ groupVersion: `${name}/${v}`, version: v }));
  return { name, versions: vs, preferredVersion: vs[0] };
}

export function apiGroupList(kinds: KindRegistry): Record<string, unknown> {
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: kinds
      .groups()
      .filter((g) => g.group !== '')
      .map((g) => groupEntry(g.group, g.versions)),
  };
}

export function apiGroup(kinds: KindRegistry, group: string): Record<string, unknown> | undefined {
  const g = kinds.groups().find((x) => x.group === group && group !== '');
  return g ? { kind: 'APIGroup', apiVersion: 'v1', ...groupEntry(g.group, g.versions) } : undefined;
}

function storageVersionHash(r: ResourceDef, version: string): string {
  return createHash('sha256').update(`${r.group}/${version}/${r.kind}`).digest('base64').slice(0, 12);
}

export function resourceList(kinds: KindRegistry, group: string, version: string): Record<string, unknown> | undefined {
  if (!kinds.servesGroupVersion(group, version)) return undefined;
  const resources: Record<string, unknown>[] = [];
  for (const r of kinds.resources.filter((x) => x.group === group && x.versions.includes(version)).sort((a, b) => a.plural.localeCompare(b.plural))) {
    const entry: Record<string, unknown> = { name: r.plural, singularName: r.singular, namespaced: r.namespaced, kind: r.kind, verbs: r.verbs };
    if (r.shortNames.length) entry.shortNames = r.shortNames;
    if (r.categories.length) entry.categories = r.categories;
    if (r.group !== 'metrics.k8s.io') entry.storageVersionHash = storageVersionHash(r, version);
    resources.push(entry);
    for (const s of r.subresources) {
      const sub: Record<string, unknown> = { name: `${r.plural}/${s.name}`, singularName: '', namespaced: r.namespaced };
      if (s.group) {
        sub.group = s.group;
        sub.version = s.version;
      }
      sub.kind = s.kind || r.kind;
      sub.verbs = s.verbs;
      resources.push(sub);
    }
  }
  const out: Record<string, unknown> = { kind: 'APIResourceList' };
  if (group) out.apiVersion = 'v1';
  out.groupVersion = apiVersionOf(group, version);
  out.resources = resources;
  return out;
}
