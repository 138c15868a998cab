import { z } from 'zod';
import { defineOp } from '../../core/op.js';
import { UserError } from '../../core/errors.js';
import { formatAge, namespacedNameSchema, parseDuration, splitNamespacedName } from '../../core/schemas.js';
import { ageMs, parseObject } from '../shared/k8s.js';
import { pollUntil } from '../shared/wait.js';
import { commandLine } from '../shared/fix.js';
import { CRONJOBS, JOBS, cronJobSchema, jobSchema, jobState, jobsByCronJob, jobsOf, type CronJob } from './cronjobs.js';

/** Job names are label values: at most 63 characters. */
const MAX_NAME = 63;

/** `<cronjob>-manual-<base36 seconds>`: unique per second, recognisable, within 63 characters. */
function manualJobName(cron: string, now: Date): string {
  const suffix = `-manual-${Math.floor(now.getTime() / 1000).toString(36)}`;
  return `${cron.slice(0, MAX_NAME - suffix.length).replace(/[-.]+$/, '')}${suffix}`;
}

/**
 * The Job `kubectl create job --from=cronjob/NAME` builds: the template's spec and labels, its
 * annotations plus cronjob.kubernetes.io/instantiate=manual, and the CronJob as controller owner
 * (without blockOwnerDeletion, which would need update on cronjobs/finalizers).
 */
export function jobFromCronJob(cron: CronJob, name: string) {
  const template = cron.spec.jobTemplate;
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name,
      namespace: cron.metadata.namespace,
      annotations: { 'cronjob.kubernetes.io/instantiate': 'manual', ...template.metadata?.annotations },
      ...(template.metadata?.labels ? { labels: template.metadata.labels } : {}),
      ownerReferences: [{ apiVersion: 'batch/v1', kind: 'CronJob', name: cron.metadata.name, uid: cron.metadata.uid ?? '', controller: true }],
    },
    spec: template.spec,
  };
}

export default defineOp({
  name: 'backups_trigger',
  title: 'Run a backup now',
  description:
    'Run a backup now: a Job from its CronJob, as `kubectl create job --from=cronjob/NAME`. Only CronJobs in ' +
    'allow.backupsTrigger; refused while one runs. Returns the Job, with wait=true its outcome.',
  effect: 'write',
  input: z
    .object({
      cronJob: namespacedNameSchema.describe('The backup CronJob as NAMESPACE/NAME'),
      wait: z.boolean().default(false).describe('Wait for the Job to finish and report how it went'),
      timeout: z
        .string()
        .refine((s) => { const secs = parseDuration(s); return secs !== undefined && secs >= 1 && secs <= 29 * 60; }, 'must be a duration from 1s to 29m')
        .default('15m')
        .describe('How long to wait with --wait'),
    })
    .strict(),
  output: z.object({
    namespace: z.string(),
    cronJob: z.string(),
    job: z.string().describe('Name of the Job created'),
    createdAt: z.string(),
    state: z.enum(['Succeeded', 'Failed', 'Running']).describe('Running unless wait=true'),
    reason: z.string().optional(),
    message: z.string().optional(),
  }),
  args: ['cronJob'],
  hints: { destructive: false, idempotent: false },
  guard: { list: 'backupsTrigger', target: (input) => input.cronJob },
  rbac: [
    { apiGroup: 'batch', resource: 'cronjobs', verbs: ['get'] },
    { apiGroup: 'batch', resource: 'jobs', verbs: ['list', 'create', 'get'] },
  ],
  timeoutMs: 30 * 60_000,
  async run(ctx, input) {
    const { namespace, name } = splitNamespacedName(input.cronJob);
    const cron = parseObject(cronJobSchema, await ctx.kube.get({ ...CRONJOBS, namespace }, name), 'CronJob');
    const running = jobsOf(await jobsByCronJob(ctx, namespace), cron).filter((job) => jobState(job).state === 'Running');
    if (running.length) {
      const job = running[0];
      const since = ageMs(ctx.now(), job?.status.startTime ?? job?.metadata.creationTimestamp);
      throw new UserError(`a Job of ${input.cronJob} is still running: ${job?.metadata.name}${since !== undefined ? ` (started ${formatAge(since / 1000)} ago)` : ''}`, {
        hint: `wait for it to finish (${commandLine('backups_status', { namespace })}) before starting another`,
      });
    }
    const jobName = manualJobName(name, ctx.now());
    ctx.log.progress(`► creating Job ${namespace}/${jobName} from CronJob ${name}`);
    const created = parseObject(jobSchema, await ctx.kube.create({ ...JOBS, namespace }, jobFromCronJob(cron, jobName)), 'Job');
    const result = { namespace, cronJob: name, job: created.metadata.name, createdAt: created.metadata.creationTimestamp ?? ctx.now().toISOString() };
    if (!input.wait) return { ...result, state: 'Running' as const };
    ctx.log.progress(`◎ waiting for Job ${jobName} to finish`);
    const finished = await pollUntil(
      async () => {
        const job = parseObject(jobSchema, await ctx.kube.get({ ...JOBS, namespace }, jobName), 'Job');
        const state = jobState(job);
        return state.state === 'Running' ? undefined : state;
      },
      { timeoutMs: (parseDuration(input.timeout) ?? 900) * 1000, intervalMs: 1000, signal: ctx.signal, describe: () => `Job ${namespace}/${jobName} did not finish within ${input.timeout} (it keeps running)` },
    );
    return { ...result, ...finished };
  },
  summarize: (out) => ({
    verdict: out.state === 'Failed' ? 'crit' : 'ok',
    line: out.state === 'Running' ? `started Job ${out.namespace}/${out.job} from CronJob ${out.cronJob}` : `Job ${out.namespace}/${out.job} ${out.state === 'Succeeded' ? 'succeeded' : `failed: ${out.reason ?? ''} ${out.message ?? ''}`.trim()}`,
  }),
});
