import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP, type Socket } from 'node:net';
import { Readable } from 'node:stream';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { WebStandardStreamableHTTPServerTransport, createMcpHandler, isLegacyRequest, type Server as McpServer } from '@modelcontextprotocol/server';
import { UserError } from '../../core/errors.js';
import type { Logger } from '../../core/op.js';
import { CallGate, type RunCall } from './call-gate.js';
import { plural } from '../../ops/shared/format.js';

export interface HttpLimits {
  /** Tool calls run at once. */
  maxConcurrentCalls: number;
  /** Tool calls that may wait for a turn; past them, 503 with Retry-After. */
  maxQueuedCalls: number;
  /** Messages in one JSON-RPC batch. */
  maxBatch: number;
}

export interface HttpOptions {
  host: string;
  port: number;
  /** Undefined means no key: allowed only on a loopback address. */
  apiKey: string | undefined;
  /** Extra Host header values (hostname or hostname:port) beyond loopback. */
  allowedHosts: string[];
  /** Origins a browser may call from; none by default. */
  allowedOrigins: string[];
  limits: HttpLimits;
  /**
   * A fresh server per request (stateless Streamable HTTP has no session to share); its tool calls
   * wait in runCall; caller names who presented the key (bound into confirmation tokens, audited).
   */
  newServer: (runCall: RunCall, caller: string) => McpServer;
  log: Logger;
}

/** A body larger than this is refused with 413: a tool call's arguments here are a few hundred bytes. */
export const MAX_BODY_BYTES = 256 * 1024;
/** Request bodies held in memory at once, all requests together; past it, 503 until some are done. */
const MAX_BUFFERED_BYTES = 16 * 1024 * 1024;
/** How much of an oversized body is read and dropped so the 413 arrives before the close (not a reset). */
const MAX_DRAIN_BYTES = 8 * 1024 * 1024;
/** Silence allowed before a request's headers are in, and in the middle of its body. */
export const IDLE_MS = 10_000;
/** The whole request, headers and body, must arrive within this. */
const REQUEST_MS = 30_000;

export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '');
  return bare === 'localhost' || bare === '::1' || (isIP(bare) === 4 && bare.startsWith('127.'));
}

/** Compares secrets in constant time: hashing first makes the lengths equal, so length leaks nothing either. */
export function keyMatches(expected: string, given: string | undefined): boolean {
  if (given === undefined) return false;
  const a = createHash('sha256').update(expected).digest();
  const b = createHash('sha256').update(given).digest();
  return timingSafeEqual(a, b);
}

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

interface RpcMessage { method?: unknown; id?: unknown }

const isRecord = (m: unknown): m is RpcMessage => typeof m === 'object' && m !== null && !Array.isArray(m);
/** A call that runs an op: a request (it has an id) for tools/call, or resources/read (logs, health); other methods cost next to nothing. */
const isToolCall = (m: unknown): boolean => isRecord(m) && (m.method === 'tools/call' || m.method === 'resources/read') && m.id !== undefined;
/** The id to answer a refused single request with; a batch, or a message without one, gets null. */
const idOf = (m: unknown): RpcId => (isRecord(m) && (typeof m.id === 'string' || typeof m.id === 'number') ? m.id : null);

/** A tool call whose client sent a progressToken (params._meta.progressToken). */
const asksForProgress = (message: unknown): boolean =>
  (Array.isArray(message) ? message : [message]).some((m) => isToolCall(m) && (m as { params?: { _meta?: { progressToken?: unknown } } }).params?._meta?.progressToken !== undefined);

/** Who a request comes from: the holder of the one API key (mcp.apiKey, HOMELAB_API_KEY), or anyone on loopback when there is none. */
const KEY_CALLER = 'default';
const LOCAL_CALLER = 'local';

type Body =
  | { kind: 'ok'; text: string }
  /** Over MAX_BODY_BYTES; read to its end and dropped when it ends within MAX_DRAIN_BYTES. */
  | { kind: 'too-large' }
  /** Other requests' bodies fill MAX_BUFFERED_BYTES; this one was read and dropped. */
  | { kind: 'busy' }
  | { kind: 'stalled' }
  | { kind: 'gone' };

/** Bytes of request bodies held now, all requests together. */
interface ByteBudget { held: number }

/**
 * Reads a request body, holding at most MAX_BODY_BYTES of it and only while the shared budget has
 * room. A body that cannot be kept is still read to its end and dropped (up to MAX_DRAIN_BYTES), so
 * the refusal reaches the client instead of a reset from closing on unread data.
 */
function readBody(req: IncomingMessage, budget: ByteBudget): Promise<Body> {
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
    const idle = setTimeout(() => finish({ kind: 'stalled' }), IDLE_MS);
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
  response.headers.forEach((value, name) => { headers[name] = value; });
  res.writeHead(response.status, headers);
  if (!response.body) return void res.end();
  await new Promise<void>((resolve) => {
    Readable.fromWeb(response.body as NodeReadableStream<Uint8Array>).on('error', () => res.destroy()).pipe(res);
    res.once('close', resolve);
  });
}

/**
 * Streamable HTTP at /mcp (stateless) and /healthz. Checks, in order: Host (DNS rebinding), Origin,
 * API key, method; then the body (size, JSON, batch length) and room for its tool calls (CallGate);
 * then one fresh MCP server handles the request. Every stage is bounded: a connection that sends
 * nothing is closed, a body has a size and a deadline, calls past the queue are refused with 503.
 */
export async function serveHttp(options: HttpOptions): Promise<{ server: Server; url: string; close(): Promise<void> }> {
  const loopback = isLoopback(options.host);
  if (!loopback && !options.apiKey) {
    throw new UserError(`refusing to listen on ${options.host} without an API key: anyone who can reach it could use the cluster`, {
      hint: 'set mcp.apiKey in the config ({env: NAME} or {file: PATH}) or HOMELAB_API_KEY, or listen on 127.0.0.1',
    });
  }
  const { limits } = options;
  const gate = new CallGate({ maxRunning: limits.maxConcurrentCalls, maxQueued: limits.maxQueuedCalls });
  const budget: ByteBudget = { held: 0 };
  /** Where the calls of each 2026-07-28 request wait their turn: the handler's factory is given the request. */
  const runCalls = new WeakMap<Request, RunCall>();
  const caller = options.apiKey ? KEY_CALLER : LOCAL_CALLER;
  const modern = createMcpHandler(
    (ctx) => {
      const runCall = ctx.requestInfo ? runCalls.get(ctx.requestInfo) : undefined;
      if (!runCall) throw new Error('internal error: a 2026-07-28 request reached the MCP handler without its admission');
      return options.newServer(runCall, caller);
    },
    { legacy: 'reject', onerror: (err) => options.log.debug(`MCP HTTP (2026-07-28): ${err.message}`) },
  );

  const server = createServer(
    // headersTimeout ends a sender that trickles its headers (each byte resets the socket timeout below); Node checks
    // these deadlines every connectionsCheckingInterval.
    { headersTimeout: IDLE_MS + 5_000, requestTimeout: REQUEST_MS, connectionsCheckingInterval: 1_000 },
    (req, res) => void handle(req, res),
  );
  // A connection silent for IDLE_MS before its request begins is closed without an answer (Node's own
  // headersTimeout starts at the first byte: a connection that never sends one would stay open).
  server.on('connection', (socket: Socket) => socket.setTimeout(IDLE_MS));

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

  /** Answers and returns true when this request may not use /mcp: wrong Host or Origin, no valid key, not a POST. */
  const refusedAccess = (req: IncomingMessage, res: ServerResponse, port: number): boolean => {
    if (!allowedHost(req.headers.host, port)) rpcError(res, 403, `Forbidden host: ${req.headers.host ?? '(none)'}`);
    else if (!allowedOrigin(req.headers.origin, port)) rpcError(res, 403, 'Forbidden origin');
    else if (options.apiKey && !keyMatches(options.apiKey, presentedKey(req))) {
      options.log.warn(`refused an MCP request without a valid API key from ${req.socket.remoteAddress ?? '?'}`);
      rpcError(res, 401, 'Unauthorized: send the API key as X-API-Key or Authorization: Bearer', { headers: { 'WWW-Authenticate': 'Bearer realm="homelab"' } });
    } else if (req.method !== 'POST') rpcError(res, 405, 'Method not allowed: this server is stateless; POST JSON-RPC to /mcp', { headers: { Allow: 'POST' } });
    else return false;
    return true;
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
        rpcError(res, 408, `Request timeout: no bytes of the body for ${IDLE_MS / 1000} s`, { headers: { Connection: 'close' } });
        return undefined;
      case 'gone':
        return undefined;
    }
  };

  let refusedCalls = 0;
  let lastBusyLog = 0;
  /** One log line per 10 s at most while refusing, however many calls are refused. */
  const noteBusy = (calls: number) => {
    refusedCalls += calls;
    if (Date.now() - lastBusyLog < 10_000) return;
    const { running, waiting } = gate.load;
    options.log.warn(`busy: refused ${plural(refusedCalls, 'tool call')} with 503 (${running} running, ${waiting} waiting; mcp.maxConcurrentCalls ${limits.maxConcurrentCalls}, mcp.maxQueuedCalls ${limits.maxQueuedCalls})`);
    refusedCalls = 0;
    lastBusyLog = Date.now();
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // The request has begun: from here the body has its own deadline (readBody) and a call may take its time.
    req.socket.setTimeout(0);
    let closed = false;
    res.once('close', () => { closed = true; });
    const port = (server.address() as { port: number }).port;
    const path = (req.url ?? '/').split('?')[0];
    try {
      if (path === '/healthz') {
        res.writeHead(req.method === 'GET' ? 200 : 405, { 'Content-Type': 'application/json' }).end(JSON.stringify({ status: 'ok' }));
        return;
      }
      if (path !== '/mcp') {
        res.writeHead(404, { 'Content-Type': 'application/json' }).end(JSON.stringify({ error: 'not found: the MCP endpoint is /mcp' }));
        return;
      }
      if (refusedAccess(req, res, port)) return;
      const text = usableBody(await readBody(req, budget), res);
      if (text === undefined) return;
      let message: unknown;
      try {
        message = JSON.parse(text);
      } catch {
        return rpcError(res, 400, 'Parse error: the request body is not JSON', { code: PARSE_ERROR });
      }
      // 400 and Invalid Request, as the SDK answers a batch over its own limit of 100.
      if (Array.isArray(message) && message.length > limits.maxBatch) {
        return rpcError(res, 400, `Invalid Request: a batch may hold at most ${limits.maxBatch} messages (mcp.maxBatch); this one has ${message.length}`, { code: INVALID_REQUEST });
      }
      const calls = (Array.isArray(message) ? message : [message]).filter(isToolCall).length;
      const admission = gate.admit(calls);
      if (!admission) {
        noteBusy(calls);
        const { running, waiting } = gate.load;
        const retry = gate.retryAfterSeconds();
        return rpcError(res, 503, `Server busy: tool calls running ${running}, waiting ${waiting}, room for ${gate.capacity}; retry in ${retry} s`, {
          id: idOf(message),
          headers: { 'Retry-After': String(retry) },
        });
      }
      // The client left while its body was read: nothing will claim the room.
      if (closed) return admission.release();
      const gone = new AbortController();
      res.on('close', () => {
        admission.release();
        gone.abort();
      });
      const request = webRequest(req, text, gone.signal);
      // 2025-era messages (initialize, then calls without the 2026-07-28 envelope, batches) get a fresh
      // server on a stateless transport, answered as JSON; 2026-07-28 ones (server/discover, calls with
      // the envelope and the MCP-* headers) go to the SDK's handler for that revision.
      if (await isLegacyRequest(request, message)) {
        const mcp = options.newServer(admission.run, caller);
        // A call that asked for progress is answered as an event stream, so the notifications can go first.
        const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: !asksForProgress(message) });
        gone.signal.addEventListener('abort', () => { void transport.close(); void mcp.close(); });
        await mcp.connect(transport);
        await send(res, await transport.handleRequest(request, { parsedBody: message }));
      } else {
        runCalls.set(request, admission.run);
        await send(res, await modern.fetch(request, { parsedBody: message }));
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
  return {
    server,
    url: `http://${hostForUrl}:${port}/mcp`,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
