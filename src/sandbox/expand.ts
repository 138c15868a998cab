/**
 * Expands a parsed scenario into the objects a real cluster would hold: Nodes, Namespaces (with
 * their default ServiceAccount and kube-root-ca.crt), workloads down to their Pods
 * (Deployment -> ReplicaSet -> Pods, StatefulSet/DaemonSet -> Pods, CronJob -> Jobs -> Pods),
 * Services with Endpoints, Events, metrics and logs.
 */
import { createHash } from 'node:crypto';
import { timeLines, type LogBook, type LogInput } from './logs.js';
import { kibibytes, nanoCores, parseQuantity } from './quantity.js';
import type { ContainerSpec, EventSpec, NodeSpec, ParsedScenario, PodOverride, WorkloadSpec } from './scenario.js';
import { rfc3339 } from './store.js';
import { resolveTime } from './time.js';
import { isRecord, type KubeObject, type OwnerReference } from './types.js';

const SAFE = 'bcdfghjklmnpqrstvwxz2456789';

export function hashString(seed: string, n: number): string {
  const h = createHash('sha256').update(seed).digest();
  let s = '';
  for (let i = 0; i < n; i++) s += SAFE[(h[i] as number) % SAFE.length];
  return s;
}
export function hex(seed: string, n: number): string {
  let s = '';
  for (let i = 0; s.length < n; i++) s += createHash('sha256').update(`${seed}#${i}`).digest('hex');
  return s.slice(0, n);
}
export function uidFor(seed: string): string {
  const h = hex(`uid:${seed}`, 32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${'89ab'[parseInt(h[16] as string, 16) % 4]}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

interface Ctx {
  now: Date;
  scenario: ParsedScenario;
  objects: KubeObject[];
  logs: LogBook;
  nodes: Map<string, { spec: NodeSpec; index: number; nextIp: number }>;
  serviceIps: Set<string>;
  podUsage: Map<string, { name: string; cpu: number; memory: number }[]>;
  /** workload key ns/name -> its pods' names */
  podsOf: Map<string, string[]>;
  /** ns/name -> current ReplicaSet (Deployments) or last Job (CronJobs), for event messages */
  childOf: Map<string, string>;
  rnd: (seed: string) => number;
}

export interface Expanded { objects: KubeObject[] }

const at = (ctx: Ctx, spec: string | undefined, fallback: Date): Date => (spec ? resolveTime(spec, ctx.now) : fallback);
const ts = (d: Date): string => rfc3339(d);

export function expandScenario(scenario: ParsedScenario, now: Date, logs: LogBook): Expanded {
  const ctx: Ctx = {
    now, scenario, objects: [], logs, nodes: new Map(), serviceIps: new Set(['10.43.0.1', '10.43.0.10']), podUsage: new Map(), podsOf: new Map(), childOf: new Map(),
    rnd: (seed) => createHash('sha256').update(seed).digest().readUInt32BE(0) / 0x100000000,
  };
  scenario.nodes.forEach((n, index) => ctx.nodes.set(n.name, { spec: n, index, nextIp: 2 }));
  const clusterBirth = scenario.nodes.reduce((min, n) => Math.min(min, at(ctx, n.created, new Date(now.getTime() - 90 * 86400_000)).getTime()), now.getTime());

  for (const n of scenario.nodes) ctx.objects.push(nodeObject(ctx, n));
  const nsNames = new Map<string, { created: Date; labels?: Record<string, string> }>();
  for (const name of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) nsNames.set(name, { created: new Date(clusterBirth) });
  for (const ns of scenario.namespaces) nsNames.set(ns.name, { created: at(ctx, ns.created, new Date(clusterBirth)), labels: ns.labels });
  for (const w of scenario.workloads) if (!nsNames.has(w.namespace)) nsNames.set(w.namespace, { created: at(ctx, w.created, new Date(clusterBirth)) });
  for (const [name, info] of nsNames) namespaceObjects(ctx, name, info.created, info.labels);
  kubernetesService(ctx, new Date(clusterBirth));

  for (const w of scenario.workloads) expandWorkload(ctx, w);
  for (const o of scenario.objects) ctx.objects.push(resolveTimes(structuredClone(o), now) as KubeObject);
  for (const l of scenario.logs) {
    const pod = ctx.objects.find((o) => o.kind === 'Pod' && o.metadata.name === l.pod && o.metadata.namespace === l.namespace);
    const started = pod ? containerStart(pod, l.container, l.previous) : undefined;
    ctx.logs.set(l.namespace, l.pod, l.container, l.previous, timeLines(l.lines, started?.from ?? new Date(now.getTime() - 3600_000), started?.to ?? now, now));
  }
  scenario.events.forEach((e, i) => ctx.objects.push(eventObject(ctx, e, i)));
  if (scenario.metrics) metricsObjects(ctx, scenario.metrics.window);
  return { objects: ctx.objects };
}

/** relative times in fields named *Time, *Timestamp, *At, timestamp */
function resolveTimes(v: unknown, now: Date, keyName = ''): unknown {
  if (typeof v === 'string' && /(Time|Timestamp|At|^timestamp)$/.test(keyName) && /^([+-]\d|now$)/.test(v)) return rfc3339(resolveTime(v, now));
  if (Array.isArray(v)) return v.map((x) => resolveTimes(x, now, keyName));
  if (isRecord(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, resolveTimes(x, now, k)]));
  return v;
}

function containerStart(pod: KubeObject, container: string, previous: boolean): { from: Date; to: Date } | undefined {
  const st = isRecord(pod.status) && Array.isArray(pod.status.containerStatuses) ? pod.status.containerStatuses : [];
  const cs = st.filter(isRecord).find((c) => c.name === container);
  if (!cs) return undefined;
  const state = previous ? (isRecord(cs.lastState) ? cs.lastState : {}) : (isRecord(cs.state) ? cs.state : {});
  const s = isRecord(state.running) ? state.running : isRecord(state.terminated) ? state.terminated : undefined;
  if (!s || typeof s.startedAt !== 'string') return undefined;
  return { from: new Date(s.startedAt), to: typeof s.finishedAt === 'string' ? new Date(s.finishedAt) : new Date() };
}

// ---------------------------------------------------------------- nodes and namespaces

function memoryKi(q: string, factor: number): string {
  return kibibytes(parseQuantity(q) * factor);
}

function nodeObject(ctx: Ctx, n: NodeSpec): KubeObject {
  const created = at(ctx, n.created, new Date(ctx.now.getTime() - 90 * 86400_000));
  const info = ctx.nodes.get(n.name);
  const index = info?.index ?? 0;
  const labels: Record<string, string> = {
    'beta.kubernetes.io/arch': n.arch, 'beta.kubernetes.io/instance-type': 'k3s', 'beta.kubernetes.io/os': 'linux',
    'kubernetes.io/arch': n.arch, 'kubernetes.io/hostname': n.name, 'kubernetes.io/os': 'linux', 'node.kubernetes.io/instance-type': 'k3s',
  };
  for (const r of n.roles) labels[`node-role.kubernetes.io/${r}`] = 'true';
  Object.assign(labels, n.labels ?? {});
  const heartbeat = ts(new Date(ctx.now.getTime() - Math.floor(ctx.rnd(n.name) * 50_000) - 5000));
  const readyStatus = n.ready === true ? 'True' : n.ready === false ? 'False' : 'Unknown';
  const pressure = new Set(n.pressure ?? []);
  const cond = (type: string, bad: boolean, okReason: string, okMsg: string, badReason: string, badMsg: string): Record<string, unknown> => ({
    type, status: bad ? 'True' : 'False', lastHeartbeatTime: heartbeat, lastTransitionTime: ts(created),
    reason: bad ? badReason : okReason, message: bad ? badMsg : okMsg,
  });
  const capacity = {
    cpu: n.cpu, 'ephemeral-storage': n.storage ? memoryKi(n.storage, 1) : '61202244Ki', 'hugepages-1Gi': '0', 'hugepages-2Mi': '0', 'hugepages-32Mi': '0', 'hugepages-64Ki': '0',
    memory: /Ki$/.test(n.memory) ? n.memory : memoryKi(n.memory, 1), pods: n.pods ?? '110',
  };
  const storageBytes = parseQuantity(capacity['ephemeral-storage']);
  const taints = [...(n.taints ?? [])];
  if (n.unschedulable) taints.push({ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule', value: undefined });
  if (n.ready !== true) {
    taints.push({ key: n.ready === false ? 'node.kubernetes.io/not-ready' : 'node.kubernetes.io/unreachable', effect: 'NoSchedule', value: undefined });
  }
  const spec: Record<string, unknown> = { podCIDR: `10.42.${index}.0/24`, podCIDRs: [`10.42.${index}.0/24`], providerID: `k3s://${n.name}` };
  if (taints.length) spec.taints = taints.map((t) => (t.value === undefined ? { key: t.key, effect: t.effect } : t));
  if (n.unschedulable) spec.unschedulable = true;
  return {
    apiVersion: 'v1', kind: 'Node',
    metadata: {
      name: n.name, uid: uidFor(`node/${n.name}`), creationTimestamp: ts(created), labels,
      annotations: {
        'alpha.kubernetes.io/provided-node-ip': n.ip, 'flannel.alpha.coreos.com/backend-data': `{"VNI":1,"VtepMAC":"${macFor(n.name)}"}`,
        'flannel.alpha.coreos.com/backend-type': 'vxlan', 'flannel.alpha.coreos.com/kube-subnet-manager': 'true',
        'flannel.alpha.coreos.com/public-ip': n.ip, 'k3s.io/hostname': n.name, 'k3s.io/internal-ip': n.ip,
        'k3s.io/node-args': n.roles.includes('control-plane') ? '["server","--disable","traefik"]' : '["agent"]',
        'node.alpha.kubernetes.io/ttl': '0', 'volumes.kubernetes.io/controller-managed-attach-detach': 'true', ...(n.annotations ?? {}),
      },
    },
    spec,
    status: {
      addresses: [{ address: n.ip, type: 'InternalIP' }, { address: n.name, type: 'Hostname' }],
      allocatable: { ...capacity, 'ephemeral-storage': String(Math.floor(storageBytes * 0.97)) },
      capacity,
      conditions: [
        cond('MemoryPressure', pressure.has('MemoryPressure'), 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available', 'KubeletHasInsufficientMemory', 'kubelet has insufficient memory available'),
        cond('DiskPressure', pressure.has('DiskPressure'), 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure', 'KubeletHasDiskPressure', 'kubelet has disk pressure'),
        cond('PIDPressure', pressure.has('PIDPressure'), 'KubeletHasSufficientPID', 'kubelet has sufficient PID available', 'KubeletHasInsufficientPID', 'kubelet has insufficient PID available'),
        {
          type: 'Ready', status: readyStatus, lastHeartbeatTime: heartbeat, lastTransitionTime: ts(readyStatus === 'True' ? created : new Date(ctx.now.getTime() - 600_000)),
          reason: readyStatus === 'True' ? 'KubeletReady' : readyStatus === 'False' ? 'KubeletNotReady' : 'NodeStatusUnknown',
          message: readyStatus === 'True' ? 'kubelet is posting ready status' : readyStatus === 'False' ? 'container runtime network not ready' : 'Kubelet stopped posting node status.',
        },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: {
        architecture: n.arch, bootID: uidFor(`boot/${n.name}`), containerRuntimeVersion: n.containerRuntime ?? ctx.scenario.cluster.containerRuntime,
        kernelVersion: n.kernel ?? '6.6.51+rpt-rpi-2712', kubeProxyVersion: ctx.scenario.cluster.version, kubeletVersion: ctx.scenario.cluster.version,
        machineID: hex(`machine/${n.name}`, 32), operatingSystem: 'linux', osImage: n.osImage ?? 'Debian GNU/Linux 12 (bookworm)', systemUUID: hex(`sys/${n.name}`, 32),
      },
    },
  };
}

function macFor(seed: string): string {
  return hex(`mac/${seed}`, 12).match(/../g)?.join(':') ?? '00:00:00:00:00:00';
}

const CA_PLACEHOLDER = '-----BEGIN CERTIFICATE-----\nMIIBdzCCAR2gAwIBAgIBADAKBggqhkjOPQQDAjAjMSEwHwYDVQQDDBhrM3Mtc2Vy\n-----END CERTIFICATE-----\n';

function namespaceObjects(ctx: Ctx, name: string, created: Date, labels?: Record<string, string>): void {
  ctx.objects.push({
    apiVersion: 'v1', kind: 'Namespace',
    metadata: { name, uid: uidFor(`ns/${name}`), creationTimestamp: ts(created), labels: { 'kubernetes.io/metadata.name': name, ...(labels ?? {}) } },
    spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' },
  });
  ctx.objects.push({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace: name, creationTimestamp: ts(created), uid: uidFor(`sa/${name}/default`) } });
  ctx.objects.push({
    apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'kube-root-ca.crt', namespace: name, creationTimestamp: ts(created), annotations: { 'kubernetes.io/description': 'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.' } },
    data: { 'ca.crt': CA_PLACEHOLDER },
  });
}

function kubernetesService(ctx: Ctx, created: Date): void {
  const cp = ctx.scenario.nodes.find((n) => n.roles.includes('control-plane')) ?? ctx.scenario.nodes[0];
  ctx.objects.push({
    apiVersion: 'v1', kind: 'Service',
    metadata: { name: 'kubernetes', namespace: 'default', creationTimestamp: ts(created), labels: { component: 'apiserver', provider: 'kubernetes' } },
    spec: { clusterIP: '10.43.0.1', clusterIPs: ['10.43.0.1'], internalTrafficPolicy: 'Cluster', ipFamilies: ['IPv4'], ipFamilyPolicy: 'SingleStack',
      ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 6443 }], sessionAffinity: 'None', type: 'ClusterIP' },
    status: { loadBalancer: {} },
  });
  ctx.objects.push({
    apiVersion: 'v1', kind: 'Endpoints',
    metadata: { name: 'kubernetes', namespace: 'default', creationTimestamp: ts(created), labels: { 'endpointslice.kubernetes.io/skip-mirror': 'true' } },
    subsets: [{ addresses: [{ ip: cp?.ip ?? '127.0.0.1' }], ports: [{ name: 'https', port: 6443, protocol: 'TCP' }] }],
  });
}

// ---------------------------------------------------------------- workloads

interface PodPlan {
  name: string; namespace: string; labels: Record<string, string>; annotations?: Record<string, string>;
  owner: OwnerReference; w: WorkloadSpec; node?: string; started: Date; override?: PodOverride;
  job?: { succeeded: boolean; finished: Date }; extraSpec?: Record<string, unknown>; hostname?: string;
}

function selectorLabels(w: WorkloadSpec): Record<string, string> {
  return w.podLabels ?? { 'app.kubernetes.io/name': w.name, 'app.kubernetes.io/instance': w.name };
}

function podTemplate(w: WorkloadSpec, labels: Record<string, string>): Record<string, unknown> {
  const meta: Record<string, unknown> = { labels };
  if (w.podAnnotations) meta.annotations = w.podAnnotations;
  return { metadata: meta, spec: podSpecBase(w) };
}

function containerObject(c: ContainerSpec): Record<string, unknown> {
  const out: Record<string, unknown> = { name: c.name, image: c.image };
  if (c.command) out.command = c.command;
  if (c.args) out.args = c.args;
  if (c.env) out.env = c.env;
  out.imagePullPolicy = c.image.endsWith(':latest') || !c.image.includes(':') ? 'Always' : 'IfNotPresent';
  if (c.livenessProbe) out.livenessProbe = probeDefaults(c.livenessProbe);
  if (c.ports) out.ports = c.ports.map((p) => ({ ...(p.name ? { name: p.name } : {}), containerPort: p.containerPort, protocol: p.protocol ?? 'TCP' }));
  if (c.readinessProbe) out.readinessProbe = probeDefaults(c.readinessProbe);
  out.resources = c.resources ? {
    ...(c.resources.limits ? { limits: c.resources.limits } : {}), ...(c.resources.requests ? { requests: c.resources.requests } : {}),
  } : {};
  if (c.securityContext) out.securityContext = c.securityContext;
  out.terminationMessagePath = '/dev/termination-log';
  out.terminationMessagePolicy = 'File';
  if (c.volumeMounts) out.volumeMounts = c.volumeMounts;
  return out;
}

function probeDefaults(p: Record<string, unknown>): Record<string, unknown> {
  return { failureThreshold: 3, periodSeconds: 10, successThreshold: 1, timeoutSeconds: 1, ...p };
}

function podSpecBase(w: WorkloadSpec): Record<string, unknown> {
  const spec: Record<string, unknown> = { containers: w.containers.map(containerObject) };
  if (w.initContainers) spec.initContainers = w.initContainers.map(containerObject);
  Object.assign(spec, {
    dnsPolicy: w.hostNetwork ? 'ClusterFirstWithHostNet' : 'ClusterFirst',
    restartPolicy: w.kind === 'CronJob' || w.kind === 'Job' ? 'OnFailure' : 'Always',
    schedulerName: 'default-scheduler', securityContext: {}, terminationGracePeriodSeconds: 30,
  });
  if (w.hostNetwork) spec.hostNetwork = true;
  if (w.serviceAccount) { spec.serviceAccount = w.serviceAccount; spec.serviceAccountName = w.serviceAccount; }
  if (w.volumes) spec.volumes = w.volumes;
  return spec;
}

function qosClass(w: WorkloadSpec): string {
  const cs = w.containers;
  if (cs.every((c) => !c.resources?.requests && !c.resources?.limits)) return 'BestEffort';
  const guaranteed = cs.every((c) => c.resources?.limits?.cpu && c.resources.limits.memory &&
    (!c.resources.requests || (c.resources.requests.cpu === c.resources.limits.cpu && c.resources.requests.memory === c.resources.limits.memory)));
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

function pickNode(ctx: Ctx, w: WorkloadSpec, i: number): string {
  const candidates = w.nodes ?? ctx.scenario.nodes.filter((n) => !(n.taints ?? []).some((t) => t.effect === 'NoSchedule')).map((n) => n.name);
  const list = candidates.length ? candidates : ctx.scenario.nodes.map((n) => n.name);
  const start = Math.floor(ctx.rnd(`${w.namespace}/${w.name}`) * list.length);
  return list[(start + i) % list.length] as string;
}

function podIp(ctx: Ctx, node: string): string {
  const n = ctx.nodes.get(node);
  if (!n) throw new Error(`scenario: unknown node ${node}`);
  const ip = `10.42.${n.index}.${n.nextIp}`;
  n.nextIp++;
  return ip;
}

function expandWorkload(ctx: Ctx, w: WorkloadSpec): void {
  for (const n of w.nodes ?? []) if (!ctx.nodes.has(n)) throw new Error(`scenario: workload ${w.namespace}/${w.name} names unknown node ${n}`);
  switch (w.kind) {
    case 'Deployment': return deployment(ctx, w);
    case 'StatefulSet': return statefulSet(ctx, w);
    case 'DaemonSet': return daemonSet(ctx, w);
    case 'CronJob': return cronJob(ctx, w);
    case 'Job': return standaloneJob(ctx, w);
  }
}

function workloadMeta(ctx: Ctx, w: WorkloadSpec, created: Date, extraAnn?: Record<string, string>): Record<string, unknown> {
  const labels = { ...selectorLabels(w), ...(w.labels ?? {}) };
  const meta: Record<string, unknown> = {
    name: w.name, namespace: w.namespace, uid: uidFor(`${w.kind}/${w.namespace}/${w.name}`), creationTimestamp: ts(created), generation: 1, labels,
  };
  const ann = { ...(extraAnn ?? {}), ...(w.annotations ?? {}) };
  if (Object.keys(ann).length) meta.annotations = ann;
  return meta;
}

function ownerRef(kind: string, apiVersion: string, name: string, uid: string): OwnerReference {
  return { apiVersion, kind, name, uid, controller: true, blockOwnerDeletion: true };
}

interface PodResult { ready: boolean; available: boolean; name: string; ip?: string; node?: string; uid: string }

function deployment(ctx: Ctx, w: WorkloadSpec): void {
  const created = at(ctx, w.created, new Date(ctx.now.getTime() - 30 * 86400_000));
  const replicas = w.replicas ?? 1;
  const revision = w.revision ?? 1;
  const sel = selectorLabels(w);
  const template = podTemplate(w, sel);
  const hash = hashString(`${w.namespace}/${w.name}/rev${revision}`, 10);
  const meta = workloadMeta(ctx, w, created, { 'deployment.kubernetes.io/revision': String(revision) });
  const rsName = `${w.name}-${hash}`;
  ctx.childOf.set(`${w.namespace}/${w.name}`, rsName);
  const rsUid = uidFor(`rs/${w.namespace}/${rsName}`);
  const podsSince = at(ctx, w.podsSince, created);
  const results: PodResult[] = [];
  for (let i = 0; i < replicas; i++) {
    const name = `${rsName}-${hashString(`${rsName}/${i}`, 5)}`;
    results.push(buildPod(ctx, {
      name, namespace: w.namespace, labels: { ...sel, 'pod-template-hash': hash }, annotations: w.podAnnotations, w,
      owner: ownerRef('ReplicaSet', 'apps/v1', rsName, rsUid), node: pickNode(ctx, w, i), started: podsSince, override: w.pods?.[i],
    }));
  }
  const ready = results.filter((r) => r.ready).length;
  const available = results.filter((r) => r.available).length;
  // older revisions, scaled to zero
  for (let r = Math.max(1, revision - 2); r < revision; r++) {
    const oldHash = hashString(`${w.namespace}/${w.name}/rev${r}`, 10);
    ctx.objects.push(replicaSet(ctx, w, `${w.name}-${oldHash}`, oldHash, r, 0, template, meta, new Date(created.getTime() + (r - 1) * 86400_000), { ready: 0, available: 0, replicas: 0 }));
  }
  ctx.objects.push(replicaSet(ctx, w, rsName, hash, revision, replicas, template, meta, revision > 1 ? podsSince : created, { ready, available, replicas }));
  const maxUnavailable = Math.floor(replicas * 0.25);
  const isAvailable = available >= replicas - maxUnavailable;
  const status: Record<string, unknown> = {
    observedGeneration: 1, replicas, updatedReplicas: replicas, readyReplicas: ready, availableReplicas: available,
  };
  if (ready === 0) delete status.readyReplicas;
  if (available === 0) delete status.availableReplicas;
  if (replicas - available > 0) status.unavailableReplicas = replicas - available;
  if (replicas === 0) { delete status.replicas; delete status.updatedReplicas; }
  status.conditions = [
    {
      type: 'Available', status: isAvailable ? 'True' : 'False', lastUpdateTime: ts(podsSince), lastTransitionTime: ts(podsSince),
      reason: isAvailable ? 'MinimumReplicasAvailable' : 'MinimumReplicasUnavailable',
      message: isAvailable ? 'Deployment has minimum availability.' : 'Deployment does not have minimum availability.',
    },
    {
      type: 'Progressing', status: 'True', lastUpdateTime: ts(podsSince), lastTransitionTime: ts(created), reason: 'NewReplicaSetAvailable',
      message: `ReplicaSet "${rsName}" has successfully progressed.`,
    },
  ];
  ctx.objects.push({
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: meta,
    spec: {
      progressDeadlineSeconds: 600, replicas, revisionHistoryLimit: 10, selector: { matchLabels: sel },
      strategy: w.strategy ?? { rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' }, type: 'RollingUpdate' }, template,
    },
    status,
  });
  service(ctx, w, sel, results, created);
}

function replicaSet(ctx: Ctx, w: WorkloadSpec, name: string, hash: string, revision: number, replicas: number, template: Record<string, unknown>,
  deployMeta: Record<string, unknown>, created: Date, st: { ready: number; available: number; replicas: number }): KubeObject {
  const sel = selectorLabels(w);
  const tpl = structuredClone(template);
  (tpl.metadata as { labels: Record<string, string> }).labels = { ...sel, 'pod-template-hash': hash };
  const status: Record<string, unknown> = { observedGeneration: replicas === 0 ? 2 : 1, replicas: st.replicas };
  if (st.replicas > 0) status.fullyLabeledReplicas = st.replicas;
  if (st.ready > 0) status.readyReplicas = st.ready;
  if (st.available > 0) status.availableReplicas = st.available;
  return {
    apiVersion: 'apps/v1', kind: 'ReplicaSet',
    metadata: {
      name, namespace: w.namespace, uid: uidFor(`rs/${w.namespace}/${name}`), creationTimestamp: ts(created), generation: replicas === 0 ? 2 : 1,
      labels: { ...sel, 'pod-template-hash': hash },
      annotations: { 'deployment.kubernetes.io/desired-replicas': String(w.replicas ?? 1), 'deployment.kubernetes.io/max-replicas': String((w.replicas ?? 1) + Math.ceil((w.replicas ?? 1) * 0.25)), 'deployment.kubernetes.io/revision': String(revision) },
      ownerReferences: [ownerRef('Deployment', 'apps/v1', w.name, String(deployMeta.uid))],
    },
    spec: { replicas, selector: { matchLabels: { ...sel, 'pod-template-hash': hash } }, template: tpl },
    status,
  };
}

function statefulSet(ctx: Ctx, w: WorkloadSpec): void {
  const created = at(ctx, w.created, new Date(ctx.now.getTime() - 30 * 86400_000));
  const replicas = w.replicas ?? 1;
  const sel = selectorLabels(w);
  const meta = workloadMeta(ctx, w, created);
  const rev = `${w.name}-${hashString(`${w.namespace}/${w.name}/sts`, 10)}`;
  const podsSince = at(ctx, w.podsSince, created);
  const results: PodResult[] = [];
  const svcName = w.service?.name ?? w.name;
  for (let i = 0; i < replicas; i++) {
    const name = `${w.name}-${i}`;
    results.push(buildPod(ctx, {
      name, namespace: w.namespace, w, labels: { ...sel, 'apps.kubernetes.io/pod-index': String(i), 'controller-revision-hash': rev, 'statefulset.kubernetes.io/pod-name': name },
      annotations: w.podAnnotations, owner: ownerRef('StatefulSet', 'apps/v1', w.name, String(meta.uid)), node: pickNode(ctx, w, i), started: podsSince,
      override: w.pods?.[i], hostname: name, extraSpec: { hostname: name, subdomain: svcName },
    }));
  }
  const ready = results.filter((r) => r.ready).length;
  const available = results.filter((r) => r.available).length;
  ctx.objects.push({
    apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: meta,
    spec: {
      persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' }, podManagementPolicy: 'OrderedReady', replicas,
      revisionHistoryLimit: 10, selector: { matchLabels: sel }, serviceName: svcName, template: podTemplate(w, sel),
      updateStrategy: { rollingUpdate: { partition: 0 }, type: 'RollingUpdate' },
    },
    status: {
      availableReplicas: available, collisionCount: 0, currentReplicas: replicas, currentRevision: rev, observedGeneration: 1,
      readyReplicas: ready, replicas, updateRevision: rev, updatedReplicas: replicas,
    },
  });
  service(ctx, w, sel, results, created);
}

function daemonSet(ctx: Ctx, w: WorkloadSpec): void {
  const created = at(ctx, w.created, new Date(ctx.now.getTime() - 30 * 86400_000));
  const sel = selectorLabels(w);
  const meta = workloadMeta(ctx, w, created, { 'deprecated.daemonset.template.generation': '1' });
  const rev = hashString(`${w.namespace}/${w.name}/ds`, 10);
  const nodes = w.nodes ?? ctx.scenario.nodes.map((n) => n.name);
  const podsSince = at(ctx, w.podsSince, created);
  const results = nodes.map((node, i) => {
    const name = `${w.name}-${hashString(`${w.namespace}/${w.name}/${node}`, 5)}`;
    return buildPod(ctx, {
      name, namespace: w.namespace, w, labels: { ...sel, 'controller-revision-hash': rev, 'pod-template-generation': '1' }, annotations: w.podAnnotations,
      owner: ownerRef('DaemonSet', 'apps/v1', w.name, String(meta.uid)), node, started: podsSince, override: w.pods?.[i],
      extraSpec: { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [node] }] }] } } } },
    });
  });
  const ready = results.filter((r) => r.ready).length;
  const available = results.filter((r) => r.available).length;
  const status: Record<string, unknown> = {
    currentNumberScheduled: nodes.length, desiredNumberScheduled: nodes.length, numberAvailable: available, numberMisscheduled: 0,
    numberReady: ready, observedGeneration: 1, updatedNumberScheduled: nodes.length,
  };
  if (nodes.length - available > 0) status.numberUnavailable = nodes.length - available;
  ctx.objects.push({
    apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: meta,
    spec: { revisionHistoryLimit: 10, selector: { matchLabels: sel }, template: podTemplate(w, sel), updateStrategy: { rollingUpdate: { maxSurge: 0, maxUnavailable: 1 }, type: 'RollingUpdate' } },
    status,
  });
  service(ctx, w, sel, results, created);
}

function jobObjects(ctx: Ctx, w: WorkloadSpec, jobName: string, run: NonNullable<WorkloadSpec['run']>, owner: OwnerReference | undefined, extraAnn: Record<string, string>): void {
  const started = resolveTime(run.started, ctx.now);
  const duration = run.duration ? (resolveDurationMs(run.duration) ?? 60_000) : 60_000;
  const finished = new Date(started.getTime() + duration);
  const done = finished.getTime() <= ctx.now.getTime();
  const uid = uidFor(`job/${w.namespace}/${jobName}`);
  const backoffLimit = w.backoffLimit ?? 6;
  const sel = { 'batch.kubernetes.io/controller-uid': uid };
  const podLabels = { ...sel, 'batch.kubernetes.io/job-name': jobName, 'controller-uid': uid, 'job-name': jobName, ...(w.podLabels ?? {}) };
  const attempts = run.succeeded || !done ? 1 : backoffLimit + 1;
  for (let i = 0; i < attempts; i++) {
    const podStart = new Date(started.getTime() + i * Math.floor(duration / attempts));
    const podEnd = new Date(podStart.getTime() + Math.max(1000, Math.floor(duration / attempts) - 2000));
    const name = `${jobName}-${hashString(`${jobName}/${i}`, 5)}`;
    buildPod(ctx, {
      name, namespace: w.namespace, w, labels: podLabels, owner: ownerRef('Job', 'batch/v1', jobName, uid), node: pickNode(ctx, w, i),
      started: podStart, job: done ? { succeeded: run.succeeded, finished: podEnd } : undefined,
      annotations: w.podAnnotations,
    });
    if (run.logs) ctx.logs.set(w.namespace, name, w.containers[0]?.name ?? '', false, timeLines(run.logs as LogInput[], podStart, podEnd, ctx.now));
  }
  const cond = (type: string, reason: string, message: string): Record<string, unknown> => ({
    type, status: 'True', lastProbeTime: ts(finished), lastTransitionTime: ts(finished), reason, message,
  });
  const status: Record<string, unknown> = { startTime: ts(started), ready: 0, terminating: 0, uncountedTerminatedPods: {} };
  if (!done) { status.active = 1; status.ready = 1; } else if (run.succeeded) {
    Object.assign(status, {
      succeeded: 1, completionTime: ts(finished),
      conditions: [cond('SuccessCriteriaMet', 'CompletionsReached', 'Reached expected number of succeeded pods'), cond('Complete', 'CompletionsReached', 'Reached expected number of succeeded pods')],
    });
  } else {
    Object.assign(status, {
      failed: attempts,
      conditions: [cond('FailureTarget', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit'), cond('Failed', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit')],
    });
  }
  ctx.objects.push({
    apiVersion: 'batch/v1', kind: 'Job',
    metadata: {
      name: jobName, namespace: w.namespace, uid, creationTimestamp: ts(started), generation: 1, labels: { ...podLabels },
      annotations: { 'batch.kubernetes.io/job-tracking': '', ...extraAnn }, ...(owner ? { ownerReferences: [owner] } : {}),
    },
    spec: {
      backoffLimit, completionMode: 'NonIndexed', completions: 1, manualSelector: false, parallelism: 1, podReplacementPolicy: 'TerminatingOrFailed',
      selector: { matchLabels: sel }, suspend: false,
      template: { metadata: { labels: podLabels }, spec: { ...podSpecBase(w) } },
    },
    status,
  });
}

function resolveDurationMs(s: string): number | undefined {
  const d = resolveTime(`+${s.replace(/^[+-]/, '')}`, new Date(0)).getTime();
  return Number.isFinite(d) ? d : undefined;
}

function cronJob(ctx: Ctx, w: WorkloadSpec): void {
  const created = at(ctx, w.created, new Date(ctx.now.getTime() - 30 * 86400_000));
  const meta = workloadMeta(ctx, w, created);
  const uid = String(meta.uid);
  const runs = [...(w.jobs ?? [])].sort((a, b) => resolveTime(a.started, ctx.now).getTime() - resolveTime(b.started, ctx.now).getTime());
  let lastSuccess: Date | undefined;
  let lastSchedule: Date | undefined;
  for (const run of runs) {
    const started = resolveTime(run.started, ctx.now);
    const scheduled = new Date(Math.floor(started.getTime() / 60_000) * 60_000);
    const jobName = `${w.name}-${Math.floor(scheduled.getTime() / 60_000)}`;
    jobObjects(ctx, w, jobName, run, ownerRef('CronJob', 'batch/v1', w.name, uid), { 'batch.kubernetes.io/cronjob-scheduled-timestamp': ts(scheduled) });
    lastSchedule = scheduled;
    ctx.childOf.set(`${w.namespace}/${w.name}`, jobName);
    const dur = resolveDurationMs(run.duration ?? '1m') ?? 60_000;
    if (run.succeeded && started.getTime() + dur <= ctx.now.getTime()) lastSuccess = new Date(started.getTime() + dur);
  }
  const status: Record<string, unknown> = {};
  if (lastSchedule) status.lastScheduleTime = ts(lastSchedule);
  if (lastSuccess) status.lastSuccessfulTime = ts(lastSuccess);
  const tplLabels = w.podLabels ?? {};
  ctx.objects.push({
    apiVersion: 'batch/v1', kind: 'CronJob', metadata: meta,
    spec: {
      concurrencyPolicy: 'Forbid', failedJobsHistoryLimit: 1, schedule: w.schedule ?? '0 3 * * *', successfulJobsHistoryLimit: 3, suspend: w.suspend ?? false,
      jobTemplate: { metadata: {}, spec: { backoffLimit: w.backoffLimit ?? 6, template: { metadata: Object.keys(tplLabels).length ? { labels: tplLabels } : {}, spec: podSpecBase(w) } } },
    },
    status,
  });
}

function standaloneJob(ctx: Ctx, w: WorkloadSpec): void {
  jobObjects(ctx, w, w.name, w.run ?? { started: w.created ?? '-1h', succeeded: true }, undefined, {});
}

function service(ctx: Ctx, w: WorkloadSpec, selector: Record<string, string>, pods: PodResult[], created: Date): void {
  const s = w.service;
  if (!s) return;
  const name = s.name ?? w.name;
  const type = s.type ?? 'ClusterIP';
  const clusterIP = s.headless ? 'None' : s.clusterIP ?? serviceIp(ctx, `${w.namespace}/${name}`);
  const ports = s.ports.map((p, i) => {
    const port: Record<string, unknown> = { ...(p.name ? { name: p.name } : {}) };
    if (type !== 'ClusterIP') port.nodePort = p.nodePort ?? 30000 + Math.floor(ctx.rnd(`${name}/${i}`) * 2767);
    Object.assign(port, { port: p.port, protocol: p.protocol ?? 'TCP', targetPort: p.targetPort ?? p.port });
    return port;
  });
  const spec: Record<string, unknown> = {
    clusterIP, clusterIPs: [clusterIP], internalTrafficPolicy: 'Cluster', ipFamilies: ['IPv4'], ipFamilyPolicy: 'SingleStack', ports, selector, sessionAffinity: 'None', type,
  };
  if (type === 'LoadBalancer') { spec.allocateLoadBalancerNodePorts = true; spec.externalTrafficPolicy = 'Cluster'; }
  const lbIngress = type === 'LoadBalancer' ? ctx.scenario.nodes.map((n) => ({ ip: n.ip, ipMode: 'VIP' })) : undefined;
  ctx.objects.push({
    apiVersion: 'v1', kind: 'Service',
    metadata: { name, namespace: w.namespace, uid: uidFor(`svc/${w.namespace}/${name}`), creationTimestamp: ts(created), labels: { ...selectorLabels(w), ...(w.labels ?? {}) } },
    spec, status: { loadBalancer: lbIngress ? { ingress: lbIngress } : {} },
  });
  const containerPorts = new Map<string, number>();
  for (const c of w.containers) for (const p of c.ports ?? []) if (p.name) containerPorts.set(p.name, p.containerPort);
  const epPorts = s.ports.map((p) => ({
    ...(p.name ? { name: p.name } : {}),
    port: typeof p.targetPort === 'string' ? containerPorts.get(p.targetPort) ?? p.port : p.targetPort ?? p.port, protocol: p.protocol ?? 'TCP',
  }));
  const addr = (r: PodResult): Record<string, unknown> => ({
    ip: r.ip, nodeName: r.node, targetRef: { kind: 'Pod', name: r.name, namespace: w.namespace, uid: r.uid },
  });
  const ready = pods.filter((p) => p.ip && p.ready).map(addr);
  const notReady = pods.filter((p) => p.ip && !p.ready).map(addr);
  const subset: Record<string, unknown> = {};
  if (ready.length) subset.addresses = ready;
  if (notReady.length) subset.notReadyAddresses = notReady;
  subset.ports = epPorts;
  ctx.objects.push({
    apiVersion: 'v1', kind: 'Endpoints',
    metadata: { name, namespace: w.namespace, creationTimestamp: ts(created), labels: { ...selectorLabels(w), ...(w.labels ?? {}) }, annotations: { 'endpoints.kubernetes.io/last-change-trigger-time': ts(created) } },
    ...(ready.length || notReady.length ? { subsets: [subset] } : {}),
  });
}

function serviceIp(ctx: Ctx, seed: string): string {
  for (let i = 0; ; i++) {
    const h = createHash('sha256').update(`svc/${seed}/${i}`).digest();
    const ip = `10.43.${(h[0] as number) % 255}.${((h[1] as number) % 253) + 1}`;
    if (ip !== '10.43.0.1' && ip !== '10.43.0.10' && !ctx.serviceIps.has(ip)) { ctx.serviceIps.add(ip); return ip; }
  }
}

// ---------------------------------------------------------------- pods

function imageId(image: string): string {
  const repo = image.split('@')[0]?.replace(/:[^/:]+$/, '') ?? image;
  const full = repo.includes('/') && repo.split('/')[0]?.includes('.') ? repo : `docker.io/${repo.includes('/') ? repo : `library/${repo}`}`;
  return `${full}@sha256:${hex(`img/${image}`, 64)}`;
}

function fullImage(image: string): string {
  const first = image.split('/')[0] ?? '';
  const withTag = /:[^/]+$/.test(image) || image.includes('@') ? image : `${image}:latest`;
  if (first.includes('.') || first.includes(':')) return withTag;
  return `docker.io/${image.includes('/') ? '' : 'library/'}${withTag}`;
}

function buildPod(ctx: Ctx, p: PodPlan): PodResult {
  const { w, override: ov } = p;
  const started = ov?.started ? resolveTime(ov.started, ctx.now) : p.started;
  const uid = uidFor(`pod/${p.namespace}/${p.name}`);
  const scheduled = !ov?.unschedulable;
  const node = scheduled ? ov?.node ?? p.node : undefined;
  const nodeSpec = node ? ctx.nodes.get(node)?.spec : undefined;
  if (node && !nodeSpec) throw new Error(`scenario: pod ${p.namespace}/${p.name} placed on unknown node ${node}`);
  const ip = node ? (w.hostNetwork ? nodeSpec?.ip : podIp(ctx, node)) : undefined;
  const kubeApiVol = `kube-api-access-${hashString(`${p.name}/vol`, 5)}`;
  const spec: Record<string, unknown> = podSpecBase(w);
  spec.containers = (spec.containers as Record<string, unknown>[]).map((c) => ({
    ...c, volumeMounts: [...((c.volumeMounts as unknown[] | undefined) ?? []), { mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', name: kubeApiVol, readOnly: true }],
  }));
  Object.assign(spec, {
    enableServiceLinks: true, preemptionPolicy: 'PreemptLowerPriority', priority: 0,
    serviceAccount: w.serviceAccount ?? 'default', serviceAccountName: w.serviceAccount ?? 'default',
    tolerations: [
      { effect: 'NoExecute', key: 'node.kubernetes.io/not-ready', operator: 'Exists', tolerationSeconds: 300 },
      { effect: 'NoExecute', key: 'node.kubernetes.io/unreachable', operator: 'Exists', tolerationSeconds: 300 },
    ],
    volumes: [...((spec.volumes as unknown[] | undefined) ?? []), {
      name: kubeApiVol, projected: { defaultMode: 420, sources: [
        { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
        { configMap: { items: [{ key: 'ca.crt', path: 'ca.crt' }], name: 'kube-root-ca.crt' } },
        { downwardAPI: { items: [{ fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' }, path: 'namespace' }] } },
      ] },
    }],
    ...(p.extraSpec ?? {}),
  });
  if (node) spec.nodeName = node;

  const containerStatuses: Record<string, unknown>[] = [];
  let allReady = true; let anyWaiting = false; let anyRunning = false;
  const notReady: string[] = [];
  const usage: { name: string; cpu: number; memory: number }[] = [];
  w.containers.forEach((c, ci) => {
    const o = ov?.containers?.[c.name];
    const cid = `containerd://${hex(`cid/${p.name}/${c.name}`, 64)}`;
    const restarts = o?.restarts ?? (o?.lastTerminated ? 1 : 0);
    const image = fullImage(c.image);
    const status: Record<string, unknown> = { containerID: cid, image, imageID: imageId(c.image) };
    let ready: boolean; let state: Record<string, unknown>; let startedFlag: boolean;
    const runningSince = o?.runningSince ? resolveTime(o.runningSince, ctx.now) : new Date(started.getTime() + 3000 + ci * 1000);
    if (p.job) {
      const finishedAt = p.job.finished;
      state = { terminated: { containerID: cid, exitCode: p.job.succeeded ? 0 : 1, finishedAt: ts(finishedAt), reason: p.job.succeeded ? 'Completed' : 'Error', startedAt: ts(runningSince) } };
      ready = false; startedFlag = false;
    } else if (o?.waiting) {
      const reason = o.waiting.reason;
      const message = o.waiting.message ?? (reason === 'CrashLoopBackOff'
        ? `back-off 5m0s restarting failed container=${c.name} pod=${p.name}_${p.namespace}(${uid})`
        : reason === 'ImagePullBackOff' ? `Back-off pulling image "${c.image}"` : undefined);
      state = { waiting: { ...(message ? { message } : {}), reason } };
      ready = false; startedFlag = false; anyWaiting = true;
      if (reason === 'ImagePullBackOff' || reason === 'ErrImagePull') { delete status.containerID; status.imageID = ''; status.image = c.image; }
    } else {
      state = { running: { startedAt: ts(runningSince) } };
      ready = o?.ready ?? true; startedFlag = true; anyRunning = true;
      usage.push({
        name: c.name,
        cpu: o?.usage ? parseQuantity(o.usage.cpu) : c.usage ? parseQuantity(c.usage.cpu) : 0.001 + ctx.rnd(`${p.name}/${c.name}/cpu`) * 0.02,
        memory: o?.usage ? parseQuantity(o.usage.memory) : c.usage ? parseQuantity(c.usage.memory) : (12 + ctx.rnd(`${p.name}/${c.name}/mem`) * 90) * 1024 * 1024,
      });
    }
    if (!ready && !p.job) { allReady = false; notReady.push(c.name); }
    const last = o?.lastTerminated;
    const lastState = last ? { terminated: {
      containerID: `containerd://${hex(`cid-prev/${p.name}/${c.name}`, 64)}`, exitCode: last.exitCode, finishedAt: ts(resolveTime(last.finishedAt, ctx.now)),
      ...(last.message ? { message: last.message } : {}), reason: last.reason, startedAt: ts(resolveTime(last.startedAt, ctx.now)),
    } } : {};
    Object.assign(status, { lastState, name: c.name, ready, restartCount: restarts, started: startedFlag, state });
    status.volumeMounts = [{ mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', name: kubeApiVol, readOnly: true, recursiveReadOnly: 'Disabled' }];
    containerStatuses.push(sortKeys(status));

    // logs from the scenario
    const now = ctx.now;
    // a waiting container's "current" log is its last terminated run (as the kubelet serves it), and
    // "previous" the run before; a running container's previous log is lastState's run
    const curLogs = o?.logs ?? c.logs;
    const prevLogs = o?.previousLogs ?? c.previousLogs;
    const lastFrom = last ? resolveTime(last.startedAt, now) : undefined;
    const lastTo = last ? resolveTime(last.finishedAt, now) : undefined;
    if (curLogs && 'running' in state) ctx.logs.set(p.namespace, p.name, c.name, false, timeLines(curLogs, runningSince, now, now));
    else if (curLogs && p.job) ctx.logs.set(p.namespace, p.name, c.name, false, timeLines(curLogs, runningSince, p.job.finished, now));
    else if (curLogs && lastFrom && lastTo) ctx.logs.set(p.namespace, p.name, c.name, false, timeLines(curLogs, lastFrom, lastTo, now));
    if (prevLogs && lastFrom && lastTo) {
      const span = lastTo.getTime() - lastFrom.getTime();
      const [from, to] = 'waiting' in state
        ? [new Date(lastFrom.getTime() - span - 300_000), new Date(lastFrom.getTime() - 300_000)]
        : [lastFrom, lastTo];
      ctx.logs.set(p.namespace, p.name, c.name, true, timeLines(prevLogs, from, to, now));
    }
  });
  if (usage.length) ctx.podUsage.set(`${p.namespace}/${p.name}`, usage);

  let phase: string;
  if (!scheduled) phase = 'Pending';
  else if (p.job) phase = p.job.succeeded ? 'Succeeded' : 'Failed';
  else if (anyRunning || (anyWaiting && w.containers.some((c) => ov?.containers?.[c.name]?.lastTerminated))) phase = 'Running';
  else phase = anyWaiting ? 'Pending' : 'Running';

  const tr = (d: Date): string => ts(d);
  const cond = (type: string, ok: boolean, when: Date, reason?: string, message?: string): Record<string, unknown> => ({
    lastProbeTime: null, lastTransitionTime: tr(when), ...(message ? { message } : {}), ...(reason ? { reason } : {}), status: ok ? 'True' : 'False', type,
  });
  let conditions: Record<string, unknown>[];
  const readyAt = new Date(started.getTime() + 8000);
  if (!scheduled) {
    conditions = [cond('PodScheduled', false, started, 'Unschedulable', ov?.unschedulable)];
  } else if (p.job) {
    const fin = p.job.finished;
    conditions = [
      cond('PodReadyToStartContainers', false, fin), cond('Initialized', true, started, 'PodCompleted'),
      cond('Ready', false, fin, 'PodCompleted'), cond('ContainersReady', false, fin, 'PodCompleted'), cond('PodScheduled', true, started),
    ];
  } else {
    const lastChange = w.containers.map((c) => ov?.containers?.[c.name]).filter((o) => o?.lastTerminated).map((o) => resolveTime(o?.lastTerminated?.finishedAt ?? 'now', ctx.now))[0] ?? readyAt;
    const msg = `containers with unready status: [${notReady.join(' ')}]`;
    conditions = [
      cond('PodReadyToStartContainers', true, new Date(started.getTime() + 2000)), cond('Initialized', true, started),
      allReady ? cond('Ready', true, readyAt) : cond('Ready', false, lastChange, 'ContainersNotReady', msg),
      allReady ? cond('ContainersReady', true, readyAt) : cond('ContainersReady', false, lastChange, 'ContainersNotReady', msg),
      cond('PodScheduled', true, started),
    ];
  }
  const status: Record<string, unknown> = { conditions };
  if (scheduled) {
    Object.assign(status, { containerStatuses, hostIP: nodeSpec?.ip, hostIPs: [{ ip: nodeSpec?.ip }] });
  }
  status.phase = phase;
  if (scheduled && ip) Object.assign(status, { podIP: ip, podIPs: [{ ip }] });
  status.qosClass = qosClass(w);
  if (scheduled) status.startTime = ts(started);

  const annotations = Object.fromEntries(Object.entries(p.annotations ?? {}).filter(([, v]) => v !== undefined));
  const pod: KubeObject = {
    apiVersion: 'v1', kind: 'Pod',
    metadata: {
      name: p.name, ...(p.w.kind === 'StatefulSet' ? {} : { generateName: p.name.slice(0, p.name.lastIndexOf('-') + 1) }), namespace: p.namespace,
      uid, creationTimestamp: ts(started), labels: p.labels, ...(Object.keys(annotations).length ? { annotations } : {}), ownerReferences: [p.owner],
    },
    spec, status,
  };
  ctx.objects.push(pod);
  const key = `${p.namespace}/${p.w.name}`;
  ctx.podsOf.set(key, [...(ctx.podsOf.get(key) ?? []), p.name]);
  return { ready: scheduled && allReady && !p.job, available: scheduled && allReady && !p.job, name: p.name, ip, node, uid };
}

function sortKeys(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));
}

// ---------------------------------------------------------------- events and metrics

function eventObject(ctx: Ctx, e: EventSpec, i: number): KubeObject {
  const inv = e.involved;
  let name = inv.name ?? '';
  const ns = inv.namespace ?? (inv.kind === 'Node' ? undefined : e.namespace);
  if (inv.workload) {
    const pods = ctx.podsOf.get(`${e.namespace}/${inv.workload}`);
    const pod = pods?.[inv.index ?? 0];
    if (!pod) throw new Error(`scenario: event ${i} names workload ${e.namespace}/${inv.workload} which has no pod ${inv.index ?? 0}`);
    name = pod;
  }
  const apiVersion = inv.apiVersion ?? ({ Pod: 'v1', Node: 'v1', Service: 'v1', Deployment: 'apps/v1', ReplicaSet: 'apps/v1', StatefulSet: 'apps/v1', DaemonSet: 'apps/v1', Job: 'batch/v1', CronJob: 'batch/v1' } as Record<string, string>)[inv.kind] ?? 'v1';
  const target = ctx.objects.find((o) => o.kind === inv.kind && o.metadata.name === name && (ns === undefined || o.metadata.namespace === ns));
  const first = resolveTime(e.first, ctx.now);
  const last = e.last ? resolveTime(e.last, ctx.now) : first;
  const involvedObject: Record<string, unknown> = { apiVersion, kind: inv.kind, name };
  if (ns) involvedObject.namespace = ns;
  if (inv.fieldPath) involvedObject.fieldPath = inv.fieldPath;
  if (target) { involvedObject.uid = target.metadata.uid; if (inv.kind !== 'Node') involvedObject.resourceVersion = '1'; }
  if (inv.kind === 'Node') involvedObject.uid = name;
  const source: Record<string, unknown> = { component: e.source };
  const host = e.host ?? (inv.kind === 'Node' ? name : target && isRecord(target.spec) && typeof target.spec.nodeName === 'string' ? target.spec.nodeName : undefined);
  if (host && e.source === 'kubelet') source.host = host;
  // placeholders: $POD (name_namespace(uid) as the kubelet writes it), $IP (the pod's IP), $CHILD (a
  // Deployment's current ReplicaSet or a CronJob's last Job)
  const podIp = target && isRecord(target.status) && typeof target.status.podIP === 'string' ? target.status.podIP : '';
  const message = e.message
    .replaceAll('$POD', `${name}_${ns ?? ''}(${target?.metadata.uid ?? ''})`)
    .replaceAll('$IP', podIp)
    .replaceAll('$CHILD', ctx.childOf.get(`${ns ?? ''}/${name}`) ?? name);
  return {
    apiVersion: 'v1', kind: 'Event',
    metadata: { name: `${name}.${hex(`ev/${i}/${name}/${e.reason}`, 16)}`, namespace: e.namespace, creationTimestamp: ts(first) },
    count: e.count, eventTime: null, firstTimestamp: ts(first), involvedObject, lastTimestamp: ts(last), message, reason: e.reason,
    reportingComponent: e.source, reportingInstance: host ?? '', source, type: e.type,
  };
}

function metricsObjects(ctx: Ctx, window: string): void {
  const stamp = ts(new Date(ctx.now.getTime() - 9000));
  for (const n of ctx.scenario.nodes) {
    if (n.ready !== true) continue;
    const cap = parseQuantity(n.cpu);
    const mem = parseQuantity(n.memory);
    const cpu = n.usage ? parseQuantity(n.usage.cpu) : cap * (0.05 + ctx.rnd(`nm/${n.name}`) * 0.15);
    const memory = n.usage ? parseQuantity(n.usage.memory) : mem * (0.3 + ctx.rnd(`nmm/${n.name}`) * 0.2);
    ctx.objects.push({
      apiVersion: 'metrics.k8s.io/v1beta1', kind: 'NodeMetrics',
      metadata: { name: n.name, labels: (ctx.objects.find((o) => o.kind === 'Node' && o.metadata.name === n.name)?.metadata.labels) ?? {}, creationTimestamp: ts(ctx.now) },
      timestamp: stamp, window, usage: { cpu: nanoCores(cpu), memory: kibibytes(memory) },
    });
  }
  for (const [key, containers] of ctx.podUsage) {
    const [ns, name] = key.split('/') as [string, string];
    const pod = ctx.objects.find((o) => o.kind === 'Pod' && o.metadata.name === name && o.metadata.namespace === ns);
    ctx.objects.push({
      apiVersion: 'metrics.k8s.io/v1beta1', kind: 'PodMetrics',
      metadata: { name, namespace: ns, labels: pod?.metadata.labels ?? {}, creationTimestamp: ts(ctx.now) },
      timestamp: stamp, window, containers: containers.map((c) => ({ name: c.name, usage: { cpu: nanoCores(c.cpu), memory: kibibytes(c.memory) } })),
    });
  }
}
