import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRuntime, type Runtime } from '../../src/adapters/runtime.js';
import type { OpContext } from '../../src/core/op.js';
import { bindContext } from '../../src/core/run-op.js';
import { CHECKS, findCheck } from '../../src/ops/checks.js';
import { MAX_LOOKED, attemptCheck, type CheckReport, type ObjectRef } from '../../src/ops/shared/check.js';
import { startSandboxEnv, type SandboxEnv } from '../helpers/sandbox.js';

const quiet = { progress: () => {}, warn: () => {}, debug: () => {} };
const key = (o: ObjectRef) => `${o.kind} ${o.namespace ?? ''}/${o.name}`;

/** The checks called in process, as health and the coming doctor/why call them: their reports, not an op's output. */
describe('every check against the pi-homelab sandbox', () => {
  let s: SandboxEnv;
  let runtime: Runtime;
  let ctx: OpContext;
  beforeAll(async () => {
    s = await startSandboxEnv();
    runtime = await createRuntime({ configFile: s.env.HOMELAB_CONFIG, kubeconfig: s.sandbox.kubeconfigPath, env: s.env, log: quiet });
    ctx = bindContext(runtime.context, new AbortController().signal);
  });
  afterAll(async () => {
    await runtime?.close();
    await s?.sandbox.stop();
  });

  it('each names the objects it looked at, and every object a finding is about is among them', async () => {
    for (const check of CHECKS) {
      const report: CheckReport = await check.run(ctx, {});
      expect(report.looked.length, check.name).toBe(Math.min(report.lookedTotal, MAX_LOOKED));
      expect(report.lookedTotal, check.name).toBeGreaterThan(0);
      const looked = new Set(report.looked.map(key));
      // Findings about what the check read (not "Check could not read", not the cluster as a whole) name a looked-at object.
      const kinds = new Set(report.looked.map((o) => o.kind));
      const about = report.findings.filter((f) => kinds.has(f.kind));
      expect(about.length, check.name).toBe(report.findings.filter((f) => !['Check', 'Cluster', 'Namespace'].includes(f.kind)).length);
      if (report.lookedTotal <= MAX_LOOKED) for (const f of about) expect(looked, `${check.name}: ${key(f)}`).toContain(key(f));
    }
  });

  it('counts every pod it judged, and names at most MAX_LOOKED of them', async () => {
    const pods = await findCheck('pods')?.run(ctx, {});
    const total = (pods?.data as { total: number }).total;
    expect(pods?.lookedTotal).toBe(total);
    expect(pods?.looked.length).toBe(Math.min(total, MAX_LOOKED));
    expect(pods?.looked.every((o) => o.kind === 'Pod' && o.namespace)).toBe(true);
  });

  it("has its own subject where it is about one thing: the namespace it was narrowed to, the operator's namespace", async () => {
    const certs = await findCheck('certs')?.run(ctx, { namespace: 'immich' });
    expect(certs?.subject).toEqual({ kind: 'Namespace', name: 'immich' });
    expect(certs?.looked).toContainEqual({ kind: 'Certificate', namespace: 'immich', name: 'immich-tls' });
    expect(certs?.looked.every((o) => o.namespace === 'immich')).toBe(true);
    expect((await findCheck('certificates')?.run(ctx, {}))?.subject).toBeUndefined();
    const tailscale = await findCheck('tailscale')?.run(ctx, {});
    expect(tailscale?.subject).toEqual({ kind: 'Namespace', name: 'tailscale' });
    expect(tailscale?.looked.map((o) => o.kind)).toEqual(expect.arrayContaining(['Pod', 'Connector']));
  });

  it('follows an ingress to the Service and Endpoints behind it', async () => {
    const ingress = await findCheck('ingress')?.run(ctx, { namespace: 'paperless' });
    const kinds = new Set(ingress?.looked.map((o) => o.kind));
    expect([...kinds].sort()).toEqual(expect.arrayContaining(['Endpoints', 'Ingress', 'Service']));
    expect(ingress?.findings).toContainEqual(expect.objectContaining({ kind: 'Ingress', namespace: 'paperless', reason: 'NoReadyEndpoints' }));
  });

  it('says why it could not run, and keeps the fix of each finding', async () => {
    // A process that has not asked discovery yet (the one above keeps what discovery said).
    const fresh = await createRuntime({ configFile: s.env.HOMELAB_CONFIG, kubeconfig: s.sandbox.kubeconfigPath, env: s.env, log: quiet });
    const remove = s.sandbox.faults.add({ path: '/apis', status: 503 });
    try {
      const fluxCheck = CHECKS.find((c) => c.name === 'flux');
      if (!fluxCheck) throw new Error('no flux check');
      const outcome = await attemptCheck(fluxCheck, bindContext(fresh.context, new AbortController().signal), {});
      expect(outcome.report).toBeUndefined();
      expect(outcome).toMatchObject({ name: 'flux', error: expect.stringMatching(/cannot tell whether kustomize\.toolkit\.fluxcd\.io is installed: .* 503/) });
    } finally {
      remove();
      await fresh.close();
    }
    const flux = await findCheck('flux')?.run(ctx, {});
    expect(flux?.findings.find((f) => f.reason === 'RetriesExhausted')?.fix).toMatchObject({
      tool: 'flux_heal',
      command: 'homelab flux heal immich -n immich',
    });
  });
});
