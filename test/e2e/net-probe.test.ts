/**
 * dns query/diagnose and net curl/ping/traceroute through the doors: the CLI's tables and exit codes,
 * its parser's refusals (NAME), a refusal on stderr with nothing on stdout, and MCP stdio. What the
 * ops answer is tested in process in test/ops/dns/ and test/ops/net/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, runCliProcess } from '../helpers/cli.js';
import { configWith } from '../helpers/config.js';
import { stdioClient } from '../helpers/mcp.js';
import { lanTargetsConfig, type DnsQuery } from '../helpers/net.js';
import { startSandboxEnv, type SandboxEnv } from '../helpers/sandbox.js';

describe('dns query/diagnose and net curl/ping/traceroute', () => {
  let s: SandboxEnv;
  let allow: Record<string, string>;
  beforeAll(async () => {
    s = await startSandboxEnv();
    const path = await lanTargetsConfig(s.sandbox);
    allow = { ...s.env, HOMELAB_CONFIG: path };
  });
  afterAll(async () => {
    await s?.sandbox.stop();
  });

  it('dns query prints the answer as a table; bad names are refused by the parser before any exec (64)', async () => {
    const [table, inject, dash, dashArg] = await Promise.all([
      runCli(['dns', 'query', 'nas.home.lan'], s.env),
      runCliProcess(['dns', 'query', 'x.org;rm -rf /'], s.env),
      runCli(['dns', 'query', '--', '-x'], s.env),
      runCli(['dns', 'query', '-x'], s.env),
    ]);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^OK nas\.home\.lan A from Pi-hole/);
    expect(table.stdout).toMatch(/nas\.home\.lan\.\s+0\s+IN\s+A\s+192\.168\.1\.20/);
    for (const r of [inject, dash, dashArg]) {
      expect(r.code).toBe(64);
      expect(r.stderr).not.toMatch(/exec|scripted/);
    }
    expect(inject.stderr).toMatch(/NAME: must be a DNS name/);
    expect(dash.stderr).toMatch(/NAME: must be a DNS name/);
  });

  it('dns query --server refuses the metadata address on stderr, exit 77, nothing on stdout', async () => {
    const r = await runCli(['dns', 'query', 'example.org', '--server', '169.254.169.254'], s.env);
    expect(r.code, r.stdout).toBe(77);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/dns query --server may not reach 169\.254\.169\.254: 169\.254\.169\.254 is a link-local address/);
    expect(r.stderr).toContain('add "169.254.169.254" itself under net.allowTargets in the config file');
  });

  it('dns diagnose prints the hops and names the failing one, exit 2', async () => {
    const table = await runCli(['dns', 'diagnose', 'dnssec-failed.org'], s.env);
    expect(table.code).toBe(2);
    expect(table.stdout).toMatch(/^CRIT dnssec-failed\.org A fails at dnssec/);
    expect(table.stdout).toMatch(/dnssec\s+fail\s+Unbound Service unbound/);
    expect(table.stdout).toContain('Failing hop: dnssec.');
  });

  it('net curl prints its timing as a table; outside the policy it is refused (77) saying where to allow it', async () => {
    const [table, denied] = await Promise.all([
      runCli(['net', 'curl', 'https://jellyfin.home.example.net/health', '--from-node', 'pi5-worker-1'], s.env),
      runCli(['net', 'curl', 'http://192.168.1.99:8080/'], s.env),
    ]);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^OK https:\/\/jellyfin\.home\.example\.net\/health from the debug agent on pi5-worker-1: HTTP 200 in 20\.5 ms/);
    expect(table.stdout).toMatch(/1\.2 ms\s+1\.9 ms\s+12\.1 ms\s+5\.1 ms\s+20\.4 ms\s+20\.5 ms/);
    expect(denied.code).toBe(77);
    expect(denied.stderr).toMatch(/net curl may not reach 192\.168\.1\.99: it is not an Ingress host.*nor in net\.allowTargets \(empty\)/);
    expect(denied.stderr).toMatch(/net\.allowTargets in the config file/);
  });

  it('net ping prints loss and a closed port (exit 2), an unchecked port as not checked; net traceroute prints the hops', async () => {
    const lan = { ...s.env, HOMELAB_CONFIG: await configWith(s.sandbox, 'net-home-lan', { net: { allowTargets: ['*.home.lan'] } }) };
    const [lost, unchecked, trace] = await Promise.all([
      runCli(['net', 'ping', '192.168.1.99', '--port', '8080'], allow),
      runCli(['net', 'ping', 'nas.home.lan', '--port', '445'], lan),
      runCli(['net', 'traceroute', '1.1.1.1'], allow),
    ]);
    expect(lost.code).toBe(2);
    expect(lost.stdout).toMatch(/^CRIT 192\.168\.1\.99 .*0\/3 replies \(100% loss\); TCP 8080 closed/);
    expect(unchecked.stdout).toMatch(/TCP\s+nas\.home\.lan:445\s+not checked/);
    expect(unchecked.stdout).not.toMatch(/closed/);
    expect(trace.code).toBe(0);
    expect(trace.stdout).toMatch(/4\s+bundle-ether12\.core1\.fra\.example-isp\.net\s+80\.81\.192\.9\s+11\.302 ms/);
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
      expect((metadata.content as Array<{ text: string }>)[0]?.text).toMatch(
        /dns query --server may not reach 169\.254\.169\.254: 169\.254\.169\.254 is a link-local address/,
      );
    } finally {
      await mcp.close();
    }
  });
});
