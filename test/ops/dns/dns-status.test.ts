import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configWith, configWithout } from '../../helpers/config.js';
import type { DnsStatus } from '../../helpers/net.js';
import { callOp } from '../../helpers/ops.js';
import { startSandboxEnv, type SandboxEnv } from '../../helpers/sandbox.js';

describe('dns_status on the pi-homelab', () => {
  let s: SandboxEnv;
  beforeAll(async () => {
    s = await startSandboxEnv();
  });
  afterAll(async () => {
    await s?.sandbox.stop();
  });
  const status = (config?: string) => callOp<DnsStatus>(s, 'dns_status', {}, { config });

  it('reports the DNS pods, blocking as read from Pi-hole, stats, gravity, upstreams and FTL messages as findings (warn)', async () => {
    const { output: out, summary } = await status();
    expect(summary?.verdict).toBe('warn');
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
      expect.objectContaining({
        severity: 'warn',
        kind: 'Pi-hole',
        reason: 'RATE_LIMIT',
        message: expect.stringContaining('192.168.1.31 has been rate-limited'),
      }),
    ]);
    expect(out.adguard).toMatchObject({
      configured: true,
      reachable: true,
      version: 'v0.107.57',
      running: true,
      protection: { enabled: true },
      stats: { queries: 18234, blocked: 2311, percentBlocked: 12.7 },
    });
    expect(out.adguard.topBlocked?.[0]).toEqual({ domain: 'app-measurement.com', count: 702 });
    expect(out.summary).toMatch(
      /^2 warnings .*2\/2 DNS pods ready in pihole; Pi-hole blocking enabled, 48213 queries \(20\.5% blocked\), gravity 219727 domains \(6d old\); AdGuard protection on, 18234 queries \(12\.7% blocked\)$/,
    );
  });

  it('says "not configured" (not an error, ok) when the config has no services', async () => {
    const { output: out, summary } = await status(await configWithout(s.sandbox, 'no-services', ['services']));
    expect(summary?.verdict).toBe('ok');
    expect(out).toMatchObject({ verdict: 'ok', pihole: { configured: false }, adguard: { configured: false }, findings: [] });
    expect(out.summary).toBe('2/2 DNS pods ready in pihole; Pi-hole API not configured; AdGuard not configured');
  });

  it("reports what it could read when AdGuard refuses the password or Pi-hole's secret cannot be read (one finding each, crit)", async () => {
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
    const { output: out, summary, log } = await status(config);
    expect(summary?.verdict).toBe('crit');
    expect(out.pods.map((p) => p.app).sort()).toEqual(['pihole', 'unbound']);
    expect(out.pihole).toMatchObject({ configured: true, reachable: false, url: pihole.url });
    expect(out.adguard).toMatchObject({ configured: true, reachable: false });
    const url = adguard.url.replace(/\/+$/, '');
    expect(out.findings).toEqual([
      {
        severity: 'crit',
        kind: 'AdGuard',
        name: url,
        reason: 'Refused',
        message: `AdGuard Home at ${url} refused the credentials of user ${adguard.username} (HTTP 401 on GET /control/status): wrong user name or password; protection and stats not checked; check services.adguard.username and the secret services.adguard.password points at`,
      },
      {
        severity: 'crit',
        kind: 'Pi-hole',
        name: pihole.url,
        reason: 'ConfigError',
        message: `Pi-hole at ${pihole.url}: environment variable HOMELAB_TEST_UNSET_PIHOLE_PASSWORD is not set (it should hold a secret); blocking, queries, gravity and upstreams not checked`,
      },
    ]);
    expect(out.summary).toMatch(/Pi-hole not asked \(its secret could not be read\); AdGuard refused homelab's credentials$/);
    const said = JSON.stringify(out) + log.join('\n');
    expect(said).not.toContain('not-the-adguard-password-7');
    expect(said).not.toContain(adguard.password);
  });

  it('is crit when the DNS namespace has no DNS pods at all', async () => {
    const { output: out, summary } = await status(await configWith(s.sandbox, 'empty-dns-ns', { dns: { namespace: 'no-dns-here' } }));
    expect(summary?.verdict).toBe('crit');
    expect(out.pods).toEqual([]);
    expect(out.findings[0]).toMatchObject({ severity: 'crit', kind: 'Namespace', name: 'no-dns-here', reason: 'NoDnsPods' });
    expect(out.summary).toMatch(/^1 critical, 2 warnings \(Namespace NoDnsPods/);
  });
});

describe('dns_status on a Pi-hole that is not blocking, with stale gravity', () => {
  let s: SandboxEnv;
  // The scenario's clock runs 10 days behind, so gravity "updated 6 days ago" is 16 days old now.
  beforeAll(async () => {
    s = await startSandboxEnv({ now: () => new Date(Date.now() - 10 * 86_400_000), services: { pihole: { blocking: false } } });
  });
  afterAll(async () => {
    await s?.sandbox.stop();
  });

  it('reads blocking as disabled (with its timer) and gravity as stale (warn)', async () => {
    const { output: out, summary } = await callOp<DnsStatus>(s, 'dns_status');
    expect(summary?.verdict).toBe('warn');
    expect(out.pihole.blocking).toEqual({ state: 'disabled', timer: null });
    expect(out.pihole.gravity).toMatchObject({ age: '16d', stale: true });
    expect(out.findings).toContainEqual(
      expect.objectContaining({ severity: 'warn', reason: 'BlockingDisabled', message: expect.stringContaining('disabled with no timer') }),
    );
    expect(out.findings).toContainEqual(
      expect.objectContaining({ severity: 'warn', reason: 'GravityStale', message: expect.stringContaining('16d ago (stale after 14d)') }),
    );
    expect(out.summary).toContain('Pi-hole blocking disabled');
  });
});
