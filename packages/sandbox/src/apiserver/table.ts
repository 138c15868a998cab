/**
 * Server-side printing: the meta.k8s.io/v1 Table kubectl asks for, with the columns and cell
 * logic of the apiserver's printers (pkg/printers/internalversion) for the common kinds, and
 * NAME/AGE for the rest. The server always fills the wide (priority 1) columns; kubectl picks.
 */
import type { ResourceDef } from './kinds.js';
import { since } from '../scenario/time.js';
import { isRecord, type KubeObject } from './types.js';

export interface Column {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}
type Cell = string | number | boolean | null;
interface Printer {
  columns: Column[];
  cells: (o: KubeObject, now: Date) => Cell[];
  conditions?: (o: KubeObject) => Record<string, unknown>[] | undefined;
}

const col = (name: string, type = 'string', priority = 0, description = '', format = ''): Column => ({ name, type, format, description, priority });
const NAME = col(
  'Name',
  'string',
  0,
  'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names',
  'name',
);
const AGE_DESC =
  'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata';
const AGE = col('Age', 'string', 0, AGE_DESC);

const rec = (v: unknown): Record<string, unknown> => (isRecord(v) ? v : {});
const arr = (v: unknown): Record<string, unknown>[] => (Array.isArray(v) ? v.filter(isRecord) : []);
const num = (v: unknown): number => (typeof v === 'number' ? v : 0);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const age = (o: KubeObject, now: Date): string => since(o.metadata.creationTimestamp, now);

function podCells(o: KubeObject, now: Date): Cell[] {
  const spec = rec(o.spec);
  const st = rec(o.status);
  let restarts = 0;
  let readyContainers = 0;
  const initSpecs = arr(spec.initContainers);
  let totalContainers = arr(spec.containers).length;
  const restartable = (name: unknown): boolean => initSpecs.some((c) => c.name === name && c.restartPolicy === 'Always');
  totalContainers += initSpecs.filter((c) => c.restartPolicy === 'Always').length;
  let lastRestart = 0;
  const phase = str(st.phase);
  let reason = str(st.reason) || phase;
  for (const c of arr(st.conditions)) if (c.type === 'PodScheduled' && c.reason === 'SchedulingGated') reason = 'SchedulingGated';
  const finished = (cs: Record<string, unknown>): number => Date.parse(str(rec(rec(cs.lastState).terminated).finishedAt)) || 0;

  let initializing = false;
  let restartableRestarts = 0;
  let restartableLast = 0;
  const initStatuses = arr(st.initContainerStatuses);
  for (let i = 0; i < initStatuses.length; i++) {
    const c = initStatuses[i] as Record<string, unknown>;
    restarts += num(c.restartCount);
    lastRestart = Math.max(lastRestart, finished(c));
    if (restartable(c.name)) {
      restartableRestarts += num(c.restartCount);
      restartableLast = Math.max(restartableLast, finished(c));
    }
    const state = rec(c.state);
    const term = isRecord(state.terminated) ? state.terminated : undefined;
    const wait = isRecord(state.waiting) ? state.waiting : undefined;
    if (term && num(term.exitCode) === 0) continue;
    if (restartable(c.name) && c.started === true) {
      if (c.ready === true) readyContainers++;
      continue;
    }
    if (term)
      reason = str(term.reason) ? `Init:${str(term.reason)}` : num(term.signal) ? `Init:Signal:${num(term.signal)}` : `Init:ExitCode:${num(term.exitCode)}`;
    else if (wait && str(wait.reason) && wait.reason !== 'PodInitializing') reason = `Init:${str(wait.reason)}`;
    else reason = `Init:${i}/${initSpecs.length}`;
    initializing = true;
    break;
  }
  const initialized = arr(st.conditions).some((c) => c.type === 'Initialized' && c.status === 'True');
  if (!initializing || initialized) {
    restarts = restartableRestarts;
    lastRestart = restartableLast;
    let hasRunning = false;
    const statuses = arr(st.containerStatuses);
    for (let i = statuses.length - 1; i >= 0; i--) {
      const c = statuses[i] as Record<string, unknown>;
      restarts += num(c.restartCount);
      lastRestart = Math.max(lastRestart, finished(c));
      const state = rec(c.state);
      const wait = rec(state.waiting);
      const term = isRecord(state.terminated) ? state.terminated : undefined;
      if (str(wait.reason)) reason = str(wait.reason);
      else if (term && str(term.reason)) reason = str(term.reason);
      else if (term) reason = num(term.signal) ? `Signal:${num(term.signal)}` : `ExitCode:${num(term.exitCode)}`;
      else if (c.ready === true && isRecord(state.running)) {
        hasRunning = true;
        readyContainers++;
      }
    }
    if (reason === 'Completed' && hasRunning) {
      reason = arr(st.conditions).some((c) => c.type === 'Ready' && c.status === 'True') ? 'Running' : 'NotReady';
    }
  }
  if (o.metadata.deletionTimestamp && st.reason === 'NodeLost') reason = 'Unknown';
  else if (o.metadata.deletionTimestamp && phase !== 'Succeeded' && phase !== 'Failed') reason = 'Terminating';
  const restartsStr = restarts !== 0 && lastRestart ? `${restarts} (${since(new Date(lastRestart).toISOString(), now)} ago)` : String(restarts);
  const podIP = str(arr(st.podIPs)[0]?.ip) || '<none>';
  let gates = '<none>';
  const rg = arr(spec.readinessGates);
  if (rg.length) {
    const t = rg.filter((g) => arr(st.conditions).find((c) => c.type === g.conditionType)?.status === 'True').length;
    gates = `${t}/${rg.length}`;
  }
  return [
    o.metadata.name ?? '',
    `${readyContainers}/${totalContainers}`,
    reason,
    restartsStr,
    age(o, now),
    podIP,
    str(spec.nodeName) || '<none>',
    str(st.nominatedNodeName) || '<none>',
    gates,
  ];
}

function nodeCells(o: KubeObject, now: Date): Cell[] {
  const spec = rec(o.spec);
  const st = rec(o.status);
  const conds = arr(st.conditions);
  const statuses: string[] = [];
  const ready = conds.find((c) => c.type === 'Ready');
  statuses.push(!ready ? 'Unknown' : ready.status === 'True' ? 'Ready' : 'NotReady');
  if (spec.unschedulable === true) statuses.push('SchedulingDisabled');
  const roles = new Set<string>();
  for (const [k, v] of Object.entries(o.metadata.labels ?? {})) {
    if (k.startsWith('node-role.kubernetes.io/')) roles.add(k.slice('node-role.kubernetes.io/'.length));
    else if (k === 'kubernetes.io/role' && v) roles.add(v);
  }
  const info = rec(st.nodeInfo);
  const addr = (t: string): string => str(arr(st.addresses).find((a) => a.type === t)?.address) || '<none>';
  return [
    o.metadata.name ?? '',
    statuses.join(','),
    roles.size ? [...roles].sort().join(',') : '<none>',
    age(o, now),
    str(info.kubeletVersion),
    addr('InternalIP'),
    addr('ExternalIP'),
    str(info.osImage) || '<unknown>',
    str(info.kernelVersion) || '<unknown>',
    str(info.containerRuntimeVersion) || '<unknown>',
  ];
}

function containersImages(tplSpec: Record<string, unknown>): [string, string] {
  const cs = arr(tplSpec.containers);
  return [cs.map((c) => str(c.name)).join(','), cs.map((c) => str(c.image)).join(',')];
}
function selectorString(sel: unknown): string {
  const s = rec(sel);
  const parts: string[] = [];
  for (const [k, v] of Object.entries(rec(s.matchLabels)).sort(([a], [b]) => a.localeCompare(b))) parts.push(`${k}=${String(v)}`);
  for (const e of arr(s.matchExpressions)) {
    const vals = Array.isArray(e.values) ? e.values.map(String).join(',') : '';
    const op = str(e.operator);
    parts.push(op === 'Exists' ? str(e.key) : op === 'DoesNotExist' ? `!${str(e.key)}` : `${str(e.key)} ${op.toLowerCase()} (${vals})`);
  }
  return parts.length ? parts.join(',') : '<none>';
}

function workloadCells(kind: 'deploy' | 'rs' | 'sts' | 'ds', o: KubeObject, now: Date): Cell[] {
  const spec = rec(o.spec);
  const st = rec(o.status);
  const [containers, images] = containersImages(rec(rec(spec.template).spec));
  const sel = selectorString(spec.selector);
  const name = o.metadata.name ?? '';
  switch (kind) {
    case 'deploy':
      return [name, `${num(st.readyReplicas)}/${num(spec.replicas)}`, num(st.updatedReplicas), num(st.availableReplicas), age(o, now), containers, images, sel];
    case 'rs':
      return [name, num(spec.replicas), num(st.replicas), num(st.readyReplicas), age(o, now), containers, images, sel];
    case 'sts':
      return [name, `${num(st.readyReplicas)}/${num(spec.replicas)}`, age(o, now), containers, images];
    case 'ds': {
      const ns = rec(rec(spec.template).spec).nodeSelector;
      const nodeSel =
        Object.entries(rec(ns))
          .map(([k, v]) => `${k}=${String(v)}`)
          .join(',') || '<none>';
      return [
        name,
        num(st.desiredNumberScheduled),
        num(st.currentNumberScheduled),
        num(st.numberReady),
        num(st.updatedNumberScheduled),
        num(st.numberAvailable),
        nodeSel,
        age(o, now),
        containers,
        images,
        sel,
      ];
    }
  }
}

function serviceCells(o: KubeObject, now: Date): Cell[] {
  const spec = rec(o.spec);
  const st = rec(o.status);
  const type = str(spec.type) || 'ClusterIP';
  const lb = arr(rec(st.loadBalancer).ingress).map((i) => str(i.ip) || str(i.hostname));
  const external = Array.isArray(spec.externalIPs) ? spec.externalIPs.map(String) : [];
  let ext = '<none>';
  if (type === 'LoadBalancer') ext = [...lb, ...external].join(',') || '<pending>';
  else if (type === 'ExternalName') ext = str(spec.externalName);
  else if (external.length) ext = external.join(',');
  const ports =
    arr(spec.ports)
      .map((p) => `${num(p.port)}${p.nodePort ? `:${num(p.nodePort)}` : ''}/${str(p.protocol) || 'TCP'}`)
      .join(',') || '<none>';
  const sel =
    Object.entries(rec(spec.selector))
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => `${k}=${String(v)}`)
      .join(',') || '<none>';
  return [o.metadata.name ?? '', type, str(spec.clusterIP) || '<none>', ext, ports, age(o, now), sel];
}

function jobCells(o: KubeObject, now: Date): Cell[] {
  const spec = rec(o.spec);
  const st = rec(o.status);
  const conds = arr(st.conditions);
  const has = (t: string): boolean => conds.some((c) => c.type === t && c.status === 'True');
  const status = has('Failed')
    ? 'Failed'
    : has('Complete')
      ? 'Complete'
      : has('Suspended')
        ? 'Suspended'
        : has('FailureTarget')
          ? 'FailureTarget'
          : o.metadata.deletionTimestamp
            ? 'Terminating'
            : 'Running';
  const completions = typeof spec.completions === 'number' ? `${num(st.succeeded)}/${spec.completions}` : `${num(st.succeeded)}/1 of ${num(spec.parallelism)}`;
  const start = Date.parse(str(st.startTime));
  const end = Date.parse(str(st.completionTime));
  let duration = '';
  if (start) duration = since(new Date(start).toISOString(), end ? new Date(end) : now);
  const [containers, images] = containersImages(rec(rec(spec.template).spec));
  return [o.metadata.name ?? '', status, completions, duration, age(o, now), containers, images, selectorString(spec.selector)];
}

function cronJobCells(o: KubeObject, now: Date): Cell[] {
  const spec = rec(o.spec);
  const st = rec(o.status);
  const [containers, images] = containersImages(rec(rec(rec(rec(spec.jobTemplate).spec).template).spec));
  const last = str(st.lastScheduleTime);
  return [
    o.metadata.name ?? '',
    str(spec.schedule),
    str(spec.timeZone) || '<none>',
    spec.suspend === true ? 'True' : 'False',
    arr(st.active).length,
    last ? since(last, now) : '<none>',
    age(o, now),
    containers,
    images,
    selectorString(rec(rec(spec.jobTemplate).spec).selector),
  ];
}

function eventCells(o: KubeObject, now: Date): Cell[] {
  const inv = rec(o.involvedObject);
  const src = rec(o.source);
  const first = str(o.firstTimestamp) || str(o.eventTime);
  const last = str(o.lastTimestamp) || str(o.eventTime) || first;
  const count = num(o.count);
  const lastSeen = count > 1 ? `${since(last, now)} (x${count} over ${since(first, now)})` : since(last, now);
  const sub = str(inv.fieldPath);
  const source = str(src.component) ? `${str(src.component)}${str(src.host) ? `, ${str(src.host)}` : ''}` : str(o.reportingComponent);
  return [
    lastSeen,
    str(o.type),
    str(o.reason),
    `${str(inv.kind).toLowerCase()}/${str(inv.name)}`,
    sub,
    source,
    str(o.message).trim(),
    first ? since(first, now) : '<unknown>',
    count,
    o.metadata.name ?? '',
  ];
}

/** helper.GetAccessModesAsString: the short forms in a fixed order */
function accessModes(v: unknown): string {
  const modes = Array.isArray(v) ? v : [];
  return [
    ['ReadWriteOnce', 'RWO'],
    ['ReadOnlyMany', 'ROX'],
    ['ReadWriteMany', 'RWX'],
    ['ReadWriteOncePod', 'RWOP'],
  ]
    .filter(([mode]) => modes.includes(mode))
    .map(([, short]) => short)
    .join(',');
}

function persistentVolumeCells(o: KubeObject, now: Date): Cell[] {
  const spec = rec(o.spec);
  const st = rec(o.status);
  const claim = isRecord(spec.claimRef) ? `${str(spec.claimRef.namespace)}/${str(spec.claimRef.name)}` : '';
  const phase = o.metadata.deletionTimestamp ? 'Terminating' : str(st.phase);
  return [
    o.metadata.name ?? '',
    str(rec(spec.capacity).storage),
    accessModes(spec.accessModes),
    str(spec.persistentVolumeReclaimPolicy),
    phase,
    claim,
    str(spec.storageClassName),
    str(spec.volumeAttributesClassName) || '<unset>',
    str(st.reason),
    age(o, now),
    str(spec.volumeMode) || '<unset>',
  ];
}

function persistentVolumeClaimCells(o: KubeObject, now: Date): Cell[] {
  const spec = rec(o.spec);
  const st = rec(o.status);
  const bound = str(spec.volumeName) !== '';
  const phase = o.metadata.deletionTimestamp ? 'Terminating' : str(st.phase);
  return [
    o.metadata.name ?? '',
    phase,
    str(spec.volumeName),
    bound ? str(rec(st.capacity).storage) : '',
    bound ? accessModes(st.accessModes) : '',
    str(spec.storageClassName),
    str(spec.volumeAttributesClassName) || '<unset>',
    age(o, now),
    str(spec.volumeMode) || '<unset>',
  ];
}

function storageClassCells(o: KubeObject, now: Date): Cell[] {
  const isDefault = ['storageclass.kubernetes.io/is-default-class', 'storageclass.beta.kubernetes.io/is-default-class'].some(
    (a) => o.metadata.annotations?.[a] === 'true',
  );
  return [
    `${o.metadata.name ?? ''}${isDefault ? ' (default)' : ''}`,
    str(o.provisioner),
    str(o.reclaimPolicy) || 'Delete',
    str(o.volumeBindingMode) || 'Immediate',
    o.allowVolumeExpansion === true,
    age(o, now),
  ];
}

const PRINTERS: Record<string, Printer> = {
  // pkg/printers/internalversion/printers.go: persistentVolume, persistentVolumeClaim and storageClass column definitions
  '/persistentvolumes': {
    columns: [
      NAME,
      col('Capacity', 'string', 0, "capacity is the description of the persistent volume's resources and capacity."),
      col('Access Modes', 'string', 0, 'accessModes contains all ways the volume can be mounted.'),
      col('Reclaim Policy', 'string', 0, 'persistentVolumeReclaimPolicy defines what happens to a persistent volume when released from its claim.'),
      col('Status', 'string', 0, 'phase indicates if a volume is available, bound to a claim, or released by a claim.'),
      col('Claim', 'string', 0, 'claimRef is part of a bi-directional binding between PersistentVolume and PersistentVolumeClaim.'),
      col('StorageClass', 'string', 0, 'StorageClass of the pv'),
      col('VolumeAttributesClass', 'string', 0, 'VolumeAttributesClass of the pv'),
      col('Reason', 'string', 0, 'reason is a brief CamelCase string that describes any failure and is meant for machine parsing and tidy display in the CLI.'),
      AGE,
      col('VolumeMode', 'string', 1, 'volumeMode defines if a volume is intended to be used with a formatted filesystem or to remain in raw block state.'),
    ],
    cells: persistentVolumeCells,
  },
  '/persistentvolumeclaims': {
    columns: [
      NAME,
      col('Status', 'string', 0, 'phase represents the current phase of PersistentVolumeClaim.'),
      col('Volume', 'string', 0, 'volumeName is the binding reference to the PersistentVolume backing this claim.'),
      col('Capacity', 'string', 0, 'capacity represents the actual resources of the underlying volume.'),
      col('Access Modes', 'string', 0, 'accessModes contains the actual access modes the volume backing the PVC has.'),
      col('StorageClass', 'string', 0, 'StorageClass of the pvc'),
      col('VolumeAttributesClass', 'string', 0, 'VolumeAttributesClass of the pvc'),
      AGE,
      col('VolumeMode', 'string', 1, 'volumeMode defines what type of volume is required by the claim.'),
    ],
    cells: persistentVolumeClaimCells,
  },
  'storage.k8s.io/storageclasses': {
    columns: [
      NAME,
      col('Provisioner', 'string', 0, 'Indicates the type of the provisioner.'),
      col('ReclaimPolicy', 'string', 0, 'Indicates the type of the reclaim policy.'),
      col('VolumeBindingMode', 'string', 0, 'Indicates when volume binding and dynamic provisioning should occur'),
      col('AllowVolumeExpansion', 'string', 0, 'Indicates whether the storage class allow volume expand'),
      AGE,
    ],
    cells: storageClassCells,
  },
  '/pods': {
    columns: [
      NAME,
      col('Ready', 'string', 0, 'The aggregate readiness state of this pod for accepting traffic.'),
      col('Status', 'string', 0, 'The aggregate status of the containers in this pod.'),
      col('Restarts', 'string', 0, 'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.'),
      AGE,
      col('IP', 'string', 1, 'podIP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.'),
      col('Node', 'string', 1, 'NodeName indicates in which node this pod is scheduled.'),
      col('Nominated Node', 'string', 1, 'nominatedNodeName is set only when this pod preempts other pods on the node.'),
      col('Readiness Gates', 'string', 1, 'If specified, all readiness gates will be evaluated for pod readiness.'),
    ],
    cells: podCells,
    conditions: (o) => {
      const phase = rec(o.status).phase;
      if (phase === 'Succeeded') return [{ type: 'Completed', status: 'True', reason: 'Succeeded', message: 'The pod has completed successfully.' }];
      if (phase === 'Failed') return [{ type: 'Completed', status: 'True', reason: 'Failed', message: 'The pod failed.' }];
      return undefined;
    },
  },
  '/nodes': {
    columns: [
      NAME,
      col('Status', 'string', 0, 'The status of the node'),
      col('Roles', 'string', 0, 'The roles of the node'),
      AGE,
      col('Version', 'string', 0, 'Kubelet Version reported by the node.'),
      col('Internal-IP', 'string', 1, 'List of addresses reachable to the node.'),
      col('External-IP', 'string', 1, 'List of addresses reachable to the node.'),
      col('OS-Image', 'string', 1, 'OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).'),
      col('Kernel-Version', 'string', 1, "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64)."),
      col('Container-Runtime', 'string', 1, 'ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).'),
    ],
    cells: nodeCells,
  },
  'apps/deployments': {
    columns: [
      NAME,
      col('Ready', 'string', 0, 'Number of the pod with ready state'),
      col('Up-to-date', 'integer', 0, 'Total number of non-terminated pods targeted by this deployment that have the desired template spec.'),
      col('Available', 'integer', 0, 'Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.'),
      AGE,
      col('Containers', 'string', 1, 'Names of each container in the template.'),
      col('Images', 'string', 1, 'Images referenced by each container in the template.'),
      col(
        'Selector',
        'string',
        1,
        'Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment.',
      ),
    ],
    cells: (o, now) => workloadCells('deploy', o, now),
  },
  'apps/replicasets': {
    columns: [
      NAME,
      col('Desired', 'integer', 0, 'Replicas is the number of desired replicas.'),
      col('Current', 'integer', 0, 'Replicas is the most recently observed number of replicas.'),
      col('Ready', 'integer', 0, 'The number of ready replicas for this replica set.'),
      AGE,
      col('Containers', 'string', 1, 'Names of each container in the template.'),
      col('Images', 'string', 1, 'Images referenced by each container in the template.'),
      col('Selector', 'string', 1, 'Selector is a label query over pods that should match the replica count.'),
    ],
    cells: (o, now) => workloadCells('rs', o, now),
  },
  'apps/statefulsets': {
    columns: [
      NAME,
      col('Ready', 'string', 0, 'Number of the pod with ready state'),
      AGE,
      col('Containers', 'string', 1, 'Names of each container in the template.'),
      col('Images', 'string', 1, 'Images referenced by each container in the template.'),
    ],
    cells: (o, now) => workloadCells('sts', o, now),
  },
  'apps/daemonsets': {
    columns: [
      NAME,
      col('Desired', 'integer', 0, 'The total number of nodes that should be running the daemon pod.'),
      col('Current', 'integer', 0, 'The number of nodes that are running at least 1 daemon pod.'),
      col('Ready', 'integer', 0, 'The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and ready.'),
      col('Up-to-date', 'integer', 0, 'The total number of nodes that are running updated daemon pod'),
      col('Available', 'integer', 0, 'The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available.'),
      col('Node Selector', 'string', 0, 'NodeSelector is a selector which must be true for the pod to fit on a node.'),
      AGE,
      col('Containers', 'string', 1, 'Names of each container in the template.'),
      col('Images', 'string', 1, 'Images referenced by each container in the template.'),
      col('Selector', 'string', 1, 'A label query over pods that are managed by the daemon set.'),
    ],
    cells: (o, now) => workloadCells('ds', o, now),
  },
  '/services': {
    columns: [
      NAME,
      col('Type', 'string', 0, 'type determines how the Service is exposed.'),
      col('Cluster-IP', 'string', 0, 'clusterIP is the IP address of the service.'),
      col('External-IP', 'string', 0, 'List of IP addresses for which nodes in the cluster will also accept traffic for this service.'),
      col('Port(s)', 'string', 0, 'The list of ports that are exposed by this service.'),
      AGE,
      col('Selector', 'string', 1, 'Route service traffic to pods with label keys and values matching this selector.'),
    ],
    cells: serviceCells,
  },
  '/namespaces': {
    columns: [NAME, col('Status', 'string', 0, 'The status of the namespace'), AGE],
    cells: (o, now) => [o.metadata.name ?? '', str(rec(o.status).phase), age(o, now)],
  },
  '/configmaps': {
    columns: [NAME, col('Data', 'string', 0, 'Data contains the configuration data.'), AGE],
    cells: (o, now) => [o.metadata.name ?? '', Object.keys(rec(o.data)).length + Object.keys(rec(o.binaryData)).length, age(o, now)],
  },
  '/secrets': {
    columns: [NAME, col('Type', 'string', 0, 'The type of the secret'), col('Data', 'string', 0, 'The number of entries in the secret'), AGE],
    cells: (o, now) => [o.metadata.name ?? '', str(o.type), Object.keys(rec(o.data)).length, age(o, now)],
  },
  '/serviceaccounts': {
    columns: [
      NAME,
      col('Secrets', 'string', 0, 'Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use.'),
      AGE,
    ],
    cells: (o, now) => [o.metadata.name ?? '', arr(o.secrets).length, age(o, now)],
  },
  'batch/jobs': {
    columns: [
      NAME,
      col('Status', 'string', 0, 'Status of the job.'),
      col('Completions', 'string', 0, 'The completion status of the job.'),
      col('Duration', 'string', 0, 'Time required to complete the job.'),
      AGE,
      col('Containers', 'string', 1, 'Names of each container in the template.'),
      col('Images', 'string', 1, 'Images referenced by each container in the template.'),
      col('Selector', 'string', 1, 'A label query over pods that should match the pod count.'),
    ],
    cells: jobCells,
  },
  'batch/cronjobs': {
    columns: [
      NAME,
      col('Schedule', 'string', 0, 'The schedule in Cron format.'),
      col('Timezone', 'string', 0, 'The time zone name for the given schedule.'),
      col('Suspend', 'boolean', 0, 'This flag tells the controller to suspend subsequent executions.'),
      col('Active', 'integer', 0, 'A list of pointers to currently running jobs.'),
      col('Last Schedule', 'string', 0, 'Information when was the last time the job was successfully scheduled.'),
      AGE,
      col('Containers', 'string', 1, 'Names of each container in the template.'),
      col('Images', 'string', 1, 'Images referenced by each container in the template.'),
      col('Selector', 'string', 1, 'A label query over pods that should match the pod count.'),
    ],
    cells: cronJobCells,
  },
  '/events': {
    columns: [
      col('Last Seen', 'string', 0, 'The time at which the most recent occurrence of this event was recorded.'),
      col('Type', 'string', 0, 'Type of this event.'),
      col('Reason', 'string', 0, 'Reason is why the action was taken.'),
      col('Object', 'string', 0, 'The object that this event is about.'),
      col('Subobject', 'string', 1, 'The subobject that this event is about.'),
      col('Source', 'string', 1, 'The component reporting this event.'),
      col('Message', 'string', 0, 'A human-readable description of the status of this operation.'),
      col('First Seen', 'string', 1, 'The time at which the event was first recorded.'),
      col('Count', 'string', 1, 'The number of times this event has occurred.'),
      col('Name', 'string', 1, 'The name of the event.', 'name'),
    ],
    cells: eventCells,
  },
  'networking.k8s.io/ingresses': {
    columns: [
      NAME,
      col('Class', 'string', 0, 'The name of the IngressClass resource.'),
      col('Hosts', 'string', 0, 'Hosts that incoming requests are matched against before the ingress rule'),
      col('Address', 'string', 0, 'Address is a list containing ingress points for the load-balancer'),
      col('Ports', 'string', 0, 'Ports of TLS configurations that open'),
      AGE,
    ],
    cells: (o, now) => {
      const spec = rec(o.spec);
      const hosts = arr(spec.rules).map((r) => str(r.host) || '*');
      const addr = arr(rec(rec(o.status).loadBalancer).ingress)
        .map((i) => str(i.ip) || str(i.hostname))
        .join(',');
      return [
        o.metadata.name ?? '',
        str(spec.ingressClassName) || '<none>',
        hosts.length > 4 ? `${hosts.slice(0, 4).join(',')} + ${hosts.length - 4} more...` : hosts.join(',') || '*',
        addr,
        arr(spec.tls).length ? '80, 443' : '80',
        age(o, now),
      ];
    },
  },
};

const DEFAULT: Printer = { columns: [NAME, AGE], cells: (o, now) => [o.metadata.name ?? '', age(o, now)] };

export type IncludeObject = 'None' | 'Metadata' | 'Object';

export function printerFor(r: ResourceDef): Printer {
  if (r.printerColumns) return crdPrinter(r.printerColumns);
  return PRINTERS[`${r.group}/${r.plural}`] ?? DEFAULT;
}

/**
 * A CRD's additionalPrinterColumns, as the apiextensions table convertor renders them: Name first,
 * then the columns; a `date` column becomes an age; a missing value is an empty cell.
 */
function crdPrinter(defs: NonNullable<ResourceDef['printerColumns']>): Printer {
  const columns = [NAME, ...defs.map((d) => col(d.name, d.type, d.priority, d.description ?? '', d.format ?? ''))];
  return {
    columns,
    cells: (o, now) => [
      o.metadata.name ?? '',
      ...defs.map((d) => {
        const v = jsonPath(o, d.jsonPath);
        if (v === undefined) return null;
        if (d.type === 'date') return since(v, now);
        if (d.type === 'integer' || d.type === 'number') return typeof v === 'number' ? v : Number(v);
        if (d.type === 'boolean') return v === true || v === 'true';
        return typeof v === 'string' ? v : JSON.stringify(v);
      }),
    ],
  };
}

/** the JSONPath subset CRDs use: .a.b, [N], [?(@.k=="v")] */
export function jsonPath(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  const re = /\.([A-Za-z0-9_-]+)|\[(\d+)\]|\[\?\(@\.([A-Za-z0-9_-]+)\s*==\s*["']([^"']*)["']\)\]/gy;
  while (re.lastIndex < path.length) {
    const m = re.exec(path);
    if (!m) return undefined;
    if (m[1] !== undefined) cur = isRecord(cur) ? cur[m[1]] : undefined;
    else if (m[2] !== undefined) cur = Array.isArray(cur) ? cur[Number(m[2])] : undefined;
    else cur = Array.isArray(cur) ? cur.find((x) => isRecord(x) && x[m[3] ?? ''] === m[4]) : undefined;
    if (cur === undefined) return undefined;
  }
  return cur;
}

export function toTable(
  r: ResourceDef,
  items: readonly KubeObject[],
  include: IncludeObject,
  now: Date,
  listMeta: Record<string, unknown>,
): Record<string, unknown> {
  const p = printerFor(r);
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: listMeta,
    columnDefinitions: p.columns,
    rows: items.map((o) => {
      const row: Record<string, unknown> = { cells: p.cells(o, now) };
      const conds = p.conditions?.(o);
      if (conds) row.conditions = conds;
      if (include === 'Object') row.object = o;
      else if (include === 'Metadata') row.object = { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata };
      return row;
    }),
  };
}
