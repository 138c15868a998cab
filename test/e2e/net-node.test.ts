import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { stdioClient } from '../helpers/mcp.js';
import { startSandboxEnv, type SandboxEnv } from '../helpers/sandbox.js';

interface NetNode {
  verdict: string;
  summary: string;
  node: string;
  agentPod: string;
  links: Array<{ name: string; state: string; up: boolean; mtu?: number; addresses: Array<{ family: string; cidr: string; scope?: string }> }>;
  routes: Array<{ dst: string; gateway?: string; dev?: string }>;
  defaultRoute?: { gateway?: string; dev?: string };
  rules: Array<{ priority: number; selector: string; table?: string }>;
  findings: Array<{ severity: string; kind: string; name: string; reason: string; message: string }>;
}
interface Iptables {
  summary: string;
  family: string;
  command: string[];
  tables: Array<{ name: string; chains: Array<{ name: string; builtin: boolean; policy?: string; rules: Array<{ number: number; text: string; target?: string; comment?: string }> }> }>;
  chains: number;
  rules: number;
}
interface Conntrack {
  summary: string;
  scanned: number;
  reported?: number;
  total: number;
  shown: number;
  truncated: boolean;
  byProtocol: Record<string, number>;
  entries: Array<{ protocol: string; state?: string; src: string; dst: string; sport?: number; dport?: number; reply?: { src: string }; flags: string[] }>;
}

const json = <T>(stdout: string) => JSON.parse(stdout) as T;

describe('homelab net node / iptables / conntrack', () => {
  let s: SandboxEnv;
  beforeAll(async () => { s = await startSandboxEnv(); });
  afterAll(async () => { await s?.sandbox.stop(); });

  it('shows the links, addresses (IPv4 and IPv6), routes and rules of a Pi', async () => {
    const r = await runCli(['net', 'node', 'pi-k3s', '--json'], s.env);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = json<NetNode>(r.stdout);
    expect(out).toMatchObject({ verdict: 'ok', node: 'pi-k3s', findings: [], defaultRoute: { gateway: '192.168.1.1', dev: 'eth0' } });
    expect(out.agentPod).toMatch(/^mcp-homelab\/debug-agent-/);
    expect(out.links.map((l) => l.name)).toEqual(['lo', 'eth0', 'flannel.1', 'cni0', 'tailscale0']);
    const eth0 = out.links.find((l) => l.name === 'eth0');
    expect(eth0).toMatchObject({ state: 'UP', up: true, mtu: 1500 });
    expect(eth0?.addresses.map((a) => [a.family, a.cidr, a.scope])).toEqual([
      ['inet', '192.168.1.50/24', 'global'],
      ['inet6', '2001:db8:4a1:0:dea6:32ff:fe1b:4e01/64', 'global'],
      ['inet6', 'fe80::dea6:32ff:fe1b:4e01/64', 'link'],
    ]);
    expect(out.routes).toContainEqual(expect.objectContaining({ dst: '10.42.1.0/24', gateway: '10.42.1.0', dev: 'flannel.1' }));
    expect(out.rules).toContainEqual({ priority: 5210, selector: 'from all fwmark 0x80000/0xff0000', table: 'main' });

    const table = await runCli(['net', 'node', 'pi5-worker-1'], s.env);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^OK pi5-worker-1: 4 links \(4 up\), 4 addresses, 7 routes, 7 rules; default via 192\.168\.1\.1 dev eth0/);
    expect(table.stdout).toMatch(/eth0\s+UP\s+1500\s+ether\s+2c:cf:67:0a:91:02\s+192\.168\.1\.51\/24/);
    expect(table.stdout).toMatch(/default\s+192\.168\.1\.1\s+eth0\s+dhcp\s+192\.168\.1\.51\s+100/);
    expect(table.stdout).toMatch(/5270\s+from all\s+52/);
  });

  it('warns about a link that is down but keeps its address (exit 1)', async () => {
    const r = await runCli(['net', 'node', 'pi3-worker-2'], s.env);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^WARN pi3-worker-2: 1 problem .* worst: Link eth1 LinkDownWithAddresses: eth1 is DOWN \(no carrier\) but has 192\.168\.2\.53\/24/);
    expect(r.stdout).toMatch(/warn\s+Link\s+eth1\s+LinkDownWithAddresses/);
  });

  it('tells a node that does not exist (exit 66)', async () => {
    const r = await runCli(['net', 'node', 'pi5-worker-9'], s.env);
    expect(r.code).toBe(66);
    expect(r.stderr).toContain('there is no node "pi5-worker-9" in this cluster');
    expect(r.stdout).toBe('');
  });

  it('lists a table, a chain with its rules, and an empty chain as empty', async () => {
    const nat = json<Iptables>((await runCli(['net', 'iptables', 'pi-k3s', '--table', 'nat', '--json'], s.env)).stdout);
    expect(nat.command).toEqual(['iptables-save', '-t', 'nat']);
    expect(nat.tables.map((t) => t.name)).toEqual(['nat']);
    expect(nat.tables[0]?.chains.find((c) => c.name === 'PREROUTING')).toMatchObject({ builtin: true, policy: 'ACCEPT', rules: [{ number: 1, target: 'KUBE-SERVICES', comment: 'kubernetes service portals' }] });

    const svc = json<Iptables>((await runCli(['net', 'iptables', 'pi-k3s', '--table', 'nat', '--chain', 'KUBE-SERVICES', '--json'], s.env)).stdout);
    expect(svc.chains).toBe(1);
    expect(svc.tables[0]?.chains[0]?.rules.map((r) => r.target)).toEqual(['KUBE-SVC-TCOQ7UKRYGA5ZCHM', 'KUBE-SVC-PIHOLEWEB7Q2', 'KUBE-NODEPORTS']);
    expect(svc.tables[0]?.chains[0]?.rules[1]?.text).toBe('-d 10.43.201.17/32 -p tcp -m comment --comment "pihole/pihole-web:http cluster IP" -m tcp --dport 80 -j KUBE-SVC-PIHOLEWEB7Q2');

    const empty = await runCli(['net', 'iptables', 'pi-k3s', '--table', 'filter', '--chain', 'KUBE-PROXY-FIREWALL'], s.env);
    expect(empty.code).toBe(0);
    expect(empty.stdout).toContain('KUBE-PROXY-FIREWALL on pi-k3s: empty in filter');
    expect(empty.stdout).toMatch(/filter\/KUBE-PROXY-FIREWALL \(user chain\)\n\s+\(empty\)/);

    // Without --table the chain is looked for in every table.
    const all = json<Iptables>((await runCli(['net', 'iptables', 'pi-k3s', '--chain', 'KUBE-NODEPORTS', '--json'], s.env)).stdout);
    expect(all.command).toEqual(['iptables-save']);
    expect(all.tables.map((t) => t.name)).toEqual(['filter', 'nat']);
  });

  it('lists the IPv6 tables from ip6tables-save', async () => {
    const out = json<Iptables>((await runCli(['net', 'iptables', 'pi5-worker-2', '--ipv6', '--table', 'filter', '--json'], s.env)).stdout);
    expect(out).toMatchObject({ family: 'ipv6', command: ['ip6tables-save', '-t', 'filter'], chains: 3, rules: 0 });
  });

  it('filters the conntrack table by source CIDR, counts all matches and shows at most --limit', async () => {
    const r = await runCli(['net', 'conntrack', 'pi-k3s', '--src', '10.42.0.0/16', '--limit', '2', '--json'], s.env);
    expect(r.code).toBe(0);
    const out = json<Conntrack>(r.stdout);
    expect(out).toMatchObject({ scanned: 7, reported: 7, total: 3, shown: 2, truncated: true, byProtocol: { tcp: 1, udp: 2 } });
    expect(out.entries.every((e) => e.src.startsWith('10.42.'))).toBe(true);
    expect(out.entries[0]).toMatchObject({ protocol: 'tcp', state: 'ESTABLISHED', src: '10.42.1.17', dst: '10.43.53.53', dport: 53, reply: { src: '10.42.0.31' }, flags: ['ASSURED'] });

    const table = await runCli(['net', 'conntrack', 'pi-k3s', '--dst', '192.168.1.99'], s.env);
    expect(table.stdout).toMatch(/^pi-k3s: 1 flow to 192\.168\.1\.99 \(of 7\): 1 tcp/);
    expect(table.stdout).toMatch(/tcp\s+SYN_SENT\s+192\.168\.1\.50:55012\s+192\.168\.1\.99:8080\s+192\.168\.1\.99:8080\s+UNREPLIED/);
  });

  it('refuses an invalid chain or CIDR before running anything (exit 64)', async () => {
    const chain = await runCli(['net', 'iptables', 'pi-k3s', '--chain', 'KUBE;reboot'], s.env);
    expect(chain.code).toBe(64);
    expect(chain.stderr).toContain('--chain: must be an iptables chain name');
    const cidr = await runCli(['net', 'conntrack', 'pi-k3s', '--src', '10.42.0.0/33'], s.env);
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

  // Last: it removes the agent from this sandbox. The DaemonSet goes first (orphaning its pods, as
  // `kubectl delete --cascade=orphan` does), or its controller would replace the deleted pod.
  it('says clearly when a node has no debug agent pod (exit 69)', async () => {
    s.sandbox.store.delete('daemonsets', 'mcp-homelab', 'debug-agent');
    const pod = s.sandbox.store.list('pods', 'mcp-homelab').find((p) => (p.metadata.name ?? '').startsWith('debug-agent-') && (p.spec as { nodeName?: string }).nodeName === 'pi5-worker-2');
    expect(pod).toBeDefined();
    s.sandbox.store.delete('pods', 'mcp-homelab', pod?.metadata.name ?? '');
    const r = await runCli(['net', 'node', 'pi5-worker-2'], s.env);
    expect(r.code).toBe(69);
    expect(r.stderr).toContain('no debug agent pod on node pi5-worker-2 (looked for app.kubernetes.io/name=debug-agent in namespace mcp-homelab)');
    expect(r.stderr).toContain('deploy/base/debug-agent.yaml');
  });
});
