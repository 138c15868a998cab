/**
 * Expands a parsed scenario into the objects a real cluster would hold: Nodes, Namespaces (with
 * their default ServiceAccount and kube-root-ca.crt), workloads down to their Pods
 * (Deployment -> ReplicaSet -> Pods, StatefulSet/DaemonSet -> Pods, CronJob -> Jobs -> Pods),
 * Services with Endpoints, Events, metrics and logs.
 */
import { createHash } from 'node:crypto';
import { kubernetesService, namespaceObjects, nodeObject } from './cluster-objects.js';
import { at, ts, type Ctx } from './expand-context.js';
import { expandAddons } from './addons.js';
import { expandFlux, expandHelmCharts } from './gitops.js';
import { hex } from './ids.js';
import { timeLines, type LogBook } from '../apiserver/logs.js';
import { kibibytes, nanoCores, parseQuantity } from './quantity.js';
import type { EventSpec, ParsedScenario } from './scenario.js';
import { rfc3339 } from '../apiserver/store.js';
import { resolveTime } from './time.js';
import { clone, isRecord, type KubeObject } from '../apiserver/types.js';
import { expandWorkload } from './workloads.js';

export interface Expanded {
  objects: KubeObject[];
}

export function expandScenario(scenario: ParsedScenario, now: Date, logs: LogBook): Expanded {
  const ctx: Ctx = {
    now,
    scenario,
    objects: [],
    logs,
    nodes: new Map(),
    serviceIps: new Set(['10.43.0.1', '10.43.0.10']),
    podUsage: new Map(),
    podsOf: new Map(),
    childOf: new Map(),
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
  for (const o of scenario.objects) ctx.objects.push(resolveTimes(clone(o), now) as KubeObject);
  expandFlux(ctx);
  expandAddons(ctx);
  expandHelmCharts(ctx);
  for (const l of scenario.logs) {
    const pod = ctx.objects.find((o) => o.kind === 'Pod' && o.metadata.name === l.pod && o.metadata.namespace === l.namespace);
    const started = pod ? containerStart(pod, l.container, l.previous) : undefined;
    ctx.logs.set(l.namespace, l.pod, l.container, l.previous, timeLines(l.lines, started?.from ?? new Date(now.getTime() - 3600_000), started?.to ?? now, now));
  }
  scenario.events.forEach((e, i) => ctx.objects.push(eventObject(ctx, e, i)));
  if (scenario.metrics) metricsObjects(ctx, scenario.metrics.window);
  return { objects: ctx.objects };
}

/** relative times in fields named *Time, *Timestamp, *At, timestamp, notBefore, notAfter, *Deployed, *Reconciled */
function resolveTimes(v: unknown, now: Date, keyName = ''): unknown {
  if (typeof v === 'string' && /(Time|Timestamp|At|^timestamp|^notBefore|^notAfter|Deployed|Reconciled)$/.test(keyName) && /^([+-]\d|now$)/.test(v))
    return rfc3339(resolveTime(v, now));
  if (Array.isArray(v)) return v.map((x) => resolveTimes(x, now, keyName));
  if (isRecord(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, resolveTimes(x, now, k)]));
  return v;
}

function containerStart(pod: KubeObject, container: string, previous: boolean): { from: Date; to: Date } | undefined {
  const st = isRecord(pod.status) && Array.isArray(pod.status.containerStatuses) ? pod.status.containerStatuses : [];
  const cs = st.filter(isRecord).find((c) => c.name === container);
  if (!cs) return undefined;
  const state = previous ? (isRecord(cs.lastState) ? cs.lastState : {}) : isRecord(cs.state) ? cs.state : {};
  const s = isRecord(state.running) ? state.running : isRecord(state.terminated) ? state.terminated : undefined;
  if (!s || typeof s.startedAt !== 'string') return undefined;
  return { from: new Date(s.startedAt), to: typeof s.finishedAt === 'string' ? new Date(s.finishedAt) : new Date() };
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
  const apiVersion =
    inv.apiVersion ??
    (
      {
        Pod: 'v1',
        Node: 'v1',
        Service: 'v1',
        Deployment: 'apps/v1',
        ReplicaSet: 'apps/v1',
        StatefulSet: 'apps/v1',
        DaemonSet: 'apps/v1',
        Job: 'batch/v1',
        CronJob: 'batch/v1',
      } as Record<string, string>
    )[inv.kind] ??
    'v1';
  const target = ctx.objects.find((o) => o.kind === inv.kind && o.metadata.name === name && (ns === undefined || o.metadata.namespace === ns));
  const first = resolveTime(e.first, ctx.now);
  const last = e.last ? resolveTime(e.last, ctx.now) : first;
  const involvedObject: Record<string, unknown> = { apiVersion, kind: inv.kind, name };
  if (ns) involvedObject.namespace = ns;
  if (inv.fieldPath) involvedObject.fieldPath = inv.fieldPath;
  if (target) {
    involvedObject.uid = target.metadata.uid;
    if (inv.kind !== 'Node') involvedObject.resourceVersion = '1';
  }
  if (inv.kind === 'Node') involvedObject.uid = name;
  const source: Record<string, unknown> = { component: e.source };
  const host =
    e.host ?? (inv.kind === 'Node' ? name : target && isRecord(target.spec) && typeof target.spec.nodeName === 'string' ? target.spec.nodeName : undefined);
  if (host && e.source === 'kubelet') source.host = host;
  // placeholders: $POD (name_namespace(uid) as the kubelet writes it), $IP (the pod's IP), $CHILD (a
  // Deployment's current ReplicaSet or a CronJob's last Job)
  const podIp = target && isRecord(target.status) && typeof target.status.podIP === 'string' ? target.status.podIP : '';
  const message = e.message
    .replaceAll('$POD', `${name}_${ns ?? ''}(${target?.metadata.uid ?? ''})`)
    .replaceAll('$IP', podIp)
    .replaceAll('$CHILD', ctx.childOf.get(`${ns ?? ''}/${name}`) ?? name);
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: `${name}.${hex(`ev/${i}/${name}/${e.reason}`, 16)}`, namespace: e.namespace, creationTimestamp: ts(first) },
    count: e.count,
    eventTime: null,
    firstTimestamp: ts(first),
    involvedObject,
    lastTimestamp: ts(last),
    message,
    reason: e.reason,
    reportingComponent: e.source,
    reportingInstance: host ?? '',
    source,
    type: e.type,
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
      apiVersion: 'metrics.k8s.io/v1beta1',
      kind: 'NodeMetrics',
      metadata: {
        name: n.name,
        labels: ctx.objects.find((o) => o.kind === 'Node' && o.metadata.name === n.name)?.metadata.labels ?? {},
        creationTimestamp: ts(ctx.now),
      },
      timestamp: stamp,
      window,
      usage: { cpu: nanoCores(cpu), memory: kibibytes(memory) },
    });
  }
  for (const [key, containers] of ctx.podUsage) {
    const [ns, name] = key.split('/') as [string, string];
    const pod = ctx.objects.find((o) => o.kind === 'Pod' && o.metadata.name === name && o.metadata.namespace === ns);
    ctx.objects.push({
      apiVersion: 'metrics.k8s.io/v1beta1',
      kind: 'PodMetrics',
      metadata: { name, namespace: ns, labels: pod?.metadata.labels ?? {}, creationTimestamp: ts(ctx.now) },
      timestamp: stamp,
      window,
      containers: containers.map((c) => ({ name: c.name, usage: { cpu: nanoCores(c.cpu), memory: kibibytes(c.memory) } })),
    });
  }
}
