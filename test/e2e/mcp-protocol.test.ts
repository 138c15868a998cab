/**
 * The protocol revisions `mcp serve` answers (issue 11, "the newest protocol"): the 2025 ones Claude
 * Desktop and other clients speak (initialize, then requests), and 2026-07-28 (no handshake:
 * server/discover, then requests carrying the _meta envelope; over HTTP also the MCP-* headers).
 * Raw JSON-RPC on the wire, so the test shows exactly what a client of each revision sends.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN } from '../helpers/cli.js';
import { startHttpServer, type HttpServerProcess } from '../helpers/mcp.js';
import { startSandboxEnv, type SandboxEnv } from '../helpers/sandbox.js';

interface RpcAnswer {
  id?: number;
  result?: Record<string, unknown>;
  error?: { code: number; message: string };
}

const MODERN = '2026-07-28';
const ENVELOPE = {
  'io.modelcontextprotocol/protocolVersion': MODERN,
  'io.modelcontextprotocol/clientCapabilities': {},
  'io.modelcontextprotocol/clientInfo': { name: 'protocol-test', version: '1.0.0' },
};

/** `mcp serve --stdio` spoken to line by line. */
class StdioPeer {
  private readonly child: ChildProcessWithoutNullStreams;
  private buffer = '';
  private readonly waiting = new Map<number, (a: RpcAnswer) => void>();
  private next = 1;

  constructor(env: Record<string, string>) {
    this.child = spawn(process.execPath, [BIN, 'mcp', 'serve', '--stdio'], { env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env } });
    this.child.stdout.on('data', (d: Buffer) => {
      this.buffer += d.toString();
      for (let nl = this.buffer.indexOf('\n'); nl >= 0; nl = this.buffer.indexOf('\n')) {
        const answer = JSON.parse(this.buffer.slice(0, nl)) as RpcAnswer;
        this.buffer = this.buffer.slice(nl + 1);
        if (answer.id !== undefined) this.waiting.get(answer.id)?.(answer);
      }
    });
  }

  request(method: string, params: Record<string, unknown>): Promise<RpcAnswer> {
    const id = this.next++;
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      this.child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', id, method, params })}\n`);
    });
  }

  notify(method: string): void {
    this.child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', method })}\n`);
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.child.once('exit', () => resolve());
      this.child.stdin.end();
    });
  }
}

/** One POST to the HTTP server; an SSE answer is read to its `data:` line. */
async function post(url: string, body: Record<string, unknown>, headers: Record<string, string>): Promise<{ status: number; answer: RpcAnswer }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream', ...headers },
    body: JSON.stringify({ jsonrpc: '2.0', ...body }),
  });
  const text = await res.text();
  const json = res.headers.get('content-type')?.startsWith('text/event-stream')
    ? (text
        .split('\n')
        .filter((l) => l.startsWith('data: '))
        .map((l) => l.slice(6))
        .find((l) => l.includes('"id"')) ?? '{}')
    : text;
  return { status: res.status, answer: JSON.parse(json) as RpcAnswer };
}

describe('mcp serve --stdio speaks every revision', () => {
  let s: SandboxEnv;
  beforeAll(async () => {
    s = await startSandboxEnv();
  });
  afterAll(async () => {
    await s?.sandbox.stop();
  });

  it.each(['2025-11-25', '2025-06-18', '2025-03-26', '2024-11-05'])('%s: initialize agrees on it, and tools are listed', async (version) => {
    const peer = new StdioPeer(s.env);
    try {
      const init = await peer.request('initialize', { protocolVersion: version, capabilities: {}, clientInfo: { name: 'protocol-test', version: '1.0.0' } });
      expect(init.result?.protocolVersion).toBe(version);
      expect(init.result?.capabilities).toMatchObject({ tools: {}, prompts: {}, resources: {} });
      peer.notify('notifications/initialized');
      const list = await peer.request('tools/list', {});
      expect((list.result?.tools as unknown[]).length).toBeGreaterThan(10);
    } finally {
      await peer.close();
    }
  });

  it('2026-07-28: server/discover without a handshake, then a tool call and a prompt', async () => {
    const peer = new StdioPeer(s.env);
    try {
      const discover = await peer.request('server/discover', { _meta: ENVELOPE });
      expect(discover.error).toBeUndefined();
      expect(discover.result?.supportedVersions).toContain(MODERN);
      expect(discover.result?.capabilities).toMatchObject({ tools: {}, prompts: {}, resources: {} });
      const call = await peer.request('tools/call', { name: 'cluster_health', arguments: {}, _meta: ENVELOPE });
      expect(call.result).toMatchObject({ resultType: 'complete', structuredContent: { verdict: 'crit' } });
      const prompt = await peer.request('prompts/get', { name: 'service_down', arguments: { service: 'jellyfin.lab' }, _meta: ENVELOPE });
      expect(JSON.stringify(prompt.result)).toContain('My service `jellyfin.lab` is down');
    } finally {
      await peer.close();
    }
  });
});

describe('mcp serve --http speaks every revision', () => {
  let s: SandboxEnv;
  let server: HttpServerProcess;
  const key = 'protocol-revisions-test-key';
  beforeAll(async () => {
    s = await startSandboxEnv();
    server = await startHttpServer({ ...s.env, HOMELAB_API_KEY: key });
  });
  afterAll(async () => {
    await server?.stop();
    await s?.sandbox.stop();
  });

  it('2025-06-18: initialize, then calls with the MCP-Protocol-Version header, each answered as JSON', async () => {
    const init = await post(
      server.url,
      { id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'protocol-test', version: '1.0.0' } } },
      { 'X-API-Key': key },
    );
    expect(init.answer.result?.protocolVersion).toBe('2025-06-18');
    const call = await post(
      server.url,
      { id: 2, method: 'tools/call', params: { name: 'flux_status', arguments: { kind: 'hr' } } },
      { 'X-API-Key': key, 'MCP-Protocol-Version': '2025-06-18' },
    );
    expect(call.status).toBe(200);
    expect(call.answer.result?.structuredContent).toMatchObject({ verdict: 'crit' });
  });

  it('2026-07-28: server/discover and a tool call with the envelope and the MCP-* headers; the API key still required', async () => {
    const modern = { 'MCP-Protocol-Version': MODERN };
    const discover = await post(
      server.url,
      { id: 1, method: 'server/discover', params: { _meta: ENVELOPE } },
      { ...modern, 'Mcp-Method': 'server/discover', 'X-API-Key': key },
    );
    expect(discover.status).toBe(200);
    expect(discover.answer.result?.supportedVersions).toContain(MODERN);
    const call = await post(
      server.url,
      { id: 2, method: 'tools/call', params: { name: 'cluster_health', arguments: {}, _meta: ENVELOPE } },
      { ...modern, 'Mcp-Method': 'tools/call', 'Mcp-Name': 'cluster_health', 'X-API-Key': key },
    );
    expect(call.answer.result).toMatchObject({ resultType: 'complete', structuredContent: { verdict: 'crit' } });
    const noKey = await post(server.url, { id: 3, method: 'server/discover', params: { _meta: ENVELOPE } }, { ...modern, 'Mcp-Method': 'server/discover' });
    expect(noKey.status).toBe(401);
  });

  it('2026-07-28: a header that disagrees with the envelope is refused', async () => {
    const res = await post(
      server.url,
      { id: 1, method: 'tools/call', params: { name: 'cluster_health', arguments: {}, _meta: ENVELOPE } },
      { 'MCP-Protocol-Version': MODERN, 'Mcp-Method': 'tools/call', 'Mcp-Name': 'flux_status', 'X-API-Key': key },
    );
    expect(res.status).toBe(400);
    expect(res.answer.error?.message).toMatch(/Mcp-Name/i);
  });
});
