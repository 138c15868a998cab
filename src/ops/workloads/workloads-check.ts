import { z } from 'zod';
import type { OpContext } from '../../core/op.js';
import { formatAge } from '../../core/schemas.js';
import type { ResourceRef } from '../../core/ports/kube.js';
import { ageMs, conditionSchema, metadataSchema, podSchema, type Pod } from '../shared/k8s.js';
import type { Finding } from '../shared/findings.js';
import { fix, type Fix } from '../shared/fix.js';
import { plural } from '../shared/format.js';
import { Reads } from '../shared/reads.js';
import type { Check, CheckReport } from '../shared/check.js';
import { podProblems } from '../cluster/pods-check.js';
import { compareText } from '../../core/compare.js';

/**
 * How long a StatefulSet's or DaemonSet's pod of a rollout may stay not ready before the rollout
 * is stuck: they have no progress deadline of their own, so a Deployment's default one (600 s).
 */
const STUCK_AFTER_MS = 600_000;
const REVISION = 'deployment.kubernetes.io/revision';

// The parts of apps/v1 Deployment, ReplicaSet, StatefulSet and DaemonSet read here.
const statusCounts = {
  observedGeneration: z.number().optional(),
  replicas: z.number().optional(),
  readyReplicas: z.number().optional(),
  availableReplicas: z.number().optional(),
  updatedReplicas: z.number().optional(),
  conditions: z.array(conditionSchema.extend({ lastUpdateTime: z.string().optional() })).optional(),
};
const deploymentSchema = z.looseObject({
  metadata: metadataSchema,
  spec: z.looseObject({ replicas: z.number().optional(), paused: z.boolean().optional() }).default({}),
  status: z.looseObject({ ...statusCounts, unavailableReplicas: z.number().optional() }).default({}),
});
const replicaSetSchema = z.looseObject({
  metadata: metadataSchema,
  status: z.looseObject({ replicas: z.number().optional(), readyReplicas: z.number().optional() }).default({}),
});
const statefulSetSchema = z.looseObject({
  metadata: metadataSchema,
  spec: z
    .looseObject({
      replicas: z.number().optional(),
      updateStrategy: z.looseObject({ type: z.string().optional(), rollingUpdate: z.looseObject({ partition: z.number().optional() }).optional() }).optional(),
    })
    .default({}),
  status: z.looseObject({ ...statusCounts, currentRevision: z.string().optional(), updateRevision: z.string().optional() }).default({}),
});
const daemonSetSchema = z.looseObject({
  metadata: metadataSchema,
  spec: z.looseObject({ updateStrategy: z.looseObject({ type: z.string().optional() }).optional() }).default({}),
  status: z
    .looseObject({
      observedGeneration: z.number().optional(),
      desiredNumberScheduled: z.number().optional(),
      numberReady: z.number().optional(),
      numberAvailable: z.number().optional(),
      numberUnavailable: z.number().optional(),
      updatedNumberScheduled: z.number().optional(),
      numberMisscheduled: z.number().optional(),
    })
    .default({}),
});

export const workloadKindSchema = z.enum(['Deployment', 'StatefulSet', 'DaemonSet']);
type WorkloadKind = z.infer<typeof workloadKindSchema>;

export const workloadStateSchema = z.object({
  kind: workloadKindSchema,
  namespace: z.string(),
  name: z.string(),
  state: z
    .enum(['stuck', 'unavailable', 'degraded', 'rolling out', 'paused'])
    .describe('stuck: a rollout that no longer progresses; unavailable: none ready; degraded: some not ready; rolling out: within its deadline'),
  desired: z.number().int(),
  ready: z.number().int(),
  updated: z.number().int().describe('Pods of the newest revision'),
  oldServing: z.number().int().optional().describe('Pods of older revisions still serving (Deployments: old ReplicaSets)'),
  reason: z.string().describe('ProgressDeadlineExceeded, RolloutStuck, Unavailable, ReplicasUnavailable, RollingOut, …; the finding of the same name says why'),
});
export type WorkloadState = z.infer<typeof workloadStateSchema>;

/** A workload's state, and why in words (said once: by its finding). */
type Judged = WorkloadState & { message: string };

export interface WorkloadsData {
  /** Every workload that is not fully rolled out and ready: stuck first. */
  workloads: WorkloadState[];
  /** How many of each kind were looked at. */
  counts: Record<WorkloadKind, number>;
}

export interface WorkloadsParams {
  namespace?: string;
}

/** A workload that is not fine, before its pods were read to say why. */
interface Suspect {
  state: Judged;
  /** Pods that belong to it (by owner) and which of them run the newest revision. */
  owns(pod: Pod): boolean;
  isNew(pod: Pod): boolean;
  /** Whether a newer revision is being rolled out (older pods still run). */
  rolling: boolean;
  /** Its rollout is stuck when a new pod made longer ago than this is not ready (StatefulSet, DaemonSet). */
  stuckIfNewPodNotReadyFor?: number;
}

const apps = (resource: string, namespace?: string): ResourceRef => ({ group: 'apps', version: 'v1', resource, ...(namespace ? { namespace } : {}) });
const ownedBy = (pod: Pod, kind: string, name: string) => Boolean(pod.metadata.ownerReferences?.some((o) => o.kind === kind && o.name === name));
const notReadySince = (pod: Pod) =>
  pod.status.conditions?.find((c) => c.type === 'Ready' && c.status !== 'True')?.lastTransitionTime ?? pod.metadata.creationTimestamp;

function deploymentSuspect(d: z.infer<typeof deploymentSchema>, replicaSets: ReadonlyArray<z.infer<typeof replicaSetSchema>>): Suspect | undefined {
  const ns = d.metadata.namespace ?? '';
  const desired = d.spec.replicas ?? 1;
  const { status } = d;
  const available = status.availableReplicas ?? 0;
  const updated = status.updatedReplicas ?? 0;
  const progressing = status.conditions?.find((c) => c.type === 'Progressing');
  const failure = status.conditions?.find((c) => c.type === 'ReplicaFailure' && c.status === 'True');
  const revision = d.metadata.annotations?.[REVISION];
  const mine = replicaSets.filter(
    (rs) => rs.metadata.namespace === ns && rs.metadata.ownerReferences?.some((o) => o.kind === 'Deployment' && o.name === d.metadata.name),
  );
  const current = mine.find((rs) => rs.metadata.annotations?.[REVISION] === revision);
  const old = mine.filter((rs) => rs !== current && (rs.status.replicas ?? 0) > 0);
  const oldServing = old.reduce((n, rs) => n + (rs.status.readyReplicas ?? 0), 0);
  const base = {
    kind: 'Deployment' as const,
    namespace: ns,
    name: d.metadata.name,
    desired,
    ready: status.readyReplicas ?? 0,
    updated,
    ...(old.length ? { oldServing } : {}),
  };
  const suspect = (state: WorkloadState['state'], reason: string, said: string): Suspect => ({
    state: { ...base, state, reason, message: said },
    owns: (pod) => mine.some((rs) => ownedBy(pod, 'ReplicaSet', rs.metadata.name)),
    isNew: (pod) => Boolean(current && ownedBy(pod, 'ReplicaSet', current.metadata.name)),
    rolling: old.length > 0 || updated < desired,
  });
  const oldWords = old.length
    ? `; the old ReplicaSet${old.length > 1 ? 's' : ''} ${old.map((rs) => rs.metadata.name).join(', ')} still serve${old.length > 1 ? '' : 's'} ${plural(oldServing, 'ready pod')}`
    : '';
  if (desired === 0 && !old.length) return undefined;
  if (failure) return suspect('stuck', failure.reason ?? 'ReplicaFailure', `${failure.message ?? 'the ReplicaSet cannot create pods'}${oldWords}`);
  if (progressing?.status === 'False' && progressing.reason === 'ProgressDeadlineExceeded') {
    return suspect(
      'stuck',
      'ProgressDeadlineExceeded',
      `${current ? `ReplicaSet ${current.metadata.name}` : 'the rollout'} made no progress within the deadline (since ${progressing.lastUpdateTime ?? progressing.lastTransitionTime ?? '?'})${oldWords}`,
    );
  }
  if (d.spec.paused && updated < desired)
    return suspect('paused', 'RolloutPaused', `the rollout is paused with ${updated} of ${desired} pods updated${oldWords}`);
  const rolling = progressing?.status === 'True' && progressing.reason === 'ReplicaSetUpdated';
  if (available < desired) {
    const state = available === 0 ? 'unavailable' : rolling ? 'rolling out' : 'degraded';
    return suspect(
      state,
      available === 0 ? 'Unavailable' : rolling ? 'RollingOut' : 'ReplicasUnavailable',
      `${available} of ${desired} replicas available${oldWords}`,
    );
  }
  if (old.length && !rolling) return suspect('stuck', 'OldReplicaSetServing', `the rollout is not progressing${oldWords}`);
  if (rolling || updated < desired) return suspect('rolling out', 'RollingOut', `${updated} of ${desired} pods updated${oldWords}`);
  return undefined;
}

function statefulSetSuspect(s: z.infer<typeof statefulSetSchema>): Suspect | undefined {
  const ns = s.metadata.namespace ?? '';
  const desired = s.spec.replicas ?? 1;
  const { status } = s;
  const ready = status.readyReplicas ?? 0;
  const onDelete = s.spec.updateStrategy?.type === 'OnDelete';
  const partition = s.spec.updateStrategy?.rollingUpdate?.partition ?? 0;
  const updated = status.updatedReplicas ?? 0;
  const rolling = !onDelete && Boolean(status.updateRevision && status.currentRevision !== status.updateRevision) && updated < desired - partition;
  if (ready >= desired && !rolling) return undefined;
  const state: Judged = {
    kind: 'StatefulSet',
    namespace: ns,
    name: s.metadata.name,
    desired,
    ready,
    updated,
    state: ready === 0 && desired > 0 ? 'unavailable' : rolling ? 'rolling out' : 'degraded',
    reason: ready === 0 && desired > 0 ? 'Unavailable' : rolling ? 'RollingOut' : 'ReplicasUnavailable',
    message: `${ready} of ${desired} ready${rolling ? `, ${updated} on revision ${status.updateRevision ?? '?'}${partition ? ` (partition ${partition})` : ''}` : ''}`,
  };
  return {
    state,
    owns: (pod) => ownedBy(pod, 'StatefulSet', s.metadata.name),
    isNew: (pod) => pod.metadata.labels?.['controller-revision-hash'] === status.updateRevision,
    rolling,
    ...(rolling ? { stuckIfNewPodNotReadyFor: STUCK_AFTER_MS } : {}),
  };
}

function daemonSetSuspect(ds: z.infer<typeof daemonSetSchema>): Suspect | undefined {
  const ns = ds.metadata.namespace ?? '';
  const { status } = ds;
  const desired = status.desiredNumberScheduled ?? 0;
  const available = status.numberAvailable ?? 0;
  const updated = status.updatedNumberScheduled ?? 0;
  const misscheduled = status.numberMisscheduled ?? 0;
  const rolling = ds.spec.updateStrategy?.type !== 'OnDelete' && updated < desired;
  if (available >= desired && !rolling && !misscheduled) return undefined;
  const generation = String(ds.metadata.generation ?? '');
  const state: Judged = {
    kind: 'DaemonSet',
    namespace: ns,
    name: ds.metadata.name,
    desired,
    ready: status.numberReady ?? 0,
    updated,
    state: available === 0 && desired > 0 ? 'unavailable' : rolling ? 'rolling out' : 'degraded',
    reason: available === 0 && desired > 0 ? 'Unavailable' : rolling ? 'RollingOut' : misscheduled ? 'Misscheduled' : 'ReplicasUnavailable',
    message: `${available} of ${desired} nodes have an available pod${rolling ? `, ${updated} updated` : ''}${misscheduled ? `; ${plural(misscheduled, 'pod')} on nodes it should not run on` : ''}`,
  };
  return {
    state,
    owns: (pod) => ownedBy(pod, 'DaemonSet', ds.metadata.name),
    // The controller still labels each pod with the template generation it was made from.
    isNew: (pod) => pod.metadata.labels?.['pod-template-generation'] === generation,
    rolling,
    ...(rolling ? { stuckIfNewPodNotReadyFor: STUCK_AFTER_MS } : {}),
  };
}

/** Deployments, StatefulSets and DaemonSets whose rollout is stuck or whose pods are not ready, and why. */
async function checkWorkloads(ctx: OpContext, params: WorkloadsParams): Promise<CheckReport<WorkloadsData>> {
  const { namespace } = params;
  const now = ctx.now();
  const reads = new Reads(ctx);
  const deployments: Array<z.infer<typeof deploymentSchema>> = [];
  const replicaSets: Array<z.infer<typeof replicaSetSchema>> = [];
  const statefulSets: Array<z.infer<typeof statefulSetSchema>> = [];
  const daemonSets: Array<z.infer<typeof daemonSetSchema>> = [];
  await Promise.all([
    reads.list({ ref: apps('deployments', namespace), kind: 'Deployment', schema: deploymentSchema }, (d) => deployments.push(d)),
    reads.list(
      { ref: apps('replicasets', namespace), kind: 'ReplicaSet', schema: replicaSetSchema, impact: 'old ReplicaSets still serving are not seen' },
      (rs) => replicaSets.push(rs),
    ),
    reads.list({ ref: apps('statefulsets', namespace), kind: 'StatefulSet', schema: statefulSetSchema }, (s) => statefulSets.push(s)),
    reads.list({ ref: apps('daemonsets', namespace), kind: 'DaemonSet', schema: daemonSetSchema }, (ds) => daemonSets.push(ds)),
  ]);
  const suspects = [
    ...deployments.map((d) => deploymentSuspect(d, replicaSets)),
    ...statefulSets.map(statefulSetSuspect),
    ...daemonSets.map(daemonSetSuspect),
  ].filter((s): s is Suspect => s !== undefined);

  // The pods say why: read only when something is not fine, from the namespaces concerned.
  const pods: Pod[] = [];
  if (suspects.length) {
    const where = new Set(suspects.map((s) => s.state.namespace));
    const refs: ResourceRef[] =
      namespace || where.size > 3
        ? [{ group: '', version: 'v1', resource: 'pods', ...(namespace ? { namespace } : {}) }]
        : [...where].map((ns) => ({ group: '', version: 'v1', resource: 'pods', namespace: ns }));
    await Promise.all(
      refs.map((ref) => reads.list({ ref, kind: 'Pod', schema: podSchema, impact: 'why their pods are not ready is not shown' }, (p) => pods.push(p))),
    );
  }

  const findings: Finding[] = [];
  const workloads: WorkloadState[] = [];
  for (const suspect of suspects) {
    const { state } = suspect;
    const mine = pods.filter((p) => p.metadata.namespace === state.namespace && suspect.owns(p) && p.status.phase !== 'Succeeded');
    const broken = mine.filter((p) => p.status.conditions?.find((c) => c.type === 'Ready')?.status !== 'True' || p.metadata.deletionTimestamp);
    // The pod that explains it: a new one that is not ready, else any that is not ready.
    const culprit = broken.find((p) => suspect.isNew(p)) ?? broken[0];
    const problem = culprit ? podProblems(culprit, now, ctx.config.health.restartWarn)[0] : undefined;
    const notReadyFor = culprit ? (ageMs(now, notReadySince(culprit)) ?? 0) : 0;
    // A rollout waits for each new pod to be ready: one made longer ago than the deadline that is not, stops it.
    const newFor = culprit && suspect.isNew(culprit) ? (ageMs(now, culprit.metadata.creationTimestamp) ?? 0) : 0;
    if (suspect.stuckIfNewPodNotReadyFor !== undefined && newFor > suspect.stuckIfNewPodNotReadyFor) {
      Object.assign(state, {
        state: 'stuck',
        reason: 'RolloutStuck',
        message: `the rollout waits for a new pod made ${formatAge(newFor / 1000)} ago that is not ready; ${state.message}`,
      });
    }
    if (culprit) {
      state.message += `; pod ${culprit.metadata.name}${suspect.rolling ? (suspect.isNew(culprit) ? ' (new revision)' : ' (old revision)') : ''} ${problem ? `${problem.reason}: ${problem.message}` : `not ready for ${formatAge(notReadyFor / 1000)}`}`;
    }
    const { message, ...listed } = state;
    workloads.push(listed);
    const severity = state.state === 'stuck' || state.state === 'unavailable' ? 'crit' : state.state === 'rolling out' ? undefined : 'warn';
    if (!severity) continue;
    // What explains it: the pod's own fix (its previous logs for a crash loop), else describing it.
    const remedy: Fix =
      problem?.fix ??
      fix(
        'k8s_describe',
        culprit ? { kind: 'pod', name: culprit.metadata.name, namespace: state.namespace } : { kind: state.kind, name: state.name, namespace: state.namespace },
      );
    findings.push({ severity, kind: state.kind, namespace: state.namespace, name: state.name, reason: state.reason, message, fix: remedy });
  }
  const order: Record<WorkloadState['state'], number> = { stuck: 0, unavailable: 1, degraded: 2, paused: 3, 'rolling out': 4 };
  workloads.sort((a, b) => order[a.state] - order[b.state] || compareText(a.namespace, b.namespace) || compareText(a.name, b.name));
  const counts = { Deployment: deployments.length, StatefulSet: statefulSets.length, DaemonSet: daemonSets.length };
  const scope = `${plural(counts.Deployment, 'Deployment')}, ${plural(counts.StatefulSet, 'StatefulSet')}, ${plural(counts.DaemonSet, 'DaemonSet')}`;
  const total = counts.Deployment + counts.StatefulSet + counts.DaemonSet;
  const note = total
    ? undefined
    : `no Deployments, StatefulSets or DaemonSets ${namespace ? `in namespace ${namespace}` : 'in any namespace'}: nothing to check`;
  return reads.report({
    installed: true,
    scope,
    note,
    findings: [...findings, ...reads.finish()],
    ...(namespace ? { subject: { kind: 'Namespace', name: namespace } } : {}),
    data: { workloads, counts },
  });
}

export const workloadsCheck: Check<WorkloadsParams, WorkloadsData> = {
  name: 'workloads',
  aliases: ['rollouts'],
  about: 'Deployments, StatefulSets and DaemonSets whose rollout is stuck or whose pods are not ready',
  rbac: [
    { apiGroup: 'apps', resource: 'deployments', verbs: ['list'] },
    { apiGroup: 'apps', resource: 'replicasets', verbs: ['list'] },
    { apiGroup: 'apps', resource: 'statefulsets', verbs: ['list'] },
    { apiGroup: 'apps', resource: 'daemonsets', verbs: ['list'] },
    { apiGroup: '', resource: 'pods', verbs: ['list'] },
  ],
  run: checkWorkloads,
};
