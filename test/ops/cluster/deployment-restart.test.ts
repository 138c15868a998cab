import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callOp, failure } from '../../helpers/ops.js';
import { startSandboxEnv, type SandboxEnv } from '../../helpers/sandbox.js';

type Deployment = { spec: { template: { metadata?: { annotations?: Record<string, string> } } } };
const RESTARTED_AT = 'kubectl.kubernetes.io/restartedAt';

describe('deployment_restart', () => {
  let s: SandboxEnv;
  beforeAll(async () => {
    s = await startSandboxEnv();
  });
  afterAll(async () => {
    await s?.sandbox.stop();
  });
  const deployment = (ns: string, name: string) => s.sandbox.store.get('deployments', ns, name) as unknown as Deployment;

  it("restarts an allow-listed deployment as kubectl does: the pod template's restartedAt annotation", async () => {
    expect(deployment('homepage', 'homepage').spec.template.metadata?.annotations?.[RESTARTED_AT]).toBeUndefined();
    const { output: out, summary } = await callOp<{ namespace: string; name: string; restartedAt: string }>(s, 'deployment_restart', {
      deployment: 'homepage/homepage',
    });
    expect(summary?.verdict).toBe('ok');
    expect(out).toMatchObject({ namespace: 'homepage', name: 'homepage' });
    expect(deployment('homepage', 'homepage').spec.template.metadata?.annotations?.[RESTARTED_AT]).toBe(out.restartedAt);
  });

  it('refuses a deployment outside the allow-list (77), listing what is allowed', async () => {
    const err = await failure(callOp(s, 'deployment_restart', { deployment: 'kube-system/coredns' }));
    expect(err.exitCode).toBe(77);
    expect(err.said).toContain('kube-system/coredns is not in the allow-list for restart (allowed: jellyfin/jellyfin, pihole/pihole');
  });
});

describe('deployment_restart when the role lacks patch', () => {
  let s: SandboxEnv;
  beforeAll(async () => {
    s = await startSandboxEnv({ rbac: [{ apiGroups: ['apps'], resources: ['deployments'], verbs: ['get', 'list'] }] });
  });
  afterAll(async () => {
    await s?.sandbox.stop();
  });

  it('names the missing verb (69)', async () => {
    const err = await failure(callOp(s, 'deployment_restart', { deployment: 'jellyfin/jellyfin' }));
    expect(err.exitCode).toBe(69);
    expect(err.said).toContain('forbidden: needs `patch` on deployments.apps "jellyfin" in namespace jellyfin');
    expect(err.said).toMatch(/cannot patch resource "deployments" in API group "apps"/);
  });
});
