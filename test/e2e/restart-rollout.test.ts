/**
 * `homelab restart` waits for the rollout as `kubectl rollout status` does and says how it ended: rolled
 * out, failed (ProgressDeadlineExceeded), or still going when --timeout ran out; --no-wait returns at
 * once. The sandbox's controller always rolls out, so the failing cases answer the polls with a
 * Deployment status as a stuck rollout leaves it (a fault from the second GET on: the first is the plan's).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli, runCliProcess } from '../helpers/cli.js';
import { startSandboxEnv, type SandboxEnv } from '../helpers/sandbox.js';

const PATH = '/apis/apps/v1/namespaces/homepage/deployments/homepage';

describe('restart waits for the rollout', () => {
  let s: SandboxEnv;
  beforeEach(async () => {
    s = await startSandboxEnv();
  });
  afterEach(async () => {
    await s?.sandbox.stop();
  });

  /** The polls see the Deployment with this status, at a generation the controller has observed. */
  const pollsSee = (status: Record<string, unknown>) => {
    const stored = s.sandbox.store.get('deployments', 'homepage', 'homepage') as unknown as { metadata: Record<string, unknown> };
    const body = { ...stored, metadata: { ...stored.metadata, generation: 99 }, status: { observedGeneration: 99, ...status } };
    s.sandbox.faults.add({ method: 'GET', path: PATH, nth: 2, status: 200, body: JSON.stringify(body) });
  };

  it('says the rollout finished', async () => {
    const r = await runCliProcess(['restart', 'homepage/homepage', '--yes', '--json'], s.env);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ waited: true, rollout: { state: 'complete', message: 'deployment "homepage" successfully rolled out' } });
    expect(r.stderr).toContain('◎ waiting for the rollout of deployment homepage/homepage');
  });

  it("reports a rollout past its progress deadline as crit (exit 2), in kubectl's words", async () => {
    pollsSee({
      replicas: 2,
      updatedReplicas: 1,
      availableReplicas: 1,
      conditions: [
        { type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: 'ReplicaSet "homepage-7c9" has timed out progressing.' },
      ],
    });
    const r = await runCli(['restart', 'homepage/homepage', '--yes'], s.env);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stdout).toContain('✗ deployment "homepage" exceeded its progress deadline: ReplicaSet "homepage-7c9" has timed out progressing.');
  });

  it('says where the rollout stood when --timeout ran out (exit 75), and how to keep watching', async () => {
    pollsSee({ replicas: 1, updatedReplicas: 1, availableReplicas: 0 });
    const r = await runCli(['restart', 'homepage/homepage', '--yes', '--timeout', '2s'], s.env);
    expect(r.code).toBe(75);
    expect(r.stderr).toMatch(
      /deployment homepage\/homepage was restarted at \S+, but its rollout did not finish within 2s: Waiting for deployment "homepage" rollout to finish: 0 of 1 updated replicas are available\.\.\./,
    );
    expect(r.stderr).toContain('watch it with kubectl rollout status deployment/homepage -n homepage');
  });

  it('returns at once with --no-wait', async () => {
    pollsSee({ replicas: 1, updatedReplicas: 1, availableReplicas: 0 });
    const r = await runCli(['restart', 'homepage/homepage', '--yes', '--no-wait'], s.env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      /^restarted deployment homepage\/homepage at \S+; its pods are being replaced one by one\nwatch it: kubectl rollout status deployment\/homepage -n homepage\n$/,
    );
    expect(r.stderr).not.toContain('waiting for the rollout');
  });
});
