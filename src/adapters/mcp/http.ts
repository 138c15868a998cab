import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import type { Server as McpServer } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { UserError } from '../../core/errors.js';
import type { Logger } from '../../core/op.js';

export interface HttpOptions {
  host: string;
  port: number;
  /** Undefined means no key: allowed only on a loopback address. */
  apiKey: string | undefined;
  /** Extra Host header values (hostname or hostname:port) beyond loopback. */
  allowedHosts: string[];
  /** Origins a browser may call from; none by default. */
  allowedOrigins: string[];
  /** A fresh server per request: stateless Streamable HTTP has no session to share. */
  newServer: () => McpServer;
  log: Logger;
}

const MAX_BODY_BYTES = 1024 * 1024;

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

function rpcError(res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
  const body = JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message }, id: null });
  res.writeHead(status, { 'Content-Type': 'application/json', ...headers }).end(body);
}

function readJson(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new UserError('request body too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch {
        reject(new UserError('request body is not JSON'));
      }
    });
    req.on('error', reject);
  });
}

/**
 * Streamable HTTP at /mcp (stateless) and /healthz. Checks, in order: Host (DNS rebinding),
 * Origin, API key; then one fresh MCP server handles the request.
 */
export async function serveHttp(options: HttpOptions): Promise<{ server: Server; url: string; close(): Promise<void> }> {
  const loopback = isLoopback(options.host);
  if (!loopback && !options.apiKey) {
    throw new UserError(`refusing to listen on ${options.host} without an API key: anyone who can reach it could use the cluster`, {
      hint: 'set mcp.apiKey in the config ({env: NAME} or {file: PATH}) or HOMELAB_API_KEY, or listen on 127.0.0.1',
    });
  }

  const server = createServer((req, res) => void handle(req, res));
  server.requestTimeout = 120_000;
  server.headersTimeout = 10_000;

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

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
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
      if (!allowedHost(req.headers.host, port)) return rpcError(res, 403, `Forbidden host: ${req.headers.host ?? '(none)'}`);
      if (!allowedOrigin(req.headers.origin, port)) return rpcError(res, 403, 'Forbidden origin');
      if (options.apiKey && !keyMatches(options.apiKey, presentedKey(req))) {
        options.log.warn(`refused an MCP request without a valid API key from ${req.socket.remoteAddress ?? '?'}`);
        return rpcError(res, 401, 'Unauthorized: send the API key as X-API-Key or Authorization: Bearer', { 'WWW-Authenticate': 'Bearer realm="homelab"' });
      }
      if (req.method !== 'POST') return rpcError(res, 405, 'Method not allowed: this server is stateless; POST JSON-RPC to /mcp', { Allow: 'POST' });
      const body = await readJson(req);
      const mcp = options.newServer();
      const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
      res.on('close', () => {
        void transport.close();
        void mcp.close();
      });
      await mcp.connect(transport);
      await transport.handleRequest(req, res, body);
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
