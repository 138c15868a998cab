import { z } from 'zod';
import { defineOp } from '../../core/op.js';
import { UserError } from '../../core/errors.js';
import { formatAge, namespacedNameSchema, splitNamespacedName } from '../../core/schemas.js';
import { ageMs, parseObject } from '../shared/k8s.js';
import { observed } from '../shared/plan.js';
import { boundWithWait, pollInterval, pollUntil, waitInput, waitMs } from '../shared/wait.js';
import { commandLine } from '../shared/fix.js';
import { CRONJOBS, JOBS, cronJobSchema, jobSchema, jobState, jobsByCronJob, jobsOf, type CronJob } from './cronjobs.js';

/** Job names are label values: at most 63 characters. */
const MAX_NAME = 63;

/** `<cronjob>-manual-<base36 seconds>`: unique per second, recognisable, within 63 characters. */
function manualJobName(cron: string, now: Date): string {
  const suffix = `-manual-${Math.floor(now.getTime() / 1000).toString(36)}`;
  return `${cron.slice(0, MAX_NAME - suffix.length).replace(/[-.]+$/, '')}${suffix}`;
}

/** What the Job will run, in a plan's words: "main (restic/restic:0.17)". */
const podTemplateSchema = z.looseObject({
  template: z
    .looseObject({ spec: z.looseObject({ containers: z.array(z.looseObject({ name: z.string(), image: z.string().optional() })).default([]) }).optional() })
    .optional(),
});

function containersOf(cron: CronJob): string {
  const parsed = podTemplateSchema.safeParse(cron.spec.jobTemplate.spec);
  const containers = parsed.success ? (parsed.data.template?.spec?.containers ?? []) : [];
  return containers.map((c) => `${c.name}${c.image ? ` (${c.image})` : ''}`).join(', ') || 'its containers';
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
    'A Job from a CronJob in allow.backupsTrigger, as `kubectl create job --from=cronjob/NAME`; refused while one runs. Returns the Job and its outcome.',
  effect: 'write',
  input: z
    .object({
      cronJob: namespacedNameSchema.describe('NAMESPACE/NAME'),
      ...waitInput({ timeout: '15m', max: '29m' }),
    })
    .strict(),
  output: z.object({
    namespace: z.string(),
    cronJob: z.string(),
    job: z.string().describe('Name of the Job created'),
    createdAt: z.string(),
    state: z.enum(['Succeeded', 'Failed', 'Running']).describe('Running when not waited for'),
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
  timeoutMs: 30_000,
  timeoutFor: boundWithWait(30_000),
  async plan(ctx, input) {
    const { namespace, name } = splitNamespacedName(input.cronJob);
    const cron = parseObject(cronJobSchema, await ctx.kube.get({ ...CRONJOBS, namespace }, name), 'CronJob');
    const running = jobsOf(await jobsByCronJob(ctx, namespace), cron).filter((job) => jobState(job).state === 'Running');
    if (running.length) {
      const job = running[0];
      const since = ageMs(ctx.now(), job?.status.startTime ?? job?.metadata.creationTimestamp);
      throw new UserError(
        `a Job of ${input.cronJob} is still running: ${job?.metadata.name}${since !== undefined ? ` (started ${formatAge(since / 1000)} ago)` : ''}`,
        {
          hint: `wait for it to finish (${commandLine('backups_status', { namespace })}) before starting another`,
        },
      );
    }
    const job = jobFromCronJob(cron, manualJobName(name, ctx.now()));
    return {
      summary: `start a backup now: Job ${namespace}/${job.metadata.name} from CronJob ${name}`,
      changes: [{ action: `create Job ${namespace}/${job.metadata.name} (as kubectl create job --from=cronjob/${name})`, body: job }],
      effects: [`the Job runs ${containersOf(cron)} now, as its schedule (${cron.spec.schedule}) would; the CronJob itself is not changed`],
      observed: [observed('CronJob', cron)],
      state: { namespace, cronJob: name, job },
    };
  },
  async run(ctx, input, plan) {
    const { namespace, cronJob, job } = plan.state;
    const jobName = job.metadata.name;
    ctx.log.progress(`► creating Job ${namespace}/${jobName} from CronJob ${cronJob}`);
    const created = parseObject(jobSchema, await ctx.kube.create({ ...JOBS, namespace }, job), 'Job');
    const result = { namespace, cronJob, job: created.metadata.name, createdAt: created.metadata.creationTimestamp ?? ctx.now().toISOString() };
    if (!input.wait) return { ...result, state: 'Running' as const };
    ctx.log.progress(`◎ waiting for Job ${jobName} to finish`);
    const finished = await pollUntil(
      async () => {
        const now = parseObject(jobSchema, await ctx.kube.get({ ...JOBS, namespace }, jobName), 'Job');
        const state = jobState(now);
        return state.state === 'Running' ? undefined : state;
      },
      {
        timeoutMs: waitMs(input),
        intervalMs: pollInterval(ctx, 1000),
        signal: ctx.signal,
        describe: () => `Job ${namespace}/${jobName} did not finish within ${input.timeout} (it keeps running)`,
      },
    );
    return { ...result, ...finished };
  },
  summarize: (out) => ({
    verdict: out.state === 'Failed' ? 'crit' : 'ok',
    line:
      out.state === 'Running'
        ? `started Job ${out.namespace}/${out.job} from CronJob ${out.cronJob}`
        : `Job ${out.namespace}/${out.job} ${out.state === 'Succeeded' ? 'succeeded' : `failed: ${out.reason ?? ''} ${out.message ?? ''}`.trim()}`,
  }),
});
