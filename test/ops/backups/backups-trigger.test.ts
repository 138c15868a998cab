import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredJob, Triggered } from '../../helpers/backups.js';
import { configWith } from '../../helpers/config.js';
import { callOp, failure } from '../../helpers/ops.js';
import { startSandboxEnv, type SandboxEnv } from '../../helpers/sandbox.js';

describe('backups_trigger', () => {
  let s: SandboxEnv;
  beforeAll(async () => {
    s = await startSandboxEnv();
  });
  afterAll(async () => {
    await s?.sandbox.stop();
  });

  it('refuses a CronJob that is not allow-listed (the default allows none)', async () => {
    const err = await failure(callOp(s, 'backups_trigger', { cronJob: 'backups/immich-db-backup' }));
    expect(err.exitCode).toBe(77);
    expect(err.said).toContain('backups/immich-db-backup is not in the allow-list for backupsTrigger (allowed: none)');
  });

  it('creates the Job exactly as kubectl create job --from=cronjob does, and waits for it', async () => {
    const config = await configWith(s.sandbox, 'allow-backups', { allow: { backupsTrigger: ['backups/*'] } });
    const { output: out, summary, log } = await callOp<Triggered>(s, 'backups_trigger', { cronJob: 'backups/immich-db-backup' }, { config });
    expect(log.join('\n')).toContain('waiting for Job');
    expect(summary?.verdict).toBe('ok');
    expect(out).toMatchObject({ namespace: 'backups', cronJob: 'immich-db-backup', state: 'Succeeded' });
    expect(out.job).toMatch(/^immich-db-backup-manual-[0-9a-z]+$/);
    const job = s.sandbox.store.get('jobs.batch', 'backups', out.job) as unknown as StoredJob;
    const cron = s.sandbox.store.get('cronjobs.batch', 'backups', 'immich-db-backup') as unknown as {
      spec: { jobTemplate: { spec: unknown; metadata?: { labels?: Record<string, string> } } };
    };
    expect(job.metadata.annotations?.['cronjob.kubernetes.io/instantiate']).toBe('manual');
    expect(job.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'CronJob', name: 'immich-db-backup', controller: true })]);
    expect(job.metadata.ownerReferences?.[0]?.blockOwnerDeletion).toBeUndefined();
    // The Job controller adds selector labels to the template, as the real one does; the pod spec is the CronJob's.
    type WithPodSpec = { template: { spec: unknown } };
    expect((job.spec as WithPodSpec).template.spec).toEqual((cron.spec.jobTemplate.spec as WithPodSpec).template.spec);
  });
});

describe('backups_trigger while a Job runs', () => {
  let slow: SandboxEnv;
  // Jobs in this sandbox take a minute, so the first is still running when the second is asked for.
  beforeAll(async () => {
    slow = await startSandboxEnv({ delays: { job: 60_000 } });
  });
  afterAll(async () => {
    await slow?.sandbox.stop();
  });

  it('refuses while a Job of that CronJob is still running', async () => {
    const config = await configWith(slow.sandbox, 'allow', { allow: { backupsTrigger: ['backups/*'] } });
    const first = await callOp<Triggered>(slow, 'backups_trigger', { cronJob: 'backups/jellyfin-config-backup', wait: false }, { config });
    expect(first.output.job).toMatch(/^jellyfin-config-backup-manual-/);
    const second = await failure(callOp(slow, 'backups_trigger', { cronJob: 'backups/jellyfin-config-backup' }, { config }));
    expect(second.exitCode).toBe(64);
    expect(second.said).toMatch(/a Job of backups\/jellyfin-config-backup is still running: jellyfin-config-backup-manual-/);
  });
});
