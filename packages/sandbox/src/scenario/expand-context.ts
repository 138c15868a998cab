/** What the scenario expanders share: the expansion context and the pod template helpers. */
import type { LogBook } from '../apiserver/logs.js';
import type { ContainerSpec, NodeSpec, ParsedScenario, PodOverride, WorkloadSpec } from './scenario.js';
import { rfc3339 } from '../apiserver/store.js';
import { resolveTime } from './time.js';
import type { KubeObject, OwnerReference } from '../apiserver/types.js';

export interface Ctx {
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

export const at = (ctx: Ctx, spec: string | undefined, fallback: Date): Date => (spec ? resolveTime(spec, ctx.now) : fallback);
export const ts = (d: Date): string => rfc3339(d);

export interface PodPlan {
  name: string;
  namespace: string;
  labels: Record<string, string>;
  annotations?: Record<string, string>;
  owner: OwnerReference;
  w: WorkloadSpec;
  node?: string;
  started: Date;
  override?: PodOverride;
  job?: { succeeded: boolean; finished: Date };
  extraSpec?: Record<string, unknown>;
  hostname?: string;
}

export function selectorLabels(w: WorkloadSpec): Record<string, string> {
  return w.podLabels ?? { 'app.kubernetes.io/name': w.name, 'app.kubernetes.io/instance': w.name };
}

export function podTemplate(w: WorkloadSpec, labels: Record<string, string>): Record<string, unknown> {
  const meta: Record<string, unknown> = { labels };
  if (w.podAnnotations) meta.annotations = w.podAnnotations;
  return { metadata: meta, spec: podSpecBase(w) };
}

export function containerObject(c: ContainerSpec): Record<string, unknown> {
  const out: Record<string, unknown> = { name: c.name, image: c.image };
  if (c.command) out.command = c.command;
  if (c.args) out.args = c.args;
  if (c.env) out.env = c.env;
  out.imagePullPolicy = c.image.endsWith(':latest') || !c.image.includes(':') ? 'Always' : 'IfNotPresent';
  if (c.livenessProbe) out.livenessProbe = probeDefaults(c.livenessProbe);
  if (c.ports) out.ports = c.ports.map((p) => ({ ...(p.name ? { name: p.name } : {}), containerPort: p.containerPort, protocol: p.protocol ?? 'TCP' }));
  if (c.readinessProbe) out.readinessProbe = probeDefaults(c.readinessProbe);
  out.resources = c.resources
    ? {
        ...(c.resources.limits ? { limits: c.resources.limits } : {}),
        ...(c.resources.requests ? { requests: c.resources.requests } : {}),
      }
    : {};
  if (c.securityContext) out.securityContext = c.securityContext;
  out.terminationMessagePath = '/dev/termination-log';
  out.terminationMessagePolicy = 'File';
  if (c.volumeMounts) out.volumeMounts = c.volumeMounts;
  return out;
}

export function probeDefaults(p: Record<string, unknown>): Record<string, unknown> {
  return { failureThreshold: 3, periodSeconds: 10, successThreshold: 1, timeoutSeconds: 1, ...p };
}

export function podSpecBase(w: WorkloadSpec): Record<string, unknown> {
  const spec: Record<string, unknown> = { containers: w.containers.map(containerObject) };
  if (w.initContainers) spec.initContainers = w.initContainers.map(containerObject);
  Object.assign(spec, {
    dnsPolicy: w.hostNetwork ? 'ClusterFirstWithHostNet' : 'ClusterFirst',
    restartPolicy: w.kind === 'CronJob' || w.kind === 'Job' ? 'OnFailure' : 'Always',
    schedulerName: 'default-scheduler',
    securityContext: {},
    terminationGracePeriodSeconds: 30,
  });
  if (w.hostNetwork) spec.hostNetwork = true;
  if (w.serviceAccount) {
    spec.serviceAccount = w.serviceAccount;
    spec.serviceAccountName = w.serviceAccount;
  }
  if (w.volumes) spec.volumes = w.volumes;
  return spec;
}

export function qosClass(w: WorkloadSpec): string {
  const cs = w.containers;
  if (cs.every((c) => !c.resources?.requests && !c.resources?.limits)) return 'BestEffort';
  const guaranteed = cs.every(
    (c) =>
      c.resources?.limits?.cpu &&
      c.resources.limits.memory &&
      (!c.resources.requests || (c.resources.requests.cpu === c.resources.limits.cpu && c.resources.requests.memory === c.resources.limits.memory)),
  );
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

export function pickNode(ctx: Ctx, w: WorkloadSpec, i: number): string {
  const candidates = w.nodes ?? ctx.scenario.nodes.filter((n) => !(n.taints ?? []).some((t) => t.effect === 'NoSchedule')).map((n) => n.name);
  const list = candidates.length ? candidates : ctx.scenario.nodes.map((n) => n.name);
  const start = Math.floor(ctx.rnd(`${w.namespace}/${w.name}`) * list.length);
  return list[(start + i) % list.length] as string;
}

export function podIp(ctx: Ctx, node: string): string {
  const n = ctx.nodes.get(node);
  if (!n) throw new Error(`scenario: unknown node ${node}`);
  const ip = `10.42.${n.index}.${n.nextIp}`;
  n.nextIp++;
  return ip;
}

export function ownerRef(kind: string, apiVersion: string, name: string, uid: string): OwnerReference {
  return { apiVersion, kind, name, uid, controller: true, blockOwnerDeletion: true };
}

export interface PodResult {
  ready: boolean;
  available: boolean;
  name: string;
  ip?: string;
  node?: string;
  uid: string;
}
