import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lanTargetsConfig, anyTargetConfig, METADATA_REFUSED, type Trace } from '../../helpers/net.js';
import { callOp, failure } from '../../helpers/ops.js';
import { startSandboxEnv, type SandboxEnv } from '../../helpers/sandbox.js';

describe('net_traceroute from the debug agent', () => {
  let s: SandboxEnv;
  beforeAll(async () => {
    s = await startSandboxEnv();
  });
  afterAll(async () => {
    await s?.sandbox.stop();
  });

  it('lists the hops to an allowed target, a silent one as timeouts', async () => {
    const allow = await lanTargetsConfig(s.sandbox);
    const { output: tr, summary } = await callOp<Trace>(s, 'net_traceroute', { target: '1.1.1.1' }, { config: allow });
    expect(summary?.verdict).toBe('ok');
    expect(tr.reached).toBe(true);
    expect(tr.hops).toHaveLength(5);
    expect(tr.hops[2]).toEqual({ ttl: 3, rttsMs: [null, null, null], timeouts: 3 });
    expect(tr.hops[4]).toMatchObject({ ttl: 5, host: 'one.one.one.one', ip: '1.1.1.1', rttsMs: [11.512, 11.401, 11.466] });
  });

  it('refuses a link-local address, even with ::/0 allowed (77)', async () => {
    const wide = await anyTargetConfig(s.sandbox);
    const err = await failure(callOp(s, 'net_traceroute', { target: 'fe80::1' }, { config: wide }));
    expect(err.exitCode).toBe(77);
    expect(err.said).toMatch(METADATA_REFUSED);
    expect(err.said).toMatch(/itself under net\.allowTargets/);
  });
});
