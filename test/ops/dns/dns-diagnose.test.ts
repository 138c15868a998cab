import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Diagnose } from '../../helpers/net.js';
import { callOp } from '../../helpers/ops.js';
import { startSandboxEnv, type SandboxEnv } from '../../helpers/sandbox.js';

describe('dns_diagnose against the pi-homelab', () => {
  let s: SandboxEnv;
  beforeAll(async () => {
    s = await startSandboxEnv();
  });
  afterAll(async () => {
    await s?.sandbox.stop();
  });

  it('names the failing hop: DNSSEC for a bogus zone (crit), Pi-hole for a blocked name (warn)', async () => {
    const [bogus, blocked] = await Promise.all([
      callOp<Diagnose>(s, 'dns_diagnose', { name: 'dnssec-failed.org' }),
      callOp<Diagnose>(s, 'dns_diagnose', { name: 'doubleclick.net' }),
    ]);
    expect(bogus.summary?.verdict).toBe('crit');
    const b = bogus.output;
    expect(b.failingHop).toBe('dnssec');
    expect(b.conclusion).toMatch(/Unbound SERVFAIL.*checking disabled \(\+cd\): DNSSEC validation fails/);
    expect(b.hops.map((h) => h.hop)).toEqual(['client', 'pihole', 'unbound', 'unbound', 'dnssec']);
    expect(b.hops.find((h) => h.hop === 'dnssec')).toMatchObject({
      state: 'fail',
      note: expect.stringMatching(/^bogus: SERVFAIL when validating, 96\.99\.227\.255/),
    });
    expect(b.hops.filter((h) => h.hop === 'unbound').map((h) => h.label)).toEqual([
      expect.stringMatching(/^Unbound Service unbound/),
      expect.stringMatching(/^Unbound pod unbound-/),
    ]);

    expect(blocked.summary?.verdict).toBe('warn');
    expect(blocked.output.failingHop).toBe('pihole');
    expect(blocked.output.conclusion).toMatch(/^Pi-hole blocks doubleclick\.net \(answers 0\.0\.0\.0\) while Unbound resolves it/);
  });
});
