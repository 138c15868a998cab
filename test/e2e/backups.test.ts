import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { configWith } from '../helpers/config.js';
import { stdioClient } from '../helpers/mcp.js';
import { startSandboxEnv, type SandboxEnv } from '../helpers/sandbox.js';

interface Finding { severity: string; kind: string; namespace?: string; name: string; reason: string; message: string }
interface Backups {
  verdict: string;
  summary: string;
  backups: Array<{ namespace: string; name: string; why: string; period?: string; stale: boolean; suspended: boolean; lastJob?: { name: string; state: string; reason?: string } }>;
  findings: Finding[];
}
interface Triggered { namespace: string; cronJob: string; job: string; state: string }
interface StoredJob { metadata: { name: string; annotations?: Record<string, string>; labels?: Record<string, string>; ownerReferences?: Array<{ kind: string; name: string; controller?: boolean; blockOwnerDeletion?: boolean }> }; spec: unknown }

const json = <T>(stdout: string) => JSON.parse(stdout) as T;

describe('homelab backups', () => {
  let s: SandboxEnv;
  beforeAll(async () => { s = await startSandboxEnv(); });
  afterAll(async () => { await s?.sandbox.stop(); });

  it('finds the backup CronJobs by name, label and namespace, and leaves the others out', async () => {
    const r = await runCli(['backups', '--json'], s.env);
    const out = json<Backups>(r.stdout);
    const names = out.backups.map((b) => `${b.namespace}/${b.name}`);
    expect(names).toEqual(expect.arrayContaining(['backups/immich-db-backup', 'backups/pihole-teleporter', 'paperless/paperless-export']));
    expect(names).not.toContain('media/recyclarr');
    expect(out.backups.find((b) => b.name === 'immich-db-backup')).toMatchObject({ why: 'name', period: '24h', stale: false });
    expect(out.backups.find((b) => b.name === 'paperless-export')?.why).toBe('label');
    expect(out.backups.find((b) => b.name === 'pihole-teleporter')?.why).toBe('namespace');
  });

  it('reports the failed last Job with its reason, and the stale suspended backup as crit (exit 2)', async () => {
    const r = await runCli(['backups', '--json'], s.env);
    expect(r.code).toBe(2);
    const out = json<Backups>(r.stdout);
    expect(out.backups.find((b) => b.name === 'pihole-teleporter')?.lastJob).toMatchObject({ state: 'Failed', reason: 'BackoffLimitExceeded' });
    expect(out.findings).toContainEqual(expect.objectContaining({ namespace: 'backups', name: 'pihole-teleporter', reason: 'JobFailed', severity: 'warn', message: expect.stringContaining('BackoffLimitExceeded') }));
    expect(out.findings).toContainEqual(expect.objectContaining({ namespace: 'paperless', name: 'paperless-export', reason: 'Stale', severity: 'crit', message: expect.stringMatching(/last success \d+d ago; it runs every 24h \(stale after 2d\)/) }));
    expect(out.findings).toContainEqual(expect.objectContaining({ name: 'paperless-export', reason: 'Suspended' }));
    const table = await runCli(['backups'], s.env);
    expect(table.stdout).toMatch(/backups\s+pihole-teleporter\s+15 4 \* \* \*\s+24h\s+.*Failed \(BackoffLimitExceeded\)/);
  });

  it('is summarised in homelab health', async () => {
    const out = json<{ subsystems: Array<{ name: string; verdict: string; line: string }> }>((await runCli(['health', '--json'], s.env)).stdout);
    expect(out.subsystems.find((x) => x.name === 'backups')).toMatchObject({ verdict: 'crit', line: expect.stringMatching(/^backups: \d+ problems in \d+ backup CronJobs; worst: CronJob paperless\/paperless-export Stale/) });
  });

  it('refuses to trigger a CronJob that is not allow-listed (the default allows none)', async () => {
    const r = await runCli(['backups', 'trigger', 'backups/immich-db-backup', '--yes'], s.env);
    expect(r.code).toBe(77);
    expect(r.stderr).toContain('backups/immich-db-backup is not in the allow-list for backupsTrigger (allowed: none)');
  });

  it('creates the Job exactly as kubectl create job --from=cronjob does, and waits for it', async () => {
    const config = await configWith(s.sandbox, 'allow-backups', { allow: { backupsTrigger: ['backups/*'] } });
    const r = await runCli(['backups', 'trigger', 'backups/immich-db-backup', '--wait', '--yes', '--json', '--config', config], s.env);
    expect(r.stderr).toContain('waiting for Job');
    expect(r.code).toBe(0);
    const out = json<Triggered>(r.stdout);
    expect(out).toMatchObject({ namespace: 'backups', cronJob: 'immich-db-backup', state: 'Succeeded' });
    expect(out.job).toMatch(/^immich-db-backup-manual-[0-9a-z]+$/);
    const job = s.sandbox.store.get('jobs.batch', 'backups', out.job) as unknown as StoredJob;
    const cron = s.sandbox.store.get('cronjobs.batch', 'backups', 'immich-db-backup') as unknown as { spec: { jobTemplate: { spec: unknown; metadata?: { labels?: Record<string, string> } } } };
    expect(job.metadata.annotations?.['cronjob.kubernetes.io/instantiate']).toBe('manual');
    expect(job.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'CronJob', name: 'immich-db-backup', controller: true })]);
    expect(job.metadata.ownerReferences?.[0]?.blockOwnerDeletion).toBeUndefined();
    // The Job controller adds selector labels to the template, as the real one does; the pod spec is the CronJob's.
    type WithPodSpec = { template: { spec: unknown } };
    expect((job.spec as WithPodSpec).template.spec).toEqual((cron.spec.jobTemplate.spec as WithPodSpec).template.spec);
  });

  it('refuses while a Job of that CronJob is still running', async () => {
    // Jobs in this sandbox take a minute, so the first is still running when the second is asked for.
    const slow = await startSandboxEnv({ delays: { job: 60_000 } });
    try {
      const slowConfig = await configWith(slow.sandbox, 'allow', { allow: { backupsTrigger: ['backups/*'] } });
      const first = await runCli(['backups', 'trigger', 'backups/jellyfin-config-backup', '--yes', '--config', slowConfig], slow.env);
      expect(first.code).toBe(0);
      expect(first.stdout).toMatch(/^started Job backups\/jellyfin-config-backup-manual-/);
      const second = await runCli(['backups', 'trigger', 'backups/jellyfin-config-backup', '--yes', '--config', slowConfig], slow.env);
      expect(second.code).toBe(64);
      expect(second.stderr).toMatch(/a Job of backups\/jellyfin-config-backup is still running: jellyfin-config-backup-manual-/);
    } finally {
      await slow.sandbox.stop();
    }
  });

  it('triggers over MCP with the same allow-list', async () => {
    const config = await configWith(s.sandbox, 'allow-mcp', { allow: { backupsTrigger: ['backups/restic-prune'] } });
    const mcp = await stdioClient(s.env, ['--config', config]);
    try {
      const ok = await mcp.client.callTool({ name: 'backups_trigger', arguments: { cronJob: 'backups/restic-prune' } });
      expect(ok.isError).toBeFalsy();
      expect((ok.structuredContent as Triggered).job).toMatch(/^restic-prune-manual-/);
      const denied = await mcp.client.callTool({ name: 'backups_trigger', arguments: { cronJob: 'backups/immich-db-backup' } });
      expect(denied.isError).toBe(true);
      expect((denied.content as Array<{ text: string }>)[0]?.text).toContain('not in the allow-list for backupsTrigger (allowed: backups/restic-prune)');
    } finally {
      await mcp.close();
    }
  });
});

describe('homelab backups elsewhere', () => {
  it('reads a small cluster without any operator CRDs', async () => {
    const s = await startSandboxEnv({ scenario: 'no-flux' });
    try {
      const out = json<Backups>((await runCli(['backups', '--json'], s.env)).stdout);
      expect(out.backups.map((b) => b.name)).toEqual(['mariadb-backup']);
    } finally {
      await s.sandbox.stop();
    }
  });
});
