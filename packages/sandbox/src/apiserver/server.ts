/**
 * The HTTP side of the simulated kube-apiserver: authentication, authorization, routing of
 * discovery and resource requests, and the apiserver's verbs over the generic object store.
 */
import { randomUUID, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { apiGroup, apiGroupList, apiVersions, resourceList, versionInfo } from './discovery.js';
import type { Faults } from './faults.js';
import { statsSummary } from './kubelet.js';
import type { RequestLog } from './requests.js';
import { ApiError, badRequest, conflict, expired, invalid, methodNotAllowed, notFound, pathNotFound, unauthorized, unsupportedMediaType } from './errors.js';
import { apiVersionOf, type KindRegistry, type ResourceDef } from './kinds.js';
import { formatLogLine, readLogs, type LogBook } from './logs.js';
import { queryBool } from './query.js';
import { decodeContinue, encodeContinue } from './paging.js';
import { applyPatch, PATCH_CONTENT_TYPES, type PatchType } from './patch.js';
import { attributesOf, requestInfo, type Authorizer, type RequestInfo } from './rbac.js';
import { checkFields, matchFields, matchLabels, parseFieldSelector, parseLabelSelector } from './selectors.js';
import { keyOf, rfc3339, type ObjectStore } from './store.js';
import { toTable, type IncludeObject } from './table.js';
import { clone, isRecord, type KubeObject } from './types.js';
import { serveWatch } from './watch.js';
import { groupVersionOf, openapiV2, openapiV3, openapiV3Index } from './openapi.js';
import { answerReview, isReview, userInfo, type UserInfo } from './reviews.js';

export interface ServerContext {
  store: ObjectStore;
  logs: LogBook;
  authorizer: Authorizer;
  token: string;
  /** a client certificate signed by the sandbox's CA authenticates too (x509 client-cert auth) */
  clientCertificates?: boolean;
  gitVersion: string;
  now: () => Date;
  /** host:port as clients reach it (for /api serverAddressByClientCIDRs) */
  address: () => string;
  /** open watch responses, closed on stop */
  watches: Set<ServerResponse>;
  /** answers tests inject (faults.ts); checked after authorization, before anything else */
  faults: Faults;
  /** every authenticated request, for tests to see what a client asked */
  requests: RequestLog;
  /** the scenario's volumeUsage: bytes used on each claim's volume, for the kubelet summary */
  volumeUsage: Readonly<Record<string, string>>;
}

const MAX_BODY = 3 * 1024 * 1024;
const TABLE_TYPE = 'application/json;as=Table;v=v1;g=meta.k8s.io';

function send(res: ServerResponse, code: number, body: unknown, contentType = 'application/json'): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(code, {
    'Content-Type': contentType,
    'Content-Length': Buffer.byteLength(text),
    'Audit-Id': randomUUID(),
    'Cache-Control': 'no-cache, private',
    'X-Kubernetes-Pf-Flowschema-Uid': '2f7f4d8c-8f4a-4f2e-9b8a-1d3c5e7f9a0b',
    'X-Kubernetes-Pf-Prioritylevel-Uid': '6a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d',
  });
  res.end(text);
}

export function sendError(res: ServerResponse, err: unknown): void {
  if (err instanceof ApiError) {
    send(res, err.code, err.status);
    return;
  }
  const message = err instanceof Error ? err.message : String(err);
  send(res, 500, {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason: 'InternalError',
    details: { causes: [{ message }] },
    code: 500,
  });
}

/** Who the request is from: the client certificate's subject (CN, O) or the token's user; 401 otherwise. */
export function authenticate(ctx: ServerContext, req: IncomingMessage): UserInfo {
  // the TLS layer verified the certificate against the CA (requestCert, not rejecting: tokens still work)
  const socket = req.socket as TLSSocket;
  if (ctx.clientCertificates && socket.authorized) {
    const { CN, O } = socket.getPeerCertificate().subject;
    return userInfo(String(CN), O === undefined ? [] : [O].flat().map(String));
  }
  const h = req.headers.authorization ?? '';
  const m = /^Bearer\s+(\S+)$/i.exec(h);
  const given = Buffer.from(m?.[1] ?? '');
  const want = Buffer.from(ctx.token);
  if (!m || given.length !== want.length || !timingSafeEqual(given, want)) throw unauthorized();
  return userInfo(ctx.authorizer.user);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const b = chunk as Buffer;
    size += b.length;
    if (size > MAX_BODY) throw new ApiError(413, 'RequestEntityTooLarge', 'Request entity too large: limit is 3145728');
    chunks.push(b);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw badRequest(`error decoding request body: ${e instanceof Error ? e.message : String(e)}`);
  }
}

export function createHandler(ctx: ServerContext): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    handle(ctx, req, res).catch((err: unknown) => sendError(res, err));
  };
}

async function handle(ctx: ServerContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'https://sandbox');
  const method = req.method ?? 'GET';
  const user = authenticate(ctx, req);
  ctx.requests.record(method, url, req.headers.accept);
  const ri = requestInfo(method, url.pathname, url.searchParams);
  ctx.authorizer.authorize([attributesOf(ri)]);
  if (await ctx.faults.answer(req, res, url.pathname)) return;
  if (!ri.isResourceRequest) {
    nonResource(ctx, ri, method, url.pathname, req, res);
    return;
  }
  await resourceRequest(ctx, ri, req, res, url.searchParams, user);
}

function nonResource(ctx: ServerContext, ri: RequestInfo, method: string, path: string, req: IncomingMessage, res: ServerResponse): void {
  const p = path.replace(/\/+$/, '') || '/';
  if (method !== 'GET' && method !== 'HEAD') throw methodNotAllowed(`the server does not allow this method on the requested resource`);
  if (p === '/version') return send(res, 200, versionInfo(ctx.gitVersion, ctx.now()));
  if (p === '/healthz' || p === '/livez' || p === '/readyz') return send(res, 200, 'ok', 'text/plain; charset=utf-8');
  if (p === '/api') return send(res, 200, apiVersions(ctx.address()));
  if (p === '/openapi/v2') {
    // kubectl asks for the protobuf encoding first; JSON is what this sandbox writes
    if (!acceptsJson(req)) throw new ApiError(406, 'NotAcceptable', 'only the following media types are accepted: application/json');
    return sendOpenapi(ctx, res, p, () => openapiV2(ctx.store.kinds, ctx.gitVersion));
  }
  if (p === '/openapi/v3') return sendOpenapi(ctx, res, p, () => openapiV3Index(ctx.store.kinds, ctx.gitVersion));
  const gv = groupVersionOf(p);
  if (gv && ctx.store.kinds.servesGroupVersion(gv.group, gv.version))
    return sendOpenapi(ctx, res, p, () => openapiV3(ctx.store.kinds, ctx.gitVersion, gv.group, gv.version));
  if (p === '/apis') return send(res, 200, apiGroupList(ctx.store.kinds));
  if (ri.apiPrefix === 'apis' && ri.apiGroup && !ri.apiVersion) {
    const g = apiGroup(ctx.store.kinds, ri.apiGroup);
    if (g) return send(res, 200, g);
  }
  if (ri.apiPrefix && ri.apiVersion) {
    const list = resourceList(ctx.store.kinds, ri.apiGroup, ri.apiVersion);
    if (list) return send(res, 200, list);
  }
  throw pathNotFound();
}

/** an Accept header that takes JSON (or says nothing) */
function acceptsJson(req: IncomingMessage): boolean {
  const accept = req.headers.accept ?? '';
  return accept === '' || accept.split(',').some((a) => /^\s*(application\/json|application\/\*|\*\/\*)\s*(;|$)/.test(a));
}

/** the OpenAPI documents, made once per kinds registry (a sandbox's never changes) */
const openapiDocs = new WeakMap<KindRegistry, Map<string, string>>();
function sendOpenapi(ctx: ServerContext, res: ServerResponse, path: string, make: () => unknown): void {
  let docs = openapiDocs.get(ctx.store.kinds);
  if (!docs) {
    docs = new Map();
    openapiDocs.set(ctx.store.kinds, docs);
  }
  let text = docs.get(path);
  if (text === undefined) {
    text = JSON.stringify(make());
    docs.set(path, text);
  }
  send(res, 200, text);
}

interface Req {
  ctx: ServerContext;
  ri: RequestInfo;
  r: ResourceDef;
  version: string;
  q: URLSearchParams;
  req: IncomingMessage;
  res: ServerResponse;
  user: UserInfo;
}

async function resourceRequest(
  ctx: ServerContext,
  ri: RequestInfo,
  req: IncomingMessage,
  res: ServerResponse,
  q: URLSearchParams,
  user: UserInfo,
): Promise<void> {
  const r = ctx.store.kinds.find(ri.apiGroup, ri.apiVersion, ri.resource);
  if (!r) throw pathNotFound();
  // a namespaced resource addressed without namespace only for list/watch; cluster-scoped never inside one
  // (a list's name comes from its metadata.name field selector, for authorization: not a path)
  if (r.namespaced && !ri.namespace && ri.name && ri.verb !== 'list' && ri.verb !== 'watch') throw pathNotFound();
  if (!r.namespaced && ri.namespace && r.plural !== 'namespaces') throw pathNotFound();
  if (ri.parts.length > 3 && ri.subresource !== 'proxy') throw pathNotFound();
  const x: Req = { ctx, ri, r, version: ri.apiVersion, q, req, res, user };
  if (ri.subresource) return subresource(x);
  if (!r.verbs.includes(ri.verb)) throw methodNotAllowed('the server does not allow this method on the requested resource');
  if (isReview(r)) return review(x);
  switch (ri.verb) {
    case 'list':
      return list(x);
    case 'watch':
      return serveWatch(x.ctx, r, ri.namespace || undefined, q, req, res, (o) => present(x, o));
    case 'get':
      return send(res, 200, output(x, [getObject(x)], false));
    case 'create':
      return create(x);
    case 'update':
      return update(x);
    case 'patch':
      return patch(x);
    case 'delete':
      return del(x);
    case 'deletecollection':
      return deleteCollection(x);
  }
  throw methodNotAllowed('the server does not allow this method on the requested resource');
}

/** a review is answered, not stored: 201 with the object and its status */
async function review(x: Req): Promise<void> {
  const answer = answerReview(x.ctx.authorizer, x.user, x.r, parseJson(await readBody(x.req)));
  send(x.res, 201, present(x, answer));
}

function getObject(x: Req): KubeObject {
  const o = x.ctx.store.get(x.r, x.ri.namespace || undefined, x.ri.name);
  if (!o) throw notFound(x.r, x.ri.name);
  return o;
}

/** the object as served at the requested version */
function present(x: Pick<Req, 'r' | 'version'>, o: KubeObject): KubeObject {
  return { ...o, apiVersion: apiVersionOf(x.r.group, x.version), kind: x.r.kind };
}

function wantsTable(req: IncomingMessage): boolean {
  const accept = req.headers.accept ?? '';
  return accept.split(',').some((a) => /as=Table/.test(a) && /g=meta\.k8s\.io/.test(a) && /v=v1(beta1)?\b/.test(a));
}

/** PartialObjectMetadata(List): what clients ask for when only names, labels and annotations matter */
function wantsMetadata(req: IncomingMessage): 'PartialObjectMetadata' | 'PartialObjectMetadataList' | undefined {
  const accept = req.headers.accept ?? '';
  for (const a of accept.split(',')) {
    const as = /as=(PartialObjectMetadata(List)?)\b/.exec(a);
    if (as && /g=meta\.k8s\.io/.test(a) && /v=v1\b/.test(a)) return as[1] as 'PartialObjectMetadata' | 'PartialObjectMetadataList';
  }
  return undefined;
}

const METADATA_TYPE = (as: string) => `application/json;as=${as};g=meta.k8s.io;v=v1`;

function includeObject(q: URLSearchParams): IncludeObject {
  const v = q.get('includeObject');
  if (v === 'None' || v === 'Object' || v === 'Metadata') return v;
  if (v) throw badRequest(`includeObject: Unsupported value: "${v}": supported values: "Metadata", "None", "Object"`);
  return 'Metadata';
}

/** one object (get) or a list body, as JSON or as a Table when kubectl asks for one */
function output(x: Req, items: KubeObject[], isList: boolean, listMeta: Record<string, unknown> = {}): unknown {
  if (wantsTable(x.req)) {
    x.res.setHeader('Content-Type', TABLE_TYPE);
    const tableMeta = isList ? listMeta : { resourceVersion: items[0]?.metadata.resourceVersion };
    return toTable(
      x.r,
      items.map((o) => present(x, o)),
      includeObject(x.q),
      x.ctx.now(),
      tableMeta,
    );
  }
  const metadataAs = wantsMetadata(x.req);
  if (metadataAs) {
    // like the apiserver: a list asked for as PartialObjectMetadata(List) carries metadata only
    const partial = (o: KubeObject) => ({ kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata });
    x.res.setHeader('Content-Type', METADATA_TYPE(isList ? 'PartialObjectMetadataList' : 'PartialObjectMetadata'));
    if (!isList) return partial(items[0] as KubeObject);
    return { kind: 'PartialObjectMetadataList', apiVersion: 'meta.k8s.io/v1', metadata: listMeta, items: items.map(partial) };
  }
  if (!isList) return present(x, items[0] as KubeObject);
  return {
    kind: x.r.listKind,
    apiVersion: apiVersionOf(x.r.group, x.version),
    metadata: listMeta,
    // the apiserver leaves TypeMeta off built-in list items; custom resources keep it
    items: items.map((o) => (x.r.custom ? present(x, o) : stripTypeMeta(o))),
  };
}

function stripTypeMeta(o: KubeObject): Record<string, unknown> {
  const { apiVersion: _a, kind: _k, ...rest } = o;
  return rest;
}

function sendOutput(x: Req, code: number, body: unknown): void {
  const ct = x.res.getHeader('Content-Type');
  send(x.res, code, body, typeof ct === 'string' ? ct : 'application/json');
}

// ---------------------------------------------------------------- list

function parseLimit(q: URLSearchParams): number {
  const v = q.get('limit');
  if (v === null || v === '') return 0;
  const n = Number(v);
  if (!Number.isInteger(n)) throw badRequest(`limit: Invalid value: "${v}"`);
  return n > 0 ? n : 0;
}

function list(x: Req): void {
  const { store } = x.ctx;
  const labels = parseLabelSelector(x.q.get('labelSelector') ?? '');
  const fields = parseFieldSelector(x.q.get('fieldSelector') ?? '');
  checkFields(x.r, fields);
  const limit = parseLimit(x.q);
  const ns = x.ri.namespace || undefined;
  const token = x.q.get('continue');
  let start = '';
  let snap: { rv: number; items: readonly KubeObject[] };
  if (token) {
    const t = decodeContinue(token);
    start = t.start;
    const s = t.rv === -1 ? store.snapshot(x.r) : store.snapshot(x.r, t.rv);
    if (!s) {
      const e = expired(
        'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.',
      );
      e.status.metadata = { continue: encodeContinue(-1, start) };
      throw e;
    }
    snap = s;
  } else if (limit > 0) {
    snap = store.snapshot(x.r) as { rv: number; items: readonly KubeObject[] };
  } else {
    snap = { rv: store.revisionNumber, items: store.scan(x.r) };
  }
  const items = snap.items;
  // binary search the first key after `start`
  let lo = 0;
  if (start) {
    let hi = items.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (keyOf(x.r, items[mid] as KubeObject) <= start) lo = mid + 1;
      else hi = mid;
    }
  }
  const out: KubeObject[] = [];
  let i = lo;
  let more = false;
  for (; i < items.length; i++) {
    const o = items[i] as KubeObject;
    if (ns !== undefined && o.metadata.namespace !== ns) continue;
    if (!matchLabels(labels, o.metadata.labels) || !matchFields(fields, o)) continue;
    if (limit > 0 && out.length === limit) {
      more = true;
      break;
    }
    out.push(o);
  }
  const meta: Record<string, unknown> = { resourceVersion: String(snap.rv) };
  if (more) {
    // `more` is only known for certain when another match exists past the page
    const last = out[out.length - 1] as KubeObject;
    meta.continue = encodeContinue(snap.rv, keyOf(x.r, last));
    if (labels.length === 0 && fields.length === 0) {
      let remaining = 0;
      for (let j = i; j < items.length; j++) if (ns === undefined || (items[j] as KubeObject).metadata.namespace === ns) remaining++;
      meta.remainingItemCount = remaining;
    }
  }
  sendOutput(x, 200, output(x, out, true, meta));
}

// ---------------------------------------------------------------- writes

async function bodyObject(x: Req): Promise<KubeObject> {
  const body = parseJson(await readBody(x.req));
  if (!isRecord(body)) throw badRequest('the object provided is unrecognized (must be of type ' + x.r.kind + ')');
  if (body.kind !== undefined && body.kind !== x.r.kind) {
    throw badRequest(`the object provided is unrecognized (must be of type ${x.r.kind}): couldn't get version/kind; json parse error (${String(body.kind)})`);
  }
  if (!isRecord(body.metadata)) body.metadata = {};
  return body as KubeObject;
}

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function validateName(x: Req, obj: KubeObject): void {
  const name = obj.metadata.name ?? '';
  if (!name) throw invalid(x.r, '', [{ field: 'metadata.name', type: 'Required value', detail: 'name or generateName is required' }]);
  if (name.length > 253 || !DNS1123_SUBDOMAIN.test(name)) {
    throw invalid(x.r, name, [
      {
        field: 'metadata.name',
        type: 'Invalid value',
        detail: `"${name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
      },
    ]);
  }
}

function checkNamespace(x: Req, obj: KubeObject): void {
  if (!x.r.namespaced) return;
  const ns = x.ri.namespace;
  if (obj.metadata.namespace && obj.metadata.namespace !== ns) {
    throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
  }
  obj.metadata.namespace = ns;
  if (!x.ctx.store.get('namespaces', undefined, ns)) throw notFound({ group: '', plural: 'namespaces' }, ns);
}

const SUFFIX = 'bcdfghjklmnpqrstvwxz2456789';
function randomSuffix(): string {
  let s = '';
  for (let i = 0; i < 5; i++) s += SUFFIX[Math.floor(Math.random() * SUFFIX.length)];
  return s;
}

const dryRun = (q: URLSearchParams): boolean => q.getAll('dryRun').includes('All');

async function create(x: Req): Promise<void> {
  const obj = await bodyObject(x);
  checkNamespace(x, obj);
  const m = obj.metadata;
  if (!m.name && m.generateName) m.name = `${m.generateName}${randomSuffix()}`;
  validateName(x, obj);
  for (const k of ['uid', 'resourceVersion', 'creationTimestamp', 'deletionTimestamp', 'generation'] as const) delete m[k];
  if (x.r.plural === 'pods' && !isRecord(obj.status)) obj.status = { phase: 'Pending', qosClass: 'BestEffort' };
  if (dryRun(x.q)) {
    if (x.ctx.store.get(x.r, m.namespace, m.name ?? '')) throw conflictExists(x, m.name ?? '');
    Object.assign(m, { uid: randomUUID(), creationTimestamp: rfc3339(x.ctx.now()), ...(x.r.plural === 'pods' ? {} : { generation: 1 }) });
    return send(x.res, 201, present(x, obj));
  }
  const stored = x.ctx.store.create(x.r, obj);
  send(x.res, 201, present(x, stored));
}

function conflictExists(x: Req, name: string): ApiError {
  return new ApiError(409, 'AlreadyExists', `${x.r.group ? `${x.r.plural}.${x.r.group}` : x.r.plural} "${name}" already exists`, {
    name,
    group: x.r.group,
    kind: x.r.plural,
  });
}

const hasStatusSubresource = (r: ResourceDef): boolean => r.subresources.some((s) => s.name === 'status');

/** carry over what a write to the main resource may not change; bump generation when the spec changed */
function finishWrite(x: Req, existing: KubeObject, next: KubeObject, sub: 'status' | '' = ''): KubeObject {
  if (!isRecord(next) || !isRecord(next.metadata)) throw badRequest('the patched object is not a Kubernetes object');
  const m = next.metadata;
  const givenRv = m.resourceVersion;
  if (givenRv !== undefined && givenRv !== '' && givenRv !== existing.metadata.resourceVersion) {
    throw conflict(x.r, existing.metadata.name ?? '', 'the object has been modified; please apply your changes to the latest version and try again');
  }
  let out: KubeObject;
  if (sub === 'status') {
    out = { ...clone(existing), status: next.status };
  } else {
    out = { ...next, metadata: { ...m } };
    if (hasStatusSubresource(x.r) && 'status' in existing) out.status = clone(existing.status);
    else if (hasStatusSubresource(x.r)) delete out.status;
  }
  const om = out.metadata;
  om.name = existing.metadata.name;
  om.namespace = existing.metadata.namespace;
  om.uid = existing.metadata.uid;
  om.creationTimestamp = existing.metadata.creationTimestamp;
  om.resourceVersion = existing.metadata.resourceVersion;
  if (existing.metadata.deletionTimestamp) om.deletionTimestamp = existing.metadata.deletionTimestamp;
  if (existing.metadata.generation !== undefined) {
    const specChanged = x.r.custom
      ? JSON.stringify(withoutMetaStatus(existing)) !== JSON.stringify(withoutMetaStatus(out))
      : JSON.stringify(existing.spec) !== JSON.stringify(out.spec);
    om.generation = (existing.metadata.generation ?? 1) + (sub !== 'status' && specChanged ? 1 : 0);
  }
  out.apiVersion = existing.apiVersion;
  out.kind = existing.kind;
  return out;
}

function withoutMetaStatus(o: KubeObject): Record<string, unknown> {
  const { metadata: _m, status: _s, apiVersion: _a, kind: _k, ...rest } = o;
  return rest;
}

function write(x: Req, existing: KubeObject, next: KubeObject, code = 200): void {
  if (JSON.stringify(stripRv(existing)) === JSON.stringify(stripRv(next))) return send(x.res, code, present(x, existing)); // no-op writes keep the resourceVersion
  if (dryRun(x.q)) return send(x.res, code, present(x, next));
  send(x.res, code, present(x, x.ctx.store.update(x.r, next)));
}

function stripRv(o: KubeObject): KubeObject {
  return { ...o, metadata: { ...o.metadata, resourceVersion: '' } };
}

async function update(x: Req, sub: 'status' | '' = ''): Promise<void> {
  const obj = await bodyObject(x);
  if (obj.metadata.name && obj.metadata.name !== x.ri.name) {
    throw badRequest(`the name of the object (${obj.metadata.name}) does not match the name on the URL (${x.ri.name})`);
  }
  if (x.r.namespaced && obj.metadata.namespace && obj.metadata.namespace !== x.ri.namespace) {
    throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
  }
  const existing = getObject(x);
  if (!obj.metadata.resourceVersion) {
    if (x.r.plural !== 'namespaces' && x.r.plural !== 'nodes') {
      throw invalid(x.r, x.ri.name, [{ field: 'metadata.resourceVersion', type: 'Invalid value', detail: '0x0: must be specified for an update' }]);
    }
  }
  write(x, existing, finishWrite(x, existing, obj, sub));
}

function patchType(x: Req): PatchType | 'apply' {
  const ct = (x.req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  const accepted = x.r.custom
    ? 'application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml'
    : 'application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json, application/apply-patch+yaml';
  if (ct === 'application/apply-patch+yaml') return 'apply';
  const t = PATCH_CONTENT_TYPES[ct];
  if (!t || (t === 'strategic' && x.r.custom)) {
    throw unsupportedMediaType(`the body of the request was in an unknown format - accepted media types include: ${accepted}`);
  }
  return t;
}

async function patch(x: Req, sub: 'status' | '' = ''): Promise<void> {
  const type = patchType(x);
  const text = await readBody(x.req);
  if (type === 'apply') return apply(x, text);
  const body = parseJson(text);
  const existing = getObject(x);
  const patched = applyPatch(type, present(x, existing), body) as KubeObject;
  write(x, existing, finishWrite(x, existing, patched, sub));
}

/** Server-side apply, approximated as a merge patch that may create (no field ownership tracking). */
async function apply(x: Req, text: string): Promise<void> {
  if (!x.q.get('fieldManager')) throw badRequest('PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch');
  const { parse } = await import('yaml');
  let body: unknown;
  try {
    body = parse(text);
  } catch (e) {
    throw badRequest(`error decoding YAML: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (!isRecord(body)) throw badRequest('apply patch must be an object');
  const existing = x.ctx.store.get(x.r, x.ri.namespace || undefined, x.ri.name);
  if (!existing) {
    const obj = { ...body, metadata: { ...(isRecord(body.metadata) ? body.metadata : {}), name: x.ri.name } } as KubeObject;
    checkNamespace(x, obj);
    return send(x.res, 201, present(x, x.ctx.store.create(x.r, obj)));
  }
  const merged = applyPatch('merge', present(x, existing), body) as KubeObject;
  write(x, existing, finishWrite(x, existing, merged));
}

async function deleteOptions(x: Req): Promise<{ propagation: string }> {
  const text = await readBody(x.req);
  let propagation = x.q.get('propagationPolicy') ?? '';
  if (text.trim()) {
    const b = parseJson(text);
    if (isRecord(b) && typeof b.propagationPolicy === 'string') propagation = b.propagationPolicy;
  }
  if (propagation && !['Orphan', 'Background', 'Foreground'].includes(propagation)) {
    throw invalid({ group: 'meta.k8s.io', kind: 'DeleteOptions' }, '', [
      { field: 'propagationPolicy', type: 'Unsupported value', detail: `"${propagation}": supported values: "Foreground", "Background", "Orphan", "nil"` },
    ]);
  }
  return { propagation };
}

/** garbage collection: dependents go with their owner unless orphaned */
function cascade(store: ObjectStore, owner: KubeObject): void {
  const uid = owner.metadata.uid;
  if (!uid) return;
  for (const r of store.kinds.resources) {
    if (r.group === 'metrics.k8s.io') continue;
    for (const o of store.scan(r, owner.metadata.namespace && r.namespaced ? owner.metadata.namespace : undefined)) {
      if (o.metadata.ownerReferences?.some((ref) => ref.uid === uid)) {
        const gone = store.delete(r, o.metadata.namespace, o.metadata.name ?? '');
        cascade(store, gone);
      }
    }
  }
}

function deleteOne(x: Req, name: string, propagation: string): KubeObject {
  const { store } = x.ctx;
  const ns = x.ri.namespace || undefined;
  const existing = store.get(x.r, ns, name);
  if (!existing) throw notFound(x.r, name);
  if (dryRun(x.q)) return existing;
  const gone = store.delete(x.r, ns, name);
  if (propagation !== 'Orphan') cascade(store, gone);
  if (x.r.plural === 'pods') {
    const grace = Number(x.q.get('gracePeriodSeconds') ?? 30);
    gone.metadata.deletionTimestamp = rfc3339(new Date(x.ctx.now().getTime() + grace * 1000));
    gone.metadata.deletionGracePeriodSeconds = grace;
  }
  return gone;
}

async function del(x: Req): Promise<void> {
  const { propagation } = await deleteOptions(x);
  const gone = deleteOne(x, x.ri.name, propagation);
  send(x.res, 200, present(x, gone));
}

async function deleteCollection(x: Req): Promise<void> {
  const { propagation } = await deleteOptions(x);
  const labels = parseLabelSelector(x.q.get('labelSelector') ?? '');
  const fields = parseFieldSelector(x.q.get('fieldSelector') ?? '');
  checkFields(x.r, fields);
  const victims = x.ctx.store.scan(x.r, x.ri.namespace || undefined).filter((o) => matchLabels(labels, o.metadata.labels) && matchFields(fields, o));
  const gone = victims.map((o) => deleteOne(x, o.metadata.name ?? '', propagation));
  send(x.res, 200, {
    kind: x.r.listKind,
    apiVersion: apiVersionOf(x.r.group, x.version),
    metadata: { resourceVersion: x.ctx.store.resourceVersion },
    items: gone.map(stripTypeMeta),
  });
}

// ---------------------------------------------------------------- subresources

async function subresource(x: Req): Promise<void> {
  const sub = x.r.subresources.find((s) => s.name === x.ri.subresource);
  if (!sub) throw pathNotFound();
  switch (`${x.r.plural}/${sub.name}`) {
    case 'pods/log': {
      if (x.ri.verb !== 'get') break;
      const pod = getObject(x);
      const read = readLogs(pod, x.q, x.ctx.logs, x.ctx.now());
      if (!queryBool(x.q, 'follow')) return send(x.res, 200, read.text, 'text/plain');
      // follow=true: what there is, then each line as it is appended, until the client hangs up.
      x.res.writeHead(200, { 'Content-Type': 'text/plain', 'Transfer-Encoding': 'chunked' });
      x.res.write(read.text);
      const stop = x.ctx.logs.follow(pod.metadata.namespace ?? '', pod.metadata.name ?? '', read.container, (line) =>
        x.res.write(formatLogLine(line, read.timestamps)),
      );
      x.res.on('close', stop);
      x.ctx.watches.add(x.res);
      x.res.on('close', () => x.ctx.watches.delete(x.res));
      return;
    }
    case 'nodes/proxy': {
      // The kubelet's summary API only; a node that is not Ready has no kubelet to answer.
      const node = getObject(x);
      if (x.ri.verb !== 'get' || x.ri.parts.slice(3).join('/') !== 'stats/summary') throw pathNotFound();
      const ready = (isRecord(node.status) && Array.isArray(node.status.conditions) ? node.status.conditions : []).some(
        (c) => isRecord(c) && c.type === 'Ready' && c.status === 'True',
      );
      if (!ready) throw new ApiError(503, 'ServiceUnavailable', `error trying to reach service: dial tcp ${x.ri.name}:10250: connect: no route to host`, {});
      return send(x.res, 200, statsSummary(x.ctx.store, node, x.ctx.now(), x.ctx.volumeUsage));
    }
    case 'pods/exec':
    case 'pods/attach':
    case 'pods/portforward':
      getObject(x);
      throw badRequest('Upgrade request required');
  }
  if (sub.name === 'status') {
    if (x.ri.verb === 'get') return send(x.res, 200, present(x, getObject(x)));
    if (x.ri.verb === 'patch') return patch(x, 'status');
    if (x.ri.verb === 'update') return update(x, 'status');
  }
  if (sub.name === 'scale') return scale(x);
  throw methodNotAllowed('the server does not allow this method on the requested resource');
}

function scaleOf(x: Req, o: KubeObject): KubeObject {
  const spec = isRecord(o.spec) ? o.spec : {};
  const st = isRecord(o.status) ? o.status : {};
  const sel = isRecord(spec.selector) && isRecord(spec.selector.matchLabels) ? spec.selector.matchLabels : {};
  const m = o.metadata;
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: { name: m.name, namespace: m.namespace, uid: m.uid, resourceVersion: m.resourceVersion, creationTimestamp: m.creationTimestamp },
    spec: { replicas: typeof spec.replicas === 'number' ? spec.replicas : 1 },
    status: {
      replicas: typeof st.replicas === 'number' ? st.replicas : 0,
      selector: Object.entries(sel)
        .map(([k, v]) => `${k}=${String(v)}`)
        .join(','),
    },
  };
}

async function scale(x: Req): Promise<void> {
  const existing = getObject(x);
  const current = scaleOf(x, existing);
  if (x.ri.verb === 'get') return send(x.res, 200, current);
  let next: KubeObject;
  if (x.ri.verb === 'patch') {
    const type = patchType(x);
    if (type === 'apply') throw unsupportedMediaType('apply is not supported on the scale subresource in this sandbox');
    next = applyPatch(type, current, parseJson(await readBody(x.req))) as KubeObject;
  } else if (x.ri.verb === 'update') {
    next = await bodyObject(x);
  } else throw methodNotAllowed('the server does not allow this method on the requested resource');
  const replicas = isRecord(next.spec) ? next.spec.replicas : undefined;
  if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
    throw invalid({ group: 'autoscaling', kind: 'Scale' }, x.ri.name, [
      { field: 'spec.replicas', type: 'Invalid value', detail: `${String(replicas)}: must be greater than or equal to 0` },
    ]);
  }
  if (next.metadata?.resourceVersion && next.metadata.resourceVersion !== existing.metadata.resourceVersion) {
    throw conflict(x.r, x.ri.name, 'the object has been modified; please apply your changes to the latest version and try again');
  }
  const old = (current.spec as { replicas: number }).replicas;
  if (replicas === old || dryRun(x.q))
    return send(x.res, 200, scaleOf(x, replicas === old ? existing : { ...existing, spec: { ...(isRecord(existing.spec) ? existing.spec : {}), replicas } }));
  const updated = clone(existing);
  updated.spec = { ...(isRecord(updated.spec) ? updated.spec : {}), replicas };
  if (updated.metadata.generation !== undefined) updated.metadata.generation = (existing.metadata.generation ?? 1) + 1;
  const stored = x.ctx.store.update(x.r, updated);
  send(x.res, 200, scaleOf(x, stored));
}
