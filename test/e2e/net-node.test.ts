/**
 * homelab net node / iptables / conntrack through the doors: the tables and exit codes, a node that
 * does not exist on stderr, the parser's refusals (--chain, --src), and MCP stdio. What the ops answer
 * is tested in process in test/ops/net/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, runCliProcess } from '../helpers/cli.js';
import { stdioClient } from '../helpers/mcp.js';
import { startSandboxEnv, type SandboxEnv } from '../helpers/sandbox.js';

describe('homelab net node / iptables / conntrack', () => {
  let s: SandboxEnv;
  beforeAll(async () => {
    s = await startSandboxEnv();
  });
  afterAll(async () => {
    await s?.sandbox.stop();
  });

  it('net node prints the links, routes and rules of a Pi as tables', async () => {
    const table = await runCliProcess(['net', 'node', 'pi5-worker-1'], s.env);
    expect(table.code).toBe(0);
    expect(table.stderr).toBe('');
    expect(table.stdout).toMatch(/^OK pi5-worker-1: 4 links \(4 up\), 4 addresses, 7 routes, 7 rules; default via 192\.168\.1\.1 dev eth0/);
    expect(table.stdout).toMatch(/eth0\s+UP\s+1500\s+ether\s+2c:cf:67:0a:91:02\s+192\.168\.1\.51\/24/);
    expect(table.stdout).toMatch(/default\s+192\.168\.1\.1\s+eth0\s+dhcp\s+192\.168\.1\.51\s+100/);
    expect(table.stdout).toMatch(/5270\s+from all\s+52/);
  });

  it('net node warns about a link that is down but keeps its address (exit 1)', async () => {
    const r = await runCli(['net', 'node', 'pi3-worker-2'], s.env);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(
      /^WARN pi3-worker-2: 1 problem .* worst: Link eth1 LinkDownWithAddresses: eth1 is DOWN \(no carrier\) but has 192\.168\.2\.53\/24/,
    );
    expect(r.stdout).toMatch(/warn\s+Link\s+eth1\s+LinkDownWithAddresses/);
  });

  it('net node tells a node that does not exist (exit 66, nothing on stdout)', async () => {
    const r = await runCli(['net', 'node', 'pi5-worker-9'], s.env);
    expect(r.code).toBe(66);
    expect(r.stderr).toContain('there is no node "pi5-worker-9" in this cluster');
    expect(r.stdout).toBe('');
  });

  it('net iptables prints an empty chain as empty', async () => {
    const empty = await runCli(['net', 'iptables', 'pi-k3s', '--table', 'filter', '--chain', 'KUBE-PROXY-FIREWALL'], s.env);
    expect(empty.code).toBe(0);
    expect(empty.stdout).toContain('KUBE-PROXY-FIREWALL on pi-k3s: empty in filter');
    expect(empty.stdout).toMatch(/filter\/KUBE-PROXY-FIREWALL \(user chain\)\n\s+\(empty\)/);
  });

  it('net conntrack prints the flows to a destination as a table', async () => {
    const table = await runCli(['net', 'conntrack', 'pi-k3s', '--dst', '192.168.1.99'], s.env);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^pi-k3s: 1 flow to 192\.168\.1\.99 \(of 7\): 1 tcp/);
    expect(table.stdout).toMatch(/tcp\s+SYN_SENT\s+192\.168\.1\.50:55012\s+192\.168\.1\.99:8080\s+192\.168\.1\.99:8080\s+UNREPLIED/);
  });

  it('refuses an invalid chain or CIDR before running anything (exit 64)', async () => {
    const [chain, cidr] = await Promise.all([
      runCli(['net', 'iptables', 'pi-k3s', '--chain', 'KUBE;reboot'], s.env),
      runCli(['net', 'conntrack', 'pi-k3s', '--src', '10.42.0.0/33'], s.env),
    ]);
    expect(chain.code).toBe(64);
    expect(chain.stderr).toContain('--chain: must be an iptables chain name');
    expect(cidr.code).toBe(64);
    expect(cidr.stderr).toContain('--src: must be an IP address or a CIDR block');
  });

  it('answers over MCP with the same structured output', async () => {
    const mcp = await stdioClient(s.env);
    try {
      const r = await mcp.client.callTool({ name: 'net_conntrack', arguments: { node: 'pi-k3s', dst: '10.43.0.0/16' } });
      expect(r.isError).toBeFalsy();
      expect(r.structuredContent).toMatchObject({ total: 2, shown: 2, truncated: false });
      expect((r.content as Array<{ text: string }>)[0]?.text).toContain('pi-k3s: 2 flows to 10.43.0.0/16 (of 7)');
    } finally {
      await mcp.close();
    }
  });
});
