/**
 * The Pi-hole v6 session as the fake's counters see it: one login per process however many calls
 * run at once, reused across MCP tool calls, renewed once when it expires, 429s waited out, and
 * always logged out at the end, so homelab never leaves one of Pi-hole's 16 API seats taken.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, runCliProcess } from '../helpers/cli.js';
import { configWith } from '../helpers/config.js';
import { stdioClient } from '../helpers/mcp.js';
import { startSandboxEnv, type SandboxEnv } from '../helpers/sandbox.js';
import type { FakePihole } from '@homelab/sandbox';

async function until(check: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check() && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
}

describe('Pi-hole session', () => {
  let s: SandboxEnv;
  let pi: FakePihole;
  beforeAll(async () => {
    s = await startSandboxEnv();
    pi = s.sandbox.services.pihole as FakePihole;
  });
  afterAll(async () => {
    await s?.sandbox.stop();
  });

  const counts = () => ({ logins: pi.logins, logouts: pi.logouts });

  it('logs in once for the four calls homelab dns makes at once, and logs out when the command ends', async () => {
    const before = counts();
    const sent = pi.requests.length;
    const r = await runCliProcess(['dns', '--json'], s.env);
    expect(r.code).toBe(1);
    const paths = pi.requests.slice(sent).map((q) => `${q.method} ${q.path}`);
    expect(paths.filter((p) => p === 'POST /api/auth')).toHaveLength(1);
    expect(paths).toEqual(expect.arrayContaining(['GET /api/dns/blocking', 'GET /api/stats/summary', 'GET /api/stats/upstreams', 'GET /api/info/messages']));
    expect(paths.at(-1)).toBe('DELETE /api/auth');
    expect(counts()).toEqual({ logins: before.logins + 1, logouts: before.logouts + 1 });
    expect(pi.activeSessions()).toBe(0);
  });

  it('keeps one session across the tool calls of an MCP process, logs in again once after it expires, and logs out at shutdown', async () => {
    const before = counts();
    const mcp = await stdioClient(s.env);
    let closed = false;
    try {
      const results = await Promise.all([
        mcp.client.callTool({ name: 'dns_status', arguments: {} }),
        mcp.client.callTool({ name: 'dns_queries', arguments: { blocked: true } }),
        mcp.client.callTool({ name: 'dns_allowlist', arguments: {} }),
      ]);
      expect(results.map((r) => r.isError ?? false)).toEqual([false, false, false]);
      await mcp.client.callTool({ name: 'dns_allowlist', arguments: {} });
      expect(counts()).toEqual({ logins: before.logins + 1, logouts: before.logouts });
      expect(pi.activeSessions()).toBe(1);

      pi.expireAllSessions();
      const after = await mcp.client.callTool({ name: 'dns_queries', arguments: { limit: 2 } });
      expect(after.isError).toBeFalsy();
      expect(counts()).toEqual({ logins: before.logins + 2, logouts: before.logouts });

      await mcp.close();
      closed = true;
      await until(() => pi.logouts > before.logouts);
      expect(counts()).toEqual({ logins: before.logins + 2, logouts: before.logouts + 1 });
      expect(pi.activeSessions()).toBe(0);
    } finally {
      if (!closed) await mcp.close();
    }
  });

  it('backs off on a 429, says so on stderr, and still answers', async () => {
    pi.rateLimitNext(1);
    const r = await runCli(['dns', 'allowlist', '--json'], s.env);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ exact: 2, regex: 1 });
    expect(r.stderr).toMatch(
      /warning: Pi-hole at http:\/\/127\.0\.0\.1:\d+ is rate limiting \(HTTP 429 on POST \/api\/auth\); backing off 5s before retry 1 of 2/,
    );
    expect(pi.activeSessions()).toBe(0);
  });

  it('refuses a wrong password with a clear Forbidden (69) naming Pi-hole and its URL, never the password; homelab dns reports the rest', async () => {
    const wrong = 'not-the-pihole-password-42';
    const file = join(s.sandbox.dir, 'wrong-password');
    await writeFile(file, `${wrong}\n`, { mode: 0o600 });
    const config = await configWith(s.sandbox, 'wrong-password', { services: { pihole: { url: pi.url, password: { file } } } });
    const before = counts();
    const r = await runCli(['dns', 'allowlist', '--config', config], s.env);
    expect(r.code).toBe(69);
    expect(r.stderr).toContain(`Pi-hole at ${pi.url} refused the password (HTTP 401: password incorrect): wrong password`);
    expect(r.stderr).toContain('Hint: check the secret services.pihole.password points at');
    const real = (await readFile(join(s.sandbox.dir, 'secrets', 'pihole-password'), 'utf8')).trim();
    expect(r.stderr + r.stdout).not.toContain(wrong);
    expect(r.stderr + r.stdout).not.toContain(real);
    expect(counts()).toEqual(before);

    // homelab dns still reports what it could read: the DNS pods and AdGuard, plus one finding naming Pi-hole.
    const [status, table] = await Promise.all([runCli(['dns', '--json', '--config', config], s.env), runCli(['dns', '--config', config], s.env)]);
    expect(status.code).toBe(2);
    const out = JSON.parse(status.stdout) as {
      pods: Array<{ app: string; ready: boolean }>;
      pihole: { configured: boolean; reachable: boolean; url: string };
      adguard: { reachable: boolean };
      findings: Array<{ severity: string; kind: string; name: string; reason: string; message: string }>;
      summary: string;
    };
    expect(out.pods.map((p) => p.app).sort()).toEqual(['pihole', 'unbound']);
    expect(out.adguard.reachable).toBe(true);
    expect(out.pihole).toMatchObject({ configured: true, reachable: false, url: pi.url });
    expect(out.findings.filter((f) => f.kind === 'Pi-hole')).toEqual([
      {
        severity: 'crit',
        kind: 'Pi-hole',
        name: pi.url,
        reason: 'Refused',
        message: `Pi-hole at ${pi.url} refused the password (HTTP 401: password incorrect): wrong password; blocking, queries, gravity and upstreams not checked; check the secret services.pihole.password points at (the web password or an app password)`,
      },
    ]);
    expect(out.summary).toMatch(/2\/2 DNS pods ready in pihole; Pi-hole refused homelab's credentials; AdGuard protection on/);
    expect(table.code).toBe(2);
    expect(table.stdout).toMatch(/crit\s+Pi-hole\s+http:\/\/127\.0\.0\.1:\d+\s+Refused/);
    for (const text of [status.stdout, status.stderr, table.stdout, table.stderr]) {
      expect(text).not.toContain(wrong);
      expect(text).not.toContain(real);
    }
  });
});
