/**
 * Workloads down to their pods: Deployment -> ReplicaSets -> Pods, StatefulSet and DaemonSet
 * pods, CronJob -> Jobs -> Pods, and a Service with Endpoints for the pods.
 */
import { createHash } from 'node:crypto';
import { at, ownerRef, pickNode, podSpecBase, podTemplate, selectorLabels, ts, type Ctx, type PodResult } from './expand-context.js';
import { hashString, uidFor } from './ids.js';
import { timeLines, type LogInput } from '../apiserver/logs.js';
import { buildPod } from './pods.js';
import type { WorkloadSpec } from './scenario.js';
import { resolveTime } from './time.js';
import { clone, type KubeObject, type OwnerReference } from '../apiserver/types.js';

export function expandWorkload(ctx: Ctx, w: WorkloadSpec): void {
  for (const n of w.nodes ?? []) if (!ctx.nodes.has(n)) throw new Error(`scenario: workload ${w.namespace}/${w.name} names unknown node ${n}`);
  switch (w.kind) {
    case 'Deployment':
      return deployment(ctx, w);
    case 'StatefulSet':
      return statefulSet(ctx, w);
    case 'DaemonSet':
      return daemonSet(ctx, w);
    case 'CronJob':
      return cronJob(ctx, w);
    case 'Job':
      return standaloneJob(ctx, w);
  }
}

function workloadMeta(ctx: Ctx, w: WorkloadSpec, created: Date, extraAnn?: Record<string, string>): Record<string, unknown> {
  const labels = { ...selectorLabels(w), ...(w.labels ?? {}) };
  const meta: Record<string, unknown> = {
    name: w.name,
    namespace: w.namespace,
    uid: uidFor(`${w.kind}/${w.namespace}/${w.name}`),
    creationTimestamp: ts(created),
    generation: 1,
    labels,
  };
  const ann = { ...(extraAnn ?? {}), ...(w.annotations ?? {}) };
  if (Object.keys(ann).length) meta.annotations = ann;
  return meta;
}

/** Deployment's default progressDeadlineSeconds. */
const PROGRESS_DEADLINE_S = 600;

function deployment(ctx: Ctx, w: WorkloadSpec): void {
  const created = at(ctx, w.created, new Date(ctx.now.getTime() - 30 * 86400_000));
  const replicas = w.replicas ?? 1;
  const revision = w.revision ?? (w.rollout ? 2 : 1);
  const sel = selectorLabels(w);
  const template = podTemplate(w, sel);
  const hash = hashString(`${w.namespace}/${w.name}/rev${revision}`, 10);
  const meta = workloadMeta(ctx, w, created, { 'deployment.kubernetes.io/revision': String(revision) });
  const rsName = `${w.name}-${hash}`;
  ctx.childOf.set(`${w.namespace}/${w.name}`, rsName);
  const rsUid = uidFor(`rs/${w.namespace}/${rsName}`);
  const rollout = w.rollout ? resolveTime(w.rollout.started, ctx.now) : undefined;
  const podsSince = rollout ?? at(ctx, w.podsSince, created);
  // A rolling update that has not finished: the new ReplicaSet is at maxSurge + maxUnavailable, the
  // previous one keeps replicas - maxUnavailable (the controller's defaults of 25% each).
  const maxSurge = Math.max(1, Math.ceil(replicas * 0.25));
  const maxUnavailable = Math.floor(replicas * 0.25);
  const newReplicas = rollout ? Math.min(replicas, maxSurge + maxUnavailable) : replicas;
  const oldReplicas = rollout ? replicas - maxUnavailable : 0;
  const pods = (rs: string, rsHash: string, uid: string, count: number, started: Date, overrides: WorkloadSpec['pods']) =>
    Array.from({ length: count }, (_, i) =>
      buildPod(ctx, {
        name: `${rs}-${hashString(`${rs}/${i}`, 5)}`,
        namespace: w.namespace,
        labels: { ...sel, 'pod-template-hash': rsHash },
        annotations: w.podAnnotations,
        w,
        owner: ownerRef('ReplicaSet', 'apps/v1', rs, uid),
        node: pickNode(ctx, w, i),
        started,
        override: overrides?.[i],
      }),
    );
  const results: PodResult[] = pods(rsName, hash, rsUid, newReplicas, podsSince, w.pods);
  const ready = results.filter((r) => r.ready).length;
  const available = results.filter((r) => r.available).length;
  // older revisions, scaled to zero but for the one a rollout has not finished replacing
  const serving: PodResult[] = [];
  for (let r = Math.max(1, revision - 2); r < revision; r++) {
    const oldHash = hashString(`${w.namespace}/${w.name}/rev${r}`, 10);
    const oldName = `${w.name}-${oldHash}`;
    const oldCreated = new Date(created.getTime() + (r - 1) * 86400_000);
    const count = r === revision - 1 ? oldReplicas : 0;
    const old = pods(oldName, oldHash, uidFor(`rs/${w.namespace}/${oldName}`), count, oldCreated, undefined);
    serving.push(...old);
    const oldReady = old.filter((p) => p.ready).length;
    ctx.objects.push(
      replicaSet(ctx, w, oldName, oldHash, r, count, template, meta, oldCreated, {
        ready: oldReady,
        available: old.filter((p) => p.available).length,
        replicas: count,
      }),
    );
  }
  ctx.objects.push(
    replicaSet(ctx, w, rsName, hash, revision, newReplicas, template, meta, revision > 1 ? podsSince : created, { ready, available, replicas: newReplicas }),
  );
  const allReady = ready + serving.filter((p) => p.ready).length;
  const allAvailable = available + serving.filter((p) => p.available).length;
  const isAvailable = allAvailable >= replicas - maxUnavailable;
  const total = newReplicas + oldReplicas;
  const status: Record<string, unknown> = {
    observedGeneration: 1,
    replicas: total,
    updatedReplicas: newReplicas,
    readyReplicas: allReady,
    availableReplicas: allAvailable,
  };
  if (allReady === 0) delete status.readyReplicas;
  if (allAvailable === 0) delete status.availableReplicas;
  if (replicas - allAvailable > 0) status.unavailableReplicas = replicas - allAvailable;
  if (total === 0) {
    delete status.replicas;
    delete status.updatedReplicas;
  }
  const deadline = rollout ? new Date(rollout.getTime() + PROGRESS_DEADLINE_S * 1000) : undefined;
  const progressing = !rollout
    ? {
        status: 'True',
        lastUpdateTime: ts(podsSince),
        lastTransitionTime: ts(created),
        reason: 'NewReplicaSetAvailable',
        message: `ReplicaSet "${rsName}" has successfully progressed.`,
      }
    : deadline && deadline <= ctx.now
      ? {
          status: 'False',
          lastUpdateTime: ts(deadline),
          lastTransitionTime: ts(deadline),
          reason: 'ProgressDeadlineExceeded',
          message: `ReplicaSet "${rsName}" has timed out progressing.`,
        }
      : {
          status: 'True',
          lastUpdateTime: ts(podsSince),
          lastTransitionTime: ts(podsSince),
          reason: 'ReplicaSetUpdated',
          message: `ReplicaSet "${rsName}" is progressing.`,
        };
  status.conditions = [
    {
      type: 'Available',
      status: isAvailable ? 'True' : 'False',
      lastUpdateTime: ts(podsSince),
      lastTransitionTime: ts(podsSince),
      reason: isAvailable ? 'MinimumReplicasAvailable' : 'MinimumReplicasUnavailable',
      message: isAvailable ? 'Deployment has minimum availability.' : 'Deployment does not have minimum availability.',
    },
    { type: 'Progressing', ...progressing },
  ];
  ctx.objects.push({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: meta,
    spec: {
      progressDeadlineSeconds: 600,
      replicas,
      revisionHistoryLimit: 10,
      selector: { matchLabels: sel },
      strategy: w.strategy ?? { rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' }, type: 'RollingUpdate' },
      template,
    },
    status,
  });
  service(ctx, w, sel, [...results, ...serving], created);
}

function replicaSet(
  ctx: Ctx,
  w: WorkloadSpec,
  name: string,
  hash: string,
  revision: number,
  replicas: number,
  template: Record<string, unknown>,
  deployMeta: Record<string, unknown>,
  created: Date,
  st: { ready: number; available: number; replicas: number },
): KubeObject {
  const sel = selectorLabels(w);
  const tpl = clone(template);
  (tpl.metadata as { labels: Record<string, string> }).labels = { ...sel, 'pod-template-hash': hash };
  const status: Record<string, unknown> = { observedGeneration: replicas === 0 ? 2 : 1, replicas: st.replicas };
  if (st.replicas > 0) status.fullyLabeledReplicas = st.replicas;
  if (st.ready > 0) status.readyReplicas = st.ready;
  if (st.available > 0) status.availableReplicas = st.available;
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name,
      namespace: w.namespace,
      uid: uidFor(`rs/${w.namespace}/${name}`),
      creationTimestamp: ts(created),
      generation: replicas === 0 ? 2 : 1,
      labels: { ...sel, 'pod-template-hash': hash },
      annotations: {
        'deployment.kubernetes.io/desired-replicas': String(w.replicas ?? 1),
        'deployment.kubernetes.io/max-replicas': String((w.replicas ?? 1) + Math.ceil((w.replicas ?? 1) * 0.25)),
        'deployment.kubernetes.io/revision': String(revision),
      },
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
  // A rolling update goes from the last ordinal down and waits for each pod to be Ready.
  const updateRev = w.rollout ? `${w.name}-${hashString(`${w.namespace}/${w.name}/sts/rollout`, 10)}` : rev;
  const rollout = w.rollout ? resolveTime(w.rollout.started, ctx.now) : undefined;
  const podsSince = at(ctx, w.podsSince, created);
  const results: PodResult[] = [];
  const svcName = w.service?.name ?? w.name;
  for (let i = 0; i < replicas; i++) {
    const name = `${w.name}-${i}`;
    const updated = rollout && i === replicas - 1;
    results.push(
      buildPod(ctx, {
        name,
        namespace: w.namespace,
        w,
        labels: {
          ...sel,
          'apps.kubernetes.io/pod-index': String(i),
          'controller-revision-hash': updated ? updateRev : rev,
          'statefulset.kubernetes.io/pod-name': name,
        },
        annotations: w.podAnnotations,
        owner: ownerRef('StatefulSet', 'apps/v1', w.name, String(meta.uid)),
        node: pickNode(ctx, w, i),
        started: updated ? rollout : podsSince,
        override: w.pods?.[i],
        hostname: name,
        extraSpec: { hostname: name, subdomain: svcName },
      }),
    );
  }
  const ready = results.filter((r) => r.ready).length;
  const available = results.filter((r) => r.available).length;
  const updatedReplicas = rollout ? Math.min(1, replicas) : replicas;
  ctx.objects.push({
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: meta,
    spec: {
      persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
      podManagementPolicy: 'OrderedReady',
      replicas,
      revisionHistoryLimit: 10,
      selector: { matchLabels: sel },
      serviceName: svcName,
      template: podTemplate(w, sel),
      updateStrategy: { rollingUpdate: { partition: 0 }, type: 'RollingUpdate' },
    },
    status: {
      availableReplicas: available,
      collisionCount: 0,
      currentReplicas: replicas - (rollout ? updatedReplicas : 0),
      currentRevision: rev,
      observedGeneration: 1,
      readyReplicas: ready,
      replicas,
      updateRevision: updateRev,
      updatedReplicas,
    },
  });
  service(ctx, w, sel, results, created);
}

function daemonSet(ctx: Ctx, w: WorkloadSpec): void {
  const created = at(ctx, w.created, new Date(ctx.now.getTime() - 30 * 86400_000));
  const sel = selectorLabels(w);
  // A rolling update replaces one node's pod at a time (maxUnavailable 1): the first node's is new.
  const rollout = w.rollout ? resolveTime(w.rollout.started, ctx.now) : undefined;
  const generation = rollout ? 2 : 1;
  const meta = workloadMeta(ctx, w, created, { 'deprecated.daemonset.template.generation': String(generation) });
  meta.generation = generation;
  const rev = hashString(`${w.namespace}/${w.name}/ds`, 10);
  const updateRev = hashString(`${w.namespace}/${w.name}/ds/rollout`, 10);
  const nodes = w.nodes ?? ctx.scenario.nodes.map((n) => n.name);
  const podsSince = at(ctx, w.podsSince, created);
  const results = nodes.map((node, i) => {
    const name = `${w.name}-${hashString(`${w.namespace}/${w.name}/${node}`, 5)}`;
    const updated = rollout && i === 0;
    return buildPod(ctx, {
      name,
      namespace: w.namespace,
      w,
      labels: { ...sel, 'controller-revision-hash': updated ? updateRev : rev, 'pod-template-generation': updated ? '2' : '1' },
      annotations: w.podAnnotations,
      owner: ownerRef('DaemonSet', 'apps/v1', w.name, String(meta.uid)),
      node,
      started: updated ? rollout : podsSince,
      override: w.pods?.[i],
      extraSpec: {
        affinity: {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
              nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [node] }] }],
            },
          },
        },
      },
    });
  });
  const ready = results.filter((r) => r.ready).length;
  const available = results.filter((r) => r.available).length;
  const status: Record<string, unknown> = {
    currentNumberScheduled: nodes.length,
    desiredNumberScheduled: nodes.length,
    numberAvailable: available,
    numberMisscheduled: 0,
    numberReady: ready,
    observedGeneration: generation,
    updatedNumberScheduled: rollout ? Math.min(1, nodes.length) : nodes.length,
  };
  if (nodes.length - available > 0) status.numberUnavailable = nodes.length - available;
  ctx.objects.push({
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: meta,
    spec: {
      revisionHistoryLimit: 10,
      selector: { matchLabels: sel },
      template: podTemplate(w, sel),
      updateStrategy: { rollingUpdate: { maxSurge: 0, maxUnavailable: 1 }, type: 'RollingUpdate' },
    },
    status,
  });
  service(ctx, w, sel, results, created);
}

function jobObjects(
  ctx: Ctx,
  w: WorkloadSpec,
  jobName: string,
  run: NonNullable<WorkloadSpec['run']>,
  owner: OwnerReference | undefined,
  extraAnn: Record<string, string>,
): void {
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
      name,
      namespace: w.namespace,
      w,
      labels: podLabels,
      owner: ownerRef('Job', 'batch/v1', jobName, uid),
      node: pickNode(ctx, w, i),
      started: podStart,
      job: done ? { succeeded: run.succeeded, finished: podEnd } : undefined,
      annotations: w.podAnnotations,
    });
    if (run.logs) ctx.logs.set(w.namespace, name, w.containers[0]?.name ?? '', false, timeLines(run.logs as LogInput[], podStart, podEnd, ctx.now));
  }
  const cond = (type: string, reason: string, message: string): Record<string, unknown> => ({
    type,
    status: 'True',
    lastProbeTime: ts(finished),
    lastTransitionTime: ts(finished),
    reason,
    message,
  });
  const status: Record<string, unknown> = { startTime: ts(started), ready: 0, terminating: 0, uncountedTerminatedPods: {} };
  if (!done) {
    status.active = 1;
    status.ready = 1;
  } else if (run.succeeded) {
    Object.assign(status, {
      succeeded: 1,
      completionTime: ts(finished),
      conditions: [
        cond('SuccessCriteriaMet', 'CompletionsReached', 'Reached expected number of succeeded pods'),
        cond('Complete', 'CompletionsReached', 'Reached expected number of succeeded pods'),
      ],
    });
  } else {
    Object.assign(status, {
      failed: attempts,
      conditions: [
        cond('FailureTarget', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit'),
        cond('Failed', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit'),
      ],
    });
  }
  ctx.objects.push({
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: jobName,
      namespace: w.namespace,
      uid,
      creationTimestamp: ts(started),
      generation: 1,
      labels: { ...podLabels },
      annotations: { 'batch.kubernetes.io/job-tracking': '', ...extraAnn },
      ...(owner ? { ownerReferences: [owner] } : {}),
    },
    spec: {
      backoffLimit,
      completionMode: 'NonIndexed',
      completions: 1,
      manualSelector: false,
      parallelism: 1,
      podReplacementPolicy: 'TerminatingOrFailed',
      selector: { matchLabels: sel },
      suspend: false,
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
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: meta,
    spec: {
      concurrencyPolicy: 'Forbid',
      failedJobsHistoryLimit: 1,
      schedule: w.schedule ?? '0 3 * * *',
      successfulJobsHistoryLimit: 3,
      suspend: w.suspend ?? false,
      jobTemplate: {
        metadata: {},
        spec: { backoffLimit: w.backoffLimit ?? 6, template: { metadata: Object.keys(tplLabels).length ? { labels: tplLabels } : {}, spec: podSpecBase(w) } },
      },
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
  const clusterIP = s.headless ? 'None' : (s.clusterIP ?? serviceIp(ctx, `${w.namespace}/${name}`));
  const ports = s.ports.map((p, i) => {
    const port: Record<string, unknown> = { ...(p.name ? { name: p.name } : {}) };
    if (type !== 'ClusterIP') port.nodePort = p.nodePort ?? 30000 + Math.floor(ctx.rnd(`${name}/${i}`) * 2767);
    Object.assign(port, { port: p.port, protocol: p.protocol ?? 'TCP', targetPort: p.targetPort ?? p.port });
    return port;
  });
  const spec: Record<string, unknown> = {
    clusterIP,
    clusterIPs: [clusterIP],
    internalTrafficPolicy: 'Cluster',
    ipFamilies: ['IPv4'],
    ipFamilyPolicy: 'SingleStack',
    ports,
    selector,
    sessionAffinity: 'None',
    type,
  };
  if (type === 'LoadBalancer') {
    spec.allocateLoadBalancerNodePorts = true;
    spec.externalTrafficPolicy = 'Cluster';
  }
  const lbIngress = type === 'LoadBalancer' ? ctx.scenario.nodes.map((n) => ({ ip: n.ip, ipMode: 'VIP' })) : undefined;
  ctx.objects.push({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name,
      namespace: w.namespace,
      uid: uidFor(`svc/${w.namespace}/${name}`),
      creationTimestamp: ts(created),
      labels: { ...selectorLabels(w), ...(w.labels ?? {}) },
    },
    spec,
    status: { loadBalancer: lbIngress ? { ingress: lbIngress } : {} },
  });
  const containerPorts = new Map<string, number>();
  for (const c of w.containers) for (const p of c.ports ?? []) if (p.name) containerPorts.set(p.name, p.containerPort);
  const epPorts = s.ports.map((p) => ({
    ...(p.name ? { name: p.name } : {}),
    port: typeof p.targetPort === 'string' ? (containerPorts.get(p.targetPort) ?? p.port) : (p.targetPort ?? p.port),
    protocol: p.protocol ?? 'TCP',
  }));
  const addr = (r: PodResult): Record<string, unknown> => ({
    ip: r.ip,
    nodeName: r.node,
    targetRef: { kind: 'Pod', name: r.name, namespace: w.namespace, uid: r.uid },
  });
  const ready = pods.filter((p) => p.ip && p.ready).map(addr);
  const notReady = pods.filter((p) => p.ip && !p.ready).map(addr);
  const subset: Record<string, unknown> = {};
  if (ready.length) subset.addresses = ready;
  if (notReady.length) subset.notReadyAddresses = notReady;
  subset.ports = epPorts;
  ctx.objects.push({
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: {
      name,
      namespace: w.namespace,
      creationTimestamp: ts(created),
      labels: { ...selectorLabels(w), ...(w.labels ?? {}) },
      annotations: { 'endpoints.kubernetes.io/last-change-trigger-time': ts(created) },
    },
    ...(ready.length || notReady.length ? { subsets: [subset] } : {}),
  });
}

function serviceIp(ctx: Ctx, seed: string): string {
  for (let i = 0; ; i++) {
    const h = createHash('sha256').update(`svc/${seed}/${i}`).digest();
    const ip = `10.43.${(h[0] as number) % 255}.${((h[1] as number) % 253) + 1}`;
    if (ip !== '10.43.0.1' && ip !== '10.43.0.10' && !ctx.serviceIps.has(ip)) {
      ctx.serviceIps.add(ip);
      return ip;
    }
  }
}
