import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRuntime } from '../../../src/adapters/runtime.js';
import type { KubePort } from '../../../src/core/ports/kube.js';
import { bindContext } from '../../../src/core/run-op.js';
import ping from '../../../src/ops/net/net-ping.js';
import { configWith } from '../../helpers/config.js';
import { lanTargetsConfig, anyTargetConfig, METADATA_REFUSED, type Ping } from '../../helpers/net.js';
import { callOp, failure } from '../../helpers/ops.js';
import { startSandboxEnv, type SandboxEnv } from '../../helpers/sandbox.js';

describe('net_ping from the debug agent', () => {
  let s: SandboxEnv;
  let allow: string;
  beforeAll(async () => {
    s = await startSandboxEnv();
    allow = await lanTargetsConfig(s.sandbox);
  });
  afterAll(async () => {
    await s?.sandbox.stop();
  });
  const pingOp = (input: Record<string, unknown>, config?: string) => callOp<Ping>(s, 'net_ping', input, { config });

  it('pings a node by default; with allowTargets, reports loss and a closed port (crit)', async () => {
    const [node, lost] = await Promise.all([pingOp({ target: '192.168.1.51' }), pingOp({ target: '192.168.1.99', port: 8080 }, allow)]);
    expect(node.summary?.verdict).toBe('ok');
    expect(node.output.icmp).toMatchObject({ sent: 3, received: 3, lossPercent: 0, rttMs: { avg: 0.291 } });
    expect(lost.summary?.verdict).toBe('crit');
    expect(lost.output.icmp).toMatchObject({ sent: 3, received: 0, lossPercent: 100 });
    expect(lost.output.tcp).toEqual({ port: 8080, state: 'closed', message: 'connect to 192.168.1.99 port 8080 (tcp) failed: Connection refused' });
  });

  it('port: a TCP check nc could not do is "could not check", never "closed"', async () => {
    const lan = await configWith(s.sandbox, 'net-home-lan', { net: { allowTargets: ['*.home.lan'] } });
    const { output: out } = await pingOp({ target: 'nas.home.lan', port: 445 }, lan);
    expect(out.tcp).toEqual({
      port: 445,
      state: 'unchecked',
      message: 'nc exited 1: nc: getaddrinfo for host "nas.home.lan" port 445: Temporary failure in name resolution',
    });
    expect(out.icmp.error).toBe('ping: nas.home.lan: Temporary failure in name resolution');
    expect(out.summary).toMatch(/; could not check TCP 445: nc exited 1: nc: getaddrinfo/);
  });

  it('port: nc that cannot be exec\'d (not in the image) is "could not check" and a warning, while ICMP still answers', async () => {
    const quiet = { progress: () => {}, warn: () => {}, debug: () => {} };
    const runtime = await createRuntime({ configFile: allow, env: s.env, log: quiet });
    try {
      // The real port against the sandbox; only nc is asked for under a name the agent's image lacks,
      // so the exec fails the way containerd fails a missing executable.
      const real = runtime.context.kube;
      const kube: KubePort = Object.create(real) as KubePort;
      kube.exec = (ns, pod, container, argv, options) =>
        real.exec(ns, pod, container, argv[0] === 'nc' ? ['nc-not-in-this-image', ...argv.slice(1)] : argv, options);
      const ctx = { ...bindContext(runtime.context, new AbortController().signal), kube };
      const out = await ping.run(ctx, ping.input.parse({ target: '192.168.1.20', port: 445 }));
      expect(out.icmp).toMatchObject({ sent: 3, received: 3 });
      expect(out.tcp).toMatchObject({
        port: 445,
        state: 'unchecked',
        message: expect.stringMatching(/^nc could not run in the debug agent on \S+: exec of `nc-not-in-this-image` .*executable file not found/),
      });
      expect(out.verdict).toBe('warn');
      expect(out.summary).toMatch(/3\/3 replies .*; could not check TCP 445: nc could not run/);
    } finally {
      await runtime.close();
    }
  });

  it('refuses a metadata address in any spelling, even with 0.0.0.0/0 allowed (77)', async () => {
    const wide = await anyTargetConfig(s.sandbox);
    const err = await failure(pingOp({ target: '2852039166' }, wide));
    expect(err.exitCode).toBe(77);
    expect(err.said).toMatch(METADATA_REFUSED);
    expect(err.said).toMatch(/itself under net\.allowTargets/);
  });
});
