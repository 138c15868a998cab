import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { configWith } from '../helpers/config.js';
import { stdioClient } from '../helpers/mcp.js';
import { startSandboxEnv, type SandboxEnv } from '../helpers/sandbox.js';

interface Record_ { name: string; ttl: number; class: string; type: string; data: string }
interface DigResult { reached: boolean; status?: string; flags: string[]; authenticated: boolean; answers: Record_[]; authority: Record_[]; queryTimeMs?: number; error?: string; exitCode: number }
interface DnsQuery { name: string; type: string; server: { requested: string; address: string; label: string }; from: string; result: DigResult; verdict: string; summary: string }
interface Diagnose { verdict: string; failingHop?: string; conclusion: string; hops: Array<{ hop: string; state: string; label: string; note: string; server?: string }> }
interface Curl { ok: boolean; exitCode: number; status: number; error?: string; admittedAs: string; timing: Record<string, number>; tls?: { verified: boolean; certificates?: number } }
interface Ping { icmp: { sent: number; received: number; lossPercent: number; rttMs?: { avg: number } }; tcp?: { port: number; open: boolean; message: string }; verdict: string }
interface Trace { reached: boolean; hops: Array<{ ttl: number; host?: string; ip?: string; rttsMs: Array<number | null>; timeouts: number }> }

const json = <T>(stdout: string) => JSON.parse(stdout) as T;

describe('dns query/diagnose and net curl/ping/traceroute', () => {
  let s: SandboxEnv;
  let allow: Record<string, string>;
  beforeAll(async () => {
    s = await startSandboxEnv();
    const path = await configWith(s.sandbox, 'net-allow', { net: { allowTargets: ['192.168.1.0/24', '1.1.1.1'] } });
    allow = { ...s.env, HOMELAB_CONFIG: path };
  });
  afterAll(async () => { await s?.sandbox.stop(); });

  it('dns query: an A record, an NXDOMAIN, a _dmarc TXT from Unbound; bad names refused before any exec (64)', async () => {
    const [a, table, nx, txt, inject, dash, dashArg, dead] = await Promise.all([
      runCli(['dns', 'query', 'nas.home.lan', '--json'], s.env),
      runCli(['dns', 'query', 'nas.home.lan'], s.env),
      runCli(['dns', 'query', 'jellyfn.home.lan', '--json'], s.env),
      runCli(['dns', 'query', '_dmarc.example.com', '--type', 'TXT', '--server', 'unbound', '--json'], s.env),
      runCli(['dns', 'query', 'x.org;rm -rf /'], s.env),
      runCli(['dns', 'query', '--', '-x'], s.env),
      runCli(['dns', 'query', '-x'], s.env),
      runCli(['dns', 'query', 'example.org', '--server', '192.168.1.99', '--json'], s.env),
    ]);
    expect(a.code).toBe(0);
    const out = json<DnsQuery>(a.stdout);
    expect(out.result).toMatchObject({ reached: true, status: 'NOERROR', flags: ['qr', 'aa', 'rd', 'ra'], queryTimeMs: 1, exitCode: 0 });
    expect(out.result.answers).toEqual([{ name: 'nas.home.lan.', ttl: 0, class: 'IN', type: 'A', data: '192.168.1.20' }]);
    expect(out.server).toMatchObject({ requested: 'pihole', address: '127.0.0.1' });
    expect(out.from).toMatch(/^pihole\/pihole-/);
    expect(table.stdout).toMatch(/^OK nas\.home\.lan A from Pi-hole/);
    expect(table.stdout).toMatch(/nas\.home\.lan\.\s+0\s+IN\s+A\s+192\.168\.1\.20/);

    expect(nx.code).toBe(1);
    expect(json<DnsQuery>(nx.stdout).result).toMatchObject({ status: 'NXDOMAIN', answers: [], authority: [expect.objectContaining({ type: 'SOA' })] });

    expect(txt.code).toBe(0);
    const t = json<DnsQuery>(txt.stdout);
    // Unbound's address is read from its Service in the namespace, not written down anywhere.
    expect(t.server.label).toMatch(/^Unbound Service unbound \(10\.43\.\d+\.\d+\)$/);
    expect(t.result.authenticated).toBe(true);
    expect(t.result.answers[0]).toMatchObject({ type: 'TXT', data: '"v=DMARC1;p=reject;sp=reject;adkim=s;aspf=s"' });

    for (const r of [inject, dash, dashArg]) {
      expect(r.code).toBe(64);
      expect(r.stderr).not.toMatch(/exec|scripted/);
    }
    expect(inject.stderr).toMatch(/NAME: must be a DNS name/);
    expect(dash.stderr).toMatch(/NAME: must be a DNS name/);

    expect(dead.code).toBe(2);
    expect(json<DnsQuery>(dead.stdout).result).toMatchObject({ reached: false, exitCode: 9, error: 'no servers could be reached' });
  });

  it('dns diagnose names the failing hop: DNSSEC for a bogus zone, Pi-hole for a blocked name', async () => {
    const [bogus, blocked, table] = await Promise.all([
      runCli(['dns', 'diagnose', 'dnssec-failed.org', '--json'], s.env),
      runCli(['dns', 'diagnose', 'doubleclick.net', '--json'], s.env),
      runCli(['dns', 'diagnose', 'dnssec-failed.org'], s.env),
    ]);
    expect(bogus.code).toBe(2);
    const b = json<Diagnose>(bogus.stdout);
    expect(b.failingHop).toBe('dnssec');
    expect(b.conclusion).toMatch(/Unbound SERVFAIL.*checking disabled \(\+cd\): DNSSEC validation fails/);
    expect(b.hops.map((h) => h.hop)).toEqual(['client', 'pihole', 'unbound', 'unbound', 'dnssec']);
    expect(b.hops.find((h) => h.hop === 'dnssec')).toMatchObject({ state: 'fail', note: expect.stringMatching(/^bogus: SERVFAIL when validating, 96\.99\.227\.255/) });
    expect(b.hops.filter((h) => h.hop === 'unbound').map((h) => h.label)).toEqual([expect.stringMatching(/^Unbound Service unbound/), expect.stringMatching(/^Unbound pod unbound-/)]);

    expect(blocked.code).toBe(1);
    const k = json<Diagnose>(blocked.stdout);
    expect(k.failingHop).toBe('pihole');
    expect(k.conclusion).toMatch(/^Pi-hole blocks doubleclick\.net \(answers 0\.0\.0\.0\) while Unbound resolves it/);

    expect(table.stdout).toMatch(/^CRIT dnssec-failed\.org A fails at dnssec/);
    expect(table.stdout).toMatch(/dnssec\s+fail\s+Unbound Service unbound/);
    expect(table.stdout).toContain('Failing hop: dnssec.');
  });

  it('net curl: an Ingress host with its timing; outside the policy refused (77); a refused port reported, not thrown', async () => {
    const [ok, table, denied, refused, creds] = await Promise.all([
      runCli(['net', 'curl', 'https://jellyfin.home.example.net/health', '--json'], s.env),
      runCli(['net', 'curl', 'https://jellyfin.home.example.net/health', '--from-node', 'pi5-worker-1'], s.env),
      runCli(['net', 'curl', 'http://192.168.1.99:8080/'], s.env),
      runCli(['net', 'curl', 'http://192.168.1.99:8080', '--json'], allow),
      runCli(['net', 'curl', 'https://admin:pw@jellyfin.home.example.net/'], s.env),
    ]);
    expect(ok.code).toBe(0);
    const c = json<Curl>(ok.stdout);
    expect(c).toMatchObject({ ok: true, exitCode: 0, status: 200, admittedAs: 'Ingress jellyfin/jellyfin', tls: { verified: true, certificates: 2 } });
    expect(c.timing).toEqual({ dnsMs: 1.2, connectMs: 1.9, tlsMs: 12.1, serverMs: 5.1, ttfbMs: 20.4, totalMs: 20.5 });
    expect(table.stdout).toMatch(/^OK https:\/\/jellyfin\.home\.example\.net\/health from the debug agent on pi5-worker-1: HTTP 200 in 20\.5 ms/);
    expect(table.stdout).toMatch(/1\.2 ms\s+1\.9 ms\s+12\.1 ms\s+5\.1 ms\s+20\.4 ms\s+20\.5 ms/);

    expect(denied.code).toBe(77);
    expect(denied.stderr).toMatch(/net curl may not reach 192\.168\.1\.99: it is not an Ingress host.*nor in net\.allowTargets \(empty\)/);
    expect(denied.stderr).toMatch(/net\.allowTargets in the config file/);

    expect(refused.code).toBe(2);
    expect(json<Curl>(refused.stdout)).toMatchObject({ ok: false, exitCode: 7, status: 0, admittedAs: 'net.allowTargets (CIDR)', error: expect.stringContaining('Failed to connect to 192.168.1.99 port 8080') });

    expect(creds.code).toBe(64);
    expect(creds.stderr).toMatch(/credentials in the URL are not allowed/);
  });

  it('net ping: a node by default; loss and a closed port with allowTargets; net traceroute hops', async () => {
    const [node, lost, table, trace, traceTable] = await Promise.all([
      runCli(['net', 'ping', '192.168.1.51', '--json'], s.env),
      runCli(['net', 'ping', '192.168.1.99', '--port', '8080', '--json'], allow),
      runCli(['net', 'ping', '192.168.1.99', '--port', '8080'], allow),
      runCli(['net', 'traceroute', '1.1.1.1', '--json'], allow),
      runCli(['net', 'traceroute', '1.1.1.1'], allow),
    ]);
    expect(node.code).toBe(0);
    expect(json<Ping>(node.stdout).icmp).toMatchObject({ sent: 3, received: 3, lossPercent: 0, rttMs: { avg: 0.291 } });

    expect(lost.code).toBe(2);
    const p = json<Ping>(lost.stdout);
    expect(p.icmp).toMatchObject({ sent: 3, received: 0, lossPercent: 100 });
    expect(p.tcp).toEqual({ port: 8080, open: false, message: 'connect to 192.168.1.99 port 8080 (tcp) failed: Connection refused' });
    expect(table.stdout).toMatch(/^CRIT 192\.168\.1\.99 .*0\/3 replies \(100% loss\); TCP 8080 closed/);

    expect(trace.code).toBe(0);
    const tr = json<Trace>(trace.stdout);
    expect(tr.reached).toBe(true);
    expect(tr.hops).toHaveLength(5);
    expect(tr.hops[2]).toEqual({ ttl: 3, rttsMs: [null, null, null], timeouts: 3 });
    expect(tr.hops[4]).toMatchObject({ ttl: 5, host: 'one.one.one.one', ip: '1.1.1.1', rttsMs: [11.512, 11.401, 11.466] });
    expect(traceTable.stdout).toMatch(/4\s+bundle-ether12\.core1\.fra\.example-isp\.net\s+80\.81\.192\.9\s+11\.302 ms/);
  });

  it('serves the same ops over MCP stdio', async () => {
    const mcp = await stdioClient(s.env);
    try {
      const r = await mcp.client.callTool({ name: 'dns_query', arguments: { name: 'jellyfin.home.example.net', server: 'unbound' } });
      expect(r.isError).toBeFalsy();
      expect((r.structuredContent as unknown as DnsQuery).result.answers[0]).toMatchObject({ type: 'A', data: '192.168.1.50', ttl: 300 });
      const denied = await mcp.client.callTool({ name: 'net_ping', arguments: { target: '8.8.8.8' } });
      expect(denied.isError).toBe(true);
      expect((denied.content as Array<{ text: string }>)[0]?.text).toMatch(/may not reach 8\.8\.8\.8/);
    } finally {
      await mcp.close();
    }
  });
});
