import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { configWith } from '../helpers/config.js';
import { stdioClient } from '../helpers/mcp.js';
import { startSandboxEnv, type SandboxEnv } from '../helpers/sandbox.js';
import { createRuntime } from '../../src/adapters/runtime.js';
import type { KubePort } from '../../src/core/ports/kube.js';
import ping from '../../src/ops/net/net-ping.js';
import { bindContext } from '../../src/core/run-op.js';

interface Record_ { name: string; ttl: number; class: string; type: string; data: string }
interface DigResult { reached: boolean; status?: string; flags: string[]; authenticated: boolean; answers: Record_[]; authority: Record_[]; queryTimeMs?: number; error?: string; exitCode: number }
interface DnsQuery { name: string; type: string; server: { requested: string; address: string; label: string }; from: string; result: DigResult; verdict: string; summary: string }
interface Diagnose { verdict: string; failingHop?: string; conclusion: string; hops: Array<{ hop: string; state: string; label: string; note: string; server?: string }> }
interface Curl { ok: boolean; exitCode: number; status: number; error?: string; admittedAs: string; timing: Record<string, number>; tls?: { verified: boolean; certificates?: number } }
interface Ping { icmp: { sent: number; received: number; lossPercent: number; rttMs?: { avg: number }; error?: string }; tcp?: { port: number; state: string; message: string }; verdict: string; summary: string }
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
      runCli(['dns', 'query', 'example.org', '--server', '192.168.1.99', '--json'], allow),
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
    expect(p.tcp).toEqual({ port: 8080, state: 'closed', message: 'connect to 192.168.1.99 port 8080 (tcp) failed: Connection refused' });
    expect(table.stdout).toMatch(/^CRIT 192\.168\.1\.99 .*0\/3 replies \(100% loss\); TCP 8080 closed/);

    expect(trace.code).toBe(0);
    const tr = json<Trace>(trace.stdout);
    expect(tr.reached).toBe(true);
    expect(tr.hops).toHaveLength(5);
    expect(tr.hops[2]).toEqual({ ttl: 3, rttsMs: [null, null, null], timeouts: 3 });
    expect(tr.hops[4]).toMatchObject({ ttl: 5, host: 'one.one.one.one', ip: '1.1.1.1', rttsMs: [11.512, 11.401, 11.466] });
    expect(traceTable.stdout).toMatch(/4\s+bundle-ether12\.core1\.fra\.example-isp\.net\s+80\.81\.192\.9\s+11\.302 ms/);
  });

  it('dns query --server: the cluster\'s DNS servers are asked; a metadata, link-local or outside address is refused (77) before dig runs', async () => {
    const unboundPod = s.sandbox.store.list('pods', 'pihole').find((p) => p.metadata.name?.startsWith('unbound-')) as unknown as { metadata: { name: string }; status: { podIP: string } };
    const kubeDns = s.sandbox.store.get('services', 'kube-system', 'kube-dns') as unknown as { spec: { clusterIP: string } };
    const wide = { ...s.env, HOMELAB_CONFIG: await configWith(s.sandbox, 'net-wide', { net: { allowTargets: ['0.0.0.0/0', '::/0'] } }) };
    const [metadata, metadataWide, mapped, outside, viaKubeDns, viaPod] = await Promise.all([
      runCli(['dns', 'query', 'example.org', '--server', '169.254.169.254'], s.env),
      runCli(['dns', 'query', 'example.org', '--server', '169.254.169.254', '--json'], wide),
      runCli(['dns', 'query', 'example.org', '--server', '::ffff:169.254.169.254'], wide),
      runCli(['dns', 'query', 'example.org', '--server', '192.168.1.99'], s.env),
      runCli(['dns', 'query', 'jellyfin.home.example.net', '--server', kubeDns.spec.clusterIP, '--json'], s.env),
      runCli(['dns', 'query', '_dmarc.example.com', '--type', 'TXT', '--server', unboundPod.status.podIP, '--json'], s.env),
    ]);
    for (const r of [metadata, metadataWide, mapped]) {
      expect(r.code, r.stdout).toBe(77);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/dns query --server may not reach (169\.254\.169\.254|::ffff:169\.254\.169\.254): \S+ is a link-local address \(cloud metadata endpoints answer at 169\.254\.169\.254\): refused even where a Service, a node or a wider CIDR would admit it/);
      expect(r.stderr).toContain('add "169.254.169.254" itself under net.allowTargets in the config file');
      expect(r.stderr).not.toMatch(/no servers could be reached|exec/);
    }
    expect(outside.code).toBe(77);
    expect(outside.stderr).toMatch(/may not reach 192\.168\.1\.99: it is not a DNS server of this cluster \(a Service with port 53, a pod behind one, or a pod of the DNS namespace\), nor in net\.allowTargets \(empty\)/);
    expect(outside.stderr).toContain('to allow it, add "192.168.1.99" (or a CIDR such as 192.168.1.0/24) under net.allowTargets');

    expect(viaKubeDns.code, viaKubeDns.stderr).toBe(0);
    expect(json<DnsQuery>(viaKubeDns.stdout).server).toEqual({ requested: kubeDns.spec.clusterIP, address: kubeDns.spec.clusterIP, label: `${kubeDns.spec.clusterIP} (DNS Service kube-system/kube-dns)` });
    expect(viaPod.code, viaPod.stderr).toBe(0);
    expect(json<DnsQuery>(viaPod.stdout).server.label).toBe(`${unboundPod.status.podIP} (pod pihole/${unboundPod.metadata.name} behind DNS Service pihole/unbound)`);
  });

  it('net curl/ping/traceroute refuse metadata addresses in any spelling, even with 0.0.0.0/0 allowed (77)', async () => {
    const wide = { ...s.env, HOMELAB_CONFIG: await configWith(s.sandbox, 'net-wide-2', { net: { allowTargets: ['0.0.0.0/0', '::/0'] } }) };
    const results = await Promise.all([
      runCli(['net', 'curl', 'http://169.254.169.254/latest/meta-data/'], wide),
      runCli(['net', 'curl', 'http://0xa9fea9fe/latest/meta-data/'], wide),
      runCli(['net', 'curl', 'http://[fd00:ec2::254]/latest/meta-data/'], wide),
      runCli(['net', 'ping', '2852039166'], wide),
      runCli(['net', 'traceroute', 'fe80::1'], wide),
    ]);
    for (const r of results) {
      expect(r.code, r.stdout).toBe(77);
      expect(r.stderr).toMatch(/may not reach \S+: \S+ is (a link-local address|an IPv6 link-local address|the AWS IPv6 metadata address)/);
      expect(r.stderr).toMatch(/itself under net\.allowTargets/);
    }
  });

  it('net ping --port: a TCP check nc could not do is "could not check", never "closed"', async () => {
    const lan = { ...s.env, HOMELAB_CONFIG: await configWith(s.sandbox, 'net-home-lan', { net: { allowTargets: ['*.home.lan'] } }) };
    const [r, table] = await Promise.all([runCli(['net', 'ping', 'nas.home.lan', '--port', '445', '--json'], lan), runCli(['net', 'ping', 'nas.home.lan', '--port', '445'], lan)]);
    const out = json<Ping>(r.stdout);
    expect(out.tcp).toEqual({ port: 445, state: 'unchecked', message: 'nc exited 1: nc: getaddrinfo for host "nas.home.lan" port 445: Temporary failure in name resolution' });
    expect(out.icmp.error).toBe('ping: nas.home.lan: Temporary failure in name resolution');
    expect(out.summary).toMatch(/; could not check TCP 445: nc exited 1: nc: getaddrinfo/);
    expect(table.stdout).toMatch(/TCP\s+nas\.home\.lan:445\s+not checked/);
    expect(table.stdout).not.toMatch(/closed/);
  });

  it('net ping --port: nc that cannot be exec\'d (not in the image) is "could not check" and a warning, while ICMP still answers', async () => {
    const quiet = { progress: () => {}, warn: () => {}, debug: () => {} };
    const runtime = await createRuntime({ configFile: allow.HOMELAB_CONFIG, env: allow, log: quiet });
    try {
      // The real port against the sandbox; only nc is asked for under a name the agent's image lacks,
      // so the exec fails the way containerd fails a missing executable.
      const real = runtime.context.kube;
      const kube: KubePort = Object.create(real) as KubePort;
      kube.exec = (ns, pod, container, argv, options) => real.exec(ns, pod, container, argv[0] === 'nc' ? ['nc-not-in-this-image', ...argv.slice(1)] : argv, options);
      const ctx = { ...bindContext(runtime.context, new AbortController().signal), kube };
      const out = await ping.run(ctx, ping.input.parse({ target: '192.168.1.20', port: 445 }));
      expect(out.icmp).toMatchObject({ sent: 3, received: 3 });
      expect(out.tcp).toMatchObject({ port: 445, state: 'unchecked', message: expect.stringMatching(/^nc could not run in the debug agent on \S+: exec of `nc-not-in-this-image` .*executable file not found/) });
      expect(out.verdict).toBe('warn');
      expect(out.summary).toMatch(/3\/3 replies .*; could not check TCP 445: nc could not run/);
    } finally {
      await runtime.close();
    }
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
      const metadata = await mcp.client.callTool({ name: 'dns_query', arguments: { name: 'example.org', server: '169.254.169.254' } });
      expect(metadata.isError).toBe(true);
      expect((metadata.content as Array<{ text: string }>)[0]?.text).toMatch(/dns query --server may not reach 169\.254\.169\.254: 169\.254\.169\.254 is a link-local address/);
    } finally {
      await mcp.close();
    }
  });
});
