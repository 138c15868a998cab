import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { configWith } from '../helpers/config.js';
import { callConfirmed, stdioClient } from '../helpers/mcp.js';
import { startSandboxEnv, type SandboxEnv } from '../helpers/sandbox.js';
import type { Scenario } from '@homelab/sandbox';

interface Finding { severity: string; kind: string; namespace?: string; name: string; reason: string; message: string }
interface Backups {
  verdict: string;
  summary: string;
  backups: Array<{ namespace: string; name: string; matchedBy: string; matched: string; period?: string; stale: boolean; suspended: boolean; lastJob?: { name: string; state: string; reason?: string } }>;
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
    expect(out.backups.find((b) => b.name === 'immich-db-backup')).toMatchObject({ matchedBy: 'name', matched: 'immich-db-backup', period: '24h', stale: false });
    expect(out.backups.find((b) => b.name === 'paperless-export')?.matchedBy).toBe('label');
    expect(out.backups.find((b) => b.name === 'pihole-teleporter')).toMatchObject({ matchedBy: 'namespace', matched: 'backups' });
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
    const r = await runCli(['backups', 'trigger', 'backups/immich-db-backup', '--yes', '--json', '--config', config], s.env);
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
      const first = await runCli(['backups', 'trigger', 'backups/jellyfin-config-backup', '--no-wait', '--yes', '--config', slowConfig], slow.env);
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
      const ok = await callConfirmed(mcp.client, 'backups_trigger', { cronJob: 'backups/restic-prune' });
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

/** CronJobs whose names say nothing: what they run makes them backups, or not. */
function byWhatTheyRun(): Scenario {
  const cron = (namespace: string, name: string, container: { image: string; command?: string[]; args?: string[] }, jobs: Array<{ started: string; succeeded?: boolean }>) => ({
    kind: 'CronJob' as const, name, namespace, created: '-60d', schedule: '0 3 * * *',
    containers: [{ name: 'main', ...container }],
    jobs: jobs.map((j) => ({ duration: '2m', ...j })),
  });
  return {
    name: 'backups-by-what-they-run',
    nodes: [{ name: 'nuc', roles: ['control-plane'], ip: '192.0.2.50', cpu: '4', memory: '16Gi', arch: 'amd64' }],
    namespaces: [{ name: 'media' }, { name: 'web' }, { name: 'kube-system' }, { name: 'photos' }],
    workloads: [
      // A nightly restic job that has failed for 9 days.
      cron('media', 'nightly', { image: 'ghcr.io/restic/restic:0.17.3', args: ['backup', '/data'] }, [{ started: '-9d3h' }, { started: '-1d3h', succeeded: false }]),
      cron('web', 'db-dump', { image: 'postgres:16.4', command: ['/bin/sh', '-c', 'pg_dump -h db app | gzip > /dump/app.sql.gz'] }, [{ started: '-21h' }]),
      cron('kube-system', 'etcd-snap', { image: 'rancher/k3s:v1.31.4-k3s1', command: ['k3s', 'etcd-snapshot', 'save', '--name', 'nightly'] }, [{ started: '-21h' }]),
      cron('photos', 'offsite', { image: 'docker.io/rclone/rclone:1.68', args: ['sync', '/photos', 'b2:photos'] }, [{ started: '-21h' }]),
      // Not backups, whatever a loose match would say.
      cron('media', 'recyclarr', { image: 'ghcr.io/recyclarr/recyclarr:7.2', command: ['recyclarr', 'sync'] }, [{ started: '-21h' }]),
      cron('web', 'report', { image: 'ghcr.io/example/cyborg:1.0', command: ['cyborg', '--report', '/tmp/restic-notes.txt'] }, [{ started: '-21h' }]),
    ],
  };
}

describe('homelab backups recognised by what they run', () => {
  let s: SandboxEnv;
  beforeAll(async () => { s = await startSandboxEnv({ scenarioData: byWhatTheyRun() }); });
  afterAll(async () => { await s?.sandbox.stop(); });

  it('finds restic, pg_dump, etcd snapshots and rclone by image or command, says why, and flags the restic job failing for 9 days', async () => {
    const r = await runCli(['backups', '--json'], s.env);
    expect(r.code).toBe(2);
    const out = json<Backups>(r.stdout);
    expect(out.backups.map((b) => [`${b.namespace}/${b.name}`, b.matchedBy, b.matched])).toEqual([
      ['kube-system/etcd-snap', 'command', 'etcd-snapshot'],
      ['media/nightly', 'image', 'ghcr.io/restic/restic:0.17.3 (restic)'],
      ['photos/offsite', 'image', 'docker.io/rclone/rclone:1.68 (rclone)'],
      ['web/db-dump', 'command', 'pg_dump'],
    ]);
    expect(out.findings.filter((f) => f.name === 'nightly').map((f) => `${f.severity} ${f.reason}`).sort()).toEqual(['crit Stale', 'warn JobFailed']);
    expect(out.findings.find((f) => f.name === 'nightly' && f.reason === 'Stale')?.message).toMatch(/^last success 9d ago; it runs every 24h/);
    const table = await runCli(['backups'], s.env);
    expect(table.stdout).toMatch(/media\s+nightly\s+0 3 \* \* \*\s+24h\s+9d ago\s+.*Stale\s+image: restic/);
    expect(table.stdout).toMatch(/web\s+db-dump\s+.*command: pg_dump/);
  });

  it('is summarised in homelab health, naming the stale restic job', async () => {
    const out = json<{ subsystems: Array<{ name: string; verdict: string; line: string }> }>((await runCli(['health', '--json'], s.env)).stdout);
    expect(out.subsystems.find((x) => x.name === 'backups')).toMatchObject({ verdict: 'crit', line: expect.stringMatching(/^backups: 2 problems in 4 backup CronJobs; worst: CronJob media\/nightly Stale/) });
  });

  it('keeps backups.match and backups.cronJobs from the config working', async () => {
    const config = await configWith(s.sandbox, 'match', { backups: { match: 'recycl', cronJobs: ['web/report'] } });
    const out = json<Backups>((await runCli(['backups', '--json', '--config', config], s.env)).stdout);
    expect(out.backups.find((b) => b.name === 'recyclarr')).toMatchObject({ matchedBy: 'name', matched: 'recyclarr' });
    expect(out.backups.find((b) => b.name === 'report')).toMatchObject({ matchedBy: 'config', matched: 'web/report' });
  });

  it('reports the backups it could read when Jobs are refused, and names the missing verb', async () => {
    // Was exit 69 with nothing shown.
    const limited = await startSandboxEnv({ scenarioData: byWhatTheyRun(), rbac: [{ apiGroups: ['batch'], resources: ['cronjobs'], verbs: ['list'] }] });
    try {
      const r = await runCli(['backups', '--json'], limited.env);
      expect(r.code).toBe(2);
      const out = json<Backups>(r.stdout);
      expect(out.backups.map((b) => b.name)).toEqual(['etcd-snap', 'nightly', 'offsite', 'db-dump']);
      expect(out.backups.every((b) => b.lastJob === undefined)).toBe(true);
      // The CronJob's own status still says the restic job is stale.
      expect(out.findings).toContainEqual(expect.objectContaining({ severity: 'crit', name: 'nightly', reason: 'Stale' }));
      expect(out.findings).toContainEqual({
        severity: 'warn', kind: 'Check', name: 'jobs.batch', reason: 'Forbidden',
        message: 'forbidden: needs `list` on jobs.batch across the cluster; the last Job of each backup is not shown',
      });
    } finally {
      await limited.sandbox.stop();
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

  it('warns when it finds no backups at all, saying what it looked for (a homelab without backups is a problem)', async () => {
    // Was "OK no backup CronJobs found", exit 0.
    const s = await startSandboxEnv({ scenarioData: { ...byWhatTheyRun(), workloads: byWhatTheyRun().workloads?.filter((w) => w.name === 'recyclarr') } });
    try {
      const r = await runCli(['backups'], s.env);
      expect(r.code).toBe(1);
      expect(r.stdout.split('\n')[0]).toBe(
        'WARN no backup CronJobs found (looked for "backup" in CronJob names, labels and namespaces, for backup tools (restic, kopia, velero, borg, rclone, pg_dump, mysqldump, etcd snapshots, ...) in their images and commands)',
      );
      const out = json<Backups>((await runCli(['backups', '--json'], s.env)).stdout);
      expect(out.findings).toEqual([expect.objectContaining({ severity: 'warn', kind: 'Check', name: 'backups', reason: 'NoBackups' })]);
      const health = json<{ verdict: string; subsystems: Array<{ name: string; state: string; verdict: string; line: string }> }>((await runCli(['health', '--json'], s.env)).stdout);
      expect(health.subsystems.find((x) => x.name === 'backups')).toMatchObject({ state: 'checked', verdict: 'warn', line: expect.stringContaining('NoBackups: no backup CronJobs found') });
      expect(health.verdict).toBe('warn');
    } finally {
      await s.sandbox.stop();
    }
  });
});
