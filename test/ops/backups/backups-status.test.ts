import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { byWhatTheyRun, withoutBackups, type Backups } from '../../helpers/backups.js';
import { configWith } from '../../helpers/config.js';
import { callOp } from '../../helpers/ops.js';
import { startSandboxEnv, type SandboxEnv } from '../../helpers/sandbox.js';

interface Health {
  verdict: string;
  subsystems: Array<{ name: string; state: string; verdict: string; line: string }>;
}
const backups = (s: SandboxEnv, config?: string) => callOp<Backups>(s, 'backups_status', {}, { config });
const healthLine = async (s: SandboxEnv) => (await callOp<Health>(s, 'cluster_health')).output;

describe('backups_status on the pi-homelab', () => {
  let s: SandboxEnv;
  beforeAll(async () => {
    s = await startSandboxEnv();
  });
  afterAll(async () => {
    await s?.sandbox.stop();
  });

  it('finds the backup CronJobs by name, label and namespace, and leaves the others out', async () => {
    const { output: out } = await backups(s);
    const names = out.backups.map((b) => `${b.namespace}/${b.name}`);
    expect(names).toEqual(expect.arrayContaining(['backups/immich-db-backup', 'backups/pihole-teleporter', 'paperless/paperless-export']));
    expect(names).not.toContain('media/recyclarr');
    expect(out.backups.find((b) => b.name === 'immich-db-backup')).toMatchObject({
      matchedBy: 'name',
      matched: 'immich-db-backup',
      period: '24h',
      stale: false,
    });
    expect(out.backups.find((b) => b.name === 'paperless-export')?.matchedBy).toBe('label');
    expect(out.backups.find((b) => b.name === 'pihole-teleporter')).toMatchObject({ matchedBy: 'namespace', matched: 'backups' });
  });

  it('reports the failed last Job with its reason, and the stale suspended backup as crit', async () => {
    const { output: out, summary } = await backups(s);
    expect(summary?.verdict).toBe('crit');
    expect(out.backups.find((b) => b.name === 'pihole-teleporter')?.lastJob).toMatchObject({ state: 'Failed', reason: 'BackoffLimitExceeded' });
    expect(out.findings).toContainEqual(
      expect.objectContaining({
        namespace: 'backups',
        name: 'pihole-teleporter',
        reason: 'JobFailed',
        severity: 'warn',
        message: expect.stringContaining('BackoffLimitExceeded'),
      }),
    );
    expect(out.findings).toContainEqual(
      expect.objectContaining({
        namespace: 'paperless',
        name: 'paperless-export',
        reason: 'Stale',
        severity: 'crit',
        message: expect.stringMatching(/last success \d+d ago; it runs every 24h \(stale after 2d\)/),
      }),
    );
    expect(out.findings).toContainEqual(expect.objectContaining({ name: 'paperless-export', reason: 'Suspended' }));
  });

  it('is summarised in cluster_health', async () => {
    expect((await healthLine(s)).subsystems.find((x) => x.name === 'backups')).toMatchObject({
      verdict: 'crit',
      line: expect.stringMatching(/^backups: \d+ problems in \d+ backup CronJobs; worst: CronJob paperless\/paperless-export Stale/),
    });
  });
});

describe('backups_status recognising backups by what they run', () => {
  let s: SandboxEnv;
  beforeAll(async () => {
    s = await startSandboxEnv({ scenarioData: byWhatTheyRun() });
  });
  afterAll(async () => {
    await s?.sandbox.stop();
  });

  it('finds restic, pg_dump, etcd snapshots and rclone by image or command, says why, and flags the restic job failing for 9 days (crit)', async () => {
    const { output: out, summary } = await backups(s);
    expect(summary?.verdict).toBe('crit');
    expect(out.backups.map((b) => [`${b.namespace}/${b.name}`, b.matchedBy, b.matched])).toEqual([
      ['kube-system/etcd-snap', 'command', 'etcd-snapshot'],
      ['media/nightly', 'image', 'ghcr.io/restic/restic:0.17.3 (restic)'],
      ['photos/offsite', 'image', 'docker.io/rclone/rclone:1.68 (rclone)'],
      ['web/db-dump', 'command', 'pg_dump'],
    ]);
    expect(
      out.findings
        .filter((f) => f.name === 'nightly')
        .map((f) => `${f.severity} ${f.reason}`)
        .sort(),
    ).toEqual(['crit Stale', 'warn JobFailed']);
    expect(out.findings.find((f) => f.name === 'nightly' && f.reason === 'Stale')?.message).toMatch(/^last success 9d ago; it runs every 24h/);
  });

  it('is summarised in cluster_health, naming the stale restic job', async () => {
    expect((await healthLine(s)).subsystems.find((x) => x.name === 'backups')).toMatchObject({
      verdict: 'crit',
      line: expect.stringMatching(/^backups: 2 problems in 4 backup CronJobs; worst: CronJob media\/nightly Stale/),
    });
  });

  it('keeps backups.match and backups.cronJobs from the config working', async () => {
    const { output: out } = await backups(s, await configWith(s.sandbox, 'match', { backups: { match: 'recycl', cronJobs: ['web/report'] } }));
    expect(out.backups.find((b) => b.name === 'recyclarr')).toMatchObject({ matchedBy: 'name', matched: 'recyclarr' });
    expect(out.backups.find((b) => b.name === 'report')).toMatchObject({ matchedBy: 'config', matched: 'web/report' });
  });
});

describe('backups_status elsewhere', () => {
  it('reports the backups it could read when Jobs are refused, and names the missing verb', async () => {
    // Was exit 69 with nothing shown.
    const limited = await startSandboxEnv({ scenarioData: byWhatTheyRun(), rbac: [{ apiGroups: ['batch'], resources: ['cronjobs'], verbs: ['list'] }] });
    try {
      const { output: out, summary } = await backups(limited);
      expect(summary?.verdict).toBe('crit');
      expect(out.backups.map((b) => b.name)).toEqual(['etcd-snap', 'nightly', 'offsite', 'db-dump']);
      expect(out.backups.every((b) => b.lastJob === undefined)).toBe(true);
      // The CronJob's own status still says the restic job is stale.
      expect(out.findings).toContainEqual(expect.objectContaining({ severity: 'crit', name: 'nightly', reason: 'Stale' }));
      expect(out.findings).toContainEqual({
        severity: 'warn',
        kind: 'Check',
        name: 'jobs.batch',
        reason: 'Forbidden',
        message: 'forbidden: needs `list` on jobs.batch across the cluster; the last Job of each backup is not shown',
      });
    } finally {
      await limited.sandbox.stop();
    }
  });

  it('reads a small cluster without any operator CRDs', async () => {
    const s = await startSandboxEnv({ scenario: 'no-flux' });
    try {
      expect((await backups(s)).output.backups.map((b) => b.name)).toEqual(['mariadb-backup']);
    } finally {
      await s.sandbox.stop();
    }
  });

  it('warns when it finds no backups at all, saying what it looked for (a homelab without backups is a problem)', async () => {
    // Was "OK no backup CronJobs found", exit 0.
    const s = await startSandboxEnv({ scenarioData: withoutBackups() });
    try {
      const { output: out, summary } = await backups(s);
      expect(summary).toEqual({
        verdict: 'warn',
        line: 'no backup CronJobs found (looked for "backup" in CronJob names, labels and namespaces, for backup tools (restic, kopia, velero, borg, rclone, pg_dump, mysqldump, etcd snapshots, ...) in their images and commands)',
      });
      expect(out.findings).toEqual([expect.objectContaining({ severity: 'warn', kind: 'Check', name: 'backups', reason: 'NoBackups' })]);
      const health = (await callOp<Health>(s, 'cluster_health')).output;
      expect(health.subsystems.find((x) => x.name === 'backups')).toMatchObject({
        state: 'checked',
        verdict: 'warn',
        line: expect.stringContaining('NoBackups: no backup CronJobs found'),
      });
      expect(health.verdict).toBe('warn');
    } finally {
      await s.sandbox.stop();
    }
  });
});
