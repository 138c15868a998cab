import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Conntrack } from '../../helpers/net.js';
import { callOp } from '../../helpers/ops.js';
import { startSandboxEnv, type SandboxEnv } from '../../helpers/sandbox.js';

describe('net_conntrack from the debug agent', () => {
  let s: SandboxEnv;
  beforeAll(async () => {
    s = await startSandboxEnv();
  });
  afterAll(async () => {
    await s?.sandbox.stop();
  });

  it('filters the conntrack table by source CIDR, counts all matches and shows at most limit', async () => {
    const { output: out, summary } = await callOp<Conntrack>(s, 'net_conntrack', { node: 'pi-k3s', src: '10.42.0.0/16', limit: 2 });
    expect(summary?.verdict).toBe('ok');
    expect(out).toMatchObject({ scanned: 7, reported: 7, total: 3, shown: 2, truncated: true, byProtocol: { tcp: 1, udp: 2 } });
    expect(out.entries.every((e) => e.src.startsWith('10.42.'))).toBe(true);
    expect(out.entries[0]).toMatchObject({
      protocol: 'tcp',
      state: 'ESTABLISHED',
      src: '10.42.1.17',
      dst: '10.43.53.53',
      dport: 53,
      reply: { src: '10.42.0.31' },
      flags: ['ASSURED'],
    });
  });
});
