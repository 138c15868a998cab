// Writes deploy/base/rbac.yaml from the RBAC rules every op declares (src/ops/registry.ts), or with
// --check fails when the file on disk no longer matches them. The ClusterRole is exactly the union
// of the ops' rules: a new op, or an op that needs one more verb, changes it here and nowhere else.
//
//   npx tsx scripts/rbac.ts           regenerate deploy/base/rbac.yaml
//   npx tsx scripts/rbac.ts --check   exit 1 when it is stale
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { AnyOp, RbacRule } from '../src/core/op.js';

/** What the RBAC is generated from: an op's name, effect and rules. */
type OpRules = Pick<AnyOp, 'name' | 'effect' | 'rbac'>;
import { DEFAULT_NAMESPACES } from '../src/core/config.js';

export const NAMESPACE = 'mcp-homelab';
export const SERVICE_ACCOUNT = 'homelab';
export const CLUSTER_ROLE = 'homelab';
export const READ_ONLY_CLUSTER_ROLE = 'homelab-read-only';

const root = fileURLToPath(new URL('..', import.meta.url));
export const RBAC_FILE = `${root}deploy/base/rbac.yaml`;

/** Verbs that change something; a read-only role must have none of them. */
export const WRITE_VERBS: readonly string[] = ['create', 'update', 'patch', 'delete', 'deletecollection', 'escalate', 'bind', 'impersonate'];

/** The order verbs are written in: reads first, then writes, as kubectl prints them. */
const VERB_ORDER = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'];

/** One ClusterRole rule as written: one API group, resources sharing the same verbs. */
export interface ClusterRoleRule {
  apiGroup: string;
  resources: string[];
  verbs: string[];
  /** The ops that need something in this rule (for the comment above it). */
  ops: string[];
}

function compareVerbs(a: string, b: string): number {
  const ia = VERB_ORDER.indexOf(a);
  const ib = VERB_ORDER.indexOf(b);
  if (ia !== -1 && ib !== -1) return ia - ib;
  if (ia !== -1 || ib !== -1) return ia === -1 ? 1 : -1;
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Refuses rules that would grant more than a name: wildcards, empty verbs, a malformed group or resource. */
function validateRule(op: OpRules, rule: RbacRule): void {
  const where = `op ${op.name} declares rbac ${JSON.stringify(rule)}`;
  if (rule.apiGroup.includes('*') || rule.resource.includes('*') || rule.verbs.some((v) => v.includes('*'))) {
    throw new Error(`${where}: wildcards are not allowed; name the group, resource and verbs it needs`);
  }
  if (!/^([a-z0-9]([-a-z0-9.]*[a-z0-9])?)?$/.test(rule.apiGroup)) throw new Error(`${where}: apiGroup must be '' (core) or a DNS name like 'apps'`);
  if (!/^[a-z0-9]+(\/[a-z0-9]+)?$/.test(rule.resource))
    throw new Error(`${where}: resource must be a lowercase plural, optionally with a subresource ('pods/log')`);
  if (rule.verbs.length === 0) throw new Error(`${where}: no verbs`);
  // The deploy promises no access to Secret values: no op holds any verb on them (ingress checks TLS
  // through cert-manager Certificates; the opt-in name check is granted by deploy/overlays/tls-secrets).
  if (rule.apiGroup === '' && (rule.resource === 'secrets' || rule.resource.startsWith('secrets/'))) {
    throw new Error(`${where}: no op may hold a verb on Secrets`);
  }
}

/**
 * The union of the ops' rules, merged per (apiGroup, resource) with sorted verbs, then grouped:
 * resources of one API group that need the same verbs share a rule. Core group first, then groups
 * alphabetically; within a group, rules by their first resource. Deterministic for a given op list.
 */
export function clusterRoleRules(ops: readonly OpRules[], scope: (rule: RbacRule) => boolean = (rule) => !rule.inNamespacesOf?.length): ClusterRoleRule[] {
  const merged = new Map<string, { apiGroup: string; resource: string; verbs: Set<string>; ops: Set<string> }>();
  for (const op of ops) {
    for (const rule of op.rbac) {
      validateRule(op, rule);
      if (!scope(rule)) continue;
      const key = `${rule.apiGroup}\u0000${rule.resource}`;
      let entry = merged.get(key);
      if (!entry) {
        entry = { apiGroup: rule.apiGroup, resource: rule.resource, verbs: new Set(), ops: new Set() };
        merged.set(key, entry);
      }
      for (const verb of rule.verbs) entry.verbs.add(verb);
      entry.ops.add(op.name);
    }
  }

  const grouped = new Map<string, ClusterRoleRule & { opSet: Set<string> }>();
  for (const entry of merged.values()) {
    const verbs = [...entry.verbs].sort(compareVerbs);
    const key = `${entry.apiGroup}\u0000${verbs.join(',')}`;
    let rule = grouped.get(key);
    if (!rule) {
      rule = { apiGroup: entry.apiGroup, resources: [], verbs, ops: [], opSet: new Set() };
      grouped.set(key, rule);
    }
    rule.resources.push(entry.resource);
    for (const name of entry.ops) rule.opSet.add(name);
  }

  return [...grouped.values()]
    .map(({ opSet, ...rule }) => ({ ...rule, resources: rule.resources.sort(compareStrings), ops: [...opSet].sort(compareStrings) }))
    .sort(
      (a, b) =>
        compareStrings(a.apiGroup, b.apiGroup) ||
        compareStrings(a.resources[0] ?? '', b.resources[0] ?? '') ||
        compareStrings(a.verbs.join(','), b.verbs.join(',')),
    );
}

/**
 * Rules an op needs only in the namespaces config settings name (exec into the Pi-hole pod, the
 * debug agent, Jellyfin), per namespace at the settings' defaults: granted by Roles there.
 */
export function namespacedRules(ops: readonly OpRules[]): Array<{ namespace: string; rules: ClusterRoleRule[] }> {
  const namespaces = new Set(ops.flatMap((op) => op.rbac.flatMap((rule) => (rule.inNamespacesOf ?? []).map((setting) => DEFAULT_NAMESPACES[setting]))));
  return [...namespaces].sort(compareStrings).map((namespace) => ({
    namespace,
    rules: clusterRoleRules(ops, (rule) => (rule.inNamespacesOf ?? []).some((setting) => DEFAULT_NAMESPACES[setting] === namespace)),
  }));
}

const list = (items: readonly string[]): string => `[${items.map((item) => JSON.stringify(item)).join(', ')}]`;

function renderRules(rules: readonly ClusterRoleRule[]): string {
  if (rules.length === 0) return 'rules: []\n';
  const lines = ['rules:'];
  for (const rule of rules) {
    lines.push(`  # ${rule.apiGroup === '' ? 'core' : rule.apiGroup}: ${rule.ops.join(', ')}`);
    lines.push(`  - apiGroups: ${list([rule.apiGroup])}`);
    lines.push(`    resources: ${list(rule.resources)}`);
    lines.push(`    verbs: ${list(rule.verbs)}`);
  }
  return `${lines.join('\n')}\n`;
}

const labels = `  labels:\n    app.kubernetes.io/name: homelab\n    app.kubernetes.io/component: rbac\n`;

/** The whole of deploy/base/rbac.yaml for these ops. */
export function renderRbac(ops: readonly OpRules[]): string {
  const all = clusterRoleRules(ops);
  const namespaced = namespacedRules(ops);
  const reads = ops.filter((op) => op.effect === 'read');
  const readOnly = clusterRoleRules(reads);
  const writes = ops
    .filter((op) => op.effect === 'write')
    .map((op) => op.name)
    .sort(compareStrings);
  return [
    `# GENERATED by scripts/rbac.ts from the rbac each op declares (src/ops/registry.ts). Do not edit.
# Regenerate:  npx tsx scripts/rbac.ts
# Check:       npx tsx scripts/rbac.ts --check   (exits 1 when this file is stale)
#
# The ClusterRole "${CLUSTER_ROLE}" is the union of all ${ops.length} ops' rules, merged per (apiGroup, resource):
# nothing beyond what some op declares, no wildcards; write ops get only the verbs they name.
# The comment above each rule lists the ops that need it.
apiVersion: v1
kind: ServiceAccount
metadata:
  name: ${SERVICE_ACCOUNT}
  namespace: ${NAMESPACE}
${labels}automountServiceAccountToken: true
`,
    `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: ${CLUSTER_ROLE}
${labels}${renderRules(all)}`,
    `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: ${CLUSTER_ROLE}
${labels}roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: ${CLUSTER_ROLE}
subjects:
  - kind: ServiceAccount
    name: ${SERVICE_ACCOUNT}
    namespace: ${NAMESPACE}
`,
    `# "${READ_ONLY_CLUSTER_ROLE}": only the cluster-wide rules of the ${reads.length} ops whose effect is read, for a server run
# with --read-only (or readOnly: true in its config). It is NOT bound by default. To use it, bind it
# instead of "${CLUSTER_ROLE}" in an overlay (roleRef is immutable: delete the ClusterRoleBinding
# "${CLUSTER_ROLE}" first on a running install) and run the server read-only, so the tools it hides
# and the permissions it lacks agree. Then even a bug in a write op cannot change the cluster.
# Left out here (effect write): ${writes.join(', ') || 'none'}.
# The namespaced Roles below (exec for the diagnostics, which are reads) stay bound either way.
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: ${READ_ONLY_CLUSTER_ROLE}
${labels}${renderRules(readOnly)}`,
    ...namespaced.map(
      ({
        namespace,
        rules,
      }) => `# Role "${CLUSTER_ROLE}" in ${namespace}: what the ops need only there (${[...new Set(rules.flatMap((r) => r.ops))].join(', ')}).
# Running commands in pods is powerful, so it is granted in the namespaces the ops exec into and
# nowhere else. These are the config defaults (dns.namespace, debugAgent.namespace,
# services.jellyfin.namespace): if yours differ, change the namespace here and in the binding.
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: ${CLUSTER_ROLE}
  namespace: ${namespace}
${labels}${renderRules(rules)}---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: ${CLUSTER_ROLE}
  namespace: ${namespace}
${labels}roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: ${CLUSTER_ROLE}
subjects:
  - kind: ServiceAccount
    name: ${SERVICE_ACCOUNT}
    namespace: ${NAMESPACE}
`,
    ),
  ].join('---\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { ops } = await import('../src/ops/registry.js');
  const text = renderRbac(ops);
  if (process.argv.includes('--check')) {
    const onDisk = await readFile(RBAC_FILE, 'utf8').catch(() => '');
    if (onDisk !== text) {
      console.error(
        `deploy/base/rbac.yaml is stale: it no longer matches the rbac the ops in src/ops/registry.ts declare.\nRun \`npx tsx scripts/rbac.ts\` and commit the result.`,
      );
      process.exit(1);
    }
    console.error('deploy/base/rbac.yaml is up to date');
  } else {
    await writeFile(RBAC_FILE, text);
    console.error(`wrote ${RBAC_FILE} (${clusterRoleRules(ops).length} rules from ${ops.length} ops)`);
  }
}
