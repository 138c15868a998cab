import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { runCli, runCliProcess } from '../helpers/cli.js';
import { callConfirmed, httpClient, startHttpServer, stdioClient, type HttpServerProcess } from '../helpers/mcp.js';
import { startSandboxEnv, type SandboxEnv } from '../helpers/sandbox.js';

interface TextContent {
  type: string;
  text: string;
}

describe('MCP over stdio', () => {
  let s: SandboxEnv;
  let mcp: Awaited<ReturnType<typeof stdioClient>>;
  beforeAll(async () => {
    s = await startSandboxEnv();
    mcp = await stdioClient(s.env);
  });
  afterAll(async () => {
    await mcp?.close();
    await s?.sandbox.stop();
  });

  it('lists every op as a tool with schemas and annotations derived from its effect', async () => {
    const { tools } = await mcp.client.listTools();
    await expect(JSON.stringify(tools, null, 2)).toMatchFileSnapshot('../__snapshots__/mcp-tools.json');
    const restart = tools.find((t) => t.name === 'deployment_restart');
    // A rolling restart replaces every pod: destructive (issue 11). Not idempotent: the spec's default, so not sent.
    expect(restart?.annotations).toMatchObject({ readOnlyHint: false, destructiveHint: true });
    expect(restart?.annotations).not.toHaveProperty('idempotentHint');
    expect(tools.find((t) => t.name === 'flux_reconcile')?.annotations).toMatchObject({ destructiveHint: false, idempotentHint: true });
    const health = tools.find((t) => t.name === 'cluster_health');
    expect(health?.annotations).toMatchObject({ readOnlyHint: true });
    expect(health?.outputSchema?.properties).toHaveProperty('verdict');
  });

  it('returns health as structuredContent with the verdict in the text: the worst findings, the rest counted', async () => {
    const result = await mcp.client.callTool({ name: 'cluster_health', arguments: {} });
    expect(result.isError).toBeFalsy();
    type Health = {
      verdict: string;
      findings: Array<{ reason: string }>;
      truncated: boolean;
      cut?: { findings?: { shown: number; total: number; by: Record<string, number>; narrow: string } };
    };
    const structured = result.structuredContent as Health;
    expect(structured.verdict).toBe('crit');
    expect((result.content as TextContent[])[0]?.text).toMatch(/^CRIT: \d+ critical/);
    // An assistant gets the three worst; the crash loop further down is counted, and reason narrows to it.
    expect(structured.findings).toHaveLength(3);
    expect(structured.truncated).toBe(true);
    expect(structured.cut?.findings).toMatchObject({ shown: 3, total: 13, by: expect.objectContaining({ CrashLoopBackOff: 1 }) });
    expect(structured.cut?.findings?.narrow).toMatch(/reason/);
    const narrowed = (await mcp.client.callTool({ name: 'cluster_health', arguments: { reason: 'CrashLoopBackOff' } })).structuredContent as Health;
    expect(narrowed.findings.map((f) => f.reason)).toEqual(['CrashLoopBackOff']);
    expect(narrowed.verdict).toBe('crit');
  });

  it('fails as a tool result with isError and the very message the CLI prints', async () => {
    const result = await mcp.client.callTool({ name: 'deployment_restart', arguments: { deployment: 'kube-system/coredns' } });
    expect(result.isError).toBe(true);
    expect(result.structuredContent).toBeUndefined();
    const text = (result.content as TextContent[])[0]?.text ?? '';
    const cli = await runCliProcess(['restart', 'kube-system/coredns', '--yes'], s.env);
    const cliMessage = cli.stderr.split('\n')[0]?.replace(/^Error: /, '');
    expect(text.split('\n')[0]).toBe(cliMessage);
  });

  it('restarts an allow-listed deployment and audits it on stderr', async () => {
    const result = await callConfirmed(mcp.client, 'deployment_restart', { deployment: 'pihole/unbound' });
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent).toMatchObject({ namespace: 'pihole', name: 'unbound' });
    await expect.poll(() => mcp.stderr()).toContain('"op":"deployment_restart"');
  });

  it('refuses bad arguments as a tool error', async () => {
    const result = await mcp.client.callTool({ name: 'pods_logs', arguments: { pod: '../../etc/passwd' } });
    expect(result.isError).toBe(true);
    expect((result.content as TextContent[])[0]?.text).toMatch(/pod/);
  });
});

describe('MCP read-only', () => {
  it('neither lists nor runs write tools', async () => {
    const s = await startSandboxEnv();
    const mcp = await stdioClient(s.env, ['--read-only']);
    try {
      const { tools } = await mcp.client.listTools();
      expect(tools.map((t) => t.name)).not.toContain('deployment_restart');
      expect(tools.every((t) => t.annotations?.readOnlyHint === true)).toBe(true);
      const result = await mcp.client.callTool({ name: 'deployment_restart', arguments: { deployment: 'jellyfin/jellyfin' } });
      expect(result.isError).toBe(true);
      expect(s.sandbox.store.get('deployments', 'jellyfin', 'jellyfin')).not.toHaveProperty(
        'spec.template.metadata.annotations.kubectl\\.kubernetes\\.io/restartedAt',
      );
    } finally {
      await mcp.close();
      await s.sandbox.stop();
    }
  });
});

describe('MCP over Streamable HTTP', () => {
  const key = 'test-key-0123456789abcdef';
  let s: SandboxEnv;
  let server: HttpServerProcess;
  let client: Client | undefined;
  beforeAll(async () => {
    s = await startSandboxEnv();
    server = await startHttpServer({ ...s.env, HOMELAB_API_KEY: key });
  });
  afterAll(async () => {
    await client?.close();
    await server?.stop();
    await s?.sandbox.stop();
  });

  it('answers /healthz without a key', async () => {
    const res = await fetch(server.url.replace('/mcp', '/healthz'));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('serves tools to a client with the key (Bearer or X-API-Key)', async () => {
    client = await httpClient(server.url, { Authorization: `Bearer ${key}` });
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toEqual(expect.arrayContaining(['cluster_health', 'pods_logs', 'deployment_restart']));
    const other = await httpClient(server.url, { 'X-API-Key': key });
    const result = await other.callTool({ name: 'cluster_health', arguments: {} });
    expect((result.structuredContent as { verdict: string }).verdict).toBe('crit');
    await other.close();
  });

  const initialize = JSON.stringify({
    jsonrpc: '2.0',
    id: 1,
    method: 'initialize',
    params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'curl', version: '1' } },
  });
  const post = (headers: Record<string, string>) =>
    fetch(server.url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream', ...headers },
      body: initialize,
    });

  it('refuses a missing or wrong key with 401', async () => {
    expect((await post({})).status).toBe(401);
    const wrong = await post({ Authorization: 'Bearer nope' });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect((await post({ 'X-API-Key': key })).status).toBe(200);
  });

  it('refuses foreign Host and Origin headers (DNS rebinding)', async () => {
    expect((await post({ 'X-API-Key': key, Origin: 'https://evil.example' })).status).toBe(403);
    const { request } = await import('node:http');
    const status = await new Promise<number>((resolve, reject) => {
      const url = new URL(server.url);
      const req = request(
        {
          host: url.hostname,
          port: url.port,
          path: '/mcp',
          method: 'POST',
          headers: { Host: 'evil.example', 'X-API-Key': key, 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end(initialize);
    });
    expect(status).toBe(403);
  });

  it('answers GET /mcp with 405: the server is stateless', async () => {
    const res = await fetch(server.url, { headers: { 'X-API-Key': key, Accept: 'text/event-stream' } });
    expect(res.status).toBe(405);
  });

  it('refuses to listen beyond loopback without a key', async () => {
    const r = await runCli(['mcp', 'serve', '--http', '--host', '0.0.0.0', '--port', '0'], s.env);
    expect(r.code).toBe(64);
    expect(r.stderr).toContain('refusing to listen on 0.0.0.0 without an API key');
  });
});
