import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NetNode } from '../../helpers/net.js';
import { callOp, failure } from '../../helpers/ops.js';
import { startSandboxEnv, type SandboxEnv } from '../../helpers/sandbox.js';

describe('net_node from the debug agent', () => {
  let s: SandboxEnv;
  beforeAll(async () => {
    s = await startSandboxEnv();
  });
  afterAll(async () => {
    await s?.sandbox.stop();
  });

  it('shows the links, addresses (IPv4 and IPv6), routes and rules of a Pi', async () => {
    const { output: out, summary, log } = await callOp<NetNode>(s, 'net_node', { node: 'pi-k3s' });
    expect(log).toEqual([]);
    expect(summary?.verdict).toBe('ok');
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
  });

  it('warns about a link that is down but keeps its address', async () => {
    const { output, summary } = await callOp<NetNode>(s, 'net_node', { node: 'pi3-worker-2' });
    expect(summary?.verdict).toBe('warn');
    expect(summary?.line).toMatch(
      /^pi3-worker-2: 1 problem .* worst: Link eth1 LinkDownWithAddresses: eth1 is DOWN \(no carrier\) but has 192\.168\.2\.53\/24/,
    );
    expect(output.findings).toEqual([expect.objectContaining({ severity: 'warn', kind: 'Link', name: 'eth1', reason: 'LinkDownWithAddresses' })]);
  });

  it('tells a node that does not exist (66)', async () => {
    const err = await failure(callOp(s, 'net_node', { node: 'pi5-worker-9' }));
    expect(err.exitCode).toBe(66);
    expect(err.said).toContain('there is no node "pi5-worker-9" in this cluster');
  });

  // It removes the agent: the DaemonSet goes first (orphaning its pods, as `kubectl delete
  // --cascade=orphan` does), or its controller would replace the deleted pod.
  it('says clearly when a node has no debug agent pod (69)', async () => {
    try {
      s.sandbox.store.delete('daemonsets', 'mcp-homelab', 'debug-agent');
      const pod = s.sandbox.store
        .list('pods', 'mcp-homelab')
        .find((p) => (p.metadata.name ?? '').startsWith('debug-agent-') && (p.spec as { nodeName?: string }).nodeName === 'pi5-worker-2');
      expect(pod).toBeDefined();
      s.sandbox.store.delete('pods', 'mcp-homelab', pod?.metadata.name ?? '');
      const err = await failure(callOp(s, 'net_node', { node: 'pi5-worker-2' }));
      expect(err.exitCode).toBe(69);
      expect(err.said).toContain('no debug agent pod on node pi5-worker-2 (looked for app.kubernetes.io/name=debug-agent in namespace mcp-homelab)');
      expect(err.said).toContain('deploy/base/debug-agent.yaml');
    } finally {
      s.sandbox.reset();
    }
  });
});
