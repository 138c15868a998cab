/**
 * A tiny JSON router and plain-HTTP server shared by the fake home services (Pi-hole, AdGuard,
 * Jellyfin, Immich). Each service matches its routes, runs its own auth in `before`, and answers
 * with a `Reply`; a handler that streams writes to `res` itself and returns `'streamed'`.
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

export interface Req {
  method: string;
  path: string; // decoded pathname
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  text: string; // raw body
  params: Record<string, string>; // :name segments of the matched route
  remote: string;
  started: number; // performance.now() at arrival (Pi-hole's `took`)
}

export interface Reply {
  status: number;
  body?: unknown; // JSON-encoded unless `text` is used
  text?: string;
  contentType?: string;
  headers?: Record<string, string>;
}

export type Handler<M> = (req: Req, res: ServerResponse, meta: M) => Reply | 'streamed' | Promise<Reply | 'streamed'>;

interface Route<M> {
  method: string;
  parts: string[];
  handler: Handler<M>;
  meta: M;
}

export class Router<M = Record<string, never>> {
  private readonly routes: Route<M>[] = [];
  constructor(private readonly opts: { caseInsensitive?: boolean } = {}) {}

  add(method: string, pattern: string, handler: Handler<M>, meta: M): this {
    this.routes.push({ method, parts: this.split(pattern), handler, meta });
    return this;
  }

  private split(p: string): string[] {
    const s = p.split('/').filter(Boolean);
    return this.opts.caseInsensitive ? s.map((x) => (x.startsWith(':') ? x : x.toLowerCase())) : s;
  }

  /** the route for METHOD PATH; `methodMismatch` when the path exists under another method */
  match(method: string, path: string): { route: Route<M>; params: Record<string, string> } | { methodMismatch: boolean } {
    const raw = path.split('/').filter(Boolean);
    const parts = this.opts.caseInsensitive ? raw.map((x) => x.toLowerCase()) : raw;
    let pathSeen = false;
    for (const route of this.routes) {
      if (route.parts.length !== parts.length) continue;
      const params: Record<string, string> = {};
      const ok = route.parts.every((rp, i) => {
        if (rp.startsWith(':')) {
          params[rp.slice(1)] = raw[i] as string;
          return true;
        }
        return rp === parts[i];
      });
      if (!ok) continue;
      if (route.method !== method) {
        pathSeen = true;
        continue;
      }
      return { route, params };
    }
    return { methodMismatch: pathSeen };
  }
}

export interface ServiceHooks<M> {
  router: Router<M>;
  /** runs before the handler (auth, rate limits); a Reply stops the request */
  before?: (req: Req, meta: M | undefined) => Reply | undefined;
  notFound: (req: Req, methodMismatch: boolean) => Reply;
  /** last touch on every JSON body (Pi-hole adds `took`) */
  decorate?: (req: Req, body: unknown) => unknown;
}

export function send(res: ServerResponse, reply: Reply, req?: Req, decorate?: ServiceHooks<unknown>['decorate']): void {
  const headers: Record<string, string> = { ...(reply.headers ?? {}) };
  let payload = '';
  if (reply.text !== undefined) {
    payload = reply.text;
    headers['Content-Type'] ??= reply.contentType ?? 'text/plain; charset=utf-8';
  } else if (reply.body !== undefined) {
    const body = decorate && req ? decorate(req, reply.body) : reply.body;
    payload = JSON.stringify(body);
    headers['Content-Type'] ??= reply.contentType ?? 'application/json; charset=utf-8';
  }
  if (reply.status !== 204 && reply.status !== 304) headers['Content-Length'] = String(Buffer.byteLength(payload));
  res.writeHead(reply.status, headers);
  res.end(reply.status === 204 ? undefined : payload);
}

function readBody(req: IncomingMessage, limit = 1 << 20): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        reject(new Error('body too large'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export function jsonBody(req: Req): { ok: true; value: unknown } | { ok: false } {
  if (!req.text.trim()) return { ok: true, value: undefined };
  try {
    return { ok: true, value: JSON.parse(req.text) as unknown };
  } catch {
    return { ok: false };
  }
}

export interface HttpService {
  url: string;
  stop(): Promise<void>;
}

/** Listens on HOST:0 (plain HTTP) and dispatches to the service's routes. */
export async function serveHttp<M>(hooks: ServiceHooks<M>, host = '127.0.0.1'): Promise<HttpService> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((inc, res) => {
    void (async (): Promise<void> => {
      const url = new URL(inc.url ?? '/', 'http://localhost');
      let text = '';
      try {
        text = await readBody(inc);
      } catch {
        send(res, { status: 413, text: 'Payload Too Large' });
        return;
      }
      let path = url.pathname;
      try {
        path = decodeURIComponent(url.pathname);
      } catch {
        /* keep raw */
      }
      const req: Req = {
        method: (inc.method ?? 'GET').toUpperCase(),
        path,
        query: url.searchParams,
        headers: inc.headers,
        text,
        params: {},
        remote: inc.socket.remoteAddress ?? '',
        started: performance.now(),
      };
      const m = hooks.router.match(req.method, url.pathname);
      const meta = 'route' in m ? m.route.meta : undefined;
      const stop = hooks.before?.(req, meta);
      if (stop) {
        send(res, stop, req, hooks.decorate as ServiceHooks<unknown>['decorate']);
        return;
      }
      if (!('route' in m)) {
        send(res, hooks.notFound(req, m.methodMismatch), req, hooks.decorate as ServiceHooks<unknown>['decorate']);
        return;
      }
      req.params = Object.fromEntries(
        Object.entries(m.params).map(([k, v]) => {
          try {
            return [k, decodeURIComponent(v)];
          } catch {
            return [k, v];
          }
        }),
      );
      try {
        const reply = await m.route.handler(req, res, m.route.meta);
        if (reply !== 'streamed') send(res, reply, req, hooks.decorate as ServiceHooks<unknown>['decorate']);
      } catch (e) {
        if (!res.headersSent) send(res, { status: 500, text: e instanceof Error ? e.message : String(e) });
        else res.destroy();
      }
    })();
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  let stopping: Promise<void> | undefined;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    stop() {
      stopping ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
        server.closeAllConnections();
      });
      return stopping;
    },
  };
}

/** seconds since the Unix epoch */
export const unix = (d: Date): number => Math.floor(d.getTime() / 1000);
