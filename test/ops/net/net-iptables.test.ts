import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Iptables } from '../../helpers/net.js';
import { callOp } from '../../helpers/ops.js';
import { startSandboxEnv, type SandboxEnv } from '../../helpers/sandbox.js';

describe('net_iptables from the debug agent', () => {
  let s: SandboxEnv;
  beforeAll(async () => {
    s = await startSandboxEnv();
  });
  afterAll(async () => {
    await s?.sandbox.stop();
  });
  const iptables = async (input: Record<string, unknown>) => (await callOp<Iptables>(s, 'net_iptables', input)).output;

  it('lists a table, and a chain with its rules; without a table the chain is looked for in every table', async () => {
    const [nat, svc, all] = await Promise.all([
      iptables({ node: 'pi-k3s', table: 'nat' }),
      iptables({ node: 'pi-k3s', table: 'nat', chain: 'KUBE-SERVICES' }),
      iptables({ node: 'pi-k3s', chain: 'KUBE-NODEPORTS' }),
    ]);
    expect(nat.command).toEqual(['iptables-save', '-t', 'nat']);
    expect(nat.tables.map((t) => t.name)).toEqual(['nat']);
    expect(nat.tables[0]?.chains.find((c) => c.name === 'PREROUTING')).toMatchObject({
      builtin: true,
      policy: 'ACCEPT',
      rules: [{ number: 1, target: 'KUBE-SERVICES', comment: 'kubernetes service portals' }],
    });
    expect(svc.chains).toBe(1);
    expect(svc.tables[0]?.chains[0]?.rules.map((r) => r.target)).toEqual(['KUBE-SVC-TCOQ7UKRYGA5ZCHM', 'KUBE-SVC-PIHOLEWEB7Q2', 'KUBE-NODEPORTS']);
    expect(svc.tables[0]?.chains[0]?.rules[1]?.text).toBe(
      '-d 10.43.201.17/32 -p tcp -m comment --comment "pihole/pihole-web:http cluster IP" -m tcp --dport 80 -j KUBE-SVC-PIHOLEWEB7Q2',
    );
    expect(all.command).toEqual(['iptables-save']);
    expect(all.tables.map((t) => t.name)).toEqual(['filter', 'nat']);
  });

  it('lists the IPv6 tables from ip6tables-save', async () => {
    expect(await iptables({ node: 'pi5-worker-2', ipv6: true, table: 'filter' })).toMatchObject({
      family: 'ipv6',
      command: ['ip6tables-save', '-t', 'filter'],
      chains: 3,
      rules: 0,
    });
  });
});
