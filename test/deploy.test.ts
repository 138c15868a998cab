import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { IClusterSecretStore, IExternalSecret } from '@kubernetes-models/external-secrets/external-secrets.io/v1';
import type { IImagePolicy, IImageRepository, IImageUpdateAutomation } from '@kubernetes-models/flux-cd/image.toolkit.fluxcd.io/v1';
import type { IDaemonSet, IDeployment } from 'kubernetes-models/apps/v1';
import type { IContainer, IPodSpec, IService } from 'kubernetes-models/v1';
import type { IIngress, INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import type { IPodDisruptionBudget } from 'kubernetes-models/policy/v1';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { ops } from '../src/ops/registry.js';
import { DEFAULT_NAMESPACES, DEFAULT_RESTARTABLE, parseConfig } from '../src/core/config.js';
import { CLUSTER_ROLE, NAMESPACE, RBAC_FILE, READ_ONLY_CLUSTER_ROLE, SERVICE_ACCOUNT, WRITE_VERBS, renderRbac } from '../scripts/rbac.js';
import { SERVER_NODE_OPTIONS } from '../src/adapters/mcp/client-config.js';

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
      if (b.kind === 'RoleBinding')
        expect(
          find(
            rbac.filter((o) => o.metadata.namespace === b.metadata.namespace),
            'Role',
            CLUSTER_ROLE,
          ),
        ).toBeTruthy();
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
          const keys = namespaces.length
            ? namespaces.map((ns) => `${ns}:${rule.apiGroup}|${rule.resource}|${verb}`)
            : [`${rule.apiGroup}|${rule.resource}|${verb}`];
          for (const key of keys) {
            declared.add(key);
            expect(
              granted.has(key),
              `${op.name} needs ${verb} on ${rule.apiGroup || 'core'}/${rule.resource}${namespaces.length ? ` in ${key.split(':')[0]}` : ''}`,
            ).toBe(true);
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

  it("offers a read-only ClusterRole with only the read ops' rules and no verb that changes anything", () => {
    const role = find(rbac, 'ClusterRole', READ_ONLY_CLUSTER_ROLE);
    const granted = grants(role);
    for (const key of granted) expect(WRITE_VERBS, `homelab-read-only grants ${key}`).not.toContain(key.split('|')[2]);
    const declared = new Set(
      ops
        .filter((op) => op.effect === 'read')
        .flatMap((op) => op.rbac.filter((r) => !r.inNamespacesOf?.length).flatMap((r) => r.verbs.map((v) => `${r.apiGroup}|${r.resource}|${v}`))),
    );
    expect([...granted].sort()).toEqual([...declared].sort());
  });

  it('grants no verb on Secrets, and refuses to generate a role for an op that declares one', () => {
    for (const role of rbac.filter((o) => o.kind === 'ClusterRole' || o.kind === 'Role')) {
      expect(
        [...grants(role)].filter((key) => /^\|secrets(\/|\|)/.test(key)),
        `${role.kind}/${role.metadata.name}`,
      ).toEqual([]);
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

const BASE_CONFIG = `${root}deploy/base/config.yaml`;
const baseConfig = () => parseConfig(parseYaml(readFileSync(BASE_CONFIG, 'utf8')), 'deploy/base/config.yaml');

describe('deploy/base/config.yaml', () => {
  it('is a valid homelab config with the default allow-list and the key read from the mounted Secret', () => {
    const config = baseConfig();
    expect(config.allow.restart).toEqual(DEFAULT_RESTARTABLE);
    // A file, not an environment variable: a Secret volume follows the Secret, an env var never does.
    expect(config.mcp.apiKey).toEqual({ file: '/run/secrets/homelab/api-key' });
    expect(config.kubernetes.kubeconfig).toBeUndefined();
  });
});

// --- the Kubernetes schemas, offline ---------------------------------------------------------------
// Core kinds: kubernetes-models (generated from the Kubernetes OpenAPI). Custom resources: the models
// @kubernetes-models/flux-cd and @kubernetes-models/external-secrets generate from those projects'
// CRDs (image.toolkit.fluxcd.io/v1 of Flux 2.7, external-secrets.io/v1 of ESO >= 0.16). Each object is
// checked twice: its model's validate() (JSON schema: types, required fields, enums, formats), and a
// TypeScript compile of the object against the model's interface, which refuses a field the schema
// does not have (validate() lets it through, and the API server would drop it or refuse it: a
// misspelt readOnlyRootFilesystem would otherwise pass every check and protect nothing).

/** The npm package holding the models of each custom resource group the manifests use. */
const CRD_MODELS: Record<string, string> = {
  'image.toolkit.fluxcd.io': '@kubernetes-models/flux-cd',
  'external-secrets.io': '@kubernetes-models/external-secrets',
};

/** The module exporting the model class (kind) and interface (I + kind) of an apiVersion. */
function modelModule(apiVersion: string): string {
  const [group, version] = apiVersion.includes('/') ? (apiVersion.split('/') as [string, string]) : ['', apiVersion];
  if (!group) return `kubernetes-models/${version}`;
  if (group.endsWith('.k8s.io') || !group.includes('.')) return `kubernetes-models/${apiVersion}`;
  const crdPackage = CRD_MODELS[group];
  if (!crdPackage) throw new Error(`no schema for ${apiVersion}: add the models package of its CRDs to CRD_MODELS`);
  return `${crdPackage}/${apiVersion}`;
}

interface Model {
  validate(): void;
}
type ModelClass = new (data: object) => Model;

/** validate() of each object's model; the errors, one line per object, "Kind/name: ..." */
async function schemaErrors(objects: K8sObject[]): Promise<string[]> {
  const errors: string[] = [];
  for (const obj of objects) {
    const label = `${obj.kind}/${obj.metadata.name}`;
    let model: ModelClass | undefined;
    try {
      const exports = (await import(modelModule(obj.apiVersion))) as Record<string, unknown>;
      model = exports[obj.kind] as ModelClass | undefined;
    } catch (err) {
      errors.push(`${label}: ${(err as Error).message}`);
      continue;
    }
    if (!model) {
      errors.push(`${label}: ${modelModule(obj.apiVersion)} has no model ${obj.kind}`);
      continue;
    }
    try {
      new model(obj).validate();
    } catch (err) {
      errors.push(`${label}: ${(err as Error).message}`);
    }
  }
  return errors;
}

const parsedDeclarations = new Map<string, ts.SourceFile>();

/**
 * Compiles `const oN: I<Kind> = <object>` for every object (a source file in memory, never written)
 * and returns what TypeScript refuses: fields the schema does not have, and wrong types.
 */
function typeErrors(objects: K8sObject[]): string[] {
  const file = `${root}test/deploy-objects.generated.ts`;
  const imports = [...new Set(objects.map((o) => `${modelModule(o.apiVersion)}|${o.kind}`))];
  const alias = (o: K8sObject) => `T${imports.indexOf(`${modelModule(o.apiVersion)}|${o.kind}`)}`;
  const header = imports.map((key, i) => {
    const [module, kind] = key.split('|');
    return `import type { I${kind} as T${i} } from '${module}';`;
  });
  // One object per line, so a diagnostic's line names its object.
  const source = [...header, ...objects.map((o, i) => `export const o${i}: ${alias(o)} = ${JSON.stringify(o)};`)].join('\n');
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: [],
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
  };
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists, readFile } = host;
  host.getSourceFile = (name, language, ...rest) => {
    if (name === file) return ts.createSourceFile(name, source, language);
    // The models' declarations are parsed once for all the checks in this file.
    const parsed = parsedDeclarations.get(name) ?? getSourceFile.call(host, name, language, ...rest);
    if (parsed) parsedDeclarations.set(name, parsed);
    return parsed;
  };
  host.fileExists = (name) => name === file || fileExists.call(host, name);
  host.readFile = (name) => (name === file ? source : readFile.call(host, name));
  const program = ts.createProgram([file], options, host);
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const message = ts.flattenDiagnosticMessageText(d.messageText, '\n');
    if (!d.file || d.start === undefined) return message;
    const line = d.file.getLineAndCharacterOfPosition(d.start).line - header.length;
    const obj = objects[line];
    return obj ? `${obj.kind}/${obj.metadata.name}: ${message}` : message;
  });
}

describe('the schema checks themselves', () => {
  const deployment = (container: Record<string, unknown>): K8sObject => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'probe' },
    spec: { selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [container] } } },
  });

  it('pass a correct object and refuse a missing required field, a wrong type and a misspelt field', async () => {
    const good = deployment({ name: 'c', image: 'i', securityContext: { readOnlyRootFilesystem: true } });
    expect(await schemaErrors([good])).toEqual([]);
    expect(typeErrors([good])).toEqual([]);

    const nameless = deployment({ image: 'i' });
    expect((await schemaErrors([nameless])).join('\n')).toMatch(/Deployment\/probe: .*must have required property name/);
    const wrongType = deployment({ name: 'c', image: 'i', securityContext: { runAsUser: 'root' } });
    expect((await schemaErrors([wrongType])).join('\n')).toMatch(/Deployment\/probe: .*runAsUser must be integer/);
    // validate() lets an unknown field through; the compile does not.
    const misspelt = deployment({ name: 'c', image: 'i', securityContext: { readOnlyRootFileSystem: true } });
    expect(await schemaErrors([misspelt])).toEqual([]);
    expect(typeErrors([misspelt]).join('\n')).toMatch(/Deployment\/probe: .*'"readOnlyRootFileSystem"' does not exist in type 'ISecurityContext'/);
  });

  it('check custom resources against their CRD models, and refuse a kind nobody has a schema for', async () => {
    const policy: K8sObject = {
      apiVersion: 'image.toolkit.fluxcd.io/v1',
      kind: 'ImagePolicy',
      metadata: { name: 'p' },
      spec: { imageRepositoryRef: { name: 'r' }, policy: { semver: {} } },
    };
    expect((await schemaErrors([policy])).join('\n')).toMatch(/ImagePolicy\/p: .*must have required property range/);
    const typo: K8sObject = { ...policy, spec: { imageRepositoryRef: { name: 'r' }, policy: { semver: { range: '1.x', rnage: '2.x' } } } };
    expect(typeErrors([typo]).join('\n')).toMatch(/ImagePolicy\/p: .*'"rnage"' does not exist in type 'ISemVerPolicy'/);
    const unknown: K8sObject = { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } };
    expect(await schemaErrors([unknown])).toEqual(['Widget/w: no schema for example.com/v1: add the models package of its CRDs to CRD_MODELS']);
  });
});

// --- what kubectl kustomize renders ----------------------------------------------------------------

function kustomize(dir: string): K8sObject[] {
  return parseDocs(execFileSync(KUBECTL, ['kustomize', `${root}${dir}`], { encoding: 'utf8', timeout: 20_000 }));
}

function typed<T>(objects: K8sObject[], kind: string, name: string): T {
  return find(objects, kind, name) as unknown as T;
}

/** The Deployment's pod and its one container, or a failure that says what is missing. */
function homelabPod(objects: K8sObject[]): { deployment: IDeployment; pod: IPodSpec; container: IContainer } {
  const deployment = typed<IDeployment>(objects, 'Deployment', 'homelab');
  const pod = deployment.spec?.template.spec;
  const container = pod?.containers[0];
  if (!pod || !container) throw new Error('the Deployment homelab has no pod spec or no container');
  return { deployment, pod, container };
}

const OVERLAYS = ['deploy/base', 'deploy/overlays/example', 'deploy/overlays/read-only', 'deploy/overlays/tls-secrets'];
const noKubectl = hasKubectl ? '' : ` (skipped: ${KUBECTL} not found)`;

describe(`kubectl kustomize${noKubectl}`, () => {
  it.skipIf(!hasKubectl).each(OVERLAYS)('renders %s into objects that pass their schemas, with no field the schemas do not know', async (dir) => {
    const objects = kustomize(dir);
    expect(objects.length).toBeGreaterThan(10);
    expect(await schemaErrors(objects)).toEqual([]);
    expect(typeErrors(objects)).toEqual([]);
  });

  it.skipIf(!hasKubectl)('renders deploy/base with a locked-down Deployment, its key from a Secret volume, probes and no Secret', () => {
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
      if (o.kind === 'Role' || o.kind === 'RoleBinding')
        expect(execNamespaces.has(o.metadata.namespace ?? ''), `${o.kind}/${o.metadata.name} in ${o.metadata.namespace}`).toBe(true);
      else expect(o.metadata.namespace, `${o.kind}/${o.metadata.name}`).toBe(NAMESPACE);
    }

    const { deployment, pod, container } = homelabPod(objects);
    expect(deployment.spec?.replicas).toBe(1);
    expect(pod.serviceAccountName).toBe(SERVICE_ACCOUNT);
    expect(pod.automountServiceAccountToken).toBe(true);
    expect(pod.containers).toHaveLength(1);
    // The container's settings win over the pod's: check what is in force.
    const effective = { ...pod.securityContext, ...container.securityContext };
    expect(effective).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 10001,
      runAsGroup: 10001,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(effective.capabilities?.add).toBeUndefined();
    expect(effective.privileged).not.toBe(true);

    expect(container.args).toEqual(['mcp', 'serve', '--http', '--host', '0.0.0.0', '--port', '3000']);
    expect(container.image).toBe('ghcr.io/OWNER/homelab:0.1.0');
    const env = Object.fromEntries((container.env ?? []).map((e) => [e.name, e]));
    expect(env.HOMELAB_CONFIG?.value).toBe('/etc/homelab/config.yaml');
    // The same V8 settings `mcp config` starts a local server with (a long-running server's young generation).
    expect(env.NODE_OPTIONS?.value?.split(' ')).toEqual(expect.arrayContaining([...SERVER_NODE_OPTIONS]));
    // No secret in the environment: `kubectl describe pod` and crash dumps show env, and it never changes.
    expect((container.env ?? []).filter((e) => e.valueFrom?.secretKeyRef)).toEqual([]);

    // Liveness and start-up on /healthz; readiness on /readyz (the API server answers), so a replica cut off leaves the Service.
    for (const probe of [container.startupProbe, container.livenessProbe]) {
      expect(probe?.httpGet).toMatchObject({ path: '/healthz', port: 'http' });
    }
    expect(container.readinessProbe?.httpGet).toMatchObject({ path: '/readyz', port: 'http' });
    // Scraped by annotation at the port and path the server serves its metrics on.
    expect(deployment.spec?.template.metadata?.annotations).toEqual({
      'prometheus.io/scrape': 'true',
      'prometheus.io/port': '3000',
      'prometheus.io/path': '/metrics',
    });
    expect(container.ports).toContainEqual(expect.objectContaining({ name: 'http', containerPort: 3000 }));
    expect(container.resources?.limits?.memory).toBeDefined();
    expect(container.resources?.requests).toMatchObject({ cpu: expect.any(String), memory: expect.any(String) });

    // Mounts: /tmp the one writable place; the config from the generated (hash-suffixed) ConfigMap;
    // the key from the Secret homelab-keys, at the path the config reads it from, readable by the
    // server's group only (fsGroup), read-only.
    const mounts = new Map((container.volumeMounts ?? []).map((m) => [m.mountPath, m]));
    const volumes = new Map((pod.volumes ?? []).map((v) => [v.name, v]));
    const volumeAt = (path: string) => volumes.get(mounts.get(path)?.name ?? '');
    expect(volumeAt('/tmp')?.emptyDir).toBeDefined();
    for (const [path, mount] of mounts) if (path !== '/tmp') expect(mount.readOnly, `${path} is mounted read-only`).toBe(true);
    const configMapName = volumeAt('/etc/homelab')?.configMap?.name;
    expect(configMapName).toMatch(/^homelab-config-[a-z0-9]+$/);
    const configMap = find(objects, 'ConfigMap', configMapName!) as K8sObject & { data: Record<string, string> };
    expect(Object.keys(configMap.data)).toEqual(['config.yaml']);
    expect(configMap.data['config.yaml']).toBe(readFileSync(BASE_CONFIG, 'utf8'));
    const keyRef = baseConfig().mcp.apiKey;
    if (!keyRef || !('file' in keyRef)) throw new Error('mcp.apiKey in deploy/base/config.yaml is not a file');
    const keys = volumeAt(posix.dirname(keyRef.file))?.secret;
    expect(keys).toEqual({ secretName: 'homelab-keys', defaultMode: 0o440 });
    expect(pod.securityContext?.fsGroup).toBe(10001);

    const service = typed<IService>(objects, 'Service', 'homelab');
    expect(service.spec?.type).toBe('ClusterIP');
    expect(service.spec?.ports?.map((p) => [p.port, p.targetPort])).toEqual([[3000, 'http']]);
    expect(service.spec?.selector).toEqual(deployment.spec?.template.metadata?.labels);
    const policy = typed<INetworkPolicy>(objects, 'NetworkPolicy', 'homelab');
    expect(policy.spec?.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(policy.spec?.podSelector?.matchLabels).toEqual(deployment.spec?.template.metadata?.labels);
    expect(objects.filter((o) => o.kind === 'Ingress')).toEqual([]);
  });

  it.skipIf(!hasKubectl)("renders a PodDisruptionBudget that covers the server's pods and never blocks draining the node of the only replica", () => {
    const objects = kustomize('deploy/base');
    const { deployment } = homelabPod(objects);
    const pdb = typed<IPodDisruptionBudget>(objects, 'PodDisruptionBudget', 'homelab');
    expect(pdb.spec?.selector?.matchLabels).toEqual(deployment.spec?.selector.matchLabels);
    const replicas = deployment.spec?.replicas ?? 1;
    // One pod may go: maxUnavailable of at least 1, or minAvailable below the replicas.
    const { maxUnavailable, minAvailable } = pdb.spec ?? {};
    if (maxUnavailable !== undefined) expect(Number(maxUnavailable)).toBeGreaterThanOrEqual(1);
    else expect(Number(minAvailable)).toBeLessThan(replicas);
    expect(pdb.spec?.unhealthyPodEvictionPolicy).toBe('AlwaysAllow');
  });

  it.skipIf(!hasKubectl)('renders the debug agent: a DaemonSet on every node with the host network, NET_ADMIN and NET_RAW only, no token', () => {
    const objects = kustomize('deploy/base');
    const ds = typed<IDaemonSet>(objects, 'DaemonSet', 'debug-agent');
    // Where the config's debugAgent defaults look for it.
    const { debugAgent } = parseConfig({}, 'defaults');
    expect(ds.metadata?.namespace).toBe(debugAgent.namespace);
    const [key, value] = debugAgent.labelSelector.split('=');
    expect(ds.spec?.template.metadata?.labels?.[key!]).toBe(value);
    expect(ds.spec?.selector.matchLabels?.[key!]).toBe(value);
    const pod = ds.spec?.template.spec;
    if (!pod) throw new Error('the DaemonSet debug-agent has no pod spec');
    expect(pod).toMatchObject({
      hostNetwork: true,
      dnsPolicy: 'ClusterFirstWithHostNet',
      automountServiceAccountToken: false,
      serviceAccountName: 'debug-agent',
    });
    expect(pod.hostPID).not.toBe(true);
    expect(pod.hostIPC).not.toBe(true);
    expect(pod.volumes?.some((v) => v.hostPath)).toBe(false);
    expect(pod.tolerations).toContainEqual(expect.objectContaining({ key: 'node-role.kubernetes.io/control-plane', operator: 'Exists' }));
    expect(pod.containers).toHaveLength(1);
    const agent = pod.containers[0]!;
    expect(agent).toMatchObject({ name: debugAgent.container, image: 'nicolaka/netshoot:v0.13', command: ['sleep', 'infinity'] });
    const effective = { ...pod.securityContext, ...agent.securityContext };
    expect(effective.privileged).toBe(false);
    expect(effective.allowPrivilegeEscalation).toBe(false);
    expect(effective.capabilities).toEqual({ drop: ['ALL'], add: ['NET_ADMIN', 'NET_RAW'] });
    expect(agent.resources?.limits?.memory).toBeDefined();
    const sa = find(objects, 'ServiceAccount', 'debug-agent');
    expect(sa.automountServiceAccountToken).toBe(false);
    // The agent's ServiceAccount is bound to nothing.
    const subjects = objects.filter((o) => o.kind.endsWith('Binding')).flatMap((b) => (b.subjects as Array<{ name: string }>).map((x) => x.name));
    expect(subjects).not.toContain('debug-agent');
  });

  it.skipIf(!hasKubectl)(
    'renders the example overlay: the key from 1Password into the Secret the pod mounts, an Ingress with TLS to the Service, no Secret in Git',
    () => {
      const objects = kustomize('deploy/overlays/example');
      expect(objects.filter((o) => o.kind === 'Secret')).toEqual([]);
      const { pod, container } = homelabPod(objects);

      // ExternalSecret → Secret homelab-keys → the volume the config's key file is read from.
      const keyFile = baseConfig().mcp.apiKey;
      if (!keyFile || !('file' in keyFile)) throw new Error('mcp.apiKey in deploy/base/config.yaml is not a file');
      const keysMount = (container.volumeMounts ?? []).find((m) => m.mountPath === posix.dirname(keyFile.file));
      const keysVolume = (pod.volumes ?? []).find((v) => v.name === keysMount?.name);
      const externalSecret = typed<IExternalSecret>(objects, 'ExternalSecret', 'homelab-keys');
      expect(externalSecret.metadata?.namespace).toBe(NAMESPACE);
      expect(externalSecret.spec?.target?.name).toBe(keysVolume?.secret?.secretName);
      expect(externalSecret.spec?.data?.map((d) => d.secretKey)).toEqual([posix.basename(keyFile.file)]);
      // Through a ClusterSecretStore for 1Password, which admits this namespace.
      expect(externalSecret.spec?.secretStoreRef).toMatchObject({ kind: 'ClusterSecretStore' });
      const store = typed<IClusterSecretStore>(objects, 'ClusterSecretStore', externalSecret.spec?.secretStoreRef?.name ?? '');
      expect(store.spec?.provider?.onepassword?.connectHost).toMatch(/^https?:\/\//);
      expect(store.spec?.conditions?.flatMap((c) => c.namespaces ?? [])).toContain(NAMESPACE);

      // The Ingress: TLS for every host it serves, /mcp to the Service's port.
      const ingress = typed<IIngress>(objects, 'Ingress', 'homelab');
      const hosts = (ingress.spec?.rules ?? []).map((r) => r.host);
      expect(hosts.length).toBeGreaterThan(0);
      expect(ingress.spec?.tls?.flatMap((t) => t.hosts ?? []).sort()).toEqual([...hosts].sort());
      expect(ingress.spec?.tls?.every((t) => t.secretName)).toBe(true);
      const mcpPath = ingress.spec?.rules?.[0]?.http?.paths.find((p) => p.path === '/mcp');
      expect(mcpPath?.backend.service).toEqual({ name: 'homelab', port: { name: 'http' } });
    },
  );

  it.skipIf(!hasKubectl)(
    "renders the example overlay's Flux image automation: a semver ImagePolicy on the image the Deployment runs, and the setter comment on its line",
    () => {
      const objects = kustomize('deploy/overlays/example');
      const { container } = homelabPod(objects);
      const repository = typed<IImageRepository>(objects, 'ImageRepository', 'homelab');
      const policy = typed<IImagePolicy>(objects, 'ImagePolicy', 'homelab');
      const automation = typed<IImageUpdateAutomation>(objects, 'ImageUpdateAutomation', 'homelab');
      expect(policy.spec?.imageRepositoryRef).toEqual({ name: repository.metadata?.name });
      expect(policy.metadata?.namespace).toBe(repository.metadata?.namespace);
      expect(policy.spec?.policy.semver?.range).toMatch(/\d/);
      expect(automation.metadata?.namespace).toBe(policy.metadata?.namespace);
      expect(automation.spec?.update).toMatchObject({ strategy: 'Setters', path: expect.any(String) });
      expect(automation.spec?.policySelector?.matchLabels).toEqual(policy.metadata?.labels);
      // The Deployment runs the repository's image, and the Git line holding it carries the marker
      // naming this policy (kustomize drops comments, so the source file is read).
      expect(container.image?.replace(/:[^:/]+$/, '')).toBe(repository.spec?.image);
      const marker = `# {"$imagepolicy": "${policy.metadata?.namespace}:${policy.metadata?.name}"}`;
      const lines = readFileSync(`${root}deploy/overlays/example/deployment-image.yaml`, 'utf8').split('\n');
      expect(lines.filter((l) => l.includes('$imagepolicy'))).toEqual([`          image: ${container.image} ${marker}`]);
    },
  );

  it.skipIf(!hasKubectl)('renders the tls-secrets overlay: get on named Secrets only; and read-only binds the read-only role', () => {
    // The opt-in TLS Secret check: `get` on named Secrets, by a Role in one namespace, nothing more.
    const tls = kustomize('deploy/overlays/tls-secrets');
    const secretRules = tls
      .filter((o) => o.kind.endsWith('Role'))
      .flatMap((r) =>
        (r.rules as PolicyRule[]).filter((rule) => rule.resources.includes('secrets')).map((rule) => ({ kind: r.kind, namespace: r.metadata.namespace, rule })),
      );
    expect(secretRules).toEqual([
      {
        kind: 'Role',
        namespace: 'vaultwarden',
        rule: { apiGroups: [''], resources: ['secrets'], resourceNames: ['wildcard-home-example-net-tls'], verbs: ['get'] },
      },
    ]);
    const tlsBinding = find(tls, 'RoleBinding', 'homelab-tls-secrets');
    expect(tlsBinding.metadata.namespace).toBe('vaultwarden');
    expect(tlsBinding.subjects).toEqual([{ kind: 'ServiceAccount', name: SERVICE_ACCOUNT, namespace: NAMESPACE }]);

    const readOnly = kustomize('deploy/overlays/read-only');
    expect((find(readOnly, 'ClusterRoleBinding', CLUSTER_ROLE).roleRef as { name: string }).name).toBe(READ_ONLY_CLUSTER_ROLE);
    expect(homelabPod(readOnly).container.args).toContain('--read-only');
  });
});
