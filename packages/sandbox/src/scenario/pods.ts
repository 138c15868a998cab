/** One Pod as the kubelet reports it: spec with defaults, container statuses, conditions, logs and usage. */
import { podIp, podSpecBase, qosClass, ts, type Ctx, type PodPlan, type PodResult } from './expand-context.js';
import { hashString, hex, uidFor } from './ids.js';
import { timeLines } from '../apiserver/logs.js';
import { parseQuantity } from './quantity.js';
import { resolveTime } from './time.js';
import type { KubeObject } from '../apiserver/types.js';

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

export function buildPod(ctx: Ctx, p: PodPlan): PodResult {
  const { w, override: ov } = p;
  const started = ov?.started ? resolveTime(ov.started, ctx.now) : p.started;
  const uid = uidFor(`pod/${p.namespace}/${p.name}`);
  const scheduled = !ov?.unschedulable;
  const node = scheduled ? (ov?.node ?? p.node) : undefined;
  const nodeSpec = node ? ctx.nodes.get(node)?.spec : undefined;
  if (node && !nodeSpec) throw new Error(`scenario: pod ${p.namespace}/${p.name} placed on unknown node ${node}`);
  const ip = node ? (w.hostNetwork ? nodeSpec?.ip : podIp(ctx, node)) : undefined;
  const kubeApiVol = `kube-api-access-${hashString(`${p.name}/vol`, 5)}`;
  const spec: Record<string, unknown> = podSpecBase(w);
  spec.containers = (spec.containers as Record<string, unknown>[]).map((c) => ({
    ...c,
    volumeMounts: [
      ...((c.volumeMounts as unknown[] | undefined) ?? []),
      { mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', name: kubeApiVol, readOnly: true },
    ],
  }));
  Object.assign(spec, {
    enableServiceLinks: true,
    preemptionPolicy: 'PreemptLowerPriority',
    priority: 0,
    serviceAccount: w.serviceAccount ?? 'default',
    serviceAccountName: w.serviceAccount ?? 'default',
    tolerations: [
      { effect: 'NoExecute', key: 'node.kubernetes.io/not-ready', operator: 'Exists', tolerationSeconds: 300 },
      { effect: 'NoExecute', key: 'node.kubernetes.io/unreachable', operator: 'Exists', tolerationSeconds: 300 },
    ],
    volumes: [
      ...((spec.volumes as unknown[] | undefined) ?? []),
      {
        name: kubeApiVol,
        projected: {
          defaultMode: 420,
          sources: [
            { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
            { configMap: { items: [{ key: 'ca.crt', path: 'ca.crt' }], name: 'kube-root-ca.crt' } },
            { downwardAPI: { items: [{ fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' }, path: 'namespace' }] } },
          ],
        },
      },
    ],
    ...(p.extraSpec ?? {}),
  });
  if (node) spec.nodeName = node;

  const containerStatuses: Record<string, unknown>[] = [];
  let allReady = true;
  let anyWaiting = false;
  let anyRunning = false;
  const notReady: string[] = [];
  const usage: { name: string; cpu: number; memory: number }[] = [];
  w.containers.forEach((c, ci) => {
    const o = ov?.containers?.[c.name];
    const cid = `containerd://${hex(`cid/${p.name}/${c.name}`, 64)}`;
    const restarts = o?.restarts ?? (o?.lastTerminated ? 1 : 0);
    const image = fullImage(c.image);
    const status: Record<string, unknown> = { containerID: cid, image, imageID: imageId(c.image) };
    let ready: boolean;
    let state: Record<string, unknown>;
    let startedFlag: boolean;
    const runningSince = o?.runningSince ? resolveTime(o.runningSince, ctx.now) : new Date(started.getTime() + 3000 + ci * 1000);
    if (p.job) {
      const finishedAt = p.job.finished;
      state = {
        terminated: {
          containerID: cid,
          exitCode: p.job.succeeded ? 0 : 1,
          finishedAt: ts(finishedAt),
          reason: p.job.succeeded ? 'Completed' : 'Error',
          startedAt: ts(runningSince),
        },
      };
      ready = false;
      startedFlag = false;
    } else if (o?.waiting) {
      const reason = o.waiting.reason;
      const message =
        o.waiting.message ??
        (reason === 'CrashLoopBackOff'
          ? `back-off 5m0s restarting failed container=${c.name} pod=${p.name}_${p.namespace}(${uid})`
          : reason === 'ImagePullBackOff'
            ? `Back-off pulling image "${c.image}"`
            : undefined);
      state = { waiting: { ...(message ? { message } : {}), reason } };
      ready = false;
      startedFlag = false;
      anyWaiting = true;
      if (reason === 'ImagePullBackOff' || reason === 'ErrImagePull') {
        delete status.containerID;
        status.imageID = '';
        status.image = c.image;
      }
    } else {
      state = { running: { startedAt: ts(runningSince) } };
      ready = o?.ready ?? true;
      startedFlag = true;
      anyRunning = true;
      usage.push({
        name: c.name,
        cpu: o?.usage ? parseQuantity(o.usage.cpu) : c.usage ? parseQuantity(c.usage.cpu) : 0.001 + ctx.rnd(`${p.name}/${c.name}/cpu`) * 0.02,
        memory: o?.usage
          ? parseQuantity(o.usage.memory)
          : c.usage
            ? parseQuantity(c.usage.memory)
            : (12 + ctx.rnd(`${p.name}/${c.name}/mem`) * 90) * 1024 * 1024,
      });
    }
    if (!ready && !p.job) {
      allReady = false;
      notReady.push(c.name);
    }
    const last = o?.lastTerminated;
    const lastState = last
      ? {
          terminated: {
            containerID: `containerd://${hex(`cid-prev/${p.name}/${c.name}`, 64)}`,
            exitCode: last.exitCode,
            finishedAt: ts(resolveTime(last.finishedAt, ctx.now)),
            ...(last.message ? { message: last.message } : {}),
            reason: last.reason,
            startedAt: ts(resolveTime(last.startedAt, ctx.now)),
          },
        }
      : {};
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
      const [from, to] = 'waiting' in state ? [new Date(lastFrom.getTime() - span - 300_000), new Date(lastFrom.getTime() - 300_000)] : [lastFrom, lastTo];
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
    lastProbeTime: null,
    lastTransitionTime: tr(when),
    ...(message ? { message } : {}),
    ...(reason ? { reason } : {}),
    status: ok ? 'True' : 'False',
    type,
  });
  let conditions: Record<string, unknown>[];
  const readyAt = new Date(started.getTime() + 8000);
  if (!scheduled) {
    conditions = [cond('PodScheduled', false, started, 'Unschedulable', ov?.unschedulable)];
  } else if (p.job) {
    const fin = p.job.finished;
    conditions = [
      cond('PodReadyToStartContainers', false, fin),
      cond('Initialized', true, started, 'PodCompleted'),
      cond('Ready', false, fin, 'PodCompleted'),
      cond('ContainersReady', false, fin, 'PodCompleted'),
      cond('PodScheduled', true, started),
    ];
  } else {
    const lastChange =
      w.containers
        .map((c) => ov?.containers?.[c.name])
        .filter((o) => o?.lastTerminated)
        .map((o) => resolveTime(o?.lastTerminated?.finishedAt ?? 'now', ctx.now))[0] ?? readyAt;
    const msg = `containers with unready status: [${notReady.join(' ')}]`;
    conditions = [
      cond('PodReadyToStartContainers', true, new Date(started.getTime() + 2000)),
      cond('Initialized', true, started),
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
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: p.name,
      ...(p.w.kind === 'StatefulSet' ? {} : { generateName: p.name.slice(0, p.name.lastIndexOf('-') + 1) }),
      namespace: p.namespace,
      uid,
      creationTimestamp: ts(started),
      labels: p.labels,
      ...(Object.keys(annotations).length ? { annotations } : {}),
      ownerReferences: [p.owner],
    },
    spec,
    status,
  };
  ctx.objects.push(pod);
  const key = `${p.namespace}/${p.w.name}`;
  ctx.podsOf.set(key, [...(ctx.podsOf.get(key) ?? []), p.name]);
  return { ready: scheduled && allReady && !p.job, available: scheduled && allReady && !p.job, name: p.name, ip, node, uid };
}

function sortKeys(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));
}
