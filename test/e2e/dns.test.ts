import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { configWith } from '../helpers/config.js';
import { callConfirmed, stdioClient } from '../helpers/mcp.js';
import { startSandboxEnv, type SandboxEnv } from '../helpers/sandbox.js';

interface Finding { severity: string; kind: string; namespace?: string; name: string; reason: string; message: string }
interface DnsStatus {
  verdict: string;
  summary: string;
  namespace: string;
  pods: Array<{ name: string; app: string; ready: boolean }>;
  pihole: {
    configured: boolean;
    url?: string;
    reachable?: boolean;
    blocking?: { state: string; timer: number | null };
    queries?: { total: number; blocked: number; percentBlocked: number };
    gravity?: { domains: number; age?: string; stale: boolean; lastUpdate?: string };
    upstreams?: Array<{ name: string; ip: string; port: number }>;
    messages?: Array<{ type: string; message: string }>;
  };
  adguard: { configured: boolean; reachable?: boolean; version?: string; running?: boolean; protection?: { enabled: boolean }; stats?: { queries: number; blocked: number; percentBlocked: number }; topBlocked?: Array<{ domain: string; count: number }> };
  findings: Finding[];
}
interface Queries { server: string; count: number; matched?: number; queries: Array<{ client: string; domain: string; status: string; blocked: boolean; time: string }> }
interface Gravity { succeeded: boolean; before: { domains: number }; after: { domains: number }; change: number; failures: string[] }
interface Allowlist { exact: number; regex: number; domains: Array<{ domain: string; kind: string; enabled: boolean; comment?: string }> }

const json = <T>(stdout: string) => JSON.parse(stdout) as T;

/** The sandbox's config with the services: section taken out, as a homelab without Pi-hole would have it. */
async function configWithoutServices(s: SandboxEnv): Promise<string> {
  const base = parse(await readFile(s.sandbox.configPath, 'utf8')) as Record<string, unknown>;
  delete base.services;
  const path = join(s.sandbox.dir, 'no-services.yaml');
  await writeFile(path, stringify(base));
  return path;
}

describe('homelab dns', () => {
  let s: SandboxEnv;
  beforeAll(async () => { s = await startSandboxEnv(); });
  afterAll(async () => { await s?.sandbox.stop(); });

  it('reports the DNS pods, blocking as read from Pi-hole, stats, gravity, upstreams and FTL messages as findings (exit 1)', async () => {
    const [r, table] = await Promise.all([runCli(['dns', '--json'], s.env), runCli(['dns'], s.env)]);
    expect(r.code).toBe(1);
    const out = json<DnsStatus>(r.stdout);
    expect(out.namespace).toBe('pihole');
    expect(out.pods.map((p) => p.app).sort()).toEqual(['pihole', 'unbound']);
    expect(out.pods.every((p) => p.ready)).toBe(true);
    expect(out.pihole).toMatchObject({ configured: true, reachable: true, url: s.sandbox.services.pihole?.url, blocking: { state: 'enabled', timer: null } });
    expect(out.pihole.queries).toMatchObject({ total: 48213, blocked: 9876 });
    expect(out.pihole.queries?.percentBlocked).toBeCloseTo(20.48, 1);
    expect(out.pihole.gravity).toMatchObject({ domains: 219727, age: '6d', stale: false });
    // The cache and blocklist pseudo-upstreams are left out.
    expect(out.pihole.upstreams).toEqual([expect.objectContaining({ name: 'unbound.pihole.svc.cluster.local', ip: '10.43.53.53', port: 53 })]);
    expect(out.findings).toEqual([
      expect.objectContaining({ severity: 'warn', kind: 'Pi-hole', reason: 'LOAD', message: expect.stringContaining('Long-term load') }),
      expect.objectContaining({ severity: 'warn', kind: 'Pi-hole', reason: 'RATE_LIMIT', message: expect.stringContaining('192.168.1.31 has been rate-limited') }),
    ]);
    expect(out.adguard).toMatchObject({ configured: true, reachable: true, version: 'v0.107.57', running: true, protection: { enabled: true }, stats: { queries: 18234, blocked: 2311, percentBlocked: 12.7 } });
    expect(out.adguard.topBlocked?.[0]).toEqual({ domain: 'app-measurement.com', count: 702 });
    expect(out.summary).toMatch(/^2 warnings .*2\/2 DNS pods ready in pihole; Pi-hole blocking enabled, 48213 queries \(20\.5% blocked\), gravity 219727 domains \(6d old\); AdGuard protection on, 18234 queries \(12\.7% blocked\)$/);

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

  it('says "not configured" (not an error) when the config has no services, and the Pi-hole ops refuse with 64', async () => {
    const config = await configWithoutServices(s);
    const [r, allow, queries] = await Promise.all([
      runCli(['dns', '--json', '--config', config], s.env),
      runCli(['dns', 'allowlist', '--config', config], s.env),
      runCli(['dns', 'queries', '--config', config], s.env),
    ]);
    expect(r.code).toBe(0);
    const out = json<DnsStatus>(r.stdout);
    expect(out).toMatchObject({ verdict: 'ok', pihole: { configured: false }, adguard: { configured: false }, findings: [] });
    expect(out.summary).toBe('2/2 DNS pods ready in pihole; Pi-hole API not configured; AdGuard not configured');
    expect(allow.code).toBe(64);
    expect(allow.stderr).toContain('Pi-hole is not configured');
    expect(queries.code).toBe(64);
    expect(queries.stderr).toContain('no DNS server is configured');
  });

  it('reports what it could read when AdGuard refuses the password or Pi-hole\'s secret cannot be read (one finding each, exit 2)', async () => {
    const adguard = s.sandbox.services.adguard;
    const pihole = s.sandbox.services.pihole;
    if (!adguard || !pihole) throw new Error('the sandbox runs no AdGuard or Pi-hole');
    const wrongFile = join(s.sandbox.dir, 'wrong-adguard-password');
    await writeFile(wrongFile, 'not-the-adguard-password-7\n', { mode: 0o600 });
    const config = await configWith(s.sandbox, 'wrong-adguard', {
      services: {
        pihole: { url: pihole.url, password: { env: 'HOMELAB_TEST_UNSET_PIHOLE_PASSWORD' } },
        adguard: { url: adguard.url, username: adguard.username, password: { file: wrongFile } },
      },
    });
    const r = await runCli(['dns', '--json', '--config', config], s.env);
    expect(r.code, r.stderr).toBe(2);
    const out = json<DnsStatus>(r.stdout);
    expect(out.pods.map((p) => p.app).sort()).toEqual(['pihole', 'unbound']);
    expect(out.pihole).toMatchObject({ configured: true, reachable: false, url: pihole.url });
    expect(out.adguard).toMatchObject({ configured: true, reachable: false });
    const url = adguard.url.replace(/\/+$/, '');
    expect(out.findings).toEqual([
      {
        severity: 'crit', kind: 'AdGuard', name: url, reason: 'Refused',
        message: `AdGuard Home at ${url} refused the credentials of user ${adguard.username} (HTTP 401 on GET /control/status): wrong user name or password; protection and stats not checked; check services.adguard.username and the secret services.adguard.password points at`,
      },
      {
        severity: 'crit', kind: 'Pi-hole', name: pihole.url, reason: 'ConfigError',
        message: `Pi-hole at ${pihole.url}: environment variable HOMELAB_TEST_UNSET_PIHOLE_PASSWORD is not set (it should hold a secret); blocking, queries, gravity and upstreams not checked`,
      },
    ]);
    expect(out.summary).toMatch(/Pi-hole not asked \(its secret could not be read\); AdGuard refused homelab's credentials$/);
    expect(r.stdout + r.stderr).not.toContain('not-the-adguard-password-7');
    expect(r.stdout + r.stderr).not.toContain(adguard.password);
  });

  it('is crit when the DNS namespace has no DNS pods at all (exit 2)', async () => {
    const config = await configWith(s.sandbox, 'empty-dns-ns', { dns: { namespace: 'no-dns-here' } });
    const r = await runCli(['dns', '--json', '--config', config], s.env);
    expect(r.code).toBe(2);
    const out = json<DnsStatus>(r.stdout);
    expect(out.pods).toEqual([]);
    expect(out.findings[0]).toMatchObject({ severity: 'crit', kind: 'Namespace', name: 'no-dns-here', reason: 'NoDnsPods' });
    expect(out.summary).toMatch(/^1 critical, 2 warnings \(Namespace NoDnsPods/);
  });

  it('lists recent queries, newest first, with the blocked, client, domain and limit filters', async () => {
    const [allRun, blockedRun, phoneRun, domainRun, table, blockedTable] = await Promise.all([
      runCli(['dns', 'queries', '--json'], s.env),
      runCli(['dns', 'queries', '--blocked', '--json'], s.env),
      runCli(['dns', 'queries', '--client', '192.168.1.42', '--blocked', '--limit', '2', '--json'], s.env),
      runCli(['dns', 'queries', '--domain', 'DoubleClick.net', '--json'], s.env),
      runCli(['dns', 'queries', '--limit', '3'], s.env),
      runCli(['dns', 'queries', '--blocked', '--limit', '3'], s.env),
    ]);
    const all = json<Queries>(allRun.stdout);
    expect(all).toMatchObject({ server: 'pihole', count: 13, matched: 13 });
    expect(all.queries[0]).toMatchObject({ domain: 'doubleclick.net', client: '192.168.1.42', status: 'GRAVITY', blocked: true });
    expect([...all.queries].map((q) => q.time)).toEqual([...all.queries].map((q) => q.time).sort().reverse());

    const blocked = json<Queries>(blockedRun.stdout);
    expect(blocked.queries.map((q) => q.status).sort()).toEqual(['DENYLIST', 'GRAVITY', 'GRAVITY', 'GRAVITY', 'GRAVITY', 'GRAVITY', 'REGEX']);
    expect(blocked.queries.every((q) => q.blocked)).toBe(true);
    // "N match" counts the queries that match every filter, blocked included: 7 of the 13 in the log.
    expect(blocked).toMatchObject({ count: 7, matched: 7 });

    const phone = json<Queries>(phoneRun.stdout);
    expect(phone.queries.map((q) => `${q.client} ${q.domain}`)).toEqual(['192.168.1.42 doubleclick.net', '192.168.1.42 ads.tracker.example']);
    // Three of the phone's four queries were blocked; two are shown.
    expect(phone).toMatchObject({ count: 2, matched: 3 });

    const domain = json<Queries>(domainRun.stdout);
    expect(domain.queries.map((q) => q.client)).toEqual(['192.168.1.42', '192.168.1.31']);

    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^3 queries from Pi-hole at http:\/\/127\.0\.0\.1:\d+ \(13 in the log match the filters\)/);
    expect(table.stdout).toMatch(/192\.168\.1\.42 \(phone\.lan\)\s+A\s+doubleclick\.net\s+GRAVITY/);
    expect(blockedTable.stdout).toMatch(/^3 blocked queries from Pi-hole at http:\/\/127\.0\.0\.1:\d+ \(7 in the log match the filters\)/);
  });

  it('reads AdGuard\'s query log when only AdGuard is configured, or with --server adguard', async () => {
    const base = parse(await readFile(s.sandbox.configPath, 'utf8')) as { services: Record<string, unknown> };
    delete base.services.pihole;
    const onlyAdguard = join(s.sandbox.dir, 'only-adguard.yaml');
    await writeFile(onlyAdguard, stringify(base));
    const [only, chosen] = await Promise.all([
      runCli(['dns', 'queries', '--json', '--config', onlyAdguard], s.env),
      runCli(['dns', 'queries', '--server', 'adguard', '--blocked', '--client', '192.168.1.42'], s.env),
    ]);
    const out = json<Queries>(only.stdout);
    expect(out).toMatchObject({ server: 'adguard', count: 7 });
    expect(out.queries[0]).toMatchObject({ domain: 'api.sonos.com', client: '192.168.1.55', status: 'NotFilteredNotFound', blocked: false });
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

  it('lists the allowlist, exact and regex, with comments', async () => {
    const [r, table] = await Promise.all([runCli(['dns', 'allowlist', '--json'], s.env), runCli(['dns', 'allowlist'], s.env)]);
    expect(r.code).toBe(0);
    const out = json<Allowlist>(r.stdout);
    expect(out).toMatchObject({ exact: 2, regex: 1 });
    expect(out.domains).toContainEqual(expect.objectContaining({ domain: 's.youtube.com', kind: 'exact', enabled: true, comment: 'history on the TV' }));
    expect(out.domains).toContainEqual(expect.objectContaining({ domain: '(\\.|^)plex\\.tv$', kind: 'regex', comment: 'old Plex client' }));
    expect(out.domains.map((d) => d.domain)).not.toContain('graph.facebook.com');
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

  it('updates gravity with --yes: reads the stream to the end and reports the domain count before and after', async () => {
    const audit = join(s.sandbox.dir, 'audit.jsonl');
    const config = await configWith(s.sandbox, 'audited', { audit: { file: audit } });
    const r = await runCli(['dns', 'gravity', '--yes', '--config', config], s.env);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('✔ gravity updated: 219727 → 221069 domains (+1342)\n');
    expect(r.stderr).toContain('[✓] Done.');
    const records = (await readFile(audit, 'utf8')).trim().split('\n').map((line) => JSON.parse(line) as { op: string; outcome: string; phase: string });
    expect(records.find((r) => r.phase === 'apply')).toMatchObject({ op: 'dns_gravity_update', outcome: 'ok', via: 'cli' });
    const status = json<DnsStatus>((await runCli(['dns', '--json'], s.env)).stdout);
    expect(status.pihole.gravity).toMatchObject({ domains: 221069, stale: false });
    expect(status.pihole.gravity?.age).toMatch(/^\d+s$/);
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
      // The same gravity update, its output as --json prints it (structuredContent is the op's output).
      const gravity = await callConfirmed(mcp.client, 'dns_gravity_update', {});
      expect(gravity.structuredContent).toMatchObject({ succeeded: true, before: { domains: 221069 }, after: { domains: 221069 }, change: 0, failures: [] } satisfies Partial<Gravity>);
    } finally {
      await mcp.close();
    }
  });
});

describe('homelab dns on a Pi-hole that is not blocking, with stale gravity', () => {
  it('reads blocking as disabled (with its timer) and gravity as stale', async () => {
    // The scenario's clock runs 10 days behind, so gravity "updated 6 days ago" is 16 days old now.
    const s = await startSandboxEnv({ now: () => new Date(Date.now() - 10 * 86_400_000), services: { pihole: { blocking: false } } });
    try {
      const r = await runCli(['dns', '--json'], s.env);
      expect(r.code).toBe(1);
      const out = json<DnsStatus>(r.stdout);
      expect(out.pihole.blocking).toEqual({ state: 'disabled', timer: null });
      expect(out.pihole.gravity).toMatchObject({ age: '16d', stale: true });
      expect(out.findings).toContainEqual(expect.objectContaining({ severity: 'warn', reason: 'BlockingDisabled', message: expect.stringContaining('disabled with no timer') }));
      expect(out.findings).toContainEqual(expect.objectContaining({ severity: 'warn', reason: 'GravityStale', message: expect.stringContaining('16d ago (stale after 14d)') }));
      expect(out.summary).toContain('Pi-hole blocking disabled');
    } finally {
      await s.sandbox.stop();
    }
  });
});
