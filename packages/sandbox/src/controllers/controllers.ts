/**
 * Simulated controllers. A controller is a function called after every store write with the
 * change; it reacts like a real controller to a watch event, scheduling its own writes with
 * `host.after(ms, fn)` (timers are cleared when the sandbox stops). Later features add theirs to
 * DEFAULT_CONTROLLERS (e.g. a Flux reconcile annotation handled after a delay, a Job that runs).
 *
 * Built in:
 * - deployments: when spec changes (generation > status.observedGeneration) roll out a
 *   ReplicaSet for the current template, replace the pods, and set status.observedGeneration,
 *   so `kubectl rollout status` completes;
 * - statefulsets/daemonsets: the same for their pods (recreated with a new revision hash);
 * - replicasets/statefulsets/daemonsets: a deleted pod is replaced.
 */
import { hashString, hex, uidFor } from '../scenario/ids.js';
import type { ControllerDelays } from './operators.js';
import { rfc3339, type Change, type ObjectStore } from '../apiserver/store.js';
import { clone, isRecord, type KubeObject, type OwnerReference } from '../apiserver/types.js';

export interface ControllerHost {
  store: ObjectStore;
  now: () => Date;
  /** run fn after ms unless the sandbox stops first */
  after(ms: number, fn: () => void): void;
  /** how long the add-on controllers take (operators.ts); defaults when absent */
  delays?: ControllerDelays;
}
export type Controller = (change: Change, host: ControllerHost) => void;

/** how long the simulated controllers take to react */
export const REACTION_MS = 150;

export function startControllers(store: ObjectStore, controllers: Controller[], now: () => Date, delays?: ControllerDelays): { stop(): void } {
  const timers = new Set<NodeJS.Timeout>();
  let stopped = false;
  const host: ControllerHost = {
    store,
    now,
    ...(delays ? { delays } : {}),
    after(ms, fn) {
      if (stopped) return;
      const t = setTimeout(() => {
        timers.delete(t);
        if (stopped) return;
        try {
          fn();
        } catch (e) {
          console.error('sandbox controller failed:', e);
        }
      }, ms);
      timers.add(t);
    },
  };
  const off = store.onChange((c) => {
    for (const ctl of controllers) ctl(c, host);
  });
  return {
    stop() {
      stopped = true;
      off();
      for (const t of timers) clearTimeout(t);
      timers.clear();
    },
  };
}

const rec = (v: unknown): Record<string, unknown> => (isRecord(v) ? v : {});
const gen = (o: KubeObject): number => o.metadata.generation ?? 1;
const observed = (o: KubeObject): number => Number(rec(o.status).observedGeneration ?? 0);

function controllerOf(o: KubeObject): OwnerReference | undefined {
  return o.metadata.ownerReferences?.find((r) => r.controller);
}

function ownedPods(store: ObjectStore, owner: KubeObject): KubeObject[] {
  return store.list('pods', owner.metadata.namespace).filter((p) => controllerOf(p)?.uid === owner.metadata.uid);
}

const SUFFIX = 'bcdfghjklmnpqrstvwxz2456789';
function suffix(): string {
  let s = '';
  for (let i = 0; i < 5; i++) s += SUFFIX[Math.floor(Math.random() * SUFFIX.length)];
  return s;
}

function readyNodes(store: ObjectStore): KubeObject[] {
  return store.list('nodes').filter((n) => {
    const conds = Array.isArray(rec(n.status).conditions) ? (rec(n.status).conditions as unknown[]) : [];
    return conds.some((c) => isRecord(c) && c.type === 'Ready' && c.status === 'True') && rec(n.spec).unschedulable !== true;
  });
}

/** a freshly started, ready pod from a pod template */
export function runningPod(
  store: ObjectStore,
  now: Date,
  opts: {
    template: Record<string, unknown>;
    namespace: string;
    name: string;
    generateName?: string;
    labels: Record<string, string>;
    owner: OwnerReference;
    node?: string;
  },
): KubeObject {
  const tplMeta = rec(opts.template.metadata);
  const spec = clone(rec(opts.template.spec));
  const nodes = readyNodes(store);
  const node = opts.node ?? nodes[Math.floor(Math.random() * Math.max(1, nodes.length))]?.metadata.name;
  const nodeObj = nodes.find((n) => n.metadata.name === node) ?? store.get('nodes', undefined, node ?? '');
  const cidr = String(rec(nodeObj?.spec).podCIDR ?? '10.42.0.0/24');
  const ip = `${cidr.split('.').slice(0, 3).join('.')}.${100 + Math.floor(Math.random() * 150)}`;
  const hostIP = String(
    (Array.isArray(rec(nodeObj?.status).addresses) ? (rec(nodeObj?.status).addresses as Record<string, unknown>[]) : []).find((a) => a.type === 'InternalIP')
      ?.address ?? '',
  );
  const started = rfc3339(now);
  const containers = Array.isArray(spec.containers) ? spec.containers.filter(isRecord) : [];
  Object.assign(spec, {
    nodeName: node,
    serviceAccount: spec.serviceAccountName ?? 'default',
    serviceAccountName: spec.serviceAccountName ?? 'default',
    enableServiceLinks: true,
    preemptionPolicy: 'PreemptLowerPriority',
    priority: 0,
  });
  const cond = (type: string): Record<string, unknown> => ({ lastProbeTime: null, lastTransitionTime: started, status: 'True', type });
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: opts.name,
      ...(opts.generateName ? { generateName: opts.generateName } : {}),
      namespace: opts.namespace,
      labels: opts.labels,
      ...(isRecord(tplMeta.annotations) ? { annotations: tplMeta.annotations as Record<string, string> } : {}),
      ownerReferences: [opts.owner],
    },
    spec,
    status: {
      conditions: ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled'].map(cond),
      containerStatuses: containers.map((c) => ({
        containerID: `containerd://${hex(`${opts.name}/${String(c.name)}/${started}`, 64)}`,
        image: String(c.image),
        imageID: `${String(c.image).split(':')[0]}@sha256:${hex(String(c.image), 64)}`,
        lastState: {},
        name: String(c.name),
        ready: true,
        restartCount: 0,
        started: true,
        state: { running: { startedAt: started } },
      })),
      hostIP,
      hostIPs: [{ ip: hostIP }],
      phase: 'Running',
      podIP: ip,
      podIPs: [{ ip }],
      qosClass: 'BestEffort',
      startTime: started,
    },
  };
}

function isPodReady(p: KubeObject): boolean {
  const conds = Array.isArray(rec(p.status).conditions) ? (rec(p.status).conditions as unknown[]) : [];
  return conds.some((c) => isRecord(c) && c.type === 'Ready' && c.status === 'True');
}

function templateKey(tpl: unknown): string {
  const t = clone(rec(tpl));
  const labels = rec(rec(t.metadata).labels);
  delete labels['pod-template-hash'];
  delete labels['controller-revision-hash'];
  delete labels['pod-template-generation'];
  return JSON.stringify(t);
}

function ref(kind: string, o: KubeObject): OwnerReference {
  return { apiVersion: 'apps/v1', kind, name: o.metadata.name ?? '', uid: o.metadata.uid ?? '', controller: true, blockOwnerDeletion: true };
}

function deleteQuietly(store: ObjectStore, res: string, ns: string | undefined, name: string): void {
  if (store.get(res, ns, name)) store.delete(res, ns, name);
}

// ---------------------------------------------------------------- deployments

function reconcileDeployment(host: ControllerHost, ns: string, name: string): void {
  const { store } = host;
  const d = store.get('deployments', ns, name);
  if (!d) return;
  const spec = rec(d.spec);
  const tpl = rec(spec.template);
  const replicas = typeof spec.replicas === 'number' ? spec.replicas : 1;
  const sets = store.list('replicasets', ns).filter((rs) => controllerOf(rs)?.uid === d.metadata.uid);
  const key = templateKey(tpl);
  const revisionOf = (rs: KubeObject): number => Number(rs.metadata.annotations?.['deployment.kubernetes.io/revision'] ?? 0);
  // the newest ReplicaSet whose template matches (scenario history may hold look-alike old revisions)
  let current = sets.filter((rs) => templateKey(rec(rs.spec).template) === key).sort((a, b) => revisionOf(b) - revisionOf(a))[0];
  const maxRev = Math.max(0, ...sets.map(revisionOf));
  if (!current) {
    const hash = hashString(`${ns}/${name}/${key}`, 10);
    const rsName = `${name}-${hash}`;
    const labels = { ...(rec(rec(tpl.metadata).labels) as Record<string, string>), 'pod-template-hash': hash };
    const rsTpl = clone(tpl);
    rsTpl.metadata = { ...rec(rsTpl.metadata), labels };
    current = store.put({
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name: rsName,
        namespace: ns,
        uid: uidFor(`rs/${ns}/${rsName}/${Date.now()}`),
        labels,
        ownerReferences: [ref('Deployment', d)],
        annotations: {
          'deployment.kubernetes.io/desired-replicas': String(replicas),
          'deployment.kubernetes.io/max-replicas': String(replicas + Math.ceil(replicas * 0.25)),
          'deployment.kubernetes.io/revision': String(maxRev + 1),
        },
      },
      spec: {
        replicas,
        selector: { matchLabels: { ...(rec(rec(spec.selector).matchLabels) as Record<string, string>), 'pod-template-hash': hash } },
        template: rsTpl,
      },
      status: { replicas: 0, observedGeneration: 1 },
    });
  } else if (rec(current.spec).replicas !== replicas) {
    current = store.put({ ...current, spec: { ...rec(current.spec), replicas } });
  }
  // scale down and empty the old ReplicaSets
  for (const rs of sets) {
    if (rs.metadata.uid === current.metadata.uid) continue;
    if (rec(rs.spec).replicas !== 0)
      store.put({
        ...rs,
        spec: { ...rec(rs.spec), replicas: 0 },
        status: { replicas: 0, observedGeneration: gen(rs) + 1 },
        metadata: { ...rs.metadata, generation: gen(rs) + 1 },
      });
    for (const p of ownedPods(store, rs)) deleteQuietly(store, 'pods', ns, p.metadata.name ?? '');
  }
  const pods = syncReplicaSetPods(host, current);
  const ready = pods.filter(isPodReady).length;
  const rsName = current.metadata.name ?? '';
  const now = rfc3339(host.now());
  const latest = store.get('deployments', ns, name);
  if (!latest) return;
  const status: Record<string, unknown> = {
    observedGeneration: gen(latest),
    replicas: pods.length,
    updatedReplicas: pods.length,
    readyReplicas: ready,
    availableReplicas: ready,
    conditions: [
      {
        type: 'Available',
        status: ready >= replicas - Math.floor(replicas * 0.25) ? 'True' : 'False',
        lastUpdateTime: now,
        lastTransitionTime: now,
        reason: ready >= replicas - Math.floor(replicas * 0.25) ? 'MinimumReplicasAvailable' : 'MinimumReplicasUnavailable',
        message: ready >= replicas - Math.floor(replicas * 0.25) ? 'Deployment has minimum availability.' : 'Deployment does not have minimum availability.',
      },
      {
        type: 'Progressing',
        status: 'True',
        lastUpdateTime: now,
        lastTransitionTime: now,
        reason: 'NewReplicaSetAvailable',
        message: `ReplicaSet "${rsName}" has successfully progressed.`,
      },
    ],
  };
  if (replicas - ready > 0) status.unavailableReplicas = replicas - ready;
  const revision = current.metadata.annotations?.['deployment.kubernetes.io/revision'] ?? '1';
  store.put({
    ...latest,
    metadata: { ...latest.metadata, annotations: { ...(latest.metadata.annotations ?? {}), 'deployment.kubernetes.io/revision': revision } },
    status,
  });
}

/** bring a ReplicaSet's pods to spec.replicas and its status up to date; returns its pods */
function syncReplicaSetPods(host: ControllerHost, rs: KubeObject): KubeObject[] {
  const { store } = host;
  const ns = rs.metadata.namespace ?? '';
  const spec = rec(rs.spec);
  const want = typeof spec.replicas === 'number' ? spec.replicas : 1;
  let pods = ownedPods(store, rs);
  const hash = rs.metadata.labels?.['pod-template-hash'] ?? '';
  while (pods.length < want) {
    const name = `${rs.metadata.name}-${suffix()}`;
    const tpl = rec(spec.template);
    pods.push(
      store.put(
        runningPod(store, host.now(), {
          template: tpl,
          namespace: ns,
          name,
          generateName: `${rs.metadata.name}-`,
          labels: { ...(rec(rec(tpl.metadata).labels) as Record<string, string>), 'pod-template-hash': hash },
          owner: ref('ReplicaSet', rs),
        }),
      ),
    );
  }
  while (pods.length > want) {
    const p = pods.pop() as KubeObject;
    deleteQuietly(store, 'pods', ns, p.metadata.name ?? '');
  }
  pods = ownedPods(store, rs);
  const ready = pods.filter(isPodReady).length;
  const latest = store.get('replicasets', ns, rs.metadata.name ?? '');
  if (latest) {
    const status: Record<string, unknown> = { replicas: pods.length, observedGeneration: gen(latest) };
    if (pods.length) status.fullyLabeledReplicas = pods.length;
    if (ready) {
      status.readyReplicas = ready;
      status.availableReplicas = ready;
    }
    if (JSON.stringify(status) !== JSON.stringify(latest.status)) store.put({ ...latest, status });
  }
  return pods;
}

// ---------------------------------------------------------------- statefulsets and daemonsets

function reconcileSet(host: ControllerHost, kind: 'StatefulSet' | 'DaemonSet', ns: string, name: string): void {
  const { store } = host;
  const res = kind === 'StatefulSet' ? 'statefulsets' : 'daemonsets';
  const o = store.get(res, ns, name);
  if (!o) return;
  const spec = rec(o.spec);
  const tpl = rec(spec.template);
  const rev = hashString(`${ns}/${name}/${templateKey(tpl)}`, 10);
  const revLabel = kind === 'StatefulSet' ? `${name}-${rev}` : rev;
  const labelsBase = rec(rec(tpl.metadata).labels) as Record<string, string>;
  const pods = ownedPods(store, o);
  const stale = pods.filter((p) => p.metadata.labels?.['controller-revision-hash'] !== revLabel);
  const replace = (p: KubeObject | undefined, index: number, node?: string): void => {
    if (p) deleteQuietly(store, 'pods', ns, p.metadata.name ?? '');
    const podName = kind === 'StatefulSet' ? `${name}-${index}` : `${name}-${suffix()}`;
    const labels =
      kind === 'StatefulSet'
        ? { ...labelsBase, 'apps.kubernetes.io/pod-index': String(index), 'controller-revision-hash': revLabel, 'statefulset.kubernetes.io/pod-name': podName }
        : { ...labelsBase, 'controller-revision-hash': revLabel, 'pod-template-generation': String(gen(o)) };
    store.put(
      runningPod(store, host.now(), {
        template: tpl,
        namespace: ns,
        name: podName,
        ...(kind === 'DaemonSet' ? { generateName: `${name}-` } : {}),
        labels,
        owner: ref(kind, o),
        node: node ?? (String(rec(p?.spec).nodeName ?? '') || undefined),
      }),
    );
  };
  for (const p of stale) {
    const idx = Number(p.metadata.labels?.['apps.kubernetes.io/pod-index'] ?? 0);
    replace(p, idx, String(rec(p.spec).nodeName ?? '') || undefined);
  }
  if (kind === 'StatefulSet') {
    const want = typeof spec.replicas === 'number' ? spec.replicas : 1;
    const have = new Set(ownedPods(store, o).map((p) => p.metadata.name));
    for (let i = 0; i < want; i++) if (!have.has(`${name}-${i}`)) replace(undefined, i);
    for (const p of ownedPods(store, o))
      if (Number(p.metadata.labels?.['apps.kubernetes.io/pod-index'] ?? 0) >= want) deleteQuietly(store, 'pods', ns, p.metadata.name ?? '');
  }
  const now = ownedPods(store, o);
  const ready = now.filter(isPodReady).length;
  const latest = store.get(res, ns, name);
  if (!latest) return;
  const status =
    kind === 'StatefulSet'
      ? {
          ...rec(latest.status),
          observedGeneration: gen(latest),
          replicas: now.length,
          readyReplicas: ready,
          availableReplicas: ready,
          currentReplicas: now.length,
          updatedReplicas: now.length,
          currentRevision: revLabel,
          updateRevision: revLabel,
        }
      : {
          ...rec(latest.status),
          observedGeneration: gen(latest),
          currentNumberScheduled: now.length,
          desiredNumberScheduled: now.length,
          numberReady: ready,
          numberAvailable: ready,
          updatedNumberScheduled: now.length,
        };
  store.put({ ...latest, status });
}

// ---------------------------------------------------------------- the controllers

// per host: controllers started again (a reset) begin with nothing pending
const pending = new WeakMap<ControllerHost, Set<string>>();
function once(host: ControllerHost, key: string, fn: () => void): void {
  let set = pending.get(host);
  if (!set) {
    set = new Set();
    pending.set(host, set);
  }
  if (set.has(key)) return;
  set.add(key);
  host.after(REACTION_MS, () => {
    set.delete(key);
    fn();
  });
}

export const workloadController: Controller = (c, host) => {
  if (c.type === 'DELETED' || c.resource.group !== 'apps') return;
  const o = c.object;
  if (gen(o) <= observed(o)) return;
  const ns = o.metadata.namespace ?? '';
  const name = o.metadata.name ?? '';
  if (c.resource.plural === 'deployments') once(host, `deploy/${ns}/${name}`, () => reconcileDeployment(host, ns, name));
  if (c.resource.plural === 'statefulsets') once(host, `sts/${ns}/${name}`, () => reconcileSet(host, 'StatefulSet', ns, name));
  if (c.resource.plural === 'daemonsets') once(host, `ds/${ns}/${name}`, () => reconcileSet(host, 'DaemonSet', ns, name));
};

export const podReplacementController: Controller = (c, host) => {
  if (c.type !== 'DELETED' || c.resource.plural !== 'pods' || c.resource.group !== '') return;
  const owner = controllerOf(c.object);
  if (!owner || owner.apiVersion !== 'apps/v1') return;
  const ns = c.object.metadata.namespace ?? '';
  once(host, `replace/${ns}/${owner.kind}/${owner.name}`, () => {
    if (owner.kind === 'ReplicaSet') {
      const rs = host.store.get('replicasets', ns, owner.name);
      if (!rs || rs.metadata.uid !== owner.uid) return;
      const d = controllerOf(rs);
      if (d?.kind === 'Deployment' && host.store.get('deployments', ns, d.name)) reconcileDeployment(host, ns, d.name);
      else syncReplicaSetPods(host, rs);
    } else if (owner.kind === 'StatefulSet' || owner.kind === 'DaemonSet') {
      const res = owner.kind === 'StatefulSet' ? 'statefulsets' : 'daemonsets';
      const set = host.store.get(res, ns, owner.name);
      if (!set || set.metadata.uid !== owner.uid) return;
      if (owner.kind === 'DaemonSet') {
        const node = String(rec(c.object.spec).nodeName ?? '');
        const tpl = rec(rec(set.spec).template);
        host.store.put(
          runningPod(host.store, host.now(), {
            template: tpl,
            namespace: ns,
            name: `${owner.name}-${suffix()}`,
            generateName: `${owner.name}-`,
            labels: { ...(c.object.metadata.labels ?? {}) },
            owner: ref('DaemonSet', set),
            node: node || undefined,
          }),
        );
        reconcileSet(host, 'DaemonSet', ns, owner.name);
      } else reconcileSet(host, 'StatefulSet', ns, owner.name);
    }
  });
};

export const DEFAULT_CONTROLLERS: Controller[] = [workloadController, podReplacementController];
