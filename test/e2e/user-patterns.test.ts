import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Scenario } from '@homelab/sandbox';
import { spawnCli, type CliResult } from '../helpers/cli.js';
import { startHttpServer, type HttpServerProcess } from '../helpers/mcp.js';
import { startSandboxEnv, type SandboxEnv } from '../helpers/sandbox.js';

// `^(.+)+#$` backtracks exponentially on any line that does not end in "#": with V8's RegExp a line of
// 40 characters never finishes. Lines ending in "#" match, so the answer has something to check.
const EVIL = '^(.+)+#$';
const LOG = [
  'level=info msg="starting the web server on :8080 with 4 workers"',
  'level=warn msg="config reload requested; keeping the old one" #',
  'level=error msg="upstream timed out after 30s while reading the response header"',
  'level=info msg="ready" #',
];

const scenario: Scenario = {
  name: 'patterns',
  nodes: [{ name: 'node-a', roles: ['control-plane'], ip: '192.0.2.10', cpu: '4', memory: '8Gi' }],
  namespaces: [{ name: 'web' }],
  workloads: [
    { kind: 'Deployment', name: 'site', namespace: 'web', replicas: 1, created: '-1d', containers: [{ name: 'app', image: 'nginx:1.27', logs: LOG }] },
  ],
};

/** The CLI as a process, killed (SIGKILL: a frozen process ignores SIGTERM) if it outlives the limit. */
function runCliBounded(args: string[], env: Record<string, string>, limitMs = 15_000): Promise<CliResult & { killed: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawnCli(args, env);
    let stdout = '';
    let stderr = '';
    let killed = false;
    const timer = setTimeout(() => {
      killed = true;
      child.kill('SIGKILL');
    }, limitMs);
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr, killed });
    });
  });
}

describe('user regexes run in linear time (RE2)', () => {
  let s: SandboxEnv;
  let pod: string;
  beforeAll(async () => {
    s = await startSandboxEnv({ scenarioData: scenario });
    const pods = s.sandbox.store.list('pods', 'web') as unknown as Array<{ metadata: { name: string } }>;
    pod = pods[0]?.metadata.name ?? '';
    expect(pod).toMatch(/^site-/);
  });
  afterAll(async () => {
    await s?.sandbox.stop();
  });

  it(`homelab logs --grep '${EVIL}' answers with the lines that match`, async () => {
    const r = await runCliBounded(['logs', 'site', '-n', 'web', '--grep', EVIL, '--json'], s.env);
    expect(r.killed, 'the CLI was still running after 15 s').toBe(false);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { lines: string[]; scanned: number };
    expect(out.scanned).toBe(LOG.length);
    expect(out.lines).toEqual(LOG.filter((l) => l.endsWith('#')));
  });

  it('keeps RE2 features people use: alternation, classes, (?i)', async () => {
    const r = await runCliBounded(['logs', 'site', '-n', 'web', '--grep', '(?i)LEVEL=(warn|error)\\b', '--json'], s.env);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as { lines: string[] }).lines).toEqual([LOG[1], LOG[2]]);
  });

  it('refuses a pattern RE2 cannot run (a backreference) with exit 64, naming the flag and why', async () => {
    const r = await runCliBounded(['logs', 'site', '-n', 'web', '--grep', '(a)\\1'], s.env);
    expect(r.code).toBe(64);
    expect(r.stderr).toContain('--grep: must be a valid regular expression (RE2 syntax: no backreferences or lookaround): invalid escape sequence: `\\1`');
    const lookahead = await runCliBounded(['logs', 'site', '-n', 'web', '--grep', 'error(?=:)'], s.env);
    expect(lookahead.code).toBe(64);
    expect(lookahead.stderr).toContain('--grep: must be a valid regular expression');
  });

  describe('over MCP Streamable HTTP', () => {
    let server: HttpServerProcess;
    beforeAll(async () => {
      server = await startHttpServer(s.env);
    });
    afterAll(async () => {
      // A frozen server ignores SIGTERM: make sure it goes.
      const gone = server?.stop();
      const timer = setTimeout(() => server?.child.kill('SIGKILL'), 5_000);
      await gone;
      clearTimeout(timer);
    });

    const call = (id: number, args: Record<string, unknown>) =>
      fetch(server.url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' },
        body: JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'pods_logs', arguments: args } }),
        signal: AbortSignal.timeout(15_000),
      });

    it(`pods_logs with grep '${EVIL}' answers, and /healthz answers while it runs`, async () => {
      const answer = call(1, { pod, namespace: 'web', grep: EVIL });
      const healthz = fetch(server.url.replace(/\/mcp$/, '/healthz'), { signal: AbortSignal.timeout(5_000) });
      const [res, health] = await Promise.all([answer, healthz]);
      expect(health.status).toBe(200);
      expect(res.status).toBe(200);
      const body = (await res.json()) as { result: { isError?: boolean; structuredContent: { lines: string[] } } };
      expect(body.result.isError).toBeFalsy();
      expect(body.result.structuredContent.lines).toEqual(LOG.filter((l) => l.endsWith('#')));
    });

    it('refuses a backreference as a tool error naming the field', async () => {
      const res = await call(2, { pod, namespace: 'web', grep: '(x+)\\1' });
      const body = (await res.json()) as { result: { isError?: boolean; content: Array<{ text: string }> } };
      expect(body.result.isError).toBe(true);
      expect(body.result.content[0]?.text).toContain('invalid input for pods_logs: grep: must be a valid regular expression (RE2 syntax');
    });
  });
});
