/**
 * Simulated add-on controllers, reacting to writes as the real ones react to watch events:
 *
 * - Flux (all *.toolkit.fluxcd.io kinds): a new `reconcile.fluxcd.io/requestedAt` annotation, a spec
 *   change (generation > observedGeneration) or a resume (`spec.suspend` true -> false/absent) is
 *   handled after `delays.flux` ms: `status.lastHandledReconcileAt` echoes the annotation,
 *   `observedGeneration` (status and conditions) follows the generation, and the Ready condition
 *   keeps its status, reason, message and lastTransitionTime: what failed still fails the same
 *   way. Suspended objects are left alone. OCI HelmRepositories are static (never reconciled).
 *   HelmRelease: `forceAt` / `resetAt` equal to `requestedAt` are echoed in lastHandledForceAt /
 *   lastHandledResetAt. helm-controller resets the failure counters when the generation changed
 *   since the last attempt (a resume changes spec.suspend, so it does) or on `resetAt`; a release
 *   stuck with retries exhausted then upgrades again, and here that upgrade succeeds: Ready=True
 *   UpgradeSucceeded, Stalled removed, counters 0, a new deployed history entry. A force also
 *   runs an upgrade.
 * - Jobs: a Job created through the API (no status yet, not suspended) gets its pod, Running, at
 *   once; after `delays.job` ms the pod has Succeeded and the Job is Complete. The CronJob that
 *   owns it (kubectl create job --from=cronjob/X) does not list it in status.active (it warns
 *   "UnexpectedJob"), but, as the real cronjob controller does for any succeeded child Job, moves
 *   status.lastSuccessfulTime to the Job's completionTime.
 * - ExternalSecrets: a labels/annotations change (e.g. `force-sync`) changes the
 *   "<generation>-<hash>" the controller compares with status.syncedResourceVersion; after
 *   `delays.externalSecret` ms a synced ExternalSecret gets a new refreshTime and
 *   syncedResourceVersion. Skipped for refreshPolicy CreatedOnce and for refreshInterval 0 with a
 *   Periodic policy once synced; a failing one stays failing, and its Warning event UpdateFailed
 *   (the provider's error) is repeated: count + 1, lastTimestamp now.
 */
import { syncedResourceVersion } from '../scenario/addons.js';
import { runningPod, type Controller, type ControllerHost } from './controllers.js';
import { releaseMessage } from '../scenario/gitops.js';
import { hashString, hex } from '../scenario/ids.js';
import type { ResourceDef } from '../apiserver/kinds.js';
import { rfc3339 } from '../apiserver/store.js';
import { parseDuration } from '../scenario/time.js';
import { clone, isRecord, type KubeObject, type OwnerReference } from '../apiserver/types.js';

export interface ControllerDelays {
  /** Flux reconcile after a requestedAt / resume (ms, default 300) */
  flux: number;
  /** a Job's pod runs this long before it succeeds (ms, default 500) */
  job: number;
  /** an ExternalSecret force-sync (ms, default 200) */
  externalSecret: number;
}
export const DEFAULT_DELAYS: ControllerDelays = { flux: 300, job: 500, externalSecret: 200 };

const REQUESTED = 'reconcile.fluxcd.io/requestedAt';
const FORCE = 'reconcile.fluxcd.io/forceAt';
const RESET = 'reconcile.fluxcd.io/resetAt';

const rec = (v: unknown): Record<string, unknown> => (isRecord(v) ? v : {});
const arr = (v: unknown): Record<string, unknown>[] => (Array.isArray(v) ? v.filter(isRecord) : []);
const delays = (host: ControllerHost): ControllerDelays => host.delays ?? DEFAULT_DELAYS;

// per host: controllers started again (a reset) begin with nothing pending
const pendingKeys = new WeakMap<ControllerHost, Set<string>>();
function once(host: ControllerHost, key: string, ms: number, fn: () => void): void {
  let set = pendingKeys.get(host);
  if (!set) {
    set = new Set();
    pendingKeys.set(host, set);
  }
  if (set.has(key)) return;
  set.add(key);
  host.after(ms, () => {
    set.delete(key);
    fn();
  });
}

// ---------------------------------------------------------------- Flux

function isFlux(r: ResourceDef): boolean {
  return r.group.endsWith('.toolkit.fluxcd.io');
}

function wantsReconcile(o: KubeObject, old: KubeObject | undefined): boolean {
  const spec = rec(o.spec);
  if (spec.suspend === true) return false;
  if (o.kind === 'HelmRepository' && spec.type === 'oci') return false;
  const st = rec(o.status);
  const ann = o.metadata.annotations ?? {};
  const requested = ann[REQUESTED];
  if (requested !== undefined && requested !== st.lastHandledReconcileAt) return true;
  if (old && rec(old.spec).suspend === true) return true; // resumed
  return (o.metadata.generation ?? 1) > Number(st.observedGeneration ?? 0) && old !== undefined;
}

/** set a condition the way fluxcd/pkg/runtime/conditions does: lastTransitionTime moves only when status flips */
function setCondition(
  conds: Record<string, unknown>[],
  c: { type: string; status: string; reason: string; message: string },
  gen: number,
  now: string,
): Record<string, unknown>[] {
  const prev = conds.find((x) => x.type === c.type);
  const next = {
    lastTransitionTime: prev && prev.status === c.status ? prev.lastTransitionTime : now,
    message: c.message,
    observedGeneration: gen,
    reason: c.reason,
    status: c.status,
    type: c.type,
  };
  return prev ? conds.map((x) => (x === prev ? next : x)) : [...conds, next];
}

function healRelease(o: KubeObject, status: Record<string, unknown>, gen: number, now: Date): void {
  const tpl = rec(rec(rec(o.spec).chart).spec);
  const history = arr(status.history);
  const last = history[0] ?? {};
  const chart = String(tpl.chart ?? last.chartName ?? o.metadata.name);
  const version = typeof tpl.version === 'string' && !/[*^~<>x]/.test(tpl.version) ? tpl.version : String(last.chartVersion ?? '0.1.0');
  const release = Number(last.version ?? 0) + 1;
  const ns = o.metadata.namespace ?? '';
  const name = o.metadata.name ?? '';
  const ts = rfc3339(now);
  const entry: Record<string, unknown> = {
    ...(last.appVersion ? { appVersion: last.appVersion } : {}),
    chartName: chart,
    chartVersion: version,
    configDigest: status.lastAttemptedConfigDigest ?? `sha256:${hex(`values/${ns}/${name}`, 64)}`,
    digest: `sha256:${hex(`release/${ns}/${name}/${release}`, 64)}`,
    firstDeployed: history[history.length - 1]?.firstDeployed ?? ts,
    lastDeployed: ts,
    name,
    namespace: ns,
    status: 'deployed',
    version: release,
  };
  const older = history.filter((h) => h.status === 'deployed').map((h) => ({ ...h, status: 'superseded' }));
  status.history = [entry, ...older].slice(0, 5);
  const msg = releaseMessage('upgrade', ns, name, release, chart, version);
  let conds = arr(status.conditions).filter((c) => c.type !== 'Stalled' && c.type !== 'Remediated' && c.type !== 'Reconciling');
  conds = setCondition(conds, { type: 'Ready', status: 'True', reason: 'UpgradeSucceeded', message: msg }, gen, ts);
  conds = setCondition(conds, { type: 'Released', status: 'True', reason: 'UpgradeSucceeded', message: msg }, gen, ts);
  status.conditions = conds;
  Object.assign(status, {
    failures: 0,
    installFailures: 0,
    upgradeFailures: 0,
    lastAttemptedGeneration: gen,
    lastAttemptedReleaseAction: 'upgrade',
    lastAttemptedReleaseActionDuration: '38.412s',
    lastAttemptedRevision: version,
  });
  for (const k of ['failures', 'installFailures', 'upgradeFailures']) if (status[k] === 0) delete status[k];
}

function reconcileFlux(host: ControllerHost, r: ResourceDef, ns: string | undefined, name: string): void {
  const o = host.store.get(r, ns, name);
  if (!o || rec(o.spec).suspend === true) return;
  const now = host.now();
  const gen = o.metadata.generation ?? 1;
  const status = clone(rec(o.status));
  const ann = o.metadata.annotations ?? {};
  const requested = ann[REQUESTED];
  if (requested !== undefined) status.lastHandledReconcileAt = requested;
  if (o.kind === 'HelmRelease') {
    const force = requested !== undefined && ann[FORCE] === requested && status.lastHandledForceAt !== requested;
    const reset = requested !== undefined && ann[RESET] === requested && status.lastHandledResetAt !== requested;
    if (force) status.lastHandledForceAt = requested;
    if (reset) status.lastHandledResetAt = requested;
    const changed = Number(status.lastAttemptedGeneration ?? gen) !== gen;
    const failing = arr(status.conditions).some((c) => (c.type === 'Ready' && c.status !== 'True') || (c.type === 'Stalled' && c.status === 'True'));
    if ((failing && (reset || changed)) || force) healRelease(o, status, gen, now);
    else status.lastAttemptedGeneration = gen;
  } else if (o.kind === 'Kustomization') {
    const h = arr(status.history)[0];
    if (h && arr(status.conditions).some((c) => c.type === 'Ready' && c.status === 'True')) {
      status.history = [
        { ...h, lastReconciled: rfc3339(now), lastReconciledDuration: '1.204815573s', totalReconciliations: Number(h.totalReconciliations ?? 0) + 1 },
        ...arr(status.history).slice(1),
      ];
    }
  } else if (o.kind === 'ImageRepository' && isRecord(status.lastScanResult) && arr(status.conditions).some((c) => c.type === 'Ready' && c.status === 'True')) {
    status.lastScanResult = { ...status.lastScanResult, scanTime: rfc3339(now) };
  } else if (o.kind === 'ImageUpdateAutomation') {
    status.lastAutomationRunTime = rfc3339(now);
  }
  status.conditions = arr(status.conditions).map((c) => ({ ...c, observedGeneration: gen }));
  status.observedGeneration = gen;
  host.store.put({ ...o, status });
}

export const fluxController: Controller = (c, host) => {
  if (c.type === 'DELETED' || !isFlux(c.resource)) return;
  if (!wantsReconcile(c.object, c.old)) return;
  const ns = c.object.metadata.namespace;
  const name = c.object.metadata.name ?? '';
  once(host, `flux/${c.resource.group}/${c.resource.plural}/${ns ?? ''}/${name}`, delays(host).flux, () => reconcileFlux(host, c.resource, ns, name));
};

// ---------------------------------------------------------------- Jobs

function event(host: ControllerHost, ns: string, involved: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string, component: string): void {
  const now = rfc3339(host.now());
  const name = `${involved.metadata.name ?? ''}.${hex(`${reason}/${involved.metadata.uid ?? ''}/${now}/${Math.random()}`, 16)}`;
  host.store.put({
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name, namespace: ns, creationTimestamp: now },
    count: 1,
    eventTime: null,
    firstTimestamp: now,
    lastTimestamp: now,
    message,
    reason,
    reportingComponent: component,
    reportingInstance: '',
    involvedObject: {
      apiVersion: involved.apiVersion,
      kind: involved.kind,
      name: involved.metadata.name,
      namespace: ns,
      resourceVersion: involved.metadata.resourceVersion,
      uid: involved.metadata.uid,
    },
    source: { component },
    type,
  });
}

function cronOwner(job: KubeObject): OwnerReference | undefined {
  return job.metadata.ownerReferences?.find((r) => r.controller && r.kind === 'CronJob' && r.apiVersion === 'batch/v1');
}

function startJob(host: ControllerHost, ns: string, name: string): void {
  const { store } = host;
  const job = store.get('jobs', ns, name);
  if (!job || (isRecord(job.status) && job.status.startTime)) return;
  const uid = job.metadata.uid ?? '';
  const spec = rec(job.spec);
  const tpl = clone(rec(spec.template));
  const selectorLabels = { 'batch.kubernetes.io/controller-uid': uid };
  const podLabels = {
    ...(rec(rec(tpl.metadata).labels) as Record<string, string>),
    ...selectorLabels,
    'batch.kubernetes.io/job-name': name,
    'controller-uid': uid,
    'job-name': name,
  };
  tpl.metadata = { ...rec(tpl.metadata), labels: podLabels };
  // the apiserver's defaults for a Job created without them
  const fullSpec = {
    backoffLimit: 6,
    completionMode: 'NonIndexed',
    completions: 1,
    manualSelector: false,
    parallelism: 1,
    podReplacementPolicy: 'TerminatingOrFailed',
    selector: { matchLabels: selectorLabels },
    suspend: false,
    ...spec,
    template: tpl,
  };
  const now = rfc3339(host.now());
  const podName = `${name}-${hashString(`${uid}/${now}`, 5)}`;
  const owner: OwnerReference = { apiVersion: 'batch/v1', kind: 'Job', name, uid, controller: true, blockOwnerDeletion: true };
  const pod = store.put(runningPod(store, host.now(), { template: tpl, namespace: ns, name: podName, generateName: `${name}-`, labels: podLabels, owner }));
  const started = store.put({
    ...job,
    metadata: { ...job.metadata, labels: { ...(job.metadata.labels ?? {}), ...podLabels } },
    spec: fullSpec,
    status: { active: 1, ready: 1, startTime: now, terminating: 0, uncountedTerminatedPods: {} },
  });
  event(host, ns, started, 'Normal', 'SuccessfulCreate', `Created pod: ${podName}`, 'job-controller');
  const cj = cronOwner(job);
  const cron = cj ? store.get('cronjobs', ns, cj.name) : undefined;
  if (cron && !arr(rec(cron.status).active).some((a) => a.uid === uid)) {
    event(host, ns, cron, 'Warning', 'UnexpectedJob', `Saw a job that the controller did not create or forgot: ${name}`, 'cronjob-controller');
  }
  host.after(delays(host).job, () => finishJob(host, ns, name, pod.metadata.name ?? ''));
}

function finishJob(host: ControllerHost, ns: string, name: string, podName: string): void {
  const { store } = host;
  const now = rfc3339(host.now());
  const pod = store.get('pods', ns, podName);
  if (pod) {
    const st = rec(pod.status);
    const cond = (type: string, status: string, reason?: string): Record<string, unknown> => ({
      lastProbeTime: null,
      lastTransitionTime: now,
      ...(reason ? { reason } : {}),
      status,
      type,
    });
    store.put({
      ...pod,
      status: {
        ...st,
        conditions: [
          cond('PodReadyToStartContainers', 'False'),
          cond('Initialized', 'True', 'PodCompleted'),
          cond('Ready', 'False', 'PodCompleted'),
          cond('ContainersReady', 'False', 'PodCompleted'),
          cond('PodScheduled', 'True'),
        ],
        containerStatuses: arr(st.containerStatuses).map((c) => ({
          ...c,
          ready: false,
          started: false,
          state: {
            terminated: {
              containerID: c.containerID,
              exitCode: 0,
              finishedAt: now,
              reason: 'Completed',
              startedAt: rec(rec(c.state).running).startedAt ?? now,
            },
          },
        })),
        phase: 'Succeeded',
      },
    });
  }
  const job = store.get('jobs', ns, name);
  if (!job) return;
  const st = rec(job.status);
  const cond = (type: string): Record<string, unknown> => ({
    lastProbeTime: now,
    lastTransitionTime: now,
    message: 'Reached expected number of succeeded pods',
    reason: 'CompletionsReached',
    status: 'True',
    type,
  });
  const done = store.put({
    ...job,
    status: {
      completionTime: now,
      conditions: [cond('SuccessCriteriaMet'), cond('Complete')],
      ready: 0,
      startTime: st.startTime ?? now,
      succeeded: 1,
      terminating: 0,
      uncountedTerminatedPods: {},
    },
  });
  event(host, ns, done, 'Normal', 'Completed', 'Job completed', 'job-controller');
  const cj = cronOwner(job);
  const cron = cj ? store.get('cronjobs', ns, cj.name) : undefined;
  if (cron && cron.metadata.uid === cj?.uid) {
    const cst = rec(cron.status);
    if (!cst.lastSuccessfulTime || Date.parse(String(cst.lastSuccessfulTime)) < Date.parse(now))
      store.put({ ...cron, status: { ...cst, lastSuccessfulTime: now } });
  }
}

export const jobController: Controller = (c, host) => {
  if (c.type !== 'ADDED' || c.resource.group !== 'batch' || c.resource.plural !== 'jobs') return;
  const job = c.object;
  if ((isRecord(job.status) && job.status.startTime) || rec(job.spec).suspend === true) return;
  const ns = job.metadata.namespace ?? '';
  const name = job.metadata.name ?? '';
  once(host, `job/${ns}/${name}`, 20, () => startJob(host, ns, name));
};

// ---------------------------------------------------------------- ExternalSecrets

function shouldRefresh(o: KubeObject): boolean {
  const spec = rec(o.spec);
  const st = rec(o.status);
  const synced = typeof st.syncedResourceVersion === 'string';
  if (spec.refreshPolicy === 'CreatedOnce' && synced) return false;
  const interval = parseDuration(String(spec.refreshInterval ?? '1h')) ?? 3_600_000;
  if (spec.refreshPolicy !== 'OnChange' && interval <= 0 && synced) return false;
  return st.syncedResourceVersion !== syncedResourceVersion(o);
}

/**
 * ESO's markAsFailed: a Warning event UpdateFailed with the provider's error. client-go's recorder
 * aggregates a repeat of the same event into the existing one (count + 1, lastTimestamp now).
 */
function providerFailed(host: ControllerHost, es: KubeObject): void {
  const ns = es.metadata.namespace ?? '';
  const uid = es.metadata.uid;
  const previous = host.store
    .list('events', ns)
    .filter((e) => e.reason === 'UpdateFailed' && rec(e.involvedObject).uid === uid)
    .sort((a, b) => String(b.lastTimestamp ?? '').localeCompare(String(a.lastTimestamp ?? '')))[0];
  if (!previous) {
    event(host, ns, es, 'Warning', 'UpdateFailed', 'could not get secret data from provider', 'external-secrets');
    return;
  }
  host.store.put({ ...previous, count: (typeof previous.count === 'number' ? previous.count : 1) + 1, lastTimestamp: rfc3339(host.now()) });
}

export const externalSecretController: Controller = (c, host) => {
  if (c.type !== 'MODIFIED' || c.resource.group !== 'external-secrets.io' || c.resource.plural !== 'externalsecrets') return;
  if (!shouldRefresh(c.object)) return;
  const ns = c.object.metadata.namespace;
  const name = c.object.metadata.name ?? '';
  once(host, `es/${ns ?? ''}/${name}`, delays(host).externalSecret, () => {
    const o = host.store.get(c.resource, ns, name);
    if (!o || !shouldRefresh(o)) return;
    const st = rec(o.status);
    if (!arr(st.conditions).some((x) => x.type === 'Ready' && x.status === 'True')) {
      // the provider still fails: status stays as it is, and the recorder repeats its Warning event
      providerFailed(host, o);
      return;
    }
    host.store.put({ ...o, status: { ...st, refreshTime: rfc3339(host.now()), syncedResourceVersion: syncedResourceVersion(o) } });
  });
};

export const OPERATOR_CONTROLLERS: Controller[] = [fluxController, jobController, externalSecretController];
