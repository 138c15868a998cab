import type { IncomingMessage, request as httpRequest } from 'node:http';
import type {
  ApiDiscovery,
  ApiResource,
  ExecOptions,
  ExecResult,
  KubeObject,
  KubePort,
  ListOptions,
  LogOptions,
  Page,
  PageOptions,
  PatchType,
  ReadAs,
  ReadOptions,
  ResourceRef,
} from '../../core/ports/kube.js';
import { Timeout, Upstream, isHomelabError } from '../../core/errors.js';
import { mapBounded } from '../../core/bounded.js';
import { z } from 'zod';
import { parseStatus, translateHttpError, translateNetworkError, type RequestIntent } from './errors.js';
import { execInPod } from './exec.js';
import { loadKubeconfig, type KubeRequestOptions, type ResolvedCluster } from './kubeconfig.js';
import { ListItemSplitter } from './list-items.js';

export interface KubeConnectOptions {
  /** --kubeconfig or the config file's kubernetes.kubeconfig; else KUBECONFIG, ~/.kube/config, in-cluster. */
  kubeconfig?: string;
  /** --context or the config file's kubernetes.context. */
  context?: string;
  /** The environment kubectl would read ($KUBECONFIG, $HOME, in-cluster variables). */
  env?: NodeJS.ProcessEnv;
  /** Why an exec credential plugin may not use stdin (over MCP stdio it carries the protocol). */
  stdinUnavailable?: string;
  /** Backstop per request, on top of the op's own timeout. */
  requestTimeoutMs?: number;
}

const PATCH_CONTENT_TYPES: Record<PatchType, string> = {
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  json: 'application/json-patch+json',
};

/** An answer that should have been JSON and was not (some proxies answer HTML). */
const notJson = (request: string) => new Upstream(`the Kubernetes API answered ${request} with something that is not JSON`);
const DEFAULT_PAGE_SIZE = 500;

/**
 * node:http, or node:https with TLS, loaded on the first request: `mcp serve` answers initialize and
 * tools/list without them (~10 ms of CPU at start-up).
 */
async function requestFor(url: URL): Promise<typeof httpRequest> {
  return url.protocol === 'http:' ? (await import('node:http')).request : (await import('node:https')).request;
}
/**
 * Asks for metadata only, with no fallback to the objects: metadata-only reads are for Secrets,
 * whose data must never enter this process, so a server that cannot answer so refuses (406).
 */
const METADATA_ACCEPT = (as: 'PartialObjectMetadata' | 'PartialObjectMetadataList') => `application/json;as=${as};g=meta.k8s.io;v=v1`;
const TABLE_ACCEPT = 'application/json;as=Table;v=v1;g=meta.k8s.io';
/** Discovery documents of different group-versions asked at once. */
const DISCOVERY_PARALLEL = 8;
/** How long a good discovery answer is reused; failures are never reused. */
const DISCOVERY_TTL_MS = 5 * 60_000;
const STATUS_TEXT: Record<number, string> = { 500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout' };

/** A discovery answer that is neither a document nor a real absence; callers say what they could not tell. */
class DiscoveryFailed extends Error {}

/** The parts of the discovery documents read here (meta/v1 APIGroupList and APIResourceList). */
const apiGroupListSchema = z.looseObject({
  groups: z.array(
    z.looseObject({
      name: z.string(),
      versions: z.array(z.looseObject({ version: z.string() })),
      preferredVersion: z.looseObject({ version: z.string() }).optional(),
    }),
  ),
});
const apiResourceListSchema = z.looseObject({
  groupVersion: z.string(),
  // Go marshals an empty list as null.
  resources: z
    .array(
      z.looseObject({
        name: z.string(),
        singularName: z.string().optional(),
        namespaced: z.boolean().optional(),
        kind: z.string().optional(),
        verbs: z.array(z.string()).nullish(),
        shortNames: z.array(z.string()).nullish(),
        categories: z.array(z.string()).nullish(),
      }),
    )
    .nullable(),
});
const apiVersionsSchema = z.looseObject({ versions: z.array(z.string()) });

/** The parts of a meta.k8s.io/v1 Table read here; cells are whatever the server's printer wrote. */
const tableSchema = z.looseObject({
  kind: z.literal('Table'),
  metadata: z.looseObject({ continue: z.string().optional(), remainingItemCount: z.number().optional(), resourceVersion: z.string().optional() }).optional(),
  columnDefinitions: z.array(
    z.looseObject({ name: z.string(), type: z.string().default('string'), format: z.string().default(''), priority: z.number().default(0) }),
  ),
  rows: z.array(z.looseObject({ cells: z.array(z.unknown()), object: z.looseObject({ metadata: z.looseObject({ name: z.string() }) }).optional() })).nullable(),
});
const listSchema = z.looseObject({
  kind: z.string().optional(),
  metadata: z.looseObject({ continue: z.string().optional(), remainingItemCount: z.number().optional(), resourceVersion: z.string().optional() }).optional(),
  items: z.array(z.looseObject({ metadata: z.looseObject({ name: z.string() }) })).nullable(),
});

/** The Accept header of a read: a Table or metadata, falling back to the objects unless strict. */
function acceptFor(as: ReadAs, list: boolean, strict: boolean | undefined): string | undefined {
  const asked = as === 'table' ? TABLE_ACCEPT : as === 'metadata' ? METADATA_ACCEPT(list ? 'PartialObjectMetadataList' : 'PartialObjectMetadata') : undefined;
  return asked && !strict ? `${asked},application/json` : asked;
}

/** Only the metadata of an object (what is kept of anything read with strict metadata or Table reads). */
function metadataOf(item: { apiVersion?: unknown; kind?: unknown; metadata: KubeObject['metadata'] }): KubeObject {
  return {
    ...(typeof item.apiVersion === 'string' ? { apiVersion: item.apiVersion } : {}),
    ...(typeof item.kind === 'string' ? { kind: item.kind } : {}),
    metadata: item.metadata,
  };
}
const MAX_BODY_BYTES = 64 * 1024 * 1024;

interface HttpAnswer {
  status: number;
  text: string;
}

/** Reads the kubeconfig the way kubectl does (kubeconfig.ts), on the first request only. */
function connect(options: KubeConnectOptions): Promise<ResolvedCluster> {
  return loadKubeconfig({ kubeconfig: options.kubeconfig, context: options.context, env: options.env, stdinUnavailable: options.stdinUnavailable });
}

/** "list pods in all namespaces", "get deployments.apps jellyfin in namespace jellyfin", "get /apis". */
function describeIntent(intent: RequestIntent): string {
  if (intent.resource.startsWith('/')) return `${intent.verb} ${intent.resource}`;
  const resource = intent.group ? `${intent.resource}.${intent.group}` : intent.resource;
  const where = intent.namespace ? ` in namespace ${intent.namespace}` : intent.verb === 'list' ? ' in all namespaces' : '';
  return `${intent.verb} ${resource}${intent.name ? ` ${intent.name}` : ''}${where}`;
}

/** pods/log query parameters, as kubectl sends them. */
function logQuery(options: LogOptions): Record<string, string> {
  const query: Record<string, string> = {};
  if (options.container) query.container = options.container;
  if (options.tailLines !== undefined) query.tailLines = String(options.tailLines);
  if (options.sinceSeconds !== undefined) query.sinceSeconds = String(options.sinceSeconds);
  if (options.previous) query.previous = 'true';
  if (options.timestamps) query.timestamps = 'true';
  if (options.limitBytes !== undefined) query.limitBytes = String(options.limitBytes);
  return query;
}

/** The path of a collection or object: core group under /api, the rest under /apis. */
export function resourcePath(ref: ResourceRef, name?: string, subresource?: string): string {
  const base = ref.group ? `/apis/${ref.group}/${ref.version}` : `/api/${ref.version}`;
  const ns = ref.namespace ? `/namespaces/${encodeURIComponent(ref.namespace)}` : '';
  const obj = name ? `/${encodeURIComponent(name)}` : '';
  return `${base}${ns}/${ref.resource}${obj}${subresource ? `/${subresource}` : ''}`;
}

export class KubeClient implements KubePort {
  private connection: Promise<ResolvedCluster> | undefined;
  private readonly discovery = new Map<string, { at: number; answer: Promise<unknown> }>();

  constructor(
    private readonly options: KubeConnectOptions,
    private readonly signal?: AbortSignal,
    shared?: KubeClient,
  ) {
    if (shared) {
      this.discovery = shared.discovery;
      this.sharedWith = shared;
    }
  }

  private readonly sharedWith: KubeClient | undefined;

  private serverUrl: string | undefined;

  /** Requests of this view not yet answered, as a person would say them. */
  private readonly inFlight = new Map<number, string>();
  private nextRequest = 0;

  pending(): string[] {
    return [...new Set(this.inFlight.values())];
  }

  get server(): string {
    return (this.sharedWith ?? this).serverUrl ?? 'the Kubernetes API';
  }

  /** Closes the cluster's idle keep-alive connections (so a finished CLI process can exit). */
  async close(): Promise<void> {
    const root = this.sharedWith ?? this;
    const connection = root.connection;
    root.connection = undefined;
    if (connection) (await connection.catch(() => undefined))?.close();
  }

  /** A view of this client whose requests stop when `signal` fires; connection and discovery are shared. */
  withSignal(signal: AbortSignal): KubePort {
    // No connection yet: ops that never ask the cluster (the NAS, Pi-hole) must not need a kubeconfig.
    return new KubeClient(this.options, signal, this.sharedWith ?? this);
  }

  private conn(): Promise<ResolvedCluster> {
    const root = this.sharedWith ?? this;
    if (!root.connection) {
      const attempt = connect(root.options);
      root.connection = attempt;
      // A kubeconfig that could not be loaded is read again on the next call, so a long-running
      // server recovers once the file is fixed instead of failing until it is restarted.
      attempt.catch(() => {
        if (root.connection === attempt) root.connection = undefined;
      });
    }
    return root.connection;
  }

  async *listPages(ref: ResourceRef, options: ListOptions = {}): AsyncIterable<KubeObject[]> {
    let token: string | undefined;
    let pages = 0;
    do {
      const query: Record<string, string> = { limit: String(options.pageSize ?? DEFAULT_PAGE_SIZE) };
      if (options.labelSelector) query.labelSelector = options.labelSelector;
      if (options.fieldSelector) query.fieldSelector = options.fieldSelector;
      if (token) query.continue = token;
      const intent = this.intent('list', ref);
      // A server that cannot answer metadata-only falls back to full objects; those are cut below.
      const accept = options.metadataOnly ? METADATA_ACCEPT('PartialObjectMetadataList') : undefined;
      // Item by item as the page arrives (list-items.ts): no page-sized string is held, and the items
      // reach the caller in the small batches they come in, so a check's objects die young instead of a
      // page's worth living long enough to fill the old generation (bench: peak RSS).
      let arrived: KubeObject[] = [];
      let wake: (() => void) | undefined;
      const splitter = new ListItemSplitter((item) => {
        arrived.push(item as KubeObject);
        wake?.();
      });
      let settled = false;
      const answered = this.call('GET', resourcePath(ref), { query, accept, items: splitter }, intent).finally(() => {
        settled = true;
        wake?.();
      });
      answered.catch(() => undefined); // awaited below; this only keeps an early failure from going unhandled
      for (;;) {
        if (arrived.length) {
          const batch = arrived;
          arrived = [];
          yield options.metadataOnly ? batch.map((item) => ({ apiVersion: item.apiVersion, kind: item.kind, metadata: item.metadata })) : batch;
          continue;
        }
        if (settled) break;
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
      }
      const answer = await answered;
      if (answer.status === 410 && pages > 0) {
        throw new Upstream(`the list of ${ref.resource} changed too much while it was being read (continue token expired)`, { hint: 'run the command again' });
      }
      if (answer.status !== 200) this.json(answer, intent); // throws what the error says
      const list = this.splitList(splitter, intent);
      pages++;
      token = list.continue;
    } while (token);
  }

  async get(ref: ResourceRef, name: string, options: { metadataOnly?: boolean } = {}): Promise<KubeObject> {
    const intent = this.intent('get', ref, name);
    const accept = options.metadataOnly ? METADATA_ACCEPT('PartialObjectMetadata') : undefined;
    const obj = this.json<KubeObject>(await this.call('GET', resourcePath(ref, name), { accept }, intent), intent);
    // A server that cannot answer metadata-only sends the whole object: cut it here.
    return options.metadataOnly ? { apiVersion: obj.apiVersion, kind: obj.kind, metadata: obj.metadata } : obj;
  }

  async create(ref: ResourceRef, body: KubeObject): Promise<KubeObject> {
    const intent = this.intent('create', ref, body.metadata.name);
    const answer = await this.call(
      'POST',
      resourcePath(ref),
      { body: JSON.stringify(body), contentType: 'application/json', query: { fieldManager: 'homelab' } },
      intent,
    );
    return this.json(answer, intent);
  }

  async patch(ref: ResourceRef, name: string, body: unknown, type: PatchType): Promise<KubeObject> {
    const intent = this.intent('patch', ref, name);
    const answer = await this.call(
      'PATCH',
      resourcePath(ref, name),
      { body: JSON.stringify(body), contentType: PATCH_CONTENT_TYPES[type], query: { fieldManager: 'homelab' } },
      intent,
    );
    return this.json(answer, intent);
  }

  async logs(namespace: string, pod: string, options: LogOptions): Promise<string> {
    const { ref, intent } = this.logIntent(namespace, pod);
    const answer = await this.call('GET', resourcePath(ref, pod, 'log'), { query: logQuery(options), accept: 'text/plain' }, intent);
    if (answer.status >= 400) throw translateHttpError(answer.status, answer.text, intent);
    return answer.text;
  }

  async followLogs(namespace: string, pod: string, options: LogOptions & { stop?: AbortSignal }, onText: (text: string) => void): Promise<void> {
    const { ref, intent } = this.logIntent(namespace, pod);
    const cluster = await this.conn();
    (this.sharedWith ?? this).serverUrl = cluster.server;
    intent.server = cluster.server;
    const url = new URL(cluster.server + resourcePath(ref, pod, 'log'));
    for (const [k, v] of Object.entries({ ...logQuery(options), follow: 'true' })) url.searchParams.set(k, v);
    const used = await cluster.requestOptions();
    const signal = AbortSignal.any([this.signal, options.stop].filter((s): s is AbortSignal => s !== undefined));
    const send = await requestFor(url);
    // No idle timeout: a quiet log is not a dead server. The op's signal and `stop` end it.
    return new Promise<void>((resolve, reject) => {
      const request = send(
        url,
        { method: 'GET', ...used, headers: { ...used.headers, Accept: 'text/plain', 'User-Agent': 'homelab' }, signal },
        (res: IncomingMessage) => {
          res.setEncoding('utf8');
          if ((res.statusCode ?? 0) >= 400) {
            let body = '';
            res.on('data', (chunk: string) => {
              if (body.length < 64 * 1024) body += chunk;
            });
            res.on('end', () => reject(translateHttpError(res.statusCode ?? 0, body, intent)));
            return;
          }
          res.on('data', (chunk: string) => onText(chunk));
          res.on('end', () => resolve());
          res.on('error', (err) => (options.stop?.aborted && !this.signal?.aborted ? resolve() : reject(this.networkError(err, cluster.server))));
        },
      );
      request.on('error', (err) => (options.stop?.aborted && !this.signal?.aborted ? resolve() : reject(this.networkError(err, cluster.server))));
      request.end();
    });
  }

  private logIntent(namespace: string, pod: string): { ref: ResourceRef; intent: RequestIntent } {
    const ref: ResourceRef = { group: '', version: 'v1', resource: 'pods', namespace };
    return { ref, intent: { ...this.intent('get', ref, pod), resource: 'pods/log' } };
  }

  async exec(namespace: string, pod: string, container: string | undefined, argv: string[], options: ExecOptions): Promise<ExecResult> {
    const cluster = await this.conn();
    (this.sharedWith ?? this).serverUrl = cluster.server;
    const signals = [options.signal, this.signal].filter((s): s is AbortSignal => s !== undefined);
    const signal = signals.length > 1 ? AbortSignal.any(signals) : signals[0];
    return execInPod(cluster, { namespace, pod, container, argv }, options, signal);
  }

  /**
   * The API server's own readiness (GET /readyz, which every identity may read), asked now, never
   * from a cache; for the MCP server's /readyz. Resolves on 200, throws saying what it answered.
   */
  async readyz(signal: AbortSignal): Promise<void> {
    const view = new KubeClient(this.options, signal, this.sharedWith ?? this);
    const answer = await view.call('GET', '/readyz', { accept: 'text/plain' }, { verb: 'get', group: '', resource: '/readyz', server: '' });
    if (answer.status !== 200)
      throw new Upstream(`the Kubernetes API at ${view.server} answered GET /readyz with ${answer.status}: ${answer.text.trim().slice(0, 200) || 'no body'}`);
  }

  async servedVersions(group: string): Promise<string[]> {
    if (!group) return ['v1'];
    const list = await this.discover('/apis', apiGroupListSchema, `whether ${group} is installed`);
    const found = list?.groups.find((g) => g.name === group);
    if (!found) return [];
    const versions = found.versions.map((v) => v.version);
    const preferred = found.preferredVersion?.version;
    return preferred ? [preferred, ...versions.filter((v) => v !== preferred)] : versions;
  }

  async servesResource(group: string, version: string, resource: string): Promise<boolean> {
    const path = group ? `/apis/${group}/${version}` : `/api/${version}`;
    const list = await this.discover(path, apiResourceListSchema, `whether ${group || 'the core group'}/${version} serves ${resource}`);
    return Boolean(list?.resources?.some((r) => r.name === resource));
  }

  async apiResources(): Promise<ApiDiscovery> {
    const [core, groups] = await Promise.all([
      this.discover('/api', apiVersionsSchema, 'which versions the core group serves'),
      this.discover('/apis', apiGroupListSchema, 'which API groups are installed'),
    ]);
    // Preferred version first, as kubectl's RESTMapper orders its priorities.
    const groupVersions = [
      ...(core?.versions ?? ['v1']).map((version) => ({ group: '', version })),
      ...(groups?.groups ?? []).flatMap((g) => {
        const preferred = g.preferredVersion?.version;
        const versions = g.versions.map((v) => v.version);
        return (preferred && versions.includes(preferred) ? [preferred, ...versions.filter((v) => v !== preferred)] : versions).map((version) => ({
          group: g.name,
          version,
        }));
      }),
    ];
    const failed: ApiDiscovery['failed'] = [];
    const lists = await mapBounded(groupVersions, DISCOVERY_PARALLEL, async ({ group, version }) => {
      const path = group ? `/apis/${group}/${version}` : `/api/${version}`;
      try {
        return { group, version, list: await this.discover(path, apiResourceListSchema, `what ${group || 'the core group'}/${version} serves`) };
      } catch (err) {
        if (this.signal?.aborted || !isHomelabError(err) || err.kind === 'Forbidden') throw err;
        failed.push({ groupVersion: group ? `${group}/${version}` : version, error: err.message });
        return { group, version, list: undefined };
      }
    });
    const resources: ApiResource[] = [];
    for (const { group, version, list } of lists) {
      for (const r of list?.resources ?? []) {
        if (r.name.includes('/')) continue; // a subresource: pods/log is not a kind
        resources.push({
          group,
          version,
          resource: r.name,
          singular: r.singularName || (r.kind ?? '').toLowerCase(),
          kind: r.kind ?? '',
          namespaced: r.namespaced ?? false,
          shortNames: r.shortNames ?? [],
          categories: r.categories ?? [],
          verbs: r.verbs ?? [],
        });
      }
    }
    return { resources, failed };
  }

  async listPage(ref: ResourceRef, options: PageOptions): Promise<Page> {
    const query: Record<string, string> = { limit: String(options.limit) };
    if (options.labelSelector) query.labelSelector = options.labelSelector;
    if (options.fieldSelector) query.fieldSelector = options.fieldSelector;
    if (options.continue) query.continue = options.continue;
    else if (options.resourceVersion) Object.assign(query, { resourceVersion: options.resourceVersion, resourceVersionMatch: 'Exact' });
    if (options.as === 'table') query.includeObject = 'Metadata';
    const intent = this.intent('list', ref);
    const answer = await this.call('GET', resourcePath(ref), { query, accept: acceptFor(options.as, true, options.strict) }, intent);
    if (answer.status === 410) {
      throw new Upstream(
        `the list of ${ref.resource} ${options.continue ? 'continued from that token' : 'at that point'} is no longer available (the cluster has moved on: 410 Gone)`,
        { hint: 'list again from the start (without continue)' },
      );
    }
    return this.page(answer, intent, options);
  }

  async read(ref: ResourceRef, name: string, options: ReadOptions): Promise<Page> {
    const intent = this.intent('get', ref, name);
    const query: Record<string, string> = options.as === 'table' ? { includeObject: 'Metadata' } : {};
    return this.page(await this.call('GET', resourcePath(ref, name), { query, accept: acceptFor(options.as, false, options.strict) }, intent), intent, options);
  }

  async kubeletSummary(node: string): Promise<unknown> {
    const ref: ResourceRef = { group: '', version: 'v1', resource: 'nodes' };
    const intent = { ...this.intent('get', ref, node), resource: 'nodes/proxy' };
    return this.json<unknown>(await this.call('GET', resourcePath(ref, node, 'proxy/stats/summary'), {}, intent), intent);
  }

  /**
   * A read's answer as a page: a Table (rows with their metadata), a list, or one object. With
   * `strict`, anything but a Table or metadata is refused unread, and only metadata is kept.
   */
  private page(answer: HttpAnswer, intent: RequestIntent, options: ReadOptions): Page {
    const body = this.json<unknown>(answer, intent);
    const kind = (body as { kind?: unknown } | null)?.kind;
    const what = `${intent.verb} ${intent.group ? `${intent.resource}.${intent.group}` : intent.resource}`;
    if (kind === 'Table') {
      const table = tableSchema.safeParse(body);
      if (!table.success)
        throw new Upstream(
          `the Kubernetes API answered ${what} with a malformed Table (${table.error.issues[0]?.path.join('.') ?? ''}: ${table.error.issues[0]?.message ?? ''})`,
        );
      const rows = table.data.rows ?? [];
      return {
        items: rows.map((row, i) =>
          row.object ? metadataOf(row.object) : { metadata: { name: typeof row.cells[0] === 'string' ? row.cells[0] : `row ${i}` } },
        ),
        table: {
          columns: table.data.columnDefinitions.map(({ name, type, format, priority }) => ({ name, type, format, priority })),
          rows: rows.map((row) => row.cells),
        },
        continue: table.data.metadata?.continue || undefined,
        remainingItemCount: table.data.metadata?.remainingItemCount,
        resourceVersion: table.data.metadata?.resourceVersion,
      };
    }
    const metadataOnly = kind === 'PartialObjectMetadata' || kind === 'PartialObjectMetadataList';
    if (options.strict && !metadataOnly) {
      throw new Upstream(`the Kubernetes API answered ${what} with the objects themselves although only their metadata was asked for: not read`, {
        hint: 'this server cannot answer metadata-only reads; homelab does not read Secret data',
      });
    }
    const keep = (item: KubeObject) => (options.strict || options.as === 'metadata' ? metadataOf(item) : item);
    if (intent.name) {
      const one = z.looseObject({ metadata: z.looseObject({ name: z.string() }) }).safeParse(body);
      if (!one.success) throw new Upstream(`the Kubernetes API answered ${what} with something that is not an object`);
      return { items: [keep(one.data as KubeObject)] };
    }
    const list = listSchema.safeParse(body);
    if (!list.success) throw new Upstream(`the Kubernetes API answered ${what} with something that is not a list`);
    return {
      items: (list.data.items ?? []).map((item) => keep(item as KubeObject)),
      continue: list.data.metadata?.continue || undefined,
      remainingItemCount: list.data.metadata?.remainingItemCount,
      resourceVersion: list.data.metadata?.resourceVersion,
    };
  }

  /**
   * A discovery document, validated; `question` is what the caller wanted to know, for the error.
   * Only a real absence is `undefined`: a 404 on a group-version. Anything else that is not a good
   * answer (a 503 from an aggregated API that is down, a 5xx, a proxy's HTML, a document of the
   * wrong shape) is an error, and is not cached, so the next call asks again and a long-running
   * server recovers with the API. Good answers are kept for DISCOVERY_TTL_MS, so a CRD installed
   * later is seen.
   */
  private async discover<T>(path: string, schema: z.ZodType<T>, question: string): Promise<T | undefined> {
    try {
      return (await this.discoveryDocument(path, schema)) as T | undefined;
    } catch (err) {
      if (!(err instanceof DiscoveryFailed)) throw err;
      throw new Upstream(`cannot tell ${question}: ${err.message}`, {
        hint: `discovery is failing, so this is not "not installed"; see \`kubectl get --raw ${path}\` and \`kubectl get apiservices\``,
      });
    }
  }

  /** One discovery document, shared by concurrent callers (and cached while good). */
  private discoveryDocument(path: string, schema: z.ZodType): Promise<unknown> {
    const cached = this.discovery.get(path);
    if (cached && Date.now() - cached.at < DISCOVERY_TTL_MS) return cached.answer;
    const intent: RequestIntent = { verb: 'get', group: '', resource: path, server: '' };
    const answer = this.call('GET', path, {}, intent).then((res) => {
      if (res.status === 404 && path !== '/apis') return undefined;
      const failed = (what: string) => new DiscoveryFailed(`the Kubernetes API at ${this.server} answered GET ${path} with ${what}`);
      if (res.status !== 200) {
        if (res.status === 401 || res.status === 403) throw translateHttpError(res.status, res.text, { ...intent, server: this.server });
        const said = parseStatus(res.text)?.message ?? (res.text.trim().slice(0, 200) || 'no body');
        throw failed(`${res.status}${STATUS_TEXT[res.status] ? ` ${STATUS_TEXT[res.status]}` : ''}: ${said}`);
      }
      let body: unknown;
      try {
        body = JSON.parse(res.text);
      } catch {
        throw failed(`something that is not JSON (${JSON.stringify(res.text.trim().slice(0, 60))})`);
      }
      const parsed = schema.safeParse(body);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw failed(`a malformed discovery document (${issue ? `${issue.path.join('.') || 'the document'}: ${issue.message}` : 'invalid'})`);
      }
      return parsed.data;
    });
    const entry = { at: Date.now(), answer };
    this.discovery.set(path, entry);
    answer.catch(() => {
      if (this.discovery.get(path) === entry) this.discovery.delete(path);
    });
    return answer;
  }

  private intent(verb: string, ref: ResourceRef, name?: string): RequestIntent {
    return { verb, group: ref.group, resource: ref.resource, namespace: ref.namespace, name, server: this.server };
  }

  /** A streamed list's continue token; a document that was not a whole list says so. */
  private splitList(splitter: ListItemSplitter, intent: RequestIntent): { continue: string | undefined } {
    let rest: Record<string, unknown>;
    try {
      rest = splitter.end();
    } catch {
      throw notJson(`${intent.verb} ${intent.resource}`);
    }
    const metadata = rest.metadata as { continue?: unknown } | undefined;
    return { continue: typeof metadata?.continue === 'string' && metadata.continue ? metadata.continue : undefined };
  }

  private json<T>(answer: HttpAnswer, intent: RequestIntent): T {
    if (answer.status >= 400) throw translateHttpError(answer.status, answer.text, intent);
    try {
      return JSON.parse(answer.text) as T;
    } catch {
      throw notJson(`${intent.verb} ${intent.resource}`);
    }
  }

  private async call(
    method: string,
    path: string,
    req: { query?: Record<string, string>; body?: string; contentType?: string; accept?: string; items?: ListItemSplitter },
    intent: RequestIntent,
  ): Promise<HttpAnswer> {
    const cluster = await this.conn();
    const server = cluster.server;
    (this.sharedWith ?? this).serverUrl = server;
    intent.server = server;
    const url = new URL(server + path);
    for (const [k, v] of Object.entries(req.query ?? {})) url.searchParams.set(k, v);
    // Credentials are applied per request: exec plugins and token files rotate them. A 401 drops the
    // credential that was refused, and the request is tried once more with a fresh one.
    const id = this.nextRequest++;
    this.inFlight.set(id, describeIntent(intent));
    try {
      const used = await cluster.requestOptions();
      const answer = await this.send(method, url, req, used);
      if (answer.status === 401 && cluster.onUnauthorized(used)) return await this.send(method, url, req, await cluster.requestOptions());
      return answer;
    } finally {
      this.inFlight.delete(id);
    }
  }

  /** One HTTP exchange over the cluster's keep-alive agent; the body is read whole, up to a bound. */
  private async send(
    method: string,
    url: URL,
    req: { body?: string; contentType?: string; accept?: string; items?: ListItemSplitter },
    options: KubeRequestOptions,
  ): Promise<HttpAnswer> {
    const headers: Record<string, string | string[]> = { ...options.headers, Accept: req.accept ?? 'application/json', 'User-Agent': 'homelab' };
    if (req.body !== undefined) {
      headers['Content-Type'] = req.contentType ?? 'application/json';
      headers['Content-Length'] = String(Buffer.byteLength(req.body));
    }
    const server = url.origin;
    const path = url.pathname;
    const timeoutMs = this.options.requestTimeoutMs ?? 30_000;
    const send = await requestFor(url);
    return new Promise<HttpAnswer>((resolve, reject) => {
      const request = send(url, { method, ...options, headers, signal: this.signal }, (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        // A list that came (200) goes to its splitter as it arrives; any other answer is read whole (an error's Status).
        const items = res.statusCode === 200 ? req.items : undefined;
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_BODY_BYTES) {
            request.destroy(new Upstream(`the answer to ${method} ${path} is larger than ${MAX_BODY_BYTES / 1024 / 1024} MiB`));
            return;
          }
          if (!items) {
            chunks.push(chunk);
            return;
          }
          try {
            items.push(chunk);
          } catch {
            request.destroy(notJson(`${method} ${path}`));
          }
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: items ? '' : Buffer.concat(chunks).toString('utf8') }));
        res.on('error', (err) => reject(this.networkError(err, server)));
      });
      request.setTimeout(timeoutMs, () =>
        request.destroy(new Timeout(`the Kubernetes API at ${server} did not answer ${method} ${path} within ${timeoutMs / 1000}s`)),
      );
      request.on('error', (err) => reject(this.networkError(err, server)));
      if (req.body !== undefined) request.write(req.body);
      request.end();
    });
  }

  private networkError(err: Error, server: string): Error {
    if (isHomelabError(err)) return err;
    if (err.name === 'AbortError' && this.signal?.aborted) return this.signal.reason instanceof Error ? this.signal.reason : err;
    return translateNetworkError(err as NodeJS.ErrnoException, server);
  }
}
