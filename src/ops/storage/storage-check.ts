import { z } from 'zod';
import type { OpContext } from '../../core/op.js';
import { mapBounded } from '../../core/bounded.js';
import { formatAge } from '../../core/schemas.js';
import type { ResourceRef } from '../../core/ports/kube.js';
import { ageMs, conditionSchema, eventSchema, metadataSchema } from '../shared/k8s.js';
import { eventLastSeen } from '../shared/events.js';
import type { Finding } from '../shared/findings.js';
import { fix } from '../shared/fix.js';
import { formatBytes, plural } from '../shared/format.js';
import { Reads } from '../shared/reads.js';
import type { Check, CheckReport } from '../shared/check.js';
import { compareText } from '../../core/compare.js';

/** Percent of a volume used at which it is reported: the same as `nas df`'s. */
export const DEFAULT_WARN_PERCENT = 85;
export const DEFAULT_CRIT_PERCENT = 95;
/** A claim may wait this long for its provisioner before it is a problem. */
const PENDING_GRACE_MS = 2 * 60_000;
/** Kubelets asked at once for their volume use. */
const KUBELETS_PARALLEL = 4;
/** A claim's row names at most this many of the pods that mount it. */
const MAX_PODS = 5;
/** Controllers' words are quoted up to this many characters (what follows is mostly boilerplate). */
const QUOTE_MAX = 100;
const cut = (text: string) => (text.length > QUOTE_MAX ? `${text.slice(0, QUOTE_MAX - 1)}…` : text);

const DEFAULT_CLASS = ['storageclass.kubernetes.io/is-default-class', 'storageclass.beta.kubernetes.io/is-default-class'];
/** The provisioner of classes whose volumes are made by hand (static local volumes). */
const NO_PROVISIONER = 'kubernetes.io/no-provisioner';
/** The phases of a PersistentVolume that are a finding. */
const VOLUME_PROBLEMS = new Set(['Released', 'Failed']);

// The parts of core/v1 PersistentVolumeClaim and PersistentVolume, and storage.k8s.io/v1 StorageClass, read here.
const claimSchema = z.looseObject({
  metadata: metadataSchema,
  spec: z
    .looseObject({
      storageClassName: z.string().nullish(),
      volumeName: z.string().optional(),
      accessModes: z.array(z.string()).optional(),
      resources: z.looseObject({ requests: z.record(z.string(), z.string()).optional() }).optional(),
    })
    .default({}),
  status: z
    .looseObject({
      phase: z.string().optional(),
      capacity: z.record(z.string(), z.string()).optional(),
      accessModes: z.array(z.string()).optional(),
      conditions: z.array(conditionSchema).optional(),
    })
    .default({}),
});
const volumeSchema = z.looseObject({
  metadata: metadataSchema,
  spec: z
    .looseObject({
      capacity: z.record(z.string(), z.string()).optional(),
      accessModes: z.array(z.string()).optional(),
      claimRef: z.looseObject({ namespace: z.string().optional(), name: z.string().optional() }).optional(),
      persistentVolumeReclaimPolicy: z.string().optional(),
      storageClassName: z.string().optional(),
    })
    .default({}),
  status: z
    .looseObject({
      phase: z.string().optional(),
      message: z.string().optional(),
      reason: z.string().optional(),
      lastPhaseTransitionTime: z.string().optional(),
    })
    .default({}),
});
const classSchema = z.looseObject({
  metadata: metadataSchema,
  provisioner: z.string(),
  volumeBindingMode: z.string().optional(),
  reclaimPolicy: z.string().optional(),
});
const mountingPodSchema = z.looseObject({
  metadata: metadataSchema,
  spec: z
    .looseObject({
      nodeName: z.string().optional(),
      volumes: z.array(z.looseObject({ name: z.string(), persistentVolumeClaim: z.looseObject({ claimName: z.string() }).optional() })).optional(),
    })
    .default({}),
  status: z.looseObject({ phase: z.string().optional(), conditions: z.array(conditionSchema).optional() }).default({}),
});
/** The kubelet's stats/v1alpha1 Summary: each pod's volumes, with the claim a volume comes from. */
const summarySchema = z.looseObject({
  pods: z
    .array(
      z.looseObject({
        volume: z
          .array(
            z.looseObject({
              capacityBytes: z.number().optional(),
              usedBytes: z.number().optional(),
              availableBytes: z.number().optional(),
              inodes: z.number().optional(),
              inodesUsed: z.number().optional(),
              pvcRef: z.looseObject({ name: z.string(), namespace: z.string() }).optional(),
            }),
          )
          .nullish(),
      }),
    )
    .nullish(),
});

export const volumeUseSchema = z.object({
  usedBytes: z.number(),
  capacityBytes: z.number(),
  percent: z.number().int(),
  inodesPercent: z.number().int().optional(),
});

export const claimStateSchema = z.object({
  namespace: z.string(),
  name: z.string(),
  phase: z.string().describe('Bound, Pending or Lost'),
  capacity: z.string().optional().describe('What it got (Bound), else what it asks for'),
  storageClass: z.string().optional(),
  accessModes: z.string().describe('RWO, ROX, RWX, RWOP'),
  pods: z.array(z.string()).describe('Pods that mount it (at most 5 named)'),
  use: volumeUseSchema.optional().describe('How full its volume is, from the kubelet (storage.kubeletStats)'),
  why: z.string().optional().describe('Why it is not Bound'),
});
export type ClaimState = z.infer<typeof claimStateSchema>;

export const volumeStateSchema = z.object({
  name: z.string(),
  phase: z.string().describe('Available, Released or Failed'),
  capacity: z.string().optional(),
  claim: z.string().optional().describe('NAMESPACE/NAME of the claim it was bound to'),
});
export type VolumeState = z.infer<typeof volumeStateSchema>;

export const volumeUseStateSchema = z.object({
  read: z.boolean().describe('Whether the kubelets were asked how full the volumes are'),
  note: z.string().optional(),
});

export interface StorageData {
  /** Every claim: problems first, then by namespace and name. */
  claims: ClaimState[];
  /** Volumes that are not Bound (Available, Released, Failed). */
  volumes: VolumeState[];
  volumesTotal: number;
  volumeUse: z.infer<typeof volumeUseStateSchema>;
}

export interface StorageParams {
  namespace?: string;
  warnPercent?: number;
  critPercent?: number;
}

type Claim = z.infer<typeof claimSchema>;
type StorageClass = z.infer<typeof classSchema>;
type MountingPod = z.infer<typeof mountingPodSchema>;

const core = (resource: string, namespace?: string): ResourceRef => ({ group: '', version: 'v1', resource, ...(namespace ? { namespace } : {}) });
const SHORT_MODES: Record<string, string> = { ReadWriteOnce: 'RWO', ReadOnlyMany: 'ROX', ReadWriteMany: 'RWX', ReadWriteOncePod: 'RWOP' };
const shortModes = (modes: readonly string[] | undefined) => (modes ?? []).map((m) => SHORT_MODES[m] ?? m).join(',');
const isDefaultClass = (c: StorageClass) => DEFAULT_CLASS.some((a) => c.metadata.annotations?.[a] === 'true');
/** Events that only say the claim waits, in words the finding already has. */
const WAITING_EVENTS = new Set(['ExternalProvisioning', 'WaitForFirstConsumer', 'WaitForPodScheduled', 'Provisioning']);

/**
 * Why a claim is still Pending, as a finding (undefined: waiting is normal, e.g. for its first pod).
 * From the objects: the class it names (missing, without provisioner, WaitForFirstConsumer), the
 * pods that mount it; and the PV controller's newest event about it, which says the rest.
 */
function pendingProblem(
  claim: Claim,
  classes: ReadonlyMap<string, StorageClass>,
  pods: readonly MountingPod[],
  event: string | undefined,
  now: Date,
): { why: string; finding?: Omit<Finding, 'kind' | 'namespace' | 'name'> } {
  const age = ageMs(now, claim.metadata.creationTimestamp) ?? Infinity;
  const waiting = pods.length ? 'crit' : 'warn';
  const asked = claim.spec.storageClassName;
  if (asked === '')
    return {
      why: 'no class (storageClassName ""): only a PersistentVolume made by hand binds it',
      finding: {
        severity: waiting,
        reason: 'NoVolume',
        message: 'it asks for no storage class, so only a matching PersistentVolume made by hand can bind it, and none does',
      },
    };
  if (asked === undefined || asked === null) {
    // A default class made after the claim is given to it by the PV controller from Kubernetes 1.28 (retroactive default StorageClass assignment).
    const fallback = [...classes.values()].find(isDefaultClass);
    if (fallback) {
      return {
        why: `no storage class; ${fallback.metadata.name} is the default now`,
        finding: {
          severity: waiting,
          reason: 'NoStorageClass',
          message: `it names no storage class and none was the default when it was made; ${fallback.metadata.name} is now, and Kubernetes 1.28 or later gives it to the claim: on an older cluster, make the claim again`,
        },
      };
    }
    return {
      why: 'no storage class, and none is the default',
      finding: {
        severity: waiting,
        reason: 'NoStorageClass',
        message: 'it names no storage class and no StorageClass is the default, so nothing provisions a volume for it',
      },
    };
  }
  const cls = classes.get(asked);
  if (!cls) {
    return {
      why: `no StorageClass "${asked}"`,
      finding: {
        severity: waiting,
        reason: 'NoSuchStorageClass',
        message: `its storage class "${asked}" does not exist (${classes.size ? `there are: ${[...classes.keys()].join(', ')}` : 'there are none'})`,
      },
    };
  }
  if (cls.provisioner === NO_PROVISIONER) {
    return {
      why: `${asked} has no provisioner`,
      finding: {
        severity: waiting,
        reason: 'NoProvisioner',
        message: `StorageClass ${asked} has no provisioner (${NO_PROVISIONER}): a PersistentVolume must be made by hand, and none matches it`,
      },
    };
  }
  if (cls.volumeBindingMode === 'WaitForFirstConsumer') {
    if (!pods.length) return { why: 'waits for a pod to use it (WaitForFirstConsumer)' };
    const pod = pods[0] as MountingPod;
    const scheduled = pod.status.conditions?.find((c) => c.type === 'PodScheduled');
    if (scheduled?.status !== 'False' && age < PENDING_GRACE_MS) return { why: `pod ${pod.metadata.name} is being scheduled (WaitForFirstConsumer)` };
    return {
      why: `waits for pod ${pod.metadata.name} to be scheduled (WaitForFirstConsumer)`,
      finding: {
        severity: 'crit',
        reason: 'WaitingForPod',
        message: `it is provisioned only once pod ${pod.metadata.name} is scheduled, and it is not${scheduled?.message ? `: ${cut(scheduled.message)}` : ''}`,
      },
    };
  }
  if (age < PENDING_GRACE_MS) return { why: `being provisioned by ${cls.provisioner}` };
  return {
    why: `not provisioned by ${cls.provisioner}`,
    finding: {
      severity: waiting,
      reason: 'NotProvisioned',
      message: `pending for ${formatAge(age / 1000)}: ${cls.provisioner} has not made its volume${event ? `; the PV controller says: ${event}` : ' (is the provisioner running?)'}`,
    },
  };
}

/** Claims, their volumes and classes, which pods mount them, and (when the config allows) how full they are. */
async function checkStorage(ctx: OpContext, params: StorageParams): Promise<CheckReport<StorageData>> {
  const { namespace } = params;
  const warnPercent = params.warnPercent ?? DEFAULT_WARN_PERCENT;
  const critPercent = params.critPercent ?? DEFAULT_CRIT_PERCENT;
  const now = ctx.now();
  const reads = new Reads(ctx);
  const claims: Claim[] = [];
  const volumes: Array<z.infer<typeof volumeSchema>> = [];
  const classes = new Map<string, StorageClass>();
  const pods: MountingPod[] = [];
  await Promise.all([
    reads.list({ ref: core('persistentvolumeclaims', namespace), kind: 'PersistentVolumeClaim', schema: claimSchema }, (c) => claims.push(c)),
    reads.list({ ref: core('persistentvolumes'), kind: 'PersistentVolume', schema: volumeSchema, impact: 'Released and Failed volumes are not shown' }, (v) =>
      volumes.push(v),
    ),
    reads.list(
      {
        ref: { group: 'storage.k8s.io', version: 'v1', resource: 'storageclasses' },
        kind: 'StorageClass',
        schema: classSchema,
        impact: 'why claims are pending is not known',
      },
      (c) => classes.set(c.metadata.name, c),
    ),
    reads.list({ ref: core('pods', namespace), kind: 'Pod', schema: mountingPodSchema, impact: 'the pods that mount each claim are not shown' }, (p) =>
      pods.push(p),
    ),
  ]);
  const findings: Finding[] = [];
  const mountedBy = new Map<string, MountingPod[]>();
  for (const pod of pods) {
    if (pod.status.phase === 'Succeeded' || pod.status.phase === 'Failed') continue;
    for (const v of pod.spec.volumes ?? []) {
      if (!v.persistentVolumeClaim) continue;
      const key = `${pod.metadata.namespace ?? ''}/${v.persistentVolumeClaim.claimName}`;
      mountedBy.set(key, [...(mountedBy.get(key) ?? []), pod]);
    }
  }

  // What the PV controller said about claims that are not bound: its newest event for each.
  const pending = claims.filter((c) => c.status.phase === 'Pending');
  const said = new Map<string, { message: string; at: number }>();
  if (pending.length) {
    await reads.list(
      {
        ref: core('events', namespace),
        kind: 'Event',
        schema: eventSchema,
        options: { fieldSelector: 'involvedObject.kind=PersistentVolumeClaim' },
        impact: 'what the PV controller said about pending claims is not shown',
      },
      (e) => {
        const key = `${e.involvedObject.namespace ?? e.metadata.namespace ?? ''}/${e.involvedObject.name ?? ''}`;
        const at = Date.parse(eventLastSeen(e) ?? '') || 0;
        if ((said.get(key)?.at ?? -1) < at) said.set(key, { message: WAITING_EVENTS.has(e.reason ?? '') ? '' : cut((e.message ?? '').trim()), at });
      },
    );
  }

  // How full each bound claim's volume is, from the kubelet of each node that mounts one (opt-in).
  const use = new Map<string, z.infer<typeof volumeUseSchema>>();
  let volumeUse: StorageData['volumeUse'] = {
    read: false,
    note: 'volume use not read: set storage.kubeletStats: true (it needs get on nodes/proxy, a privilege: deploy/overlays/kubelet-stats)',
  };
  if (ctx.config.storage.kubeletStats) {
    const nodes = [
      ...new Set(
        claims
          .filter((c) => c.status.phase === 'Bound')
          .flatMap((c) =>
            (mountedBy.get(`${c.metadata.namespace ?? ''}/${c.metadata.name}`) ?? []).filter((p) => p.status.phase === 'Running').map((p) => p.spec.nodeName),
          )
          .filter((n): n is string => Boolean(n)),
      ),
    ].sort();
    const answered = await mapBounded(nodes, KUBELETS_PARALLEL, (node) =>
      reads.attempt(
        `kubelet of node ${node}`,
        { group: '', version: 'v1', resource: 'nodes/proxy' },
        () => ctx.kube.kubeletSummary(node),
        `how full the volumes on node ${node} are is not shown`,
      ),
    );
    for (const summary of answered) {
      const parsed = summarySchema.safeParse(summary);
      if (!parsed.success) continue;
      for (const pod of parsed.data.pods ?? []) {
        for (const v of pod.volume ?? []) {
          if (!v.pvcRef || !v.capacityBytes || v.usedBytes === undefined) continue;
          const inodesPercent = v.inodes ? Math.ceil(((v.inodesUsed ?? 0) * 100) / v.inodes) : undefined;
          use.set(`${v.pvcRef.namespace}/${v.pvcRef.name}`, {
            usedBytes: v.usedBytes,
            capacityBytes: v.capacityBytes,
            percent: Math.min(100, Math.ceil((v.usedBytes * 100) / v.capacityBytes)),
            ...(inodesPercent !== undefined ? { inodesPercent } : {}),
          });
        }
      }
    }
    const failed = answered.filter((a) => a === undefined).length;
    volumeUse = {
      read: true,
      ...(failed
        ? { note: `${plural(failed, 'kubelet')} of ${nodes.length} could not be asked (see findings)` }
        : !nodes.length
          ? { note: 'no running pod mounts a bound claim: no volume to measure' }
          : {}),
    };
  }

  const states: Array<{ state: ClaimState; problem: boolean }> = claims.map((claim) => {
    const ns = claim.metadata.namespace ?? '';
    const key = `${ns}/${claim.metadata.name}`;
    const mounting = mountedBy.get(key) ?? [];
    const phase = claim.status.phase ?? 'Pending';
    const state: ClaimState = {
      namespace: ns,
      name: claim.metadata.name,
      phase,
      capacity: claim.status.capacity?.storage ?? claim.spec.resources?.requests?.storage,
      ...(claim.spec.storageClassName ? { storageClass: claim.spec.storageClassName } : {}),
      accessModes: shortModes(claim.status.accessModes ?? claim.spec.accessModes),
      pods: mounting.slice(0, MAX_PODS).map((p) => p.metadata.name),
    };
    const add = (f: Omit<Finding, 'kind' | 'namespace' | 'name'>) =>
      findings.push({
        kind: 'PersistentVolumeClaim',
        namespace: ns,
        name: claim.metadata.name,
        fix: fix('k8s_describe', { kind: 'pvc', name: claim.metadata.name, namespace: ns }),
        ...f,
      });
    const before = findings.length;
    if (phase === 'Pending') {
      const { why, finding } = pendingProblem(claim, classes, mounting, said.get(key)?.message || undefined, now);
      state.why = why;
      if (finding) add(finding);
    } else if (phase === 'Lost') {
      state.why = `its volume ${claim.spec.volumeName ?? ''} is gone`.trim();
      add({
        severity: 'crit',
        reason: 'ClaimLost',
        message: `its PersistentVolume ${claim.spec.volumeName ?? ''} no longer exists: the data it held is not reachable${mounting.length ? ` by ${mounting.map((p) => p.metadata.name).join(', ')}` : ''}`,
      });
    }
    const used = use.get(key);
    if (used) {
      state.use = used;
      const free = `${formatBytes(Math.max(0, used.capacityBytes - used.usedBytes))} free of ${formatBytes(used.capacityBytes)}`;
      if (used.percent >= critPercent) add({ severity: 'crit', reason: 'VolumeFull', message: `${used.percent}% used, ${free} (crit at ${critPercent}%)` });
      else if (used.percent >= warnPercent)
        add({ severity: 'warn', reason: 'VolumeFilling', message: `${used.percent}% used, ${free} (warn at ${warnPercent}%)` });
      if (used.inodesPercent !== undefined && used.inodesPercent >= critPercent)
        add({ severity: 'crit', reason: 'InodesFull', message: `${used.inodesPercent}% of its inodes used: new files will fail although bytes are free` });
    }
    return { state, problem: findings.length > before };
  });

  const notBound: VolumeState[] = [];
  for (const v of volumes) {
    const phase = v.status.phase ?? 'Pending';
    if (phase === 'Bound') continue;
    const claim = v.spec.claimRef?.name ? `${v.spec.claimRef.namespace ?? ''}/${v.spec.claimRef.name}` : undefined;
    if (namespace && v.spec.claimRef?.namespace !== namespace) continue;
    notBound.push({
      name: v.metadata.name,
      phase,
      capacity: v.spec.capacity?.storage,
      ...(claim ? { claim } : {}),
    });
    const since = ageMs(now, v.status.lastPhaseTransitionTime);
    const explain = fix('k8s_describe', { kind: 'pv', name: v.metadata.name });
    if (phase === 'Released') {
      findings.push({
        severity: 'warn',
        kind: 'PersistentVolume',
        name: v.metadata.name,
        reason: 'Released',
        fix: explain,
        message: `its claim ${claim ?? '(unknown)'} was deleted${since !== undefined ? ` ${formatAge(since / 1000)} ago` : ''}; its data is kept (${v.spec.persistentVolumeReclaimPolicy ?? 'Retain'}): reuse or delete it`,
      });
    } else if (phase === 'Failed') {
      findings.push({
        severity: 'warn',
        kind: 'PersistentVolume',
        name: v.metadata.name,
        reason: 'VolumeFailed',
        fix: explain,
        message: `reclaiming it failed${v.status.message ? `: ${cut(v.status.message)}` : ''}`,
      });
    }
  }

  const ordered = states
    .sort((a, b) => Number(b.problem) - Number(a.problem) || compareText(a.state.namespace, b.state.namespace) || compareText(a.state.name, b.state.name))
    .map((s) => s.state);
  const scope = `${plural(claims.length, 'claim')}, ${plural(volumes.length, 'volume')}, ${plural(classes.size, 'storage class', 'storage classes')}`;
  const note =
    claims.length || notBound.length
      ? undefined
      : `no PersistentVolumeClaims ${namespace ? `in namespace ${namespace}` : 'in any namespace'}: nothing to check`;
  return reads.report({
    installed: true,
    scope,
    note,
    findings: [...findings, ...reads.finish()],
    ...(namespace ? { subject: { kind: 'Namespace', name: namespace } } : {}),
    data: {
      // Released and Failed volumes first, as problem claims are: the status op lists up to its limit.
      claims: ordered,
      volumes: notBound.sort((a, b) => Number(VOLUME_PROBLEMS.has(b.phase)) - Number(VOLUME_PROBLEMS.has(a.phase)) || compareText(a.name, b.name)),
      volumesTotal: volumes.length,
      volumeUse,
    },
  });
}

export const storageCheck: Check<StorageParams, StorageData> = {
  name: 'storage',
  about: 'PersistentVolumeClaims pending or lost, volumes Released or Failed, volumes filling up (opt-in)',
  rbac: [
    { apiGroup: '', resource: 'persistentvolumeclaims', verbs: ['list'] },
    { apiGroup: '', resource: 'persistentvolumes', verbs: ['list'] },
    { apiGroup: 'storage.k8s.io', resource: 'storageclasses', verbs: ['list'] },
    { apiGroup: '', resource: 'pods', verbs: ['list'] },
    { apiGroup: '', resource: 'events', verbs: ['list'] },
  ],
  run: checkStorage,
};
