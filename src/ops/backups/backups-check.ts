import { z } from 'zod';
import type { OpContext } from '../../core/op.js';
import { formatAge } from '../../core/schemas.js';
import type { Finding } from '../shared/findings.js';
import type { Check, CheckReport } from '../shared/check.js';
import { plural } from '../shared/format.js';
import { ageMs } from '../shared/k8s.js';
import { Reads } from '../shared/reads.js';
import { CRONJOBS, JOBS, cronJobSchema, indexJobs, jobSchema, jobState, jobsOf, schedulePeriodMs, type CronJob, type Job } from './cronjobs.js';
import { MATCHED_BY, backupMatch, describeMatching, type BackupMatch } from './match.js';
import { compareText } from '../../core/compare.js';

/** A backup is stale when its last success is older than this many schedule periods. */
export const STALE_PERIODS = 2;

export const backupSchema = z.object({
  namespace: z.string(),
  name: z.string(),
  matchedBy: z
    .enum(MATCHED_BY)
    .describe('Why it counts as a backup: listed in config, the match word in its name, a label or its namespace, or a backup tool in its image or command'),
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
export type Backup = z.infer<typeof backupSchema>;

/** The backup CronJobs (by config, name, label, namespace, or the tool they run), each against its own schedule. */
async function checkBackups(ctx: OpContext, params: { namespace?: string }): Promise<CheckReport<{ backups: Backup[] }>> {
  const { namespace } = params;
  const now = ctx.now();
  // Each kind on its own: without Jobs the backups are still listed, their last Job unknown.
  const reads = new Reads(ctx);
  const crons: Array<{ cron: CronJob; match: BackupMatch }> = [];
  const jobs: Job[] = [];
  // Asked together: neither list needs the other.
  const [cronsRead] = await Promise.all([
    reads.list({ ref: { ...CRONJOBS, namespace }, kind: 'CronJob', schema: cronJobSchema }, (cron) => {
      const match = backupMatch(cron, ctx.config.backups);
      if (match) crons.push({ cron, match });
    }),
    reads.list({ ref: { ...JOBS, namespace }, kind: 'Job', schema: jobSchema, impact: 'the last Job of each backup is not shown' }, (job) => jobs.push(job)),
  ]);
  const jobIndex = indexJobs(jobs);
  const backups: Backup[] = [];
  const findings: Finding[] = reads.finish();
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
      lastJob:
        last && lastState ? { name: last.metadata.name, ...lastState, startedAt: last.status.startTime, finishedAt: last.status.completionTime } : undefined,
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
      findings.push({
        ...base,
        severity: 'warn',
        reason: 'JobFailed',
        message: `last Job ${last.metadata.name} failed: ${lastState.reason ?? 'Failed'}${lastState.message ? ` (${lastState.message})` : ''}`,
      });
    }
  }
  if (cronsRead && !crons.length) {
    // A homelab without backups is a problem: nothing found is a warning, saying what was looked for.
    findings.push({
      severity: 'warn',
      kind: 'Check',
      namespace,
      name: 'backups',
      reason: 'NoBackups',
      message: `no backup CronJobs found${namespace ? ` in namespace ${namespace}` : ''} (${describeMatching(ctx.config.backups)})`,
    });
  }
  backups.sort((a, b) => compareText(a.namespace, b.namespace) || compareText(a.name, b.name));
  // CronJobs are always served: a cluster without backup CronJobs gets a NoBackups warning.
  return reads.report({
    installed: true,
    scope: plural(backups.length, 'backup CronJob'),
    findings,
    data: { backups },
    subject: namespace ? { kind: 'Namespace', name: namespace } : undefined,
  });
}

export const backupsCheck: Check<{ namespace?: string }, { backups: Backup[] }> = {
  name: 'backups',
  about: 'backup CronJobs: last success against the schedule, last Job',
  rbac: [
    { apiGroup: 'batch', resource: 'cronjobs', verbs: ['list'] },
    { apiGroup: 'batch', resource: 'jobs', verbs: ['list'] },
  ],
  run: checkBackups,
};
