import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lanTargetsConfig, anyTargetConfig, METADATA_REFUSED, type Curl } from '../../helpers/net.js';
import { callOp, failure } from '../../helpers/ops.js';
import { startSandboxEnv, type SandboxEnv } from '../../helpers/sandbox.js';

describe('net_curl from the debug agent', () => {
  let s: SandboxEnv;
  let allow: string;
  let wide: string;
  beforeAll(async () => {
    s = await startSandboxEnv();
    allow = await lanTargetsConfig(s.sandbox);
    wide = await anyTargetConfig(s.sandbox);
  });
  afterAll(async () => {
    await s?.sandbox.stop();
  });
  const curl = (input: Record<string, unknown>, config?: string) => callOp<Curl>(s, 'net_curl', input, { config });

  it('fetches an Ingress host with its timing and TLS', async () => {
    const { output, summary } = await curl({ url: 'https://jellyfin.home.example.net/health' });
    expect(summary?.verdict).toBe('ok');
    expect(output).toMatchObject({ ok: true, exitCode: 0, status: 200, admittedAs: 'Ingress jellyfin/jellyfin', tls: { verified: true, certificates: 2 } });
    expect(output.timing).toEqual({ dnsMs: 1.2, connectMs: 1.9, tlsMs: 12.1, serverMs: 5.1, ttfbMs: 20.4, totalMs: 20.5 });
  });

  it('refuses a target outside the policy (77), saying where to allow it; reports a refused port (crit), not thrown', async () => {
    const denied = await failure(curl({ url: 'http://192.168.1.99:8080/' }));
    expect(denied.exitCode).toBe(77);
    expect(denied.said).toMatch(/net curl may not reach 192\.168\.1\.99: it is not an Ingress host.*nor in net\.allowTargets \(empty\)/);
    expect(denied.said).toMatch(/net\.allowTargets in the config file/);
    const refused = await curl({ url: 'http://192.168.1.99:8080' }, allow);
    expect(refused.summary?.verdict).toBe('crit');
    expect(refused.output).toMatchObject({
      ok: false,
      exitCode: 7,
      status: 0,
      admittedAs: 'net.allowTargets (CIDR)',
      error: expect.stringContaining('Failed to connect to 192.168.1.99 port 8080'),
    });
  });

  it('refuses credentials in the URL (64)', async () => {
    const creds = await failure(curl({ url: 'https://admin:pw@jellyfin.home.example.net/' }));
    expect(creds.exitCode).toBe(64);
    expect(creds.said).toMatch(/credentials in the URL are not allowed/);
  });

  it('refuses metadata addresses in any spelling, even with 0.0.0.0/0 allowed (77)', async () => {
    for (const url of ['http://169.254.169.254/latest/meta-data/', 'http://0xa9fea9fe/latest/meta-data/', 'http://[fd00:ec2::254]/latest/meta-data/']) {
      const err = await failure(curl({ url }, wide));
      expect(err.exitCode, url).toBe(77);
      expect(err.said, url).toMatch(METADATA_REFUSED);
      expect(err.said, url).toMatch(/itself under net\.allowTargets/);
    }
  });
});
