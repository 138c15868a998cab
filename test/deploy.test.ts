import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { ops } from '../src/ops/registry.js';
import { DEFAULT_NAMESPACES, DEFAULT_RESTARTABLE, parseConfig } from '../src/core/config.js';
import { CLUSTER_ROLE, NAMESPACE, RBAC_FILE, READ_ONLY_CLUSTER_ROLE, SERVICE_ACCOUNT, WRITE_VERBS, renderRbac } from '../scripts/rbac.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const KUBECTL = '/usr/bin/kubectl';
const hasKubectl = existsSync(KUBECTL);

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [key: string]: unknown;
}
interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

function parseDocs(text: string): K8sObject[] {
  return parseAllDocuments(text)
    .map((doc) => {
      if (doc.errors.length) throw new Error(`YAML error: ${doc.errors[0]?.message}`);
      return doc.toJS() as K8sObject | null;
    })
    .filter((obj): obj is K8sObject => obj !== null);
}

function find(objects: K8sObject[], kind: string, name: string): K8sObject {
  const obj = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!obj) throw new Error(`no ${kind} ${name} among: ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')}`);
  return obj;
}

/** Every (apiGroup, resource, verb) a ClusterRole grants, as "group|resource|verb". */
function grants(role: K8sObject): Set<string> {
  const out = new Set<string>();
  for (const rule of role.rules as PolicyRule[]) {
    for (const group of rule.apiGroups) for (const resource of rule.resources) for (const verb of rule.verbs) out.add(`${group}|${resource}|${verb}`);
  }
  return out;
}

const rbacText = readFileSync(RBAC_FILE, 'utf8');
const rbac = parseDocs(rbacText);

describe('deploy/base/rbac.yaml', () => {
  it('is what scripts/rbac.ts generates from the ops now (regenerate: npx tsx scripts/rbac.ts)', () => {
    expect(rbacText).toBe(renderRbac(ops));
  });

  it('has the ServiceAccount, the ClusterRole and the binding between them', () => {
    const sa = find(rbac, 'ServiceAccount', SERVICE_ACCOUNT);
    expect(sa.metadata.namespace).toBe(NAMESPACE);
    const binding = find(rbac, 'ClusterRoleBinding', CLUSTER_ROLE);
    expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: CLUSTER_ROLE });
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: SERVICE_ACCOUNT, namespace: NAMESPACE }]);
    // The read-only role is offered, not bound; the namespaced exec Roles are bound in their namespaces.
    const bindings = rbac.filter((o) => o.kind === 'ClusterRoleBinding' || o.kind === 'RoleBinding');
    expect(bindings.filter((b) => b.kind === 'ClusterRoleBinding')).toHaveLength(1);
    for (const b of bindings) {
      expect((b.roleRef as { name: string }).name).toBe(CLUSTER_ROLE);
      expect(b.subjects).toEqual([{ kind: 'ServiceAccount', name: SERVICE_ACCOUNT, namespace: NAMESPACE }]);
      if (b.kind === 'RoleBinding') expect(find(rbac.filter((o) => o.metadata.namespace === b.metadata.namespace), 'Role', CLUSTER_ROLE)).toBeTruthy();
    }
  });

  it('grants every rule an op declares and nothing beyond their union, without wildcards; exec only in its namespaces', () => {
    const role = find(rbac, 'ClusterRole', CLUSTER_ROLE);
    const roles = rbac.filter((o) => o.kind === 'Role');
    // Cluster-wide grants as "group|resource|verb"; namespaced ones as "ns:group|resource|verb".
    const granted = new Set([...grants(role), ...roles.flatMap((r) => [...grants(r)].map((key) => `${r.metadata.namespace}:${key}`))]);
    const declared = new Set<string>();
    for (const op of ops) {
      for (const rule of op.rbac) {
        const namespaces = (rule.inNamespacesOf ?? []).map((setting) => DEFAULT_NAMESPACES[setting]);
        for (const verb of rule.verbs) {
          const keys = namespaces.length ? namespaces.map((ns) => `${ns}:${rule.apiGroup}|${rule.resource}|${verb}`) : [`${rule.apiGroup}|${rule.resource}|${verb}`];
          for (const key of keys) {
            declared.add(key);
            expect(granted.has(key), `${op.name} needs ${verb} on ${rule.apiGroup || 'core'}/${rule.resource}${namespaces.length ? ` in ${key.split(':')[0]}` : ''}`).toBe(true);
          }
        }
      }
    }
    expect([...granted].sort()).toEqual([...declared].sort());
    // Running commands in pods is never granted cluster-wide.
    expect([...grants(role)].filter((key) => key.includes('pods/exec'))).toEqual([]);
    for (const r of [role, ...roles]) {
      for (const rule of r.rules as PolicyRule[]) {
        expect(rule.nonResourceURLs).toBeUndefined();
        expect(rule.resourceNames).toBeUndefined();
        for (const value of [...rule.apiGroups, ...rule.resources, ...rule.verbs]) expect(value).not.toContain('*');
        const order = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'];
        expect(rule.verbs).toEqual([...rule.verbs].sort((a, b) => order.indexOf(a) - order.indexOf(b)));
      }
    }
    // One rule per (apiGroup, resource): merged, never split across rules.
    const pairs = (role.rules as PolicyRule[]).flatMap((r) => r.apiGroups.flatMap((g) => r.resources.map((res) => `${g}|${res}`)));
    expect(new Set(pairs).size).toBe(pairs.length);
  });

  it('offers a read-only ClusterRole with only the read ops\' rules and no verb that changes anything', () => {
    const role = find(rbac, 'ClusterRole', READ_ONLY_CLUSTER_ROLE);
    const granted = grants(role);
    for (const key of granted) expect(WRITE_VERBS, `homelab-read-only grants ${key}`).not.toContain(key.split('|')[2]);
    const declared = new Set(
      ops.filter((op) => op.effect === 'read').flatMap((op) => op.rbac.filter((r) => !r.inNamespacesOf?.length).flatMap((r) => r.verbs.map((v) => `${r.apiGroup}|${r.resource}|${v}`))),
    );
    expect([...granted].sort()).toEqual([...declared].sort());
  });

  it('grants no verb on Secrets, and refuses to generate a role for an op that declares one', () => {
    for (const role of rbac.filter((o) => o.kind === 'ClusterRole' || o.kind === 'Role')) {
      expect([...grants(role)].filter((key) => /^\|secrets(\/|\|)/.test(key)), `${role.kind}/${role.metadata.name}`).toEqual([]);
    }
    for (const resource of ['secrets', 'secrets/status']) {
      const bad = { ...ops[0]!, name: 'peek_op', rbac: [{ apiGroup: '', resource, verbs: ['get'] as const }] };
      expect(() => renderRbac([...ops, bad])).toThrow(/peek_op.*no op may hold a verb on Secrets/);
    }
  });

  it('refuses a wildcard an op might declare', () => {
    const bad = { ...ops[0]!, name: 'bad_op', rbac: [{ apiGroup: '', resource: '*', verbs: ['get'] as const }] };
    expect(() => renderRbac([...ops, bad])).toThrow(/bad_op.*wildcards are not allowed/);
  });

  it('merges rules per (apiGroup, resource) and sorts verbs whatever order ops declare them in', () => {
    const base = ops[0]!;
    const a = { ...base, name: 'a_op', effect: 'write' as const, rbac: [{ apiGroup: 'apps', resource: 'deployments', verbs: ['patch', 'get'] as const }] };
    const b = { ...base, name: 'b_op', effect: 'read' as const, rbac: [{ apiGroup: 'apps', resource: 'deployments', verbs: ['list', 'get'] as const }] };
    const text = renderRbac([b, a]);
    expect(text).toBe(renderRbac([a, b]));
    const role = find(parseDocs(text), 'ClusterRole', CLUSTER_ROLE);
    expect(role.rules).toEqual([{ apiGroups: ['apps'], resources: ['deployments'], verbs: ['get', 'list', 'patch'] }]);
    const readOnly = find(parseDocs(text), 'ClusterRole', READ_ONLY_CLUSTER_ROLE);
    expect(readOnly.rules).toEqual([{ apiGroups: ['apps'], resources: ['deployments'], verbs: ['get', 'list'] }]);
  });
});

describe('deploy/base/config.yaml', () => {
  it('is a valid homelab config with the default allow-list and the key from $HOMELAB_API_KEY', () => {
    const config = parseConfig(parseYaml(readFileSync(`${root}deploy/base/config.yaml`, 'utf8')), 'deploy/base/config.yaml');
    expect(config.allow.restart).toEqual(DEFAULT_RESTARTABLE);
    expect(config.mcp.apiKey).toEqual({ env: 'HOMELAB_API_KEY' });
    expect(config.kubernetes.kubeconfig).toBeUndefined();
  });
});

function kustomize(dir: string): K8sObject[] {
  return parseDocs(execFileSync(KUBECTL, ['kustomize', `${root}${dir}`], { encoding: 'utf8', timeout: 20_000 }));
}

const noKubectl = hasKubectl ? '' : ` (skipped: ${KUBECTL} not found)`;

describe(`kubectl kustomize${noKubectl}`, () => {
  it.skipIf(!hasKubectl)('renders deploy/base with a locked-down Deployment, probes on /healthz and no Secret', () => {
    const objects = kustomize('deploy/base');
    expect(objects.filter((o) => o.kind === 'Secret')).toEqual([]);
    const namespace = find(objects, 'Namespace', NAMESPACE);
    // The debug agent (host network, NET_ADMIN/NET_RAW) is admitted only by the privileged profile;
    // everything else is still audited and warned against "restricted".
    expect(namespace.metadata.labels?.['pod-security.kubernetes.io/enforce']).toBe('privileged');
    expect(namespace.metadata.labels?.['pod-security.kubernetes.io/audit']).toBe('restricted');
    expect(namespace.metadata.labels?.['pod-security.kubernetes.io/warn']).toBe('restricted');
    // Everything lives in mcp-homelab but the exec Roles, which live where the ops exec into.
    const execNamespaces = new Set<string>(Object.values(DEFAULT_NAMESPACES));
    for (const o of objects) {
      if (o.kind === 'Namespace' || o.kind.startsWith('Cluster')) continue;
      if (o.kind === 'Role' || o.kind === 'RoleBinding') expect(execNamespaces.has(o.metadata.namespace ?? ''), `${o.kind}/${o.metadata.name} in ${o.metadata.namespace}`).toBe(true);
      else expect(o.metadata.namespace, `${o.kind}/${o.metadata.name}`).toBe(NAMESPACE);
    }

    const deployment = find(objects, 'Deployment', 'homelab') as K8sObject & { spec: { replicas: number; template: { spec: PodSpec } } };
    expect(deployment.spec.replicas).toBe(1);
    const pod = deployment.spec.template.spec;
    expect(pod.serviceAccountName).toBe(SERVICE_ACCOUNT);
    expect(pod.automountServiceAccountToken).toBe(true);
    expect(pod.containers).toHaveLength(1);
    const container = pod.containers[0]!;
    // The container's settings win over the pod's: check what is in force.
    const effective = { ...pod.securityContext, ...container.securityContext };
    expect(effective).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 10001,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(effective.capabilities?.add).toBeUndefined();
    expect(effective.privileged).not.toBe(true);

    expect(container.args).toEqual(['mcp', 'serve', '--http', '--host', '0.0.0.0', '--port', '3000']);
    expect(container.image).toBe('ghcr.io/OWNER/homelab:0.1.0');
    const env = Object.fromEntries(container.env.map((e) => [e.name, e]));
    expect(env.HOMELAB_CONFIG?.value).toBe('/etc/homelab/config.yaml');
    expect(env.HOMELAB_API_KEY?.valueFrom).toEqual({ secretKeyRef: { name: 'homelab-api-key', key: 'api-key' } });

    for (const probe of [container.livenessProbe, container.readinessProbe]) {
      expect(probe?.httpGet).toMatchObject({ path: '/healthz', port: 'http' });
    }
    expect(container.ports).toContainEqual(expect.objectContaining({ name: 'http', containerPort: 3000 }));
    expect(container.resources.limits.memory).toBeDefined();
    expect(container.resources.requests).toMatchObject({ cpu: expect.any(String), memory: expect.any(String) });

    // /tmp is the one writable place; the config comes from the generated (hash-suffixed) ConfigMap.
    const mounts = Object.fromEntries(container.volumeMounts.map((m) => [m.mountPath, m.name]));
    const volumes = Object.fromEntries(pod.volumes.map((v) => [v.name, v]));
    expect(volumes[mounts['/tmp']!]?.emptyDir).toBeDefined();
    const configMapName = volumes[mounts['/etc/homelab']!]?.configMap?.name;
    expect(configMapName).toMatch(/^homelab-config-[a-z0-9]+$/);
    const configMap = find(objects, 'ConfigMap', configMapName!) as K8sObject & { data: Record<string, string> };
    expect(Object.keys(configMap.data)).toEqual(['config.yaml']);

    const service = find(objects, 'Service', 'homelab') as K8sObject & { spec: { type: string; ports: Array<{ port: number }> } };
    expect(service.spec.type).toBe('ClusterIP');
    expect(service.spec.ports.map((p) => p.port)).toEqual([3000]);
    const policy = find(objects, 'NetworkPolicy', 'homelab') as K8sObject & { spec: { policyTypes: string[] } };
    expect(policy.spec.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(objects.filter((o) => o.kind === 'Ingress')).toEqual([]);
  });

  it.skipIf(!hasKubectl)('renders the debug agent: a DaemonSet on every node with the host network, NET_ADMIN and NET_RAW only, no token', () => {
    const objects = kustomize('deploy/base');
    const ds = find(objects, 'DaemonSet', 'debug-agent') as K8sObject & { spec: { selector: { matchLabels: Record<string, string> }; template: { metadata: { labels: Record<string, string> }; spec: AgentPodSpec } } };
    // Where the config's debugAgent defaults look for it.
    const { debugAgent } = parseConfig({}, 'defaults');
    expect(ds.metadata.namespace).toBe(debugAgent.namespace);
    const [key, value] = debugAgent.labelSelector.split('=');
    expect(ds.spec.template.metadata.labels[key!]).toBe(value);
    expect(ds.spec.selector.matchLabels[key!]).toBe(value);
    const pod = ds.spec.template.spec;
    expect(pod).toMatchObject({ hostNetwork: true, dnsPolicy: 'ClusterFirstWithHostNet', automountServiceAccountToken: false, serviceAccountName: 'debug-agent' });
    expect(pod.hostPID).not.toBe(true);
    expect(pod.hostIPC).not.toBe(true);
    expect(pod.volumes?.some((v) => 'hostPath' in v)).toBe(false);
    expect(pod.tolerations).toContainEqual(expect.objectContaining({ key: 'node-role.kubernetes.io/control-plane', operator: 'Exists' }));
    expect(pod.containers).toHaveLength(1);
    const agent = pod.containers[0]!;
    expect(agent).toMatchObject({ name: debugAgent.container, image: 'nicolaka/netshoot:v0.13', command: ['sleep', 'infinity'] });
    const effective = { ...pod.securityContext, ...agent.securityContext };
    expect(effective.privileged).toBe(false);
    expect(effective.allowPrivilegeEscalation).toBe(false);
    expect(effective.capabilities).toEqual({ drop: ['ALL'], add: ['NET_ADMIN', 'NET_RAW'] });
    expect(agent.resources.limits.memory).toBeDefined();
    const sa = find(objects, 'ServiceAccount', 'debug-agent');
    expect(sa.automountServiceAccountToken).toBe(false);
    // The agent's ServiceAccount is bound to nothing.
    const subjects = objects.filter((o) => o.kind.endsWith('Binding')).flatMap((b) => (b.subjects as Array<{ name: string }>).map((x) => x.name));
    expect(subjects).not.toContain('debug-agent');
  });

  it.skipIf(!hasKubectl)('renders the overlays: the example sets the image and adds an Ingress; tls-secrets grants get on named Secrets only; read-only binds the read-only role', () => {
    const example = kustomize('deploy/overlays/example');
    expect(objects(example, 'Ingress')).toHaveLength(1);
    expect(objects(example, 'Secret')).toEqual([]);
    const container = (find(example, 'Deployment', 'homelab') as K8sObject & { spec: { template: { spec: PodSpec } } }).spec.template.spec.containers[0]!;
    expect(container.image).not.toContain('OWNER');

    // The opt-in TLS Secret check: `get` on named Secrets, by a Role in one namespace, nothing more.
    const tls = kustomize('deploy/overlays/tls-secrets');
    const secretRules = tls.filter((o) => o.kind.endsWith('Role')).flatMap((r) => (r.rules as PolicyRule[]).filter((rule) => rule.resources.includes('secrets')).map((rule) => ({ kind: r.kind, namespace: r.metadata.namespace, rule })));
    expect(secretRules).toEqual([{ kind: 'Role', namespace: 'vaultwarden', rule: { apiGroups: [''], resources: ['secrets'], resourceNames: ['wildcard-home-example-net-tls'], verbs: ['get'] } }]);
    const tlsBinding = find(tls, 'RoleBinding', 'homelab-tls-secrets');
    expect(tlsBinding.metadata.namespace).toBe('vaultwarden');
    expect(tlsBinding.subjects).toEqual([{ kind: 'ServiceAccount', name: SERVICE_ACCOUNT, namespace: NAMESPACE }]);

    const readOnly = kustomize('deploy/overlays/read-only');
    expect((find(readOnly, 'ClusterRoleBinding', CLUSTER_ROLE).roleRef as { name: string }).name).toBe(READ_ONLY_CLUSTER_ROLE);
    const args = (find(readOnly, 'Deployment', 'homelab') as K8sObject & { spec: { template: { spec: PodSpec } } }).spec.template.spec.containers[0]!.args;
    expect(args).toContain('--read-only');
  });
});

function objects(list: K8sObject[], kind: string): K8sObject[] {
  return list.filter((o) => o.kind === kind);
}

interface SecurityContext {
  runAsNonRoot?: boolean;
  runAsUser?: number;
  readOnlyRootFilesystem?: boolean;
  allowPrivilegeEscalation?: boolean;
  privileged?: boolean;
  capabilities?: { drop?: string[]; add?: string[] };
  seccompProfile?: { type: string };
}
interface AgentPodSpec {
  serviceAccountName: string;
  automountServiceAccountToken?: boolean;
  hostNetwork?: boolean;
  hostPID?: boolean;
  hostIPC?: boolean;
  dnsPolicy?: string;
  tolerations?: Array<{ key?: string; operator?: string; effect?: string }>;
  securityContext?: SecurityContext;
  containers: Array<{ name: string; image: string; command: string[]; securityContext?: SecurityContext; resources: { limits: Record<string, string> } }>;
  volumes?: Array<Record<string, unknown>>;
}
interface Probe {
  httpGet?: { path: string; port: string | number };
}
interface PodSpec {
  serviceAccountName: string;
  automountServiceAccountToken?: boolean;
  securityContext?: SecurityContext;
  containers: Array<{
    image: string;
    args: string[];
    env: Array<{ name: string; value?: string; valueFrom?: unknown }>;
    ports: Array<{ name: string; containerPort: number }>;
    securityContext?: SecurityContext;
    livenessProbe?: Probe;
    readinessProbe?: Probe;
    resources: { requests: Record<string, string>; limits: Record<string, string> };
    volumeMounts: Array<{ name: string; mountPath: string }>;
  }>;
  volumes: Array<{ name: string; emptyDir?: object; configMap?: { name: string } }>;
}
