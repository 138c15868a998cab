/**
 * Scenario files: the data a sandbox serves. Validated with zod; every error names the bad key.
 *
 * Times are written relative (`-16d`, `-3m`, `now`) or absolute (RFC3339) and resolved against
 * the sandbox clock at start. The compact `workloads:` form is expanded into real objects by
 * expand.ts; anything else goes into `objects:` as full Kubernetes objects.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { isTimeSpec } from './time.js';
import { deepFreeze, parsedOnce } from './parse-once.js';
import { execScenarioSchema } from '../exec/rules.js';
import { servicesScenario } from '../services/index.js';

const time = z.string().refine(isTimeSpec, { message: 'expected a time: relative like -5m / -16d, "now", or RFC3339' });
const quantity = z.union([z.string(), z.number()]).transform(String);
const labels = z.record(z.string(), z.string());

const logLine = z.union([z.string(), z.strictObject({ at: time, line: z.string() })]);
const usage = z.strictObject({ cpu: quantity, memory: quantity });

const containerStatusOverride = z.strictObject({
  ready: z.boolean().optional(),
  restarts: z.number().int().nonnegative().optional(),
  /** the container is not running now but waiting (CrashLoopBackOff, ImagePullBackOff, ...) */
  waiting: z.strictObject({ reason: z.string(), message: z.string().optional() }).optional(),
  /** the previous instance's end: lastState.terminated */
  lastTerminated: z
    .strictObject({
      reason: z.string(),
      exitCode: z.number().int(),
      startedAt: time,
      finishedAt: time,
      message: z.string().optional(),
    })
    .optional(),
  /** when the current instance started (default: the pod's start) */
  runningSince: time.optional(),
  logs: z.array(logLine).optional(),
  previousLogs: z.array(logLine).optional(),
  usage: usage.optional(),
});
export type ContainerStatusOverride = z.infer<typeof containerStatusOverride>;

const container = z.strictObject({
  name: z.string(),
  image: z.string(),
  command: z.array(z.string()).optional(),
  args: z.array(z.string()).optional(),
  ports: z
    .array(z.strictObject({ name: z.string().optional(), containerPort: z.number().int(), protocol: z.enum(['TCP', 'UDP', 'SCTP']).optional() }))
    .optional(),
  env: z.array(z.record(z.string(), z.unknown())).optional(),
  resources: z.strictObject({ requests: z.record(z.string(), quantity).optional(), limits: z.record(z.string(), quantity).optional() }).optional(),
  readinessProbe: z.record(z.string(), z.unknown()).optional(),
  livenessProbe: z.record(z.string(), z.unknown()).optional(),
  volumeMounts: z.array(z.record(z.string(), z.unknown())).optional(),
  securityContext: z.record(z.string(), z.unknown()).optional(),
  /** log lines of the running instance (strings are spread over its uptime) */
  logs: z.array(logLine).optional(),
  previousLogs: z.array(logLine).optional(),
  usage: usage.optional(),
});
export type ContainerSpec = z.infer<typeof container>;

const podOverride = z.strictObject({
  /** pod creation / start time (default: the workload's `podsSince` or creation) */
  started: time.optional(),
  node: z.string().optional(),
  /** Pending and unschedulable: the scheduler's message */
  unschedulable: z.string().optional(),
  containers: z.record(z.string(), containerStatusOverride).optional(),
});
export type PodOverride = z.infer<typeof podOverride>;

const servicePort = z.strictObject({
  name: z.string().optional(),
  port: z.number().int(),
  targetPort: z.union([z.number().int(), z.string()]).optional(),
  protocol: z.enum(['TCP', 'UDP', 'SCTP']).optional(),
  nodePort: z.number().int().optional(),
});

const jobRun = z.strictObject({
  started: time,
  /** run time, e.g. 2m (default 1m) */
  duration: z.string().optional(),
  succeeded: z.boolean().default(true),
  logs: z.array(logLine).optional(),
});

const workload = z.strictObject({
  kind: z.enum(['Deployment', 'StatefulSet', 'DaemonSet', 'CronJob', 'Job']),
  name: z.string(),
  namespace: z.string(),
  created: time.optional(),
  /** when the current pods started (default: created) */
  podsSince: time.optional(),
  replicas: z.number().int().nonnegative().optional(),
  /** Deployment revision (older ReplicaSets are kept scaled to 0) */
  revision: z.number().int().positive().optional(),
  labels: labels.optional(),
  annotations: labels.optional(),
  podLabels: labels.optional(),
  podAnnotations: labels.optional(),
  serviceAccount: z.string().optional(),
  /** placement: pods are spread over these nodes in turn (DaemonSet: the nodes it runs on; default all) */
  nodes: z.array(z.string()).optional(),
  containers: z.array(container).min(1),
  initContainers: z.array(container).optional(),
  volumes: z.array(z.record(z.string(), z.unknown())).optional(),
  hostNetwork: z.boolean().optional(),
  strategy: z.record(z.string(), z.unknown()).optional(),
  pods: z.array(podOverride).optional(),
  service: z
    .strictObject({
      name: z.string().optional(),
      type: z.enum(['ClusterIP', 'NodePort', 'LoadBalancer']).optional(),
      clusterIP: z.string().optional(),
      ports: z.array(servicePort).min(1),
      headless: z.boolean().optional(),
    })
    .optional(),
  /**
   * A rollout of the current revision that has not finished (Deployment, StatefulSet, DaemonSet):
   * the previous revision still serves. A Deployment keeps its previous ReplicaSet's pods and past
   * progressDeadlineSeconds (600) says Progressing=False ProgressDeadlineExceeded; a StatefulSet has
   * its last ordinal on the new revision, a DaemonSet its first node's pod. `pods:` describe them.
   */
  rollout: z.strictObject({ started: time }).optional(),
  // CronJob / Job
  schedule: z.string().optional(),
  suspend: z.boolean().optional(),
  backoffLimit: z.number().int().nonnegative().optional(),
  jobs: z.array(jobRun).optional(),
  run: jobRun.optional(),
});
export type WorkloadSpec = z.infer<typeof workload>;

const node = z.strictObject({
  name: z.string(),
  roles: z.array(z.string()).default([]),
  created: time.optional(),
  ip: z.string(),
  cpu: quantity,
  memory: quantity,
  pods: quantity.optional(),
  storage: quantity.optional(),
  arch: z.enum(['arm64', 'arm', 'amd64']).default('arm64'),
  osImage: z.string().optional(),
  kernel: z.string().optional(),
  containerRuntime: z.string().optional(),
  labels: labels.optional(),
  annotations: labels.optional(),
  taints: z
    .array(z.strictObject({ key: z.string(), value: z.string().optional(), effect: z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']) }))
    .optional(),
  unschedulable: z.boolean().optional(),
  ready: z.union([z.boolean(), z.literal('Unknown')]).default(true),
  pressure: z.array(z.enum(['MemoryPressure', 'DiskPressure', 'PIDPressure'])).optional(),
  usage: usage.optional(),
});
export type NodeSpec = z.infer<typeof node>;

const eventSpec = z.strictObject({
  namespace: z.string(),
  type: z.enum(['Normal', 'Warning']),
  reason: z.string(),
  message: z.string(),
  involved: z.strictObject({
    kind: z.string(),
    name: z.string().optional(),
    namespace: z.string().optional(),
    apiVersion: z.string().optional(),
    fieldPath: z.string().optional(),
    /** for kind Pod: the workload whose pod it is (name resolved at load), with `index` among its pods */
    workload: z.string().optional(),
    index: z.number().int().nonnegative().optional(),
  }),
  count: z.number().int().positive().default(1),
  first: time,
  last: time.optional(),
  source: z.string().default('kubelet'),
  host: z.string().optional(),
});
export type EventSpec = z.infer<typeof eventSpec>;

const apiResource = z.strictObject({
  group: z.string().min(1),
  versions: z.array(z.string()).min(1),
  kind: z.string(),
  plural: z.string(),
  singular: z.string().optional(),
  listKind: z.string().optional(),
  namespaced: z.boolean().default(true),
  shortNames: z.array(z.string()).optional(),
  categories: z.array(z.string()).optional(),
  subresources: z.array(z.enum(['status', 'scale'])).optional(),
  /** the CRD's additionalPrinterColumns (kubectl get shows them) */
  printerColumns: z
    .array(
      z.strictObject({
        name: z.string(),
        type: z.string().default('string'),
        jsonPath: z.string(),
        priority: z.number().int().default(0),
        description: z.string().optional(),
        format: z.string().optional(),
      }),
    )
    .optional(),
});

/** compact Flux objects, expanded by gitops.ts into the objects and statuses the controllers write */
const fluxKustomization = z.strictObject({
  name: z.string(),
  namespace: z.string().default('flux-system'),
  path: z.string(),
  /** Kind/name of the source in the same namespace (default GitRepository/flux-system) */
  source: z.string().default('GitRepository/flux-system'),
  dependsOn: z.array(z.string()).optional(),
  interval: z.string().default('10m0s'),
  retryInterval: z.string().optional(),
  timeout: z.string().optional(),
  prune: z.boolean().default(true),
  wait: z.boolean().optional(),
  targetNamespace: z.string().optional(),
  sops: z.boolean().optional(),
  created: time.optional(),
  /** when the current revision was first applied (Ready's lastTransitionTime) */
  applied: time.optional(),
  /** the last `reconcile.fluxcd.io/requestedAt` handled (annotation and status echo) */
  lastHandledReconcileAt: time.optional(),
  /** inventory entries: "<ns>_<name>_<group>_<Kind>" */
  inventory: z.array(z.string()).optional(),
});
export type FluxKustomizationSpec = z.infer<typeof fluxKustomization>;

const fluxHelmRelease = z.strictObject({
  name: z.string(),
  namespace: z.string(),
  chart: z.string(),
  version: z.string(),
  appVersion: z.string().optional(),
  /** Kind/name or name of the chart source (HelmRepository by default) in `sourceNamespace` */
  repo: z.string(),
  sourceNamespace: z.string().default('flux-system'),
  interval: z.string().default('30m'),
  timeout: z.string().optional(),
  retries: z.number().int().optional(),
  values: z.record(z.string(), z.unknown()).optional(),
  created: time.optional(),
  /** the current Helm release revision and when it was deployed */
  release: z.number().int().positive().default(1),
  deployed: time.optional(),
  lastHandledReconcileAt: time.optional(),
});
export type FluxHelmReleaseSpec = z.infer<typeof fluxHelmRelease>;

/** an Ingress with its TLS: the Certificate cert-manager's ingress-shim makes for it, the issued request and the Secret */
const ingressSpec = z.strictObject({
  name: z.string(),
  namespace: z.string(),
  host: z.string(),
  service: z.string(),
  port: z.union([z.number().int(), z.string()]),
  className: z.string().default('nginx'),
  path: z.string().default('/'),
  created: time.optional(),
  annotations: labels.optional(),
  /** TLS secret name (default <name>-tls) */
  tlsSecret: z.string().optional(),
  /** cert-manager issues the TLS secret (annotation cert-manager.io/cluster-issuer) */
  certificate: z
    .strictObject({
      issuer: z.string().default('letsencrypt-prod'),
      issuerKind: z.enum(['ClusterIssuer', 'Issuer']).default('ClusterIssuer'),
      /** notBefore of the current certificate (90 days valid, renewal at 2/3) */
      issued: time,
      revision: z.number().int().positive().default(1),
    })
    .optional(),
  /** the TLS secret does not exist */
  secretMissing: z.boolean().optional(),
});
export type IngressSpec = z.infer<typeof ingressSpec>;

const externalSecretSpec = z.strictObject({
  name: z.string(),
  namespace: z.string(),
  /** Kind/name of the store (ClusterSecretStore/<name> or SecretStore/<name>) */
  store: z.string(),
  /** target Secret key -> remote key (property) */
  data: z.record(z.string(), z.string()),
  target: z.string().optional(),
  refreshInterval: z.string().default('1h'),
  refreshPolicy: z.enum(['Periodic', 'OnChange', 'CreatedOnce']).optional(),
  created: time.optional(),
  refreshed: time.default('-12m'),
  /** failing: Ready=False SecretSyncedError, no Secret, and a Warning UpdateFailed event with this provider error */
  error: z.string().optional(),
});
export type ExternalSecretSpec = z.infer<typeof externalSecretSpec>;

const rawLogs = z.strictObject({
  namespace: z.string(),
  pod: z.string(),
  container: z.string(),
  previous: z.boolean().default(false),
  lines: z.array(logLine),
});

export const scenarioSchema = z.strictObject({
  name: z.string(),
  description: z.string().optional(),
  cluster: z
    .strictObject({
      version: z.string().default('v1.31.4+k3s1'),
      /** the user the bearer token authenticates as (shown in 403 messages) */
      user: z.string().default('system:serviceaccount:mcp-homelab:homelab'),
      containerRuntime: z.string().default('containerd://1.7.23-k3s2'),
      podCIDR: z.string().default('10.42.0.0/16'),
      serviceCIDR: z.string().default('10.43.0.0/16'),
    })
    .prefault({}),
  /** built-in groups not served by this cluster (e.g. events.k8s.io) */
  disableGroups: z.array(z.string()).optional(),
  /** extra served API resources (CRDs) */
  apiResources: z.array(apiResource).default([]),
  /** present = metrics-server installed (metrics.k8s.io/v1beta1 served) */
  metrics: z.strictObject({ window: z.string().default('20.05s') }).optional(),
  // zero nodes is allowed: a cluster whose nodes are all gone is a case tools must handle
  nodes: z.array(node),
  namespaces: z.array(z.strictObject({ name: z.string(), created: time.optional(), labels: labels.optional() })).default([]),
  workloads: z.array(workload).default([]),
  /** full Kubernetes objects; relative times allowed in *Time / *Timestamp / *At fields */
  objects: z.array(z.looseObject({ apiVersion: z.string(), kind: z.string(), metadata: z.looseObject({ name: z.string() }) })).default([]),
  /** Flux objects in compact form (GitRepository, HelmRepositories and the odd ones go under objects:) */
  flux: z
    .strictObject({
      kustomizations: z.array(fluxKustomization).default([]),
      helmReleases: z.array(fluxHelmRelease).default([]),
    })
    .optional(),
  ingresses: z.array(ingressSpec).default([]),
  externalSecrets: z.array(externalSecretSpec).default([]),
  events: z.array(eventSpec).default([]),
  logs: z.array(rawLogs).default([]),
  /** scripted answers of pods/exec (exec/rules.ts): inline rules and files of rules under the scenarios dir */
  exec: execScenarioSchema.optional(),
  /** the client's config for this homelab, passed through untouched (homelab writes it into its homelab.yaml) */
  config: z.record(z.string(), z.unknown()).nullish(),
  /**
   * What the kubelet's summary API (nodes/NAME/proxy/stats/summary) reports used on a claim's volume:
   * NAMESPACE/CLAIM -> bytes (a quantity); claims not listed are a quarter full
   */
  volumeUsage: z.record(z.string(), quantity).default({}),
  /** fake home services (Pi-hole, AdGuard, Jellyfin, Immich) and their state; absent = not started */
  services: servicesScenario.optional(),
});
export type Scenario = z.input<typeof scenarioSchema>;
export type ParsedScenario = z.output<typeof scenarioSchema>;

export class ScenarioError extends Error {}

function formatIssues(source: string, error: z.ZodError): string {
  const lines = error.issues.map((i) => {
    const where = i.path.reduce<string>((acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : acc ? `${acc}.${String(p)}` : String(p)), '');
    return `  ${where || '(top)'}: ${i.message}`;
  });
  return `invalid scenario ${source}:\n${lines.join('\n')}`;
}

export function parseScenario(data: unknown, source = '(inline)'): ParsedScenario {
  const r = scenarioSchema.safeParse(data);
  if (!r.success) throw new ScenarioError(formatIssues(source, r.error));
  return r.data;
}

/** <package root>/scenarios, found from this module's location (src/scenario or dist/scenario) */
export function scenariosDir(): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'scenarios');
}

const scenarioFile = parsedOnce(async (text, file) => {
  const { parse } = await import('yaml');
  let data: unknown;
  try {
    data = parse(text);
  } catch (e) {
    throw new ScenarioError(`invalid scenario ${file}: ${e instanceof Error ? e.message : String(e)}`);
  }
  return deepFreeze(parseScenario(data, file));
});

/** A scenario by name (under scenariosDir()) or path, parsed once per process and read-only. */
export function loadScenarioFile(nameOrPath: string): Promise<ParsedScenario> {
  const file = /\.ya?ml$/.test(nameOrPath) || nameOrPath.includes('/') ? path.resolve(nameOrPath) : path.join(scenariosDir(), `${nameOrPath}.yaml`);
  return scenarioFile(file, () => new ScenarioError(`scenario not found: ${nameOrPath} (looked for ${file})`));
}
