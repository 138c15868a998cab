/**
 * homelab dns through the doors: the tables and exit codes, the parser's refusals of the query
 * filters, confirmation, the gravity update as the CLI prints it and audits it, and MCP stdio. What
 * the ops answer is tested in process in test/ops/dns/. The tests run in order: the MCP one reads the
 * gravity the CLI one updated.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, runCliProcess } from '../helpers/cli.js';
import { configWith, configWithout } from '../helpers/config.js';
import { callConfirmed, stdioClient } from '../helpers/mcp.js';
import type { DnsStatus, Gravity, Queries } from '../helpers/net.js';
import { startSandboxEnv, type SandboxEnv } from '../helpers/sandbox.js';

describe('homelab dns', () => {
  let s: SandboxEnv;
  beforeAll(async () => {
    s = await startSandboxEnv();
  });
  afterAll(async () => {
    await s?.sandbox.stop();
  });

  it('prints the DNS pods, blocking, gravity, upstreams and findings as tables (exit 1 for the warnings)', async () => {
    const table = await runCliProcess(['dns'], s.env);
    expect(table.code).toBe(1);
    expect(table.stdout).toMatch(/^WARN 2 warnings/);
    expect(table.stdout).toMatch(/pihole-\S+\s+pihole\s+1\/1\s+Running/);
    expect(table.stdout).toMatch(/unbound-\S+\s+unbound\s+1\/1\s+Running/);
    expect(table.stdout).toContain('blocking   enabled');
    expect(table.stdout).toContain('gravity    219727 domains, updated 6d ago');
    expect(table.stdout).toMatch(/unbound\.pihole\.svc\.cluster\.local\s+10\.43\.53\.53#53\s+24830/);
    expect(table.stdout).toMatch(/warn\s+Pi-hole\s+http:\/\/127\.0\.0\.1:\d+\s+RATE_LIMIT/);
    expect(table.stdout).toContain('protection on');
    expect(table.stdout).toContain('top blocked app-measurement.com (702), doubleclick.net (455)');
  });

  it('says a Pi-hole op needs Pi-hole configured, on stderr with exit 64', async () => {
    const allow = await runCli(['dns', 'allowlist', '--config', await configWithout(s.sandbox, 'no-services', ['services'])], s.env);
    expect(allow.code).toBe(64);
    expect(allow.stderr).toContain('Pi-hole is not configured');
  });

  it('prints recent queries, from Pi-hole with the count that matched, from AdGuard with --server adguard', async () => {
    const [table, blockedTable, chosen] = await Promise.all([
      runCli(['dns', 'queries', '--limit', '3'], s.env),
      runCli(['dns', 'queries', '--blocked', '--limit', '3'], s.env),
      runCli(['dns', 'queries', '--server', 'adguard', '--blocked', '--client', '192.168.1.42'], s.env),
    ]);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^3 queries from Pi-hole at http:\/\/127\.0\.0\.1:\d+ \(13 in the log match the filters\)/);
    expect(table.stdout).toMatch(/192\.168\.1\.42 \(phone\.lan\)\s+A\s+doubleclick\.net\s+GRAVITY/);
    expect(blockedTable.stdout).toMatch(/^3 blocked queries from Pi-hole at http:\/\/127\.0\.0\.1:\d+ \(7 in the log match the filters\)/);
    expect(chosen.code).toBe(0);
    expect(chosen.stdout).toMatch(/^3 blocked queries from AdGuard Home at http:\/\/127\.0\.0\.1:\d+/);
    expect(chosen.stdout).toMatch(/192\.168\.1\.42 \(phone\)\s+A\s+doubleclick\.net\s+FilteredBlackList/);
    expect(chosen.stdout).not.toContain('192.168.1.20');
    // AdGuard's query log says no count of matches (GET /control/querylog has none): none is claimed.
    expect(chosen.stdout).not.toContain('match the filters');
  });

  it('validates the query filters (64)', async () => {
    const [badIp, badName, tooMany] = await Promise.all([
      runCli(['dns', 'queries', '--client', '192.168.1.300'], s.env),
      runCli(['dns', 'queries', '--domain', 'ads example.com'], s.env),
      runCli(['dns', 'queries', '--limit', '5000'], s.env),
    ]);
    expect(badIp.code).toBe(64);
    expect(badIp.stderr).toContain('--client: must be an IPv4 or IPv6 address');
    expect(badName.code).toBe(64);
    expect(badName.stderr).toContain('--domain: must be a DNS name');
    expect(tooMany.code).toBe(64);
  });

  it('prints the allowlist as a table', async () => {
    const table = await runCli(['dns', 'allowlist'], s.env);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/api\.themoviedb\.org\s+exact\s+yes\s+0\s+\d{4}-\d\d-\d\d\s+Jellyfin metadata/);
  });

  it('refuses a gravity update without --yes off a terminal (64) and in read-only mode (77)', async () => {
    const before = s.sandbox.services.pihole?.gravity().domains;
    const ro = await configWith(s.sandbox, 'read-only', { readOnly: true });
    const [unconfirmed, readOnly] = await Promise.all([runCli(['dns', 'gravity'], s.env), runCli(['dns', 'gravity', '--yes', '--config', ro], s.env)]);
    expect(unconfirmed.code).toBe(64);
    expect(unconfirmed.stderr).toContain('refusing to change the cluster without confirmation');
    expect(readOnly.code).toBe(77);
    expect(readOnly.stderr).toContain('dns_gravity_update changes the cluster and homelab is in read-only mode');
    expect(s.sandbox.services.pihole?.gravity().domains).toBe(before);
    expect(s.sandbox.services.pihole?.requests.filter((q) => q.path === '/api/action/gravity')).toEqual([]);
  });

  it("updates gravity with --yes: says the domain count before and after, shows Pi-hole's progress, audits it as done on the CLI", async () => {
    const audit = join(s.sandbox.dir, 'audit.jsonl');
    const config = await configWith(s.sandbox, 'audited', { audit: { file: audit } });
    const r = await runCli(['dns', 'gravity', '--yes', '--config', config], s.env);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('✔ gravity updated: 219727 → 221069 domains (+1342)\n');
    expect(r.stderr).toContain('[✓] Done.');
    const records = (await readFile(audit, 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { op: string; outcome: string; phase: string });
    expect(records.find((r) => r.phase === 'apply')).toMatchObject({ op: 'dns_gravity_update', outcome: 'ok', via: 'cli' });
  });

  it('answers over MCP: dns_status, dns_queries and dns_gravity_update', async () => {
    const mcp = await stdioClient(s.env);
    try {
      const status = await mcp.client.callTool({ name: 'dns_status', arguments: {} });
      expect(status.isError).toBeFalsy();
      const out = status.structuredContent as unknown as DnsStatus;
      expect(out.pihole.blocking?.state).toBe('enabled');
      expect((status.content as Array<{ text: string }>)[0]?.text).toMatch(/^WARN: 2 warnings/);
      const queries = await mcp.client.callTool({ name: 'dns_queries', arguments: { blocked: true, client: '192.168.1.31' } });
      expect((queries.structuredContent as unknown as Queries).queries.map((q) => q.domain)).toEqual(['samsungads.com', 'doubleclick.net']);
      const bad = await mcp.client.callTool({ name: 'dns_queries', arguments: { client: 'phone' } });
      expect(bad.isError).toBe(true);
      // The same gravity update (after the CLI's above), its output as --json prints it (structuredContent is the op's output).
      const gravity = await callConfirmed(mcp.client, 'dns_gravity_update', {});
      expect(gravity.structuredContent).toMatchObject({
        succeeded: true,
        before: { domains: 221069 },
        after: { domains: 221069 },
        change: 0,
        failures: [],
      } satisfies Partial<Gravity>);
    } finally {
      await mcp.close();
    }
  });
});
