import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callOp, failure } from '../../helpers/ops.js';
import { startSandboxEnv, type SandboxEnv } from '../../helpers/sandbox.js';

interface PodLike {
  metadata: { name: string; namespace?: string };
  status?: { containerStatuses?: Array<{ state?: { waiting?: { reason?: string } } }> };
}
interface Logs {
  pod: string;
  namespace: string;
  previous: boolean;
  lines: string[];
  truncated: boolean;
  workload?: { kind: string; name: string; pods: number };
}

describe('pods_logs against the sandbox', () => {
  let s: SandboxEnv;
  let crashing: PodLike;
  beforeAll(async () => {
    s = await startSandboxEnv();
    const found = (s.sandbox.store.list('pods') as unknown as PodLike[]).find((p) =>
      p.status?.containerStatuses?.some((c) => c.state?.waiting?.reason === 'CrashLoopBackOff'),
    );
    if (!found) throw new Error('the pi-homelab scenario has no CrashLoopBackOff pod');
    crashing = found;
  });
  afterAll(async () => {
    await s?.sandbox.stop();
  });
  const logs = (input: Record<string, unknown>) => callOp<Logs>(s, 'pods_logs', input);

  it("reads the previous instance's logs of a crashing pod by a unique prefix", async () => {
    const { name, namespace } = crashing.metadata;
    const prefix = name.slice(0, name.lastIndexOf('-'));
    const { output: out, summary } = await logs({ pod: prefix, namespace, previous: true });
    expect(summary?.verdict).toBe('ok');
    expect(out).toMatchObject({ pod: name, namespace, previous: true, truncated: false });
    expect(out.lines.length).toBeGreaterThan(0);
    const current = (await logs({ pod: name, namespace })).output;
    expect(current.lines).not.toEqual(out.lines);
  });

  it('bounds lines with tail and bytes with maxBytes, and flags truncation', async () => {
    const { name, namespace } = crashing.metadata;
    expect((await logs({ pod: name, namespace, tail: 2 })).output.lines).toHaveLength(2);
    const full = (await logs({ pod: name, namespace, tail: 10000 })).output;
    const bounded = (await logs({ pod: name, namespace, tail: 10000, maxBytes: 1024 })).output;
    expect(bounded.truncated).toBe(full.lines.join('\n').length > 1024);
  });

  it('finds the pod in any namespace without one; refuses an ambiguous prefix listing the candidates (64); a missing pod is 66', async () => {
    const { name, namespace } = crashing.metadata;
    expect((await logs({ pod: name })).output.namespace).toBe(namespace);
    const ambiguous = await failure(logs({ pod: 'pi' })); // debug-agent-…, pihole-… and more
    expect(ambiguous.exitCode).toBe(64);
    expect(ambiguous.said).toMatch(/^"pi" matches \d+ pods of \d+ owners: /);
    const missing = await failure(logs({ pod: 'no-such-pod' }));
    expect(missing.exitCode).toBe(66);
    expect(missing.said).toContain('no pod named or starting with "no-such-pod" in any namespace');
  });

  it("takes a workload's name as kubectl logs deploy/NAME does: the Deployment's pod over a backup's Jobs, a CronJob's newest run, a DaemonSet's pod", async () => {
    const [jellyfin, backup, kured] = await Promise.all([
      logs({ pod: 'jellyfin' }),
      logs({ pod: 'jellyfin-config-backup' }),
      logs({ pod: 'kured', namespace: 'kube-system' }),
    ]);
    const podsOf = (owner: string) =>
      s.sandbox.store.list('pods').filter((p) => (p.metadata.ownerReferences as Array<{ name: string }> | undefined)?.some((o) => o.name.startsWith(owner)));
    expect(jellyfin.output).toMatchObject({ namespace: 'jellyfin', workload: { kind: 'Deployment', name: 'jellyfin', pods: 1 } });
    expect(jellyfin.log.join('\n')).toContain('of Deployment jellyfin');
    // A backup's runs: the newest Job's pod.
    const runs = podsOf('jellyfin-config-backup-').sort((a, b) => (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? ''));
    expect(runs.length).toBeGreaterThan(1);
    expect(backup.output).toMatchObject({ pod: runs[0]?.metadata.name, workload: { kind: 'CronJob', name: 'jellyfin-config-backup', pods: runs.length } });
    expect(kured.output).toMatchObject({ namespace: 'kube-system', workload: { kind: 'DaemonSet', name: 'kured', pods: podsOf('kured').length } });
    // Several workloads and none named so: ambiguous, with the owners listed.
    const immich = await failure(logs({ pod: 'immich' }));
    expect(immich.exitCode).toBe(64);
    expect(immich.said).toMatch(/"immich" matches \d+ pods of \d+ owners: .*Deployment immich\/immich-server/);
  });
});
