import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readlinkSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { configWith } from '../helpers/config.js';
import { runCli } from '../helpers/cli.js';
import { callConfirmed, httpClient, startHttpServer, stdioClient, type HttpServerProcess } from '../helpers/mcp.js';
import { startSandboxEnv, stoppedSandboxEnv, type SandboxEnv } from '../helpers/sandbox.js';

const HEADERS = { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' };
const call = (id: number, name: string, args: Record<string, unknown> = {}) => ({
  jsonrpc: '2.0',
  id,
  method: 'tools/call',
  params: { name, arguments: args },
});
const list = (id: number) => ({ jsonrpc: '2.0', id, method: 'tools/list', params: {} });
const newKey = () => randomBytes(24).toString('hex');

/** The write tools, as the manifest the server serves from says. */
const WRITE_TOOLS = (JSON.parse(readFileSync(new URL('../../dist/mcp-tools.json', import.meta.url), 'utf8')) as Array<{ name: string; effect: string }>)
  .filter((t) => t.effect === 'write')
  .map((t) => t.name);

async function until(what: string, check: () => boolean | Promise<boolean>, limitMs = 10_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * A Secret volume as the kubelet writes it (pkg/volume/util/atomic_writer.go): the files in a new
 * `..<timestamp>` directory, a `..data_tmp` symlink to it renamed over `..data`, the visible names
 * symlinks through `..data`, and the old directory removed.
 */
class SecretVolume {
  private generation = 0;
  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  publish(files: Record<string, string>): void {
    const stamp = `..2026_11_29_17_00_00.${String(++this.generation).padStart(9, '0')}`;
    mkdirSync(join(this.dir, stamp));
    for (const [name, text] of Object.entries(files)) writeFileSync(join(this.dir, stamp, name), text, { mode: 0o644 });
    const data = join(this.dir, '..data');
    const old = existsSync(data) ? readlinkSync(data) : undefined;
    symlinkSync(stamp, join(this.dir, '..data_tmp'));
    renameSync(join(this.dir, '..data_tmp'), data);
    for (const name of Object.keys(files)) if (!existsSync(join(this.dir, name))) symlinkSync(join('..data', name), join(this.dir, name));
    if (old) rmSync(join(this.dir, old), { recursive: true });
  }
}

interface AuditLine {
  time: string;
  requestId?: string;
  op: string;
  via: string;
  caller?: string;
  input: Record<string, unknown>;
  phase?: 'plan' | 'confirmation' | 'apply';
  outcome: 'ok' | 'error' | 'refused';
  confirmation?: string;
  error?: string;
  result?: string;
  durationMs: number;
  resultBytes?: number;
}

describe('MCP over HTTP: named keys, scopes, rotation, the record and the edges', () => {
  const keys = { writer: newKey(), reader: newKey(), limited: newKey(), expired: newKey(), old: newKey(), rotated: newKey(), bad: 'short-key' };
  const keysFile = (entries: Array<Record<string, string>>) => stringify({ keys: entries });
  const firstKeys = keysFile([
    { name: 'writer', key: keys.writer, scope: 'write' },
    { name: 'reader', key: keys.reader, scope: 'read' },
    { name: 'limited', key: keys.limited, scope: 'read' },
    { name: 'expired', key: keys.expired, scope: 'write', expires: '2020-01-31' },
    { name: 'old', key: keys.old, scope: 'write' },
  ]);
  let s: SandboxEnv;
  let volume: SecretVolume;
  let server: HttpServerProcess;
  let base: string;
  let configFile: string;
  /** Confirmation tokens handed out: secrets the output must not show either. */
  const tokens: string[] = [];
  beforeAll(async () => {
    s = await startSandboxEnv({ delays: { flux: 3_000 } });
    volume = new SecretVolume(join(s.sandbox.dir, 'mcp-keys'));
    volume.publish({ 'keys.yaml': firstKeys });
    // A burst of 10 and one more a minute: each key below sends at most 10 requests, but "limited".
    configFile = await configWith(s.sandbox, 'callers', { mcp: { keysFile: join(volume.dir, 'keys.yaml'), rateLimit: { perMinute: 1, burst: 10 } } });
    server = await startHttpServer({ ...s.env, HOMELAB_CONFIG: configFile });
    base = server.url.replace(/\/mcp$/, '');
  });
  afterAll(async () => {
    await server?.stop();
    if (volume) rmSync(volume.dir, { recursive: true, force: true });
    await s?.sandbox.stop();
  });

  const post = (key: string | undefined, body: unknown, headers: Record<string, string> = {}) =>
    fetch(server.url, {
      method: 'POST',
      headers: { ...HEADERS, ...(key ? { 'X-API-Key': key } : {}), ...headers },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(20_000),
    });
  const audit = (): AuditLine[] =>
    server
      .stdout()
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as AuditLine);

  it('says at start which keys it holds, by name and scope, never the keys', () => {
    expect(server.stderr()).toMatch(
      /API key required: writer \(write\), reader \(read\), limited \(read\), expired \(write, until 2020-01-31T23:59:59\.999Z\), old \(write\) from keys file /,
    );
  });

  it('answers 401 with a WWW-Authenticate challenge for a missing, wrong or expired key', async () => {
    const missing = await post(undefined, list(1));
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toBe('Bearer realm="homelab"');
    expect(await missing.json()).toEqual({
      jsonrpc: '2.0',
      id: null,
      error: { code: -32000, message: 'Unauthorized: no API key: send it as X-API-Key or Authorization: Bearer' },
    });

    const wrong = await post(newKey(), list(1));
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toBe('Bearer realm="homelab", error="invalid_token", error_description="the key is not valid"');

    const expired = await fetch(server.url, {
      method: 'POST',
      headers: { ...HEADERS, Authorization: `Bearer ${keys.expired}` },
      body: JSON.stringify(list(1)),
    });
    expect(expired.status).toBe(401);
    expect(expired.headers.get('www-authenticate')).toBe('Bearer realm="homelab", error="invalid_token", error_description="the key has expired"');
    expect(((await expired.json()) as { error: { message: string } }).error.message).toBe('Unauthorized: the API key has expired: ask for a new one');
  });

  it('gives a read key the read tools only: write tools are neither listed nor run (403 naming the scope)', async () => {
    const reader: Client = await httpClient(server.url, { 'X-API-Key': keys.reader });
    try {
      const { tools } = await reader.listTools();
      const names = tools.map((t) => t.name);
      expect(names).toContain('cluster_health');
      expect(WRITE_TOOLS.length).toBeGreaterThan(5);
      for (const write of WRITE_TOOLS) expect(names).not.toContain(write);
      const health = await reader.callTool({ name: 'cluster_health', arguments: {} });
      expect((health.structuredContent as { verdict: string }).verdict).toBe('crit');
      // Through the SDK client too: the call is refused at the door, before any server runs it.
      await expect(reader.callTool({ name: 'deployment_restart', arguments: { deployment: 'media/jellyfin' } })).rejects.toThrow(/403|may only read/);
    } finally {
      await reader.close();
    }
    const res = await post(keys.reader, call(7, 'flux_reconcile', { kind: 'kustomization', name: 'apps' }));
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({
      jsonrpc: '2.0',
      id: 7,
      error: {
        code: -32000,
        message: 'Forbidden: the key "reader" may only read (scope read); flux_reconcile changes things. Use a key with scope write for it.',
      },
    });
    // Nothing was asked of the cluster.
    const stored = s.sandbox.store.get('kustomizations.kustomize.toolkit.fluxcd.io', 'flux-system', 'apps') as unknown as {
      metadata: { annotations?: Record<string, string> };
    };
    expect(stored.metadata.annotations?.['reconcile.fluxcd.io/requestedAt']).toBeUndefined();
  });

  it('answers 429 with Retry-After once a key is past its rate limit; other keys are not affected', async () => {
    for (let i = 1; i <= 10; i++) expect((await post(keys.limited, list(i))).status).toBe(200);
    const limited = await post(keys.limited, call(11, 'cluster_health'));
    expect(limited.status).toBe(429);
    const retry = Number(limited.headers.get('retry-after'));
    expect(retry).toBeGreaterThanOrEqual(1);
    expect(retry).toBeLessThanOrEqual(60);
    expect(await limited.json()).toEqual({
      jsonrpc: '2.0',
      id: 11,
      error: { code: -32000, message: `Too many requests: key "limited" may send 1 a minute (bursts of 10); retry in ${retry} s` },
    });
    expect((await post(keys.reader, list(12))).status).toBe(200);
  });

  it("binds a write's confirmation token to the key that asked: another key's is refused", async () => {
    const writer = await httpClient(server.url, { 'X-API-Key': keys.writer });
    const other = await httpClient(server.url, { 'X-API-Key': keys.old });
    try {
      const planned = await writer.callTool({ name: 'dns_gravity_update', arguments: {} });
      const token = (planned.structuredContent as { confirmation: { token: string } }).confirmation.token;
      tokens.push(token);
      const stolen = await other.callTool({ name: 'dns_gravity_update', arguments: { confirmationToken: token } });
      expect(stolen.isError).toBe(true);
      expect((stolen.content as Array<{ text: string }>)[0]?.text).toContain('this confirmation token was issued to another caller: nothing was changed');
      expect(s.sandbox.services.pihole?.requests.filter((q) => q.path === '/api/action/gravity')).toHaveLength(0);
    } finally {
      await writer.close();
      await other.close();
    }
  });

  it('writes one audit line per tool call, reads and writes (each step of a write), with the caller, request id, outcome, duration and size', async () => {
    const writer = await httpClient(server.url, { 'X-API-Key': keys.writer });
    try {
      const health = await writer.callTool({ name: 'cluster_health', arguments: {} });
      expect(health.isError).toBeFalsy();
      const gravity = await callConfirmed(writer, 'dns_gravity_update', {});
      expect(gravity.isError, JSON.stringify(gravity.content)).toBeFalsy();
      expect(s.sandbox.services.pihole?.requests.filter((q) => q.path === '/api/action/gravity')).toHaveLength(1);
    } finally {
      await writer.close();
    }
    const tagged = await post(keys.writer, call(21, 'flux_status', { kind: 'kustomization' }), { 'X-Request-Id': 'req-audit-0001' });
    expect(tagged.status).toBe(200);
    expect(tagged.headers.get('x-request-id')).toBe('req-audit-0001');

    const lines = audit();
    const of = (caller: string, op: string) => lines.filter((l) => l.caller === caller && l.op === op);
    const [read] = of('writer', 'cluster_health');
    expect(read).toMatchObject({ via: 'mcp', outcome: 'ok', input: {} });
    expect(read!.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(read!.resultBytes).toBeGreaterThan(100);
    expect(read!.durationMs).toBeGreaterThanOrEqual(0);
    expect(Date.parse(read!.time)).not.toBeNaN();
    const steps = of('writer', 'dns_gravity_update');
    expect(steps.map((l) => [l.phase, l.outcome, l.confirmation])).toEqual([
      ['plan', 'ok', undefined],
      ['confirmation', 'ok', 'pending'], // the plan stolen by "old"
      ['plan', 'ok', undefined],
      ['confirmation', 'ok', 'pending'],
      ['plan', 'ok', undefined],
      ['confirmation', 'ok', 'accepted'],
      ['apply', 'ok', undefined],
    ]);
    expect(steps.at(-1)!.result).toEqual(expect.any(String));
    expect(steps.at(-1)!.resultBytes).toBeGreaterThan(0);
    expect(of('old', 'dns_gravity_update')).toEqual([
      expect.objectContaining({ phase: 'plan', outcome: 'ok' }),
      expect.objectContaining({ phase: 'confirmation', outcome: 'refused', confirmation: 'mismatch' }),
    ]);
    // The confirmation token is not among the arguments on the record (the output test below greps for it).
    expect(steps.find((l) => l.confirmation === 'accepted')?.input).toEqual({});
    expect(of('writer', 'flux_status')).toEqual([expect.objectContaining({ requestId: 'req-audit-0001', outcome: 'ok', input: { kind: 'kustomization' } })]);
    // The calls refused at the door are on the record too, and say why.
    expect(of('reader', 'flux_reconcile')).toEqual([
      expect.objectContaining({ outcome: 'refused', durationMs: 0, error: expect.stringContaining('may only read (scope read)') }),
    ]);
    expect(of('reader', 'deployment_restart')).toEqual([expect.objectContaining({ outcome: 'refused' })]);
    expect(of('limited', 'cluster_health')).toEqual([
      expect.objectContaining({ outcome: 'refused', error: 'rate limited: key "limited" is past mcp.rateLimit' }),
    ]);
    // Reads from the read key are recorded as well; nothing is recorded for 401s (no caller, no call run).
    expect(of('reader', 'cluster_health')).toHaveLength(1);
    expect(lines.filter((l) => l.caller === undefined || l.caller === 'expired')).toEqual([]);
  });

  it('follows the keys file through a ..data swap: the old key is refused and the new one accepted within seconds', async () => {
    const before = await httpClient(server.url, { 'X-API-Key': keys.old });
    await before.close();
    volume.publish({
      'keys.yaml': keysFile([
        { name: 'writer', key: keys.writer, scope: 'write' },
        { name: 'reader', key: keys.reader, scope: 'read' },
        { name: 'limited', key: keys.limited, scope: 'read' },
        { name: 'rotated', key: keys.rotated, scope: 'write' },
      ]),
    });
    await until('the old key to be refused', async () => (await post(keys.old, list(1))).status === 401, 5_000);
    const after = await httpClient(server.url, { 'X-API-Key': keys.rotated });
    try {
      const result = await after.callTool({ name: 'cluster_health', arguments: {} });
      expect(result.isError).toBeFalsy();
    } finally {
      await after.close();
    }
    expect(server.stderr()).toMatch(/keys file keys\.yaml reloaded: writer \(write\), reader \(read\), limited \(read\), rotated \(write\)/);
    expect(audit().filter((l) => l.caller === 'rotated' && l.op === 'cluster_health')).toHaveLength(1);
  });

  it('refuses a keys file that fails validation with a log line, and keeps the last good one', async () => {
    volume.publish({
      'keys.yaml': keysFile([
        { name: 'bad', key: keys.bad, scope: 'write' },
        { name: 'Nope!', key: newKey(), scope: 'admin' },
      ]),
    });
    await until('the refusal in the log', () => server.stderr().includes('changed but is refused'), 5_000);
    const said = server
      .stderr()
      .split('\n')
      .find((l) => l.includes('changed but is refused'))!;
    expect(said).toContain('keeping the last good one');
    expect(said).toContain('keys.yaml: keys[0].key: must be at least 16 characters (openssl rand -hex 32); keys[1].name: must be 1-64 lower-case letters');
    expect(said).toContain('keys[1].scope: Invalid option: expected one of "read"|"write"');
    expect((await post(keys.bad, list(1))).status).toBe(401);
    expect((await post(keys.rotated, list(2))).status).toBe(200);
  });

  it("follows the config file's allow-lists: a CronJob added to allow.backupsTrigger may be triggered without a restart", async () => {
    const client = await httpClient(server.url, { 'X-API-Key': keys.rotated });
    const trigger = () => callConfirmed(client, 'backups_trigger', { cronJob: 'backups/restic-prune' });
    const denied = await trigger();
    expect(denied.isError).toBe(true);
    expect((denied.content as Array<{ text: string }>)[0]?.text).toContain('not in the allow-list for backupsTrigger');
    // As an editor saves: a new file renamed over the old one.
    const text = readFileSync(configFile, 'utf8').replace(/^allow:\n/m, 'allow:\n  backupsTrigger: [backups/restic-prune]\n');
    const edited = text.includes('backupsTrigger: [backups/restic-prune]') ? text : `${text}allow:\n  backupsTrigger: [backups/restic-prune]\n`;
    writeFileSync(`${configFile}.tmp`, edited);
    renameSync(`${configFile}.tmp`, configFile);
    await until(
      'the config reload in the log',
      () => /config file callers\.yaml reloaded: applied allow \(.*backupsTrigger: backups\/restic-prune/.test(server.stderr()),
      5_000,
    );
    const allowed = await trigger();
    await client.close();
    expect(allowed.isError, JSON.stringify(allowed.content)).toBeFalsy();
    expect((allowed.structuredContent as { job: string }).job).toMatch(/^restic-prune-manual-/);
  });

  it('serves /metrics in the Prometheus format with the homelab_mcp_ names and process metrics', async () => {
    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    const value = (series: string) => Number(new RegExp(`^${series.replace(/[{}"]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1]);
    expect(value('homelab_mcp_tool_calls_total{tool="cluster_health",outcome="ok"}')).toBeGreaterThanOrEqual(3);
    expect(value('homelab_mcp_tool_calls_total{tool="flux_reconcile",outcome="refused"}')).toBe(1);
    // A write counted once, by how it ended: applied, its plan handed back, or refused (another key's token).
    expect(value('homelab_mcp_tool_calls_total{tool="dns_gravity_update",outcome="ok"}')).toBe(1);
    expect(value('homelab_mcp_tool_calls_total{tool="dns_gravity_update",outcome="planned"}')).toBe(2);
    expect(value('homelab_mcp_tool_calls_total{tool="dns_gravity_update",outcome="refused"}')).toBe(1);
    expect(value('homelab_mcp_tool_call_duration_seconds_count{tool="cluster_health"}')).toBeGreaterThanOrEqual(3);
    expect(text).toMatch(/^homelab_mcp_tool_call_duration_seconds_bucket\{le="0\.05",tool="cluster_health"\} \d+$/m);
    expect(value('homelab_mcp_tool_calls_in_flight')).toBe(0);
    expect(value('homelab_mcp_auth_failures_total{reason="missing"}')).toBeGreaterThanOrEqual(1);
    expect(value('homelab_mcp_auth_failures_total{reason="invalid"}')).toBeGreaterThanOrEqual(3);
    expect(value('homelab_mcp_auth_failures_total{reason="expired"}')).toBe(1);
    expect(value('homelab_mcp_auth_failures_total{reason="scope"}')).toBe(2);
    expect(value('homelab_mcp_rate_limited_total{key="limited"}')).toBe(1);
    expect(value('homelab_mcp_config_reloads_total{file="keys",result="applied"}')).toBe(1);
    expect(value('homelab_mcp_config_reloads_total{file="keys",result="refused"}')).toBe(1);
    expect(value('homelab_mcp_config_reloads_total{file="config",result="applied"}')).toBe(1);
    expect(value('process_resident_memory_bytes')).toBeGreaterThan(10_000_000);
    expect(text).toMatch(/^homelab_mcp_build_info\{version="[^"]+"\} 1$/m);
  });

  it('answers /readyz 200 when the config is loaded and the API server answers', async () => {
    const res = await fetch(`${base}/readyz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ready', config: 'loaded', apiServer: 'ok' });
  });

  it("answers the old HTTP+SSE transport's paths with what to register instead", async () => {
    for (const [method, path] of [
      ['GET', '/sse'],
      ['POST', '/messages?sessionId=abc'],
    ] as const) {
      const res = await fetch(`${base}${path}`, {
        method,
        headers: { 'X-API-Key': keys.writer, ...(method === 'POST' ? { 'Content-Type': 'application/json' } : {}) },
        ...(method === 'POST' ? { body: JSON.stringify(list(1)) } : {}),
      });
      expect(res.status).toBe(404);
      const { error } = (await res.json()) as { error: { message: string } };
      expect(error.message).toContain(`This server speaks Streamable HTTP at ${server.url}, not the old HTTP+SSE transport`);
      expect(error.message).toContain(`claude mcp add -t http -H "X-API-Key: <key>" homelab ${server.url}`);
      expect(error.message).toContain(`mcp-remote ${server.url} --transport http-only`);
    }
  });

  it("records the CLI's calls (audit.file) and the stdio server's (stderr, and the file) in the same shape", async () => {
    const file = join(s.sandbox.dir, 'audit.jsonl');
    s.sandbox.written.push(file);
    const config = await configWith(s.sandbox, 'audited', { audit: { file } });
    const r = await runCli(['health', '--json'], { ...s.env, HOMELAB_CONFIG: config });
    expect(JSON.parse(r.stdout)).toHaveProperty('verdict', 'crit');
    const recorded = () =>
      readFileSync(file, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as AuditLine);
    expect(recorded()).toEqual([
      expect.objectContaining({
        op: 'cluster_health',
        via: 'cli',
        input: expect.any(Object),
        outcome: 'ok',
        durationMs: expect.any(Number),
        resultBytes: expect.any(Number),
      }),
    ]);
    expect(recorded()[0]).not.toHaveProperty('caller');

    const mcp = await stdioClient(s.env, ['--config', config]);
    try {
      expect((await mcp.client.callTool({ name: 'cluster_health', arguments: {} })).isError).toBeFalsy();
    } finally {
      await mcp.close();
    }
    const onStderr = mcp
      .stderr()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as AuditLine);
    const stdioRecord = expect.objectContaining({
      op: 'cluster_health',
      via: 'mcp',
      caller: 'stdio',
      requestId: expect.stringMatching(/^\d+$/),
      outcome: 'ok',
    });
    expect(onStderr).toEqual([stdioRecord]);
    expect(recorded()).toEqual([expect.objectContaining({ via: 'cli' }), stdioRecord]);
    // The same keys in the same order, whichever door: one record shape.
    expect(Object.keys(recorded()[1]!).filter((k) => !['requestId', 'caller'].includes(k))).toEqual(Object.keys(recorded()[0]!));
  });

  it('never writes a key, password or token to the audit log or the log', async () => {
    const secrets = [
      ...Object.values(keys),
      ...tokens,
      s.sandbox.token,
      ...[
        s.sandbox.endpoints.pihole?.passwordFile,
        s.sandbox.endpoints.adguard?.passwordFile,
        s.sandbox.endpoints.jellyfin?.apiKeyFile,
        s.sandbox.endpoints.immich?.apiKeyFile,
      ]
        .filter((f): f is string => f !== undefined)
        .map((f) => readFileSync(f, 'utf8').trim()),
    ];
    expect(secrets.length).toBeGreaterThanOrEqual(10);
    const written = `${server.stdout()}\n${server.stderr()}`;
    expect(audit().length).toBeGreaterThanOrEqual(8);
    for (const secret of secrets) expect(written.includes(secret), `a secret (${secret.length} characters) appears in the output`).toBe(false);
  });
});

describe('MCP over HTTP: readiness and shutdown', () => {
  it('answers /readyz 503 when the API server does not answer (and /healthz 200)', async () => {
    const gone = await stoppedSandboxEnv();
    const server = await startHttpServer(gone.env);
    try {
      const base = server.url.replace(/\/mcp$/, '');
      const res = await fetch(`${base}/readyz`);
      expect(res.status).toBe(503);
      const body = (await res.json()) as { status: string; config: string; apiServer: string };
      expect(body).toMatchObject({ status: 'not ready', config: 'loaded' });
      expect(body.apiServer).toMatch(/127\.0\.0\.1|refused|ECONNREFUSED|cannot reach/i);
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
    } finally {
      await server.stop();
      gone.remove();
    }
  });

  it('on SIGTERM stops taking connections, lets the call in flight finish, and exits 0', async () => {
    const s = await startSandboxEnv({ delays: { flux: 3_000 } });
    const key = newKey();
    const server = await startHttpServer({ ...s.env, HOMELAB_API_KEY: key });
    try {
      const reconcile = { kind: 'kustomization', name: 'apps' };
      const send = (body: unknown) => fetch(server.url, { method: 'POST', headers: { ...HEADERS, 'X-API-Key': key }, body: JSON.stringify(body) });
      const planned = (await (await send(call(1, 'flux_reconcile', reconcile))).json()) as {
        result: { structuredContent: { confirmation: { token: string } } };
      };
      const inFlight = send(call(2, 'flux_reconcile', { ...reconcile, confirmationToken: planned.result.structuredContent.confirmation.token }));
      const stored = () =>
        s.sandbox.store.get('kustomizations.kustomize.toolkit.fluxcd.io', 'flux-system', 'apps') as unknown as {
          metadata: { annotations?: Record<string, string> };
        };
      await until('the reconcile to start', () => stored().metadata.annotations?.['reconcile.fluxcd.io/requestedAt'] !== undefined);
      const exited = new Promise<number | null>((resolve) => server.child.once('exit', (code) => resolve(code)));
      server.child.kill('SIGTERM');
      await until('the shutdown to begin', () => server.stderr().includes('SIGTERM: no new requests'));
      // New connections are refused while the call in flight goes on.
      await expect(fetch(`${server.url.replace(/\/mcp$/, '')}/healthz`)).rejects.toThrow();
      expect(server.child.exitCode).toBeNull();

      const res = await inFlight;
      expect(res.status).toBe(200);
      const answer = (await res.json()) as { id: number; result: { isError?: boolean } };
      expect(answer.id).toBe(2);
      expect(answer.result.isError, JSON.stringify(answer.result)).toBeFalsy();
      expect(await exited).toBe(0);
      expect(server.stderr()).toContain('SIGTERM: no new requests; waiting up to 10 s for 1 tool call in flight');
      expect(server.stderr()).toMatch(/stopped\n?$/);
      expect(server.stdout()).toContain('"op":"flux_reconcile"');
    } finally {
      await server.stop();
      await s.sandbox.stop();
    }
  }, 30_000);
});
