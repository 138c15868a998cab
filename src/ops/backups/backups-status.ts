import { z } from 'zod';
import { defineOp } from '../../core/op.js';
import { namespaceSchema } from '../../core/schemas.js';
import { findingsSchema, summarizeStatus, summaryLineSchema, verdictSchema } from '../shared/findings.js';
import { checkStatus } from '../shared/check.js';
import { STALE_PERIODS, backupSchema, backupsCheck } from './backups-check.js';

export default defineOp({
  name: 'backups_status',
  title: 'Backup CronJobs',
  description:
    'The CronJobs that are backups (name, a label or the namespace contains "backup" by default; or they run a backup tool: ' +
    'restic, kopia, velero, borg, rclone, k8up, volsync, pgbackrest, pg_dump, mysqldump/mariadb-dump, etcd snapshots, ... ' +
    'by image or command; plus any listed under backups.cronJobs in the config), each with why it counts (matchedBy): schedule, suspended, last schedule, last success and its age compared with the ' +
    `schedule's period (stale when older than ${STALE_PERIODS} periods), and the last Job's outcome and reason. ` +
    'Verdict ok/warn/crit: a failed last Job warns, a stale backup is crit, and finding no backups at all warns.',
  effect: 'read',
  input: z.object({ namespace: namespaceSchema.optional().describe('Only this namespace (default: all)') }).strict(),
  output: z.object({
    verdict: verdictSchema,
    summary: summaryLineSchema,
    backups: z.array(backupSchema),
    findings: findingsSchema,
  }),
  rbac: backupsCheck.rbac,
  timeoutMs: 30_000,
  async run(ctx, input) {
    const report = await backupsCheck.run(ctx, input);
    const { backups } = report.data;
    const status = checkStatus(report, { ok: `${report.scope}, all recent` });
    const worst = report.findings[0];
    // Finding none at all is said as what was looked for.
    return { backups, ...status, ...(!backups.length && worst?.reason === 'NoBackups' ? { summary: worst.message } : {}) };
  },
  summarize: summarizeStatus,
});
