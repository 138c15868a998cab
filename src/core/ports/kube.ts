/**
 * What ops need from the Kubernetes API. Implemented by src/adapters/kube over
 * our own kubeconfig reader (src/adapters/kube/kubeconfig.ts, as kubectl reads it); ops see plain JSON objects and typed errors.
 */

/** Where a kind of object lives: `/apis/{group}/{version}/namespaces/{ns}/{resource}`. */
export interface ResourceRef {
  /** '' for the core group (`/api/v1`). */
  group: string;
  version: string;
  /** Plural resource name, e.g. 'pods', 'deployments', 'kustomizations'. */
  resource: string;
  /** Omit for cluster-scoped kinds, or to list across all namespaces. */
  namespace?: string;
}

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: Array<{ apiVersion: string; kind: string; name: string; uid: string; controller?: boolean }>;
  [key: string]: unknown;
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  [key: string]: unknown;
}

export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
  /** Page size; pages are fetched with limit/continue. */
  pageSize?: number;
  /**
   * Ask for PartialObjectMetadata only (names, labels, annotations): for Secrets, whose existence
   * matters but whose data must never enter this process.
   */
  metadataOnly?: boolean;
}

export type PatchType = 'merge' | 'strategic' | 'json';

export interface LogOptions {
  container?: string;
  tailLines?: number;
  sinceSeconds?: number;
  previous?: boolean;
  timestamps?: boolean;
  limitBytes?: number;
}

/** The sub-protocols of pods/exec over WebSocket this port speaks; v5 can half-close stdin. */
export type ExecProtocol = 'v5.channel.k8s.io' | 'v4.channel.k8s.io';

export interface ExecOptions {
  /** Sent on the stdin channel, then closed (v5); omitted = the command gets no stdin. */
  stdin?: string;
  /** The command must finish within this; the socket is terminated when it does not. */
  timeoutMs: number;
  /** Cap on each of stdout and stderr; the rest is read and dropped, and flagged in `truncated`. */
  maxBytes: number;
  /** Stops the command (the socket is terminated); on top of the view's own signal. */
  signal?: AbortSignal;
}

export interface ExecResult {
  stdout: string;
  stderr: string;
  /** The real exit code from the channel-3 Status (0 on Success). */
  exitCode: number;
  truncated: { stdout: boolean; stderr: boolean };
  protocol: ExecProtocol;
}

export interface KubePort {
  /** The API server URL once connected, for messages. */
  readonly server: string;
  /** A view whose requests stop when `signal` fires (runOp binds each op's signal this way). */
  withSignal(signal: AbortSignal): KubePort;
  /** What this view is still waiting for ("list pods in all namespaces"), for a timeout's message. */
  pending(): string[];
  /** Pages of a list, fetched one at a time as they are consumed (memory stays at one page). */
  listPages(ref: ResourceRef, options?: ListOptions): AsyncIterable<KubeObject[]>;
  /** One object; with metadataOnly just its metadata (PartialObjectMetadata): its data never enters the process. */
  get(ref: ResourceRef, name: string, options?: { metadataOnly?: boolean }): Promise<KubeObject>;
  create(ref: ResourceRef, body: KubeObject): Promise<KubeObject>;
  patch(ref: ResourceRef, name: string, body: unknown, type: PatchType): Promise<KubeObject>;
  logs(namespace: string, pod: string, options: LogOptions): Promise<string>;
  /**
   * The log as it grows (kubectl logs -f): `onText` gets each chunk as it arrives, starting with
   * what `options` selects of what is there. Resolves when the log ends (the container stopped) or
   * `stop` fires; rejects on an error or when the view's signal fires.
   */
  followLogs(namespace: string, pod: string, options: LogOptions & { stop?: AbortSignal }, onText: (text: string) => void): Promise<void>;
  /**
   * Runs an argument vector in a container (pods/exec over WebSocket; needs `get` and `create` on
   * pods/exec). No shell is involved: each element is one argv entry. `container` undefined = the
   * pod's only container. A non-zero exit is a result, not an error; a refused upgrade, a missing
   * pod, a command that could not start, a timeout or an abort are errors.
   */
  exec(namespace: string, pod: string, container: string | undefined, argv: string[], options: ExecOptions): Promise<ExecResult>;
  /**
   * Versions of an API group the server serves, preferred first; [] when the group is not
   * installed. Throws when discovery fails (a 503, a malformed answer): that is not "not installed".
   */
  servedVersions(group: string): Promise<string[]>;
  /**
   * Whether a group/version serves a resource; false when the group-version is not found (404).
   * Throws when discovery fails: an aggregated API that is registered but unavailable (503) is an error.
   */
  servesResource(group: string, version: string, resource: string): Promise<boolean>;
}

/** Collects every page; for lists whose answer needs all items anyway. */
export async function listAll(kube: KubePort, ref: ResourceRef, options?: ListOptions): Promise<KubeObject[]> {
  const items: KubeObject[] = [];
  for await (const page of kube.listPages(ref, options)) items.push(...page);
  return items;
}
