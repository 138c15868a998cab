import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callOp, failure } from '../../helpers/ops.js';
import { startSandboxEnv, type SandboxEnv } from '../../helpers/sandbox.js';

interface Finding {
  severity: string;
  name: string;
  reason: string;
}
interface Stored {
  spec: { suspend?: boolean };
}

describe('flux_suspend and flux_resume', () => {
  let s: SandboxEnv;
  beforeAll(async () => {
    s = await startSandboxEnv();
  });
  afterAll(async () => {
    await s?.sandbox.stop();
  });
  const release = () => s.sandbox.store.get('helmreleases.helm.toolkit.fluxcd.io', 'uptime-kuma', 'uptime-kuma') as unknown as Stored;
  const target = { kind: 'helmrelease', name: 'uptime-kuma', namespace: 'uptime-kuma' };

  it('suspends, refuses to reconcile while suspended, reports it in status, and resumes', async () => {
    const suspend = await callOp(s, 'flux_suspend', target);
    expect(suspend.output).toMatchObject({ suspended: true, wasSuspended: false });
    expect(release().spec.suspend).toBe(true);
    const refused = await failure(callOp(s, 'flux_reconcile', target));
    expect(refused.kind).toBe('UserError');
    expect(refused.said).toContain('HelmRelease uptime-kuma/uptime-kuma is suspended');
    expect(refused.said).toContain('homelab flux resume helmrelease uptime-kuma -n uptime-kuma');
    const status = (await callOp<{ findings: Finding[] }>(s, 'flux_status')).output;
    expect(status.findings).toContainEqual(expect.objectContaining({ name: 'uptime-kuma', reason: 'Suspended', severity: 'warn' }));
    const resume = await callOp(s, 'flux_resume', target);
    expect(resume.summary?.verdict).toBe('ok');
    expect(resume.output).toMatchObject({ wasSuspended: true, ready: 'True', waited: true });
    expect(release().spec.suspend).toBe(false);
  });
});
