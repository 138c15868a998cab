import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configWithout } from '../../helpers/config.js';
import type { Allowlist } from '../../helpers/net.js';
import { callOp, failure } from '../../helpers/ops.js';
import { startSandboxEnv, type SandboxEnv } from '../../helpers/sandbox.js';

describe('dns_allowlist', () => {
  let s: SandboxEnv;
  beforeAll(async () => {
    s = await startSandboxEnv();
  });
  afterAll(async () => {
    await s?.sandbox.stop();
  });

  it('lists the allowlist, exact and regex, with comments', async () => {
    const { output: out, summary } = await callOp<Allowlist>(s, 'dns_allowlist');
    expect(summary?.verdict).toBe('ok');
    expect(out).toMatchObject({ exact: 2, regex: 1 });
    expect(out.domains).toContainEqual(expect.objectContaining({ domain: 's.youtube.com', kind: 'exact', enabled: true, comment: 'history on the TV' }));
    expect(out.domains).toContainEqual(expect.objectContaining({ domain: '(\\.|^)plex\\.tv$', kind: 'regex', comment: 'old Plex client' }));
    expect(out.domains.map((d) => d.domain)).not.toContain('graph.facebook.com');
  });

  it('refuses with 64 when Pi-hole is not configured', async () => {
    const err = await failure(callOp(s, 'dns_allowlist', {}, { config: await configWithout(s.sandbox, 'no-services', ['services']) }));
    expect(err.exitCode).toBe(64);
    expect(err.said).toContain('Pi-hole is not configured');
  });
});
