import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configWith } from '../../helpers/config.js';
import type { DnsStatus, Gravity } from '../../helpers/net.js';
import { callOp, failure } from '../../helpers/ops.js';
import { startSandboxEnv, type SandboxEnv } from '../../helpers/sandbox.js';

describe('dns_gravity_update', () => {
  let s: SandboxEnv;
  beforeAll(async () => {
    s = await startSandboxEnv();
  });
  afterAll(async () => {
    await s?.sandbox.stop();
  });

  it('is refused in read-only mode, before Pi-hole is asked', async () => {
    const before = s.sandbox.services.pihole?.gravity().domains;
    const err = await failure(callOp(s, 'dns_gravity_update', {}, { config: await configWith(s.sandbox, 'read-only', { readOnly: true }) }));
    expect(err.exitCode).toBe(77);
    expect(err.said).toContain('dns_gravity_update changes the cluster and homelab is in read-only mode');
    expect(s.sandbox.services.pihole?.gravity().domains).toBe(before);
    expect(s.sandbox.services.pihole?.requests.filter((q) => q.path === '/api/action/gravity')).toEqual([]);
  });

  it('reads the stream to the end, reports the domain count before and after, is audited, and dns_status then reads the new gravity', async () => {
    const audit = join(s.sandbox.dir, 'audit.jsonl');
    const { output, summary, log } = await callOp<Gravity>(
      s,
      'dns_gravity_update',
      {},
      { config: await configWith(s.sandbox, 'audited', { audit: { file: audit } }) },
    );
    expect(summary?.verdict).toBe('ok');
    expect(output).toMatchObject({ succeeded: true, before: { domains: 219727 }, after: { domains: 221069 }, change: 1342, failures: [] });
    expect(log.join('\n')).toContain('[✓] Done.');
    const records = (await readFile(audit, 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { op: string; outcome: string; phase: string });
    expect(records.find((r) => r.phase === 'apply')).toMatchObject({ op: 'dns_gravity_update', outcome: 'ok' });
    const status = (await callOp<DnsStatus>(s, 'dns_status')).output;
    expect(status.pihole.gravity).toMatchObject({ domains: 221069, stale: false });
    expect(status.pihole.gravity?.age).toMatch(/^\d+s$/);
  });
});
