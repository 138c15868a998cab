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

/** One kind of object the server serves, as discovery lists it (meta/v1 APIResource, subresources left out). */
export interface ApiResource {
  /** '' for the core group. */
  group: string;
  version: string;
  /** Plural: 'deployments'. */
  resource: string;
  singular: string;
  kind: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  verbs: string[];
}

/** What discovery says the server serves. */
export interface ApiDiscovery {
  /**
   * Every resource, in the order kubectl's RESTMapper prefers them: the core group first, then each
   * group as /apis lists it, its preferred version before the others.
   */
  resources: ApiResource[];
  /** Group-versions whose document could not be read (an aggregated API that is down), and why. */
  failed: Array<{ groupVersion: string; error: string }>;
}

/**
 * How a read is answered: the objects, only their metadata (PartialObjectMetadata), or the
 * server's Table of them (meta.k8s.io/v1, the printer columns kubectl shows, each row with its
 * object's metadata).
 */
export type ReadAs = 'objects' | 'metadata' | 'table';

export interface ReadOptions {
  as: ReadAs;
  /**
   * For kinds whose data must never enter this process (Secrets): a server that cannot answer
   * metadata or a Table is an error, never a fallback to the objects themselves.
   */
  strict?: boolean;
}

export interface PageOptions extends ReadOptions {
  labelSelector?: string;
  fieldSelector?: string;
  limit: number;
  /** The token of a previous page. */
  continue?: string;
  /** Without `continue`: the list as it was at this resourceVersion (to read a first page again). */
  resourceVersion?: string;
}

/** A column of the server's Table (meta/v1 TableColumnDefinition). */
export interface TableColumn {
  name: string;
  type: string;
  format: string;
  /** 0: always shown; higher: only with -o wide. */
  priority: number;
}

/** The server's Table: its columns and, for each object read, its cells. */
export interface ServerTable {
  columns: TableColumn[];
  /** One per item, in the items' order. */
  rows: unknown[][];
}

export interface Page {
  /** The objects, their metadata, or (as a Table) each row's metadata. */
  items: KubeObject[];
  /** Present when the server answered a Table. */
  table?: ServerTable;
  continue?: string;
  /** Objects left after this page, when the server counts them (not with selectors). */
  remainingItemCount?: number;
  resourceVersion?: string;
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
  /**
   * Every resource the server serves (for resolving what a person typed: `po`, `deploy`,
   * `helmreleases.helm.toolkit.fluxcd.io`). Throws when /api or /apis cannot be read; a
   * group-version that fails is listed in `failed` and the rest is still answered.
   */
  apiResources(): Promise<ApiDiscovery>;
  /** One page of a list, read `as` asked (needs `list`). */
  listPage(ref: ResourceRef, options: PageOptions): Promise<Page>;
  /** One object, read `as` asked (needs `get`); a Table has one row. */
  read(ref: ResourceRef, name: string, options: ReadOptions): Promise<Page>;
  /**
   * The kubelet's summary of one node (GET nodes/NAME/proxy/stats/summary: stats/v1alpha1, with
   * each pod's volume use). Needs `get` on nodes/proxy, which reaches the kubelet's whole API: a
   * privilege an op only uses when the config opts in.
   */
  kubeletSummary(node: string): Promise<unknown>;
}

/** Collects every page; for lists whose answer needs all items anyway. */
export async function listAll(kube: KubePort, ref: ResourceRef, options?: ListOptions): Promise<KubeObject[]> {
  const items: KubeObject[] = [];
  for await (const page of kube.listPages(ref, options)) items.push(...page);
  return items;
}
