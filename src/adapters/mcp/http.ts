import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { isIP, type Socket } from 'node:net';
import { Readable } from 'node:stream';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { WebStandardStreamableHTTPServerTransport, createMcpHandler, isLegacyRequest, type Server as McpServer } from '@modelcontextprotocol/server';
import { UserError, describeError } from '../../core/errors.js';
import type { Logger } from '../../core/op.js';
import { refusedCall, type AuditRecord } from '../../core/run-op.js';
import { CallGate, type GateLoad, type RunCall } from './call-gate.js';
import { LOCAL_CALLER, isRefusal, type Caller, type Keys } from './keys.js';
import type { Metrics } from './metrics.js';
import { RateLimiter, type RateLimit } from './rate-limit.js';
import { plural } from '../../ops/shared/format.js';

export interface HttpLimits {
  /** Tool calls run at once. */
  maxConcurrentCalls: number;
  /** Tool calls that may wait for a turn; past them, 503 with Retry-After. */
  maxQueuedCalls: number;
  /** Messages in one JSON-RPC batch. */
  maxBatch: number;
  /** Silence allowed before a request's headers are in, and in the middle of its body (mcp.idleTimeout). */
  idleMs: number;
}

/** Who a request is from and which request it is: what a per-request MCP server needs to serve and record it. */
export interface CallerRequest {
  caller: Caller;
  requestId: string;
}

export interface HttpOptions {
  host: string;
  port: number;
  /** The API keys (they may be replaced while the server runs). Undefined means none: allowed only on a loopback address. */
  keys: Keys | undefined;
  /** Extra Host header values (hostname or hostname:port) beyond loopback. */
  allowedHosts: string[];
  /** Origins a browser may call from; none by default. */
  allowedOrigins: string[];
  limits: HttpLimits;
  /** Each key's token bucket; past it, 429. */
  rateLimit: RateLimit;
  /** The tools that change something: a read-scoped key calling one is refused with 403. */
  writeTools: ReadonlySet<string>;
  /**
   * A fresh server per request (stateless Streamable HTTP has no session to share); its tool calls
   * wait in runCall; it lists and runs what `request.caller`'s scope allows and records the caller.
   */
  newServer: (runCall: RunCall, request: CallerRequest) => McpServer;
  /** Records a tool call refused here, before any server saw it (a read key's write, a rate limit, the call cap); the metrics count it from there. */
  audit: (record: AuditRecord) => void;
  /** /readyz: resolves when the server can do its work (the Kubernetes API answers), rejects saying why not. */
  ready: (signal: AbortSignal) => Promise<void>;
  /** Served at /metrics, and told about refusals; absent, /metrics is 404. */
  metrics?: Metrics;
  log: Logger;
  now: () => Date;
}

export interface HttpServer {
  server: Server;
  url: string;
  /**
   * Stops accepting connections and requests, lets the requests in flight finish within `graceMs`,
   * then closes what is left. Resolves with how many requests were cut off (0: all finished).
   */
  close(graceMs?: number): Promise<number>;
  /** Tool calls running and waiting now. */
  load(): GateLoad;
}

/** A body larger than this is refused with 413: a tool call's arguments here are a few hundred bytes. */
export const MAX_BODY_BYTES = 256 * 1024;
/** Request bodies held in memory at once, all requests together; past it, 503 until some are done. */
const MAX_BUFFERED_BYTES = 16 * 1024 * 1024;
/** How much of an oversized body is read and dropped so the 413 arrives before the close (not a reset). */
const MAX_DRAIN_BYTES = 8 * 1024 * 1024;
/** The whole request, headers and body, must arrive within this. */
const REQUEST_MS = 30_000;

export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '');
  return bare === 'localhost' || bare === '::1' || (isIP(bare) === 4 && bare.startsWith('127.'));
}

/** How long an answer of the readiness check is reused: probes of several kubelets and people share one question. */
const READY_CACHE_MS = 5_000;
/** How long the API server has to answer it. */
const READY_TIMEOUT_MS = 3_000;
/** At most one log line per reason in this time, however many requests are refused. */
const LOG_EVERY_MS = 10_000;

function presentedKey(req: IncomingMessage): string | undefined {
  const header = req.headers['x-api-key'];
  if (typeof header === 'string' && header) return header;
  const auth = req.headers.authorization;
  const match = auth ? /^Bearer\s+(.+)$/i.exec(auth) : null;
  return match?.[1]?.trim();
}

type RpcId = string | number | null;

/** An HTTP refusal with a JSON-RPC error body, so MCP clients show the message. */
function rpcError(res: ServerResponse, status: number, message: string, options: { code?: number; id?: RpcId; headers?: Record<string, string> } = {}): void {
  const body = JSON.stringify({ jsonrpc: '2.0', error: { code: options.code ?? -32000, message }, id: options.id ?? null });
  res.writeHead(status, { 'Content-Type': 'application/json', ...options.headers }).end(body);
}

/** JSON-RPC's codes (https://www.jsonrpc.org/specification#error_object). */
const PARSE_ERROR = -32700;
const INVALID_REQUEST = -32600;

interface RpcMessage {
  method?: unknown;
  id?: unknown;
}

const isRecord = (m: unknown): m is RpcMessage => typeof m === 'object' && m !== null && !Array.isArray(m);
/** A request (not a notification or an answer): what the rate limit counts. */
const isRequest = (m: unknown): boolean => isRecord(m) && typeof m.method === 'string' && m.id !== undefined;
/** A tools/call request's tool name and arguments, as sent (validated later, by the server). */
function toolCallOf(m: unknown): { name: string; args: unknown } | undefined {
  if (!isRecord(m) || m.method !== 'tools/call' || m.id === undefined) return undefined;
  const params = (m as { params?: { name?: unknown; arguments?: unknown } }).params;
  return { name: typeof params?.name === 'string' ? params.name : '(no name)', args: params?.arguments ?? {} };
}
/** A call that runs an op: a request (it has an id) for tools/call, or resources/read (logs, health); other methods cost next to nothing. */
const isToolCall = (m: unknown): boolean => isRecord(m) && (m.method === 'tools/call' || m.method === 'resources/read') && m.id !== undefined;
/** The id to answer a refused single request with; a batch, or a message without one, gets null. */
const idOf = (m: unknown): RpcId => (isRecord(m) && (typeof m.id === 'string' || typeof m.id === 'number') ? m.id : null);

/** A tool call whose client sent a progressToken (params._meta.progressToken). */
const asksForProgress = (message: unknown): boolean =>
  (Array.isArray(message) ? message : [message]).some(
    (m) => isToolCall(m) && (m as { params?: { _meta?: { progressToken?: unknown } } }).params?._meta?.progressToken !== undefined,
  );

type Body =
  | { kind: 'ok'; text: string }
  /** Over MAX_BODY_BYTES; read to its end and dropped when it ends within MAX_DRAIN_BYTES. */
  | { kind: 'too-large' }
  /** Other requests' bodies fill MAX_BUFFERED_BYTES; this one was read and dropped. */
  | { kind: 'busy' }
  | { kind: 'stalled' }
  | { kind: 'gone' };

/** Bytes of request bodies held now, all requests together. */
interface ByteBudget {
  held: number;
}

/**
 * Reads a request body (closed as stalled after `idleMs` without a byte), holding at most MAX_BODY_BYTES of it and only while the shared budget has
 * room. A body that cannot be kept is still read to its end and dropped (up to MAX_DRAIN_BYTES), so
 * the refusal reaches the client instead of a reset from closing on unread data.
 */
function readBody(req: IncomingMessage, budget: ByteBudget, idleMs: number): Promise<Body> {
  return new Promise((resolve) => {
    const declared = Number(req.headers['content-length']);
    if (declared > MAX_BODY_BYTES + MAX_DRAIN_BYTES) return resolve({ kind: 'too-large' });
    const chunks: Buffer[] = [];
    let held = 0;
    let seen = 0;
    let dropping: 'too-large' | 'busy' | undefined = declared > MAX_BODY_BYTES ? 'too-large' : undefined;
    const drop = (why: 'too-large' | 'busy') => {
      dropping = why;
      chunks.length = 0;
      budget.held -= held;
      held = 0;
    };
    const finish = (body: Body) => {
      clearTimeout(idle);
      req.off('data', onData).off('end', onEnd).off('close', onClose);
      budget.held -= held;
      held = 0;
      resolve(body);
    };
    const idle = setTimeout(() => finish({ kind: 'stalled' }), idleMs);
    const onData = (chunk: Buffer) => {
      idle.refresh();
      seen += chunk.length;
      if (!dropping && seen > MAX_BODY_BYTES) drop('too-large');
      else if (!dropping && budget.held + chunk.length > MAX_BUFFERED_BYTES) drop('busy');
      if (!dropping) {
        chunks.push(chunk);
        held += chunk.length;
        budget.held += chunk.length;
      } else if (seen > MAX_BODY_BYTES + MAX_DRAIN_BYTES) {
        finish({ kind: 'too-large' });
      }
    };
    const onEnd = () => {
      if (dropping === 'too-large') finish({ kind: 'too-large' });
      else if (dropping === 'busy') finish({ kind: 'busy' });
      else finish({ kind: 'ok', text: Buffer.concat(chunks).toString('utf8') });
    };
    const onClose = () => finish({ kind: 'gone' });
    req.on('data', onData).on('end', onEnd).on('close', onClose);
  });
}

/** The request as the SDK's web-standard transports take it; the body was read (and bounded) already. */
function webRequest(req: IncomingMessage, body: string, signal: AbortSignal): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    for (const v of Array.isArray(value) ? value : value === undefined ? [] : [value]) headers.append(name, v);
  }
  // The Host header was checked already; the URL only carries the path to the transport.
  return new Request(new URL(req.url ?? '/mcp', 'http://localhost'), { method: req.method, headers, body, signal });
}

/** Writes the SDK's answer: JSON at once, or an SSE stream as it comes (progress before the result). */
async function send(res: ServerResponse, response: Response): Promise<void> {
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    headers[name] = value;
  });
  res.writeHead(response.status, headers);
  if (!response.body) return void res.end();
  await new Promise<void>((resolve) => {
    Readable.fromWeb(response.body as NodeReadableStream<Uint8Array>)
      .on('error', () => res.destroy())
      .pipe(res);
    res.once('close', resolve);
  });
}

/** The request's id: the client's or the ingress's X-Request-Id when it is a plain token, else a new one. */
function requestIdOf(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && /^[\w.:@/+=-]{1,128}$/.test(given) ? given : randomUUID();
}

/** Says `what` at most once per LOG_EVERY_MS, with how many times it happened since it last said it. */
function throttledWarning(log: Logger, what: (times: number, latest: string) => string): (detail: string) => void {
  let times = 0;
  let last = 0;
  return (detail) => {
    times++;
    if (Date.now() - last < LOG_EVERY_MS) return;
    log.warn(what(times, detail));
    times = 0;
    last = Date.now();
  };
}

/** The URL a client should register, as this request reached us (through an ingress: its scheme and host). */
function mcpUrlFor(req: IncomingMessage): string {
  const forwarded = String(req.headers['x-forwarded-proto'] ?? '')
    .split(',')[0]
    ?.trim();
  const scheme = forwarded === 'https' || forwarded === 'http' ? forwarded : 'http';
  const host = /^[\w.:[\]-]{1,255}$/.test(req.headers.host ?? '') ? req.headers.host : 'HOST';
  return `${scheme}://${host}/mcp`;
}

/**
 * Streamable HTTP at /mcp (stateless), /healthz, /readyz and /metrics. Checks, in order: Host (DNS
 * rebinding), Origin, API key, method; then the body (size, JSON, batch length), the key's scope
 * (a read key calls no write tool), its rate limit, and room for its tool calls (CallGate); then one
 * fresh MCP server, serving that key, handles the request. Every stage is bounded: a connection that
 * sends nothing is closed, a body has a size and a deadline, calls past the queue are refused with 503.
 */
export async function serveHttp(options: HttpOptions): Promise<HttpServer> {
  const loopback = isLoopback(options.host);
  if (!loopback && !options.keys) {
    throw new UserError(`refusing to listen on ${options.host} without an API key: anyone who can reach it could use the cluster`, {
      hint: 'set mcp.keysFile or mcp.apiKey in the config ({env: NAME} or {file: PATH}) or HOMELAB_API_KEY, or listen on 127.0.0.1',
    });
  }
  const { limits, metrics, log } = options;
  const gate = new CallGate({ maxRunning: limits.maxConcurrentCalls, maxQueued: limits.maxQueuedCalls });
  const rates = new RateLimiter(options.rateLimit);
  const budget: ByteBudget = { held: 0 };
  /** Where the calls of each 2026-07-28 request wait their turn, and whom they serve: the handler's factory is given the request. */
  const admitted = new WeakMap<Request, { run: RunCall; request: CallerRequest }>();
  const modern = createMcpHandler(
    (ctx) => {
      const entry = ctx.requestInfo ? admitted.get(ctx.requestInfo) : undefined;
      if (!entry) throw new Error('internal error: a 2026-07-28 request reached the MCP handler without its admission');
      return options.newServer(entry.run, entry.request);
    },
    { legacy: 'reject', onerror: (err) => log.debug(`MCP HTTP (2026-07-28): ${err.message}`) },
  );

  const server = createServer(
    // headersTimeout ends a sender that trickles its headers (each byte resets the socket timeout below); Node checks
    // these deadlines every connectionsCheckingInterval.
    { headersTimeout: limits.idleMs + 5_000, requestTimeout: REQUEST_MS, connectionsCheckingInterval: 1_000 },
    (req, res) => void handle(req, res),
  );
  // A connection silent for limits.idleMs before its request begins is closed without an answer (Node's own
  // headersTimeout starts at the first byte: a connection that never sends one would stay open).
  server.on('connection', (socket: Socket) => socket.setTimeout(limits.idleMs));

  const allowedHost = (hostHeader: string | undefined, port: number): boolean => {
    if (!hostHeader) return false;
    const names = new Set(options.allowedHosts.map((h) => h.toLowerCase()));
    const header = hostHeader.toLowerCase();
    const hostname = header.replace(/:\d+$/, '');
    if (names.has(header) || names.has(hostname)) return true;
    // Loopback names are always fine on the port we serve; anything else must be configured when we listen on loopback.
    if (isLoopback(hostname) && header.endsWith(`:${port}`)) return true;
    return !loopback && names.size === 0;
  };

  const allowedOrigin = (origin: string | undefined, port: number): boolean => {
    if (!origin) return true; // not a browser
    if (options.allowedOrigins.includes(origin)) return true;
    try {
      const url = new URL(origin);
      return isLoopback(url.hostname) && url.port === String(port);
    } catch {
      return false;
    }
  };

  const warnUnauthorized = throttledWarning(log, (n, latest) => `refused ${plural(n, 'MCP request')} without a valid API key (latest: ${latest})`);
  /** 401 with the challenge RFC 6750 describes: no error code when no key came, invalid_token when a wrong or expired one did. */
  const unauthorized = (res: ServerResponse, req: IncomingMessage, reason: 'missing' | 'invalid' | 'expired', detail: string): void => {
    metrics?.authFailure(reason);
    warnUnauthorized(`${detail} from ${req.socket.remoteAddress ?? '?'}`);
    const challenge =
      reason === 'missing'
        ? 'Bearer realm="homelab"'
        : `Bearer realm="homelab", error="invalid_token", error_description="${reason === 'expired' ? 'the key has expired' : 'the key is not valid'}"`;
    const said =
      reason === 'missing'
        ? 'no API key: send it as X-API-Key or Authorization: Bearer'
        : reason === 'expired'
          ? 'the API key has expired: ask for a new one'
          : 'the API key is not valid';
    rpcError(res, 401, `Unauthorized: ${said}`, { headers: { 'WWW-Authenticate': challenge } });
  };

  /** Who the request is from; or undefined once it was answered: wrong Host or Origin, no valid key, not a POST. */
  const admitCaller = (req: IncomingMessage, res: ServerResponse, port: number): Caller | undefined => {
    if (!allowedHost(req.headers.host, port)) return void rpcError(res, 403, `Forbidden host: ${req.headers.host ?? '(none)'}`);
    if (!allowedOrigin(req.headers.origin, port)) return void rpcError(res, 403, 'Forbidden origin');
    let caller = LOCAL_CALLER;
    if (options.keys) {
      const who = options.keys.identify(presentedKey(req));
      if (isRefusal(who)) {
        const detail =
          who.reason === 'missing'
            ? 'no key'
            : who.reason === 'invalid'
              ? 'a key that is not in the keys'
              : `key "${who.name}", expired ${who.expired.toISOString()}`;
        return void unauthorized(res, req, who.reason, detail);
      }
      caller = who;
    }
    if (req.method !== 'POST')
      return void rpcError(res, 405, 'Method not allowed: this server is stateless; POST JSON-RPC to /mcp', { headers: { Allow: 'POST' } });
    return caller;
  };

  /** Answers a body that cannot be used; returns its text when it can. */
  const usableBody = (body: Body, res: ServerResponse): string | undefined => {
    switch (body.kind) {
      case 'ok':
        return body.text;
      case 'too-large':
        // Closed after the answer: a body past the drain bound is still arriving, and nobody wants the rest.
        rpcError(res, 413, `Request body too large: at most ${MAX_BODY_BYTES} bytes`, { headers: { Connection: 'close' } });
        return undefined;
      case 'busy':
        rpcError(res, 503, 'Server busy: too many request bodies in flight; retry shortly', { headers: { 'Retry-After': '1' } });
        return undefined;
      case 'stalled':
        rpcError(res, 408, `Request timeout: no bytes of the body for ${limits.idleMs / 1000} s`, { headers: { Connection: 'close' } });
        return undefined;
      case 'gone':
        return undefined;
    }
  };

  /** Every tool call of a request refused here goes on the record, as the calls that ran do. */
  const auditRefused = (messages: unknown[], request: CallerRequest, why: string): void => {
    const who = { via: 'mcp', caller: request.caller.name, requestId: request.requestId };
    for (const call of messages.map(toolCallOf)) {
      if (call) options.audit(refusedCall(who, options.now(), call.name, call.args, why));
    }
  };

  const noteBusy = throttledWarning(log, (n) => {
    const { running, waiting } = gate.load;
    return `busy: refused ${plural(n, 'request')} with 503 (${running} tool calls running, ${waiting} waiting; mcp.maxConcurrentCalls ${limits.maxConcurrentCalls}, mcp.maxQueuedCalls ${limits.maxQueuedCalls})`;
  });
  const noteRateLimited = throttledWarning(
    log,
    (n, latest) =>
      `rate limit: refused ${plural(n, 'request')} with 429 (latest: key "${latest}"; mcp.rateLimit ${options.rateLimit.perMinute}/min, burst ${options.rateLimit.burst})`,
  );
  const noteLegacy = throttledWarning(
    log,
    (n, latest) =>
      `${plural(n, 'request')} for the old HTTP+SSE transport (latest: ${latest}): that client must be registered for Streamable HTTP at /mcp (claude mcp add -t http …)`,
  );

  let readiness: { at: number; answer: Promise<string | undefined> } | undefined;
  /** undefined when ready; else why not. One question to the API server per READY_CACHE_MS, shared. */
  const notReadyBecause = (): Promise<string | undefined> => {
    if (readiness && Date.now() - readiness.at < READY_CACHE_MS) return readiness.answer;
    const answer = options.ready(AbortSignal.timeout(READY_TIMEOUT_MS)).then(
      () => undefined,
      (err: unknown) => describeError(err),
    );
    readiness = { at: Date.now(), answer };
    return answer;
  };

  let stopping = false;
  /** Requests being answered now, and who waits for there to be none. */
  let inFlight = 0;
  let drained: (() => void) | undefined;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // The request has begun: from here the body has its own deadline (readBody) and a call may take its time.
    req.socket.setTimeout(0);
    inFlight++;
    let closed = false;
    res.once('close', () => {
      closed = true;
      inFlight--;
      if (stopping) {
        server.closeIdleConnections();
        if (inFlight === 0) drained?.();
      }
    });
    const port = (server.address() as { port: number }).port;
    const path = (req.url ?? '/').split('?')[0];
    try {
      if (path === '/healthz') {
        res.writeHead(req.method === 'GET' ? 200 : 405, { 'Content-Type': 'application/json' }).end(JSON.stringify({ status: 'ok' }));
        return;
      }
      if (path === '/readyz') {
        const why = stopping ? 'shutting down' : await notReadyBecause();
        const body = why === undefined ? { status: 'ready', config: 'loaded', apiServer: 'ok' } : { status: 'not ready', config: 'loaded', apiServer: why };
        res.writeHead(why === undefined ? 200 : 503, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
        return;
      }
      if (path === '/metrics' && metrics) {
        const { text, contentType } = await metrics.render();
        res.writeHead(200, { 'Content-Type': contentType }).end(text);
        return;
      }
      if (path === '/sse' || path === '/sse/' || path === '/messages' || path?.startsWith('/messages/')) {
        noteLegacy(
          `${req.method ?? '?'} ${path} from ${req.socket.remoteAddress ?? '?'}${req.headers['user-agent'] ? `, ${req.headers['user-agent'].slice(0, 80)}` : ''}`,
        );
        const url = mcpUrlFor(req);
        rpcError(
          res,
          404,
          `This server speaks Streamable HTTP at ${url}, not the old HTTP+SSE transport (GET /sse, POST /messages). ` +
            `Register it as an HTTP server with that URL: claude mcp add -t http -H "X-API-Key: <key>" homelab ${url} ` +
            `(in a JSON config: "type": "http", "url": "${url}"); a client that starts only stdio servers can use mcp-remote ${url} --transport http-only.`,
        );
        return;
      }
      if (path !== '/mcp') {
        res.writeHead(404, { 'Content-Type': 'application/json' }).end(JSON.stringify({ error: 'not found: the MCP endpoint is /mcp' }));
        return;
      }
      if (stopping) {
        // A request on a kept-alive connection after SIGTERM: another replica (or this one, restarted) will take it.
        return rpcError(res, 503, 'Server shutting down: retry', { headers: { 'Retry-After': '1', Connection: 'close' } });
      }
      const requestId = requestIdOf(req);
      res.setHeader('X-Request-Id', requestId);
      const caller = admitCaller(req, res, port);
      if (!caller) return;
      const request: CallerRequest = { caller, requestId };
      const text = usableBody(await readBody(req, budget, limits.idleMs), res);
      if (text === undefined) return;
      let message: unknown;
      try {
        message = JSON.parse(text);
      } catch {
        return rpcError(res, 400, 'Parse error: the request body is not JSON', { code: PARSE_ERROR });
      }
      // 400 and Invalid Request, as the SDK answers a batch over its own limit of 100.
      if (Array.isArray(message) && message.length > limits.maxBatch) {
        return rpcError(res, 400, `Invalid Request: a batch may hold at most ${limits.maxBatch} messages (mcp.maxBatch); this one has ${message.length}`, {
          code: INVALID_REQUEST,
        });
      }
      const messages: unknown[] = Array.isArray(message) ? message : [message];

      const writes =
        caller.scope === 'read'
          ? messages
              .map(toolCallOf)
              .filter((c) => c && options.writeTools.has(c.name))
              .map((c) => c!.name)
          : [];
      if (writes.length) {
        metrics?.authFailure('scope');
        const why = `the key "${caller.name}" may only read (scope read); ${[...new Set(writes)].join(', ')} changes things`;
        auditRefused(messages, request, why);
        return rpcError(res, 403, `Forbidden: ${why}. Use a key with scope write for it.`, { id: idOf(message) });
      }

      // Per key: a loopback server without keys (one person's own machine) has no limit.
      const rate = options.keys ? rates.take(caller.name, messages.filter(isRequest).length) : ({ ok: true } as const);
      if (!rate.ok) {
        metrics?.rateLimit(caller.name);
        noteRateLimited(caller.name);
        auditRefused(messages, request, `rate limited: key "${caller.name}" is past mcp.rateLimit`);
        return rpcError(
          res,
          429,
          `Too many requests: key "${caller.name}" may send ${options.rateLimit.perMinute} a minute (bursts of ${options.rateLimit.burst}); retry in ${rate.retryAfterSeconds} s`,
          {
            id: idOf(message),
            headers: { 'Retry-After': String(rate.retryAfterSeconds) },
          },
        );
      }

      const calls = messages.filter(isToolCall).length;
      const admission = gate.admit(calls);
      if (!admission) {
        noteBusy('');
        const { running, waiting } = gate.load;
        const retry = gate.retryAfterSeconds();
        const why = `Server busy: tool calls running ${running}, waiting ${waiting}, room for ${gate.capacity}; retry in ${retry} s`;
        auditRefused(messages, request, why);
        return rpcError(res, 503, why, { id: idOf(message), headers: { 'Retry-After': String(retry) } });
      }
      // The client left while its body was read: nothing will claim the room.
      if (closed) return admission.release();
      const gone = new AbortController();
      res.on('close', () => {
        admission.release();
        gone.abort();
      });
      const web = webRequest(req, text, gone.signal);
      // 2025-era messages (initialize, then calls without the 2026-07-28 envelope, batches) get a fresh
      // server on a stateless transport, answered as JSON; 2026-07-28 ones (server/discover, calls with
      // the envelope and the MCP-* headers) go to the SDK's handler for that revision.
      if (await isLegacyRequest(web, message)) {
        const mcp = options.newServer(admission.run, request);
        // A call that asked for progress is answered as an event stream, so the notifications can go first.
        const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: !asksForProgress(message) });
        gone.signal.addEventListener('abort', () => {
          void transport.close();
          void mcp.close();
        });
        await mcp.connect(transport);
        await send(res, await transport.handleRequest(web, { parsedBody: message }));
      } else {
        admitted.set(web, { run: admission.run, request });
        await send(res, await modern.fetch(web, { parsedBody: message }));
      }
    } catch (err) {
      if (res.headersSent) return;
      rpcError(res, err instanceof UserError ? 400 : 500, err instanceof Error ? err.message : 'internal error');
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as { port: number };
  const hostForUrl = options.host.includes(':') ? `[${options.host}]` : options.host;

  const close = async (graceMs = 0): Promise<number> => {
    stopping = true;
    // No new connections; idle kept-alive ones close now, busy ones when their answer is out.
    const listening = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    if (inFlight > 0 && graceMs > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, graceMs);
        drained = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    const cut = inFlight;
    server.closeAllConnections();
    await listening;
    return cut;
  };
  return { server, url: `http://${hostForUrl}:${port}/mcp`, close, load: () => gate.load };
}
