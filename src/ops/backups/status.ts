import { z } from 'zod';
import { defineOp, type OpContext, type RbacRule } from '../../core/op.js';
import { formatAge, namespaceSchema } from '../../core/schemas.js';
import { findingSchema, sortFindings, verdictOf, type Finding, type SubsystemCheck } from '../shared/findings.js';
import { ageMs } from '../shared/k8s.js';
import { Reads } from '../shared/reads.js';
import { CRONJOBS, JOBS, cronJobSchema, indexJobs, jobSchema, jobState, jobsOf, schedulePeriodMs, type CronJob, type Job } from './cronjobs.js';
import { MATCHED_BY, backupMatch, describeMatching, type BackupMatch } from './match.js';

/** A backup is stale when its last success is older than this many schedule periods. */
const STALE_PERIODS = 2;

const backupSchema = z.object({
  namespace: z.string(),
  name: z.string(),
  matchedBy: z.enum(MATCHED_BY).describe('Why it counts as a backup: listed in config, the match word in its name, a label or its namespace, or a backup tool in its image or command'),
  matched: z.string().describe('What matched: the config entry, name, label, namespace, image (and tool) or command word'),
  schedule: z.string(),
  timeZone: z.string().optional(),
  period: z.string().optional().describe('Time between scheduled runs, e.g. 1d'),
  suspended: z.boolean(),
  lastSchedule: z.string().optional(),
  lastSuccess: z.string().optional(),
  lastSuccessAge: z.string().optional().describe('e.g. 9d'),
  stale: z.boolean().describe(`Last success older than ${STALE_PERIODS} periods (or none in that time)`),
  lastJob: z
    .object({
      name: z.string(),
      state: z.enum(['Succeeded', 'Failed', 'Running']),
      reason: z.string().optional(),
      message: z.string().optional(),
      startedAt: z.string().optional(),
      finishedAt: z.string().optional(),
    })
    .optional(),
});
type Backup = z.infer<typeof backupSchema>;

export const backupsStatusRbac: RbacRule[] = [
  { apiGroup: 'batch', resource: 'cronjobs', verbs: ['list'] },
  { apiGroup: 'batch', resource: 'jobs', verbs: ['list'] },
];

async function scanBackups(ctx: OpContext, namespace?: string): Promise<{ backups: Backup[]; findings: Finding[] }> {
  const now = ctx.now();
  // Each kind on its own: without Jobs the backups are still listed, their last Job unknown.
  const reads = new Reads(ctx);
  const crons: Array<{ cron: CronJob; match: BackupMatch }> = [];
  const cronsRead = await reads.list({ ref: { ...CRONJOBS, namespace }, kind: 'CronJob', schema: cronJobSchema }, (cron) => {
    const match = backupMatch(cron, ctx.config.backups);
    if (match) crons.push({ cron, match });
  });
  const jobs: Job[] = [];
  await reads.list({ ref: { ...JOBS, namespace }, kind: 'Job', schema: jobSchema, impact: 'the last Job of each backup is not shown' }, (job) => jobs.push(job));
  const jobIndex = indexJobs(jobs);
  const backups: Backup[] = [];
  const findings: Finding[] = [...reads.finish()];
  for (const { cron, match } of crons) {
    const ns = cron.metadata.namespace ?? '';
    const base = { kind: 'CronJob', namespace: ns, name: cron.metadata.name };
    const period = schedulePeriodMs(cron.spec.schedule, cron.spec.timeZone, now);
    const successAge = ageMs(now, cron.status.lastSuccessfulTime);
    const existedFor = ageMs(now, cron.metadata.creationTimestamp);
    const window = period !== undefined ? period * STALE_PERIODS : undefined;
    const stale = window !== undefined && (successAge !== undefined ? successAge > window : (existedFor ?? 0) > window);
    const last = jobsOf(jobIndex, cron)[0];
    const lastState = last ? jobState(last) : undefined;
    backups.push({
      namespace: ns,
      name: cron.metadata.name,
      matchedBy: match.by,
      matched: match.on,
      schedule: cron.spec.schedule,
      timeZone: cron.spec.timeZone,
      period: period !== undefined ? formatAge(period / 1000) : undefined,
      suspended: cron.spec.suspend === true,
      lastSchedule: cron.status.lastScheduleTime,
      lastSuccess: cron.status.lastSuccessfulTime,
      lastSuccessAge: successAge !== undefined ? formatAge(successAge / 1000) : undefined,
      stale,
      lastJob: last && lastState ? { name: last.metadata.name, ...lastState, startedAt: last.status.startTime, finishedAt: last.status.completionTime } : undefined,
    });
    if (period === undefined) findings.push({ ...base, severity: 'warn', reason: 'BadSchedule', message: `cannot read the schedule "${cron.spec.schedule}"` });
    if (cron.spec.suspend) findings.push({ ...base, severity: 'warn', reason: 'Suspended', message: 'suspended: no backups are being scheduled' });
    if (stale && period !== undefined) {
      findings.push({
        ...base,
        severity: 'crit',
        reason: successAge === undefined ? 'NeverSucceeded' : 'Stale',
        message: `${successAge === undefined ? 'no successful run recorded' : `last success ${formatAge((successAge ?? 0) / 1000)} ago`}; it runs every ${formatAge(period / 1000)} (stale after ${formatAge((window ?? 0) / 1000)})`,
      });
    }
    if (lastState?.state === 'Failed' && last) {
      findings.push({ ...base, severity: 'warn', reason: 'JobFailed', message: `last Job ${last.metadata.name} failed: ${lastState.reason ?? 'Failed'}${lastState.message ? ` (${lastState.message})` : ''}` });
    }
  }
  if (cronsRead && !crons.length) {
    // A homelab without backups is a problem: nothing found is a warning, saying what was looked for.
    findings.push({ severity: 'warn', kind: 'Check', namespace, name: 'backups', reason: 'NoBackups', message: `no backup CronJobs found${namespace ? ` in namespace ${namespace}` : ''} (${describeMatching(ctx.config.backups)})` });
  }
  backups.sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name));
  return { backups, findings: sortFindings(findings) };
}

export const backupsCheck: SubsystemCheck = {
  rbac: backupsStatusRbac,
  name: 'backups',
  async check(ctx) {
    const { backups, findings } = await scanBackups(ctx);
    // CronJobs are always served: a cluster without backup CronJobs gets a NoBackups warning.
    return { served: true, scope: `${backups.length} backup CronJob${backups.length === 1 ? '' : 's'}`, findings };
  },
};

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
    verdict: z.enum(['ok', 'warn', 'crit']),
    summary: z.string(),
    backups: z.array(backupSchema),
    findings: z.array(findingSchema),
  }),
  rbac: backupsStatusRbac,
  timeoutMs: 30_000,
  async run(ctx, input) {
    const { backups, findings } = await scanBackups(ctx, input.namespace);
    const verdict = verdictOf(findings);
    const worst = findings[0];
    const summary = !backups.length && worst?.reason === 'NoBackups'
      ? worst.message
      : worst
        ? `${findings.length} problem${findings.length === 1 ? '' : 's'} in ${backups.length} backups; worst: ${worst.namespace ? `${worst.namespace}/` : ''}${worst.name} ${worst.reason}: ${worst.message}`
        : `${backups.length} backups, all recent`;
    return { verdict, summary, backups, findings };
  },
  summarize: (out) => ({ verdict: out.verdict, line: out.summary }),
});
