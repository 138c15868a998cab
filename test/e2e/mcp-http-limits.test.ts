import { readFile, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { runCli } from '../helpers/cli.js';
import { httpClient, startHttpServer, type HttpServerProcess } from '../helpers/mcp.js';
import { startSandboxEnv, type SandboxEnv } from '../helpers/sandbox.js';

interface RpcError {
  jsonrpc: string;
  id: string | number | null;
  error: { code: number; message: string };
}
interface RpcResult {
  jsonrpc: string;
  id: number;
  result: { isError?: boolean; structuredContent?: Record<string, unknown> };
}

const HEADERS = { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' };
const health = (id: number) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'cluster_health', arguments: {} } });
/** Holds a running slot for the sandbox's Flux delay: the controller answers a reconcile request after 3 s. */
const slowReconcile = (id: number) => ({
  jsonrpc: '2.0',
  id,
  method: 'tools/call',
  params: { name: 'flux_reconcile', arguments: { kind: 'kustomization', name: 'apps' } },
});

async function until(what: string, check: () => boolean, limitMs = 10_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** What a raw TCP client sees: the bytes the server sent before it closed the connection. */
function rawConnection(url: string, send: string): Promise<{ received: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    let received = '';
    const socket = connect({ host: hostname, port: Number(port) }, () => {
      if (send) socket.write(send);
    });
    socket.on('data', (d: Buffer) => (received += d.toString()));
    socket.on('error', reject);
    socket.on('close', () => resolve({ received }));
  });
}

describe('MCP over HTTP under load: bounded work', () => {
  let s: SandboxEnv;
  let server: HttpServerProcess;
  let configFile: string;
  beforeAll(async () => {
    s = await startSandboxEnv({ delays: { flux: 3_000 } });
    // One call at a time, one waiting, batches of two: small numbers make every limit reachable. Writes
    // apply at once (unattended automation), so a reconcile holds its slot while it waits for Flux. A
    // connection may be silent for 1 s (10 s by default), so the stalled ones are closed soon.
    const config = parse(await readFile(s.sandbox.configPath, 'utf8')) as Record<string, unknown>;
    configFile = join(s.sandbox.dir, 'limits.yaml');
    await writeFile(
      configFile,
      stringify({ ...config, mcp: { maxConcurrentCalls: 1, maxQueuedCalls: 1, maxBatch: 2, confirmWrites: false, idleTimeout: '1s' } }),
    );
    server = await startHttpServer({ ...s.env, HOMELAB_CONFIG: configFile });
  });
  afterAll(async () => {
    await server?.stop();
    await s?.sandbox.stop();
  });

  const post = (body: unknown) => fetch(server.url, { method: 'POST', headers: HEADERS, body: JSON.stringify(body), signal: AbortSignal.timeout(20_000) });

  it('refuses tool calls past the cap and the queue with 503, Retry-After and a JSON-RPC error; the admitted ones complete', async () => {
    // A batch of two calls takes the one running slot and the one queue place.
    const admitted = post([slowReconcile(1), slowReconcile(2)]);
    const stored = () =>
      s.sandbox.store.get('kustomizations.kustomize.toolkit.fluxcd.io', 'flux-system', 'apps') as unknown as {
        metadata: { annotations?: Record<string, string> };
      };
    await until('the first reconcile to start', () => stored().metadata.annotations?.['reconcile.fluxcd.io/requestedAt'] !== undefined);

    const refused = await post(health(3));
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);
    const error = (await refused.json()) as RpcError;
    expect(error).toMatchObject({ jsonrpc: '2.0', id: 3, error: { code: -32000 } });
    expect(error.error.message).toMatch(/^Server busy: tool calls running 1, waiting 1, room for 2; retry in \d+ s$/);

    const done = await admitted;
    expect(done.status).toBe(200);
    const results = (await done.json()) as RpcResult[];
    expect(results.map((r) => r.id).sort()).toEqual([1, 2]);
    for (const r of results) expect(r.result.isError, JSON.stringify(r.result)).toBeFalsy();

    // The room is given back: the same call is served now.
    const later = await post(health(4));
    expect(later.status).toBe(200);
    expect(((await later.json()) as RpcResult).result.structuredContent).toHaveProperty('verdict');
  });

  it('refuses a batch over mcp.maxBatch with one JSON-RPC error (400, Invalid Request)', async () => {
    const res = await post([health(1), health(2), health(3)]);
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      jsonrpc: '2.0',
      id: null,
      error: { code: -32600, message: 'Invalid Request: a batch may hold at most 2 messages (mcp.maxBatch); this one has 3' },
    });
  });

  it('answers a body over the limit with 413 and a JSON-RPC error, not a reset', async () => {
    const body = JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/call',
      params: { name: 'cluster_health', arguments: { pad: 'x'.repeat(2 * 1024 * 1024) } },
    });
    const res = await fetch(server.url, { method: 'POST', headers: HEADERS, body, signal: AbortSignal.timeout(20_000) });
    expect(res.status).toBe(413);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.json()).toEqual({ jsonrpc: '2.0', id: null, error: { code: -32000, message: 'Request body too large: at most 262144 bytes' } });
  });

  it('closes connections that send nothing, stop in the headers or stop in the body', async () => {
    const host = new URL(server.url).host;
    const [silent, midHeaders, midBody] = await Promise.all([
      rawConnection(server.url, ''),
      rawConnection(server.url, `POST /mcp HTTP/1.1\r\nHost: ${host}\r\nContent-Type: appl`),
      rawConnection(
        server.url,
        `POST /mcp HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nContent-Length: 100\r\n\r\n{"jsonrpc":`,
      ),
    ]);
    // Closed by the server (the test would time out otherwise); only the stalled body gets an answer, as there is a request to answer.
    expect(silent.received).toBe('');
    expect(midHeaders.received).toBe('');
    expect(midBody.received).toMatch(/^HTTP\/1\.1 408 /);
    expect(midBody.received).toContain('"error":{"code":-32000,"message":"Request timeout: no bytes of the body for 1 s"}');
  });

  it('still answers /healthz and a normal call afterwards', async () => {
    const res = await fetch(server.url.replace(/\/mcp$/, '/healthz'));
    expect(res.status).toBe(200);
    const client = await httpClient(server.url, {});
    try {
      const result = await client.callTool({ name: 'cluster_health', arguments: {} });
      expect(result.isError).toBeFalsy();
      expect((result.structuredContent as { verdict: string }).verdict).toBe('crit');
    } finally {
      await client.close();
    }
    expect(server.child.exitCode).toBeNull();
  });

  it('refuses a config whose batch could never be admitted', async () => {
    const config = parse(await readFile(configFile, 'utf8')) as Record<string, unknown>;
    const bad = join(s.sandbox.dir, 'bad-limits.yaml');
    await writeFile(bad, stringify({ ...config, mcp: { maxConcurrentCalls: 1, maxQueuedCalls: 1, maxBatch: 3 } }));
    const r = await runCli(['mcp', 'serve', '--http', '--port', '0'], { ...s.env, HOMELAB_CONFIG: bad });
    expect(r.code).toBe(64);
    expect(r.stderr).toContain('mcp.maxBatch: must be at most maxConcurrentCalls + maxQueuedCalls (2): a longer batch could never be admitted');
  });
});
