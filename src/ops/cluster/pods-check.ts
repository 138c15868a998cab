import { z } from 'zod';
import { formatAge } from '../../core/schemas.js';
import { ageMs, podHealthSchema, type PodHealth } from '../shared/k8s.js';
import type { Finding } from '../shared/findings.js';
import { fix, type Fix } from '../shared/fix.js';
import { Reads } from '../shared/reads.js';
import type { Check } from '../shared/check.js';
import { plural } from '../shared/format.js';

export const podCountsSchema = z.object({
  total: z.number().int(),
  running: z.number().int(),
  pending: z.number().int(),
  succeeded: z.number().int(),
  failed: z.number().int(),
  withProblems: z.number().int(),
});
export type PodCounts = z.infer<typeof podCountsSchema>;

/** Waiting reasons that mean the container will not start without someone fixing something. */
const BROKEN_WAITING = new Set([
  'CrashLoopBackOff',
  'ImagePullBackOff',
  'ErrImagePull',
  'InvalidImageName',
  'ErrImageNeverPull',
  'CreateContainerConfigError',
  'CreateContainerError',
  'RunContainerError',
  'PreStartHookError',
  'PostStartHookError',
]);
/** A pod may take a while to start; after this it is worth a look. */
const SLOW_START_MS = 5 * 60_000;
/** A container that just started may not be ready yet. */
const READINESS_GRACE_MS = 2 * 60_000;
/** Restarts older than this are history, not a current problem. */
const RECENT_RESTART_MS = 24 * 3600_000;

/** Every problem one pod shows; phase Running hides CrashLoopBackOff and pull errors, so containers are read too. */
export function podProblems(pod: PodHealth, now: Date, restartWarn: number): Finding[] {
  const { namespace, name } = pod.metadata;
  const found: Finding[] = [];
  const add = (severity: Finding['severity'], reason: string, message: string, remedy?: Fix) =>
    found.push({ severity, kind: 'Pod', namespace, name, reason, message, ...(remedy ? { fix: remedy } : {}) });
  // What the container said before it died: the logs of its previous instance.
  const lastWords = (container: string) => fix('pods_logs', { pod: name, namespace, container, previous: true });
  const phase = pod.status.phase ?? 'Unknown';
  if (phase === 'Succeeded') return found;
  if (pod.metadata.deletionTimestamp) {
    const stuck = ageMs(now, pod.metadata.deletionTimestamp) ?? 0;
    if (stuck > SLOW_START_MS) add('warn', 'Terminating', `stuck terminating for ${formatAge(stuck / 1000)}`);
    return found;
  }
  if (phase === 'Failed') {
    const exited = pod.status.containerStatuses?.find((cs) => cs.state?.terminated && cs.state.terminated.exitCode !== 0);
    const how = exited?.state?.terminated
      ? `container ${exited.name} exited ${exited.state.terminated.exitCode ?? '?'}${exited.state.terminated.reason ? ` (${exited.state.terminated.reason})` : ''}`
      : undefined;
    const owner = pod.metadata.ownerReferences?.[0];
    const what = owner?.kind === 'Job' ? `pod of Job ${owner.name} failed` : 'the pod failed';
    add(
      'warn',
      pod.status.reason ?? 'Failed',
      pod.status.message ?? (how ? `${what}: ${how}` : what),
      exited ? fix('pods_logs', { pod: name, namespace, container: exited.name }) : undefined,
    );
    return found;
  }
  if (phase === 'Unknown') {
    add('crit', 'Unknown', `the pod's state is unknown (its node ${pod.spec.nodeName ?? ''} may be unreachable)`.replace('  ', ' '));
    return found;
  }
  const scheduled = pod.status.conditions?.find((c) => c.type === 'PodScheduled');
  if (phase === 'Pending' && scheduled?.status === 'False') {
    add('crit', scheduled.reason ?? 'Unschedulable', `cannot be scheduled: ${scheduled.message ?? 'no reason given'}`);
    return found;
  }
  const age = ageMs(now, pod.status.startTime ?? pod.metadata.creationTimestamp) ?? 0;
  for (const cs of [...(pod.status.initContainerStatuses ?? []), ...(pod.status.containerStatuses ?? [])]) {
    const waiting = cs.state?.waiting;
    const last = cs.lastState?.terminated;
    const restarts = cs.restartCount ?? 0;
    if (waiting?.reason && BROKEN_WAITING.has(waiting.reason)) {
      const why =
        waiting.reason === 'CrashLoopBackOff' && last
          ? `container ${cs.name} keeps crashing (${restarts} restarts; last exit ${last.exitCode ?? '?'}${last.reason ? ` ${last.reason}` : ''})`
          : `container ${cs.name}: ${waiting.message ?? waiting.reason}`;
      add('crit', waiting.reason, why, waiting.reason === 'CrashLoopBackOff' && last ? lastWords(cs.name) : undefined);
      continue;
    }
    if (last?.reason === 'OOMKilled' && (ageMs(now, last.finishedAt) ?? Infinity) < RECENT_RESTART_MS) {
      add('warn', 'OOMKilled', `container ${cs.name} was killed for using more memory than its limit (${restarts} restarts)`, lastWords(cs.name));
      continue;
    }
    if (restarts >= restartWarn && (ageMs(now, last?.finishedAt) ?? Infinity) < RECENT_RESTART_MS) {
      add(
        'warn',
        'Restarting',
        `container ${cs.name} restarted ${restarts} times${last?.reason ? `; last exit ${last.exitCode ?? '?'} ${last.reason}` : ''}`,
        lastWords(cs.name),
      );
      continue;
    }
    if (waiting?.reason && phase === 'Pending' && age > SLOW_START_MS) {
      add('warn', waiting.reason, `container ${cs.name} still ${waiting.reason} after ${formatAge(age / 1000)}`);
      continue;
    }
    const runningFor = ageMs(now, cs.state?.running?.startedAt) ?? 0;
    if (cs.state?.running && cs.ready === false && runningFor > READINESS_GRACE_MS) {
      add('warn', 'NotReady', `container ${cs.name} is running but not ready (readiness probe failing) for ${formatAge(runningFor / 1000)}`);
    }
  }
  if (phase === 'Pending' && !found.length && age > SLOW_START_MS) {
    add('warn', 'Pending', `pending for ${formatAge(age / 1000)}`);
  }
  return found;
}

/** Every pod, by what its containers say (phase Running hides CrashLoopBackOff and pull errors). */
export const podsCheck: Check<object, PodCounts> = {
  name: 'pods',
  about: 'crash loops, image pulls, unschedulable, out of memory, not ready',
  rbac: [{ apiGroup: '', resource: 'pods', verbs: ['list'] }],
  async run(ctx) {
    const counts: PodCounts = { total: 0, running: 0, pending: 0, succeeded: 0, failed: 0, withProblems: 0 };
    const findings: Finding[] = [];
    const now = ctx.now();
    const reads = new Reads(ctx);
    // Page by page: memory holds one page and the findings, not the cluster.
    await reads.list({ ref: { group: '', version: 'v1', resource: 'pods' }, kind: 'Pod', schema: podHealthSchema }, (pod) => {
      counts.total++;
      const phase = pod.status.phase;
      if (phase === 'Running') counts.running++;
      else if (phase === 'Pending') counts.pending++;
      else if (phase === 'Succeeded') counts.succeeded++;
      else if (phase === 'Failed') counts.failed++;
      const problems = podProblems(pod, now, ctx.config.health.restartWarn);
      if (problems.length) counts.withProblems++;
      findings.push(...problems);
    });
    return reads.report({ installed: true, scope: plural(counts.total, 'pod'), findings: [...findings, ...reads.finish()], data: counts });
  },
};
