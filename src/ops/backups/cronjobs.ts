import { Cron } from 'croner';
import { z } from 'zod';
import type { OpContext } from '../../core/op.js';
import { listAll } from '../../core/ports/kube.js';
import { conditionSchema, metadataSchema, parseObject } from '../shared/k8s.js';
import { compareText } from '../../core/compare.js';

export const CRONJOBS = { group: 'batch', version: 'v1', resource: 'cronjobs' } as const;
export const JOBS = { group: 'batch', version: 'v1', resource: 'jobs' } as const;

export const cronJobSchema = z.looseObject({
  metadata: metadataSchema.extend({ uid: z.string().optional() }),
  spec: z.looseObject({
    schedule: z.string(),
    timeZone: z.string().optional(),
    suspend: z.boolean().optional(),
    jobTemplate: z.looseObject({
      metadata: z.looseObject({ labels: z.record(z.string(), z.string()).optional(), annotations: z.record(z.string(), z.string()).optional() }).optional(),
      spec: z.record(z.string(), z.unknown()),
    }),
  }),
  status: z
    .looseObject({
      lastScheduleTime: z.string().optional(),
      lastSuccessfulTime: z.string().optional(),
      active: z.array(z.looseObject({ name: z.string() })).optional(),
    })
    .default({}),
});
export type CronJob = z.infer<typeof cronJobSchema>;

export const jobSchema = z.looseObject({
  metadata: metadataSchema.extend({ ownerReferences: z.array(z.looseObject({ kind: z.string(), name: z.string(), uid: z.string().optional() })).optional() }),
  status: z
    .looseObject({
      startTime: z.string().optional(),
      completionTime: z.string().optional(),
      active: z.number().optional(),
      succeeded: z.number().optional(),
      failed: z.number().optional(),
      conditions: z.array(conditionSchema).optional(),
    })
    .default({}),
});
export type Job = z.infer<typeof jobSchema>;

export type JobState = 'Succeeded' | 'Failed' | 'Running';

/** A Job is finished when it has a Complete or Failed condition that is True; until then it runs. */
export function jobState(job: Job): { state: JobState; reason?: string; message?: string } {
  const conditions = job.status.conditions ?? [];
  const failed = conditions.find((c) => (c.type === 'Failed' || c.type === 'FailureTarget') && c.status === 'True');
  if (failed) return { state: 'Failed', reason: failed.reason, message: failed.message };
  if (conditions.some((c) => (c.type === 'Complete' || c.type === 'SuccessCriteriaMet') && c.status === 'True')) return { state: 'Succeeded' };
  return { state: 'Running' };
}

/** Jobs by the uid (or, lacking one, the name) of the CronJob that owns them, newest first. */
export async function jobsByCronJob(ctx: OpContext, namespace?: string): Promise<Map<string, Job[]>> {
  return indexJobs((await listAll(ctx.kube, { ...JOBS, namespace })).map((raw) => parseObject(jobSchema, raw, 'Job')));
}

/** Indexes Jobs by their owning CronJob (see jobsOf), newest first. */
export function indexJobs(jobs: readonly Job[]): Map<string, Job[]> {
  const byOwner = new Map<string, Job[]>();
  for (const job of jobs) {
    const owner = job.metadata.ownerReferences?.find((o) => o.kind === 'CronJob');
    if (!owner) continue;
    const key = owner.uid ?? `${job.metadata.namespace}/${owner.name}`;
    byOwner.set(key, [...(byOwner.get(key) ?? []), job]);
  }
  for (const jobs of byOwner.values()) jobs.sort((a, b) => compareText(b.metadata.creationTimestamp ?? '', a.metadata.creationTimestamp ?? ''));
  return byOwner;
}

export function jobsOf(index: Map<string, Job[]>, cron: CronJob): Job[] {
  return index.get(cron.metadata.uid ?? '') ?? index.get(`${cron.metadata.namespace}/${cron.metadata.name}`) ?? [];
}

/**
 * The time between two runs of a schedule, read the way the CronJob controller does (5 fields,
 * @hourly-style macros, spec.timeZone or a CRON_TZ= prefix). undefined when it cannot be read.
 */
export function schedulePeriodMs(schedule: string, timeZone: string | undefined, now: Date): number | undefined {
  let expr = schedule.trim();
  let tz = timeZone;
  const prefix = /^(CRON_TZ|TZ)=(\S+)\s+(.*)$/.exec(expr);
  if (prefix) {
    tz = prefix[2];
    expr = prefix[3] ?? '';
  }
  try {
    const cron = new Cron(expr, { paused: true, timezone: tz ?? 'UTC' });
    const first = cron.nextRun(now);
    const second = first ? cron.nextRun(first) : null;
    return first && second ? second.getTime() - first.getTime() : undefined;
  } catch {
    return undefined;
  }
}
