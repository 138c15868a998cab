/**
 * homelab backups through the doors: the tables and exit codes, a trigger as the CLI prints it, and
 * MCP with the same allow-list. What backups_status and backups_trigger answer is tested in process
 * in test/ops/backups/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { byWhatTheyRun, withoutBackups, type Triggered } from '../helpers/backups.js';
import { runCli, runCliProcess } from '../helpers/cli.js';
import { configWith } from '../helpers/config.js';
import { callConfirmed, stdioClient } from '../helpers/mcp.js';
import { startSandboxEnv, type SandboxEnv } from '../helpers/sandbox.js';

describe('homelab backups', () => {
  let s: SandboxEnv;
  beforeAll(async () => {
    s = await startSandboxEnv();
  });
  afterAll(async () => {
    await s?.sandbox.stop();
  });

  it('prints the failed last Job with its reason in the table, exit 2', async () => {
    const table = await runCliProcess(['backups'], s.env);
    expect(table.code).toBe(2);
    expect(table.stdout).toMatch(/backups\s+pihole-teleporter\s+15 4 \* \* \*\s+24h\s+.*Failed \(BackoffLimitExceeded\)/);
  });

  it('says it started the Job, and refuses one outside the allow-list with 77 on stderr', async () => {
    const config = await configWith(s.sandbox, 'allow-backups', { allow: { backupsTrigger: ['backups/*'] } });
    const [started, denied] = await Promise.all([
      runCli(['backups', 'trigger', 'backups/jellyfin-config-backup', '--no-wait', '--yes', '--config', config], s.env),
      runCli(['backups', 'trigger', 'backups/immich-db-backup', '--yes'], s.env),
    ]);
    expect(started.code, started.stderr).toBe(0);
    expect(started.stdout).toMatch(/^started Job backups\/jellyfin-config-backup-manual-/);
    expect(denied.code).toBe(77);
    expect(denied.stderr).toContain('backups/immich-db-backup is not in the allow-list for backupsTrigger (allowed: none)');
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

describe('homelab backups recognised by what they run', () => {
  it('prints why each is a backup, and the stale restic job', async () => {
    const s = await startSandboxEnv({ scenarioData: byWhatTheyRun() });
    try {
      const table = await runCli(['backups'], s.env);
      expect(table.code).toBe(2);
      expect(table.stdout).toMatch(/media\s+nightly\s+0 3 \* \* \*\s+24h\s+9d ago\s+.*Stale\s+image: restic/);
      expect(table.stdout).toMatch(/web\s+db-dump\s+.*command: pg_dump/);
    } finally {
      await s.sandbox.stop();
    }
  });

  it('warns when it finds no backups at all, saying what it looked for, exit 1', async () => {
    const s = await startSandboxEnv({ scenarioData: withoutBackups() });
    try {
      const r = await runCli(['backups'], s.env);
      expect(r.code).toBe(1);
      expect(r.stdout.split('\n')[0]).toBe(
        'WARN no backup CronJobs found (looked for "backup" in CronJob names, labels and namespaces, for backup tools (restic, kopia, velero, borg, rclone, pg_dump, mysqldump, etcd snapshots, ...) in their images and commands)',
      );
    } finally {
      await s.sandbox.stop();
    }
  });
});
