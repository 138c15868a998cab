import { z } from 'zod';
import { DEFAULT_LIMIT, cutFindings, cutList, limitSchema, truncation, truncationShape } from '../shared/bounded.js';
import { defineOp } from '../../core/op.js';
import { namespaceSchema } from '../../core/schemas.js';
import { findingsSchema, summarizeStatus, summaryLineSchema, verdictSchema } from '../shared/findings.js';
import { checkStatus } from '../shared/check.js';
import { backupSchema, backupsCheck } from './backups-check.js';

export default defineOp({
  name: 'backups_status',
  title: 'Backup CronJobs',
  description:
    'Backup CronJobs (found by name, label, tool such as restic, or backups.cronJobs): schedule, last success, last Job. Stale is crit; failed or none, warn.',
  effect: 'read',
  input: z.object({ namespace: namespaceSchema.optional().describe('Only this namespace'), limit: limitSchema() }).strict(),
  output: z.object({
    verdict: verdictSchema,
    summary: summaryLineSchema,
    backups: z.array(backupSchema),
    findings: findingsSchema,
    ...truncationShape,
  }),
  rbac: backupsCheck.rbac,
  timeoutMs: 30_000,
  async run(ctx, input) {
    const report = await backupsCheck.run(ctx, input);
    const { backups } = report.data;
    const status = checkStatus(report, { ok: `${report.scope}, all recent` });
    const worst = report.findings[0];
    // Finding none at all is said as what was looked for.
    const limit = input.limit ?? DEFAULT_LIMIT;
    const state = (b: (typeof backups)[number]) => (b.stale ? 'Stale' : b.lastJob?.state === 'Failed' ? 'Failed' : b.suspended ? 'Suspended' : 'OK');
    const shown = cutList(backups, limit, {
      by: state,
      rank: (b) => (b.stale ? 3 : 0) + (b.lastJob?.state === 'Failed' ? 2 : 0) + (b.suspended ? 1 : 0),
      narrow: 'namespace, limit',
    });
    const findings = cutFindings(status.findings, limit, 'namespace, limit');
    return {
      ...status,
      ...(!backups.length && worst?.reason === 'NoBackups' ? { summary: worst.message } : {}),
      backups: shown.rows,
      findings: findings.rows,
      ...truncation({ backups: shown.cut, findings: findings.cut }),
    };
  },
  summarize: summarizeStatus,
});
