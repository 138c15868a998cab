import { z } from 'zod';
import type { Pod } from './k8s.js';

/** One pod as status commands list it: ready state, containers, restarts and why it is not ready. */
export const podRowSchema = z.object({
  name: z.string(),
  phase: z.string(),
  ready: z.boolean(),
  containers: z.string().describe('Ready containers of all, e.g. 1/1'),
  restarts: z.number().int(),
  reason: z.string().optional().describe('Why it is not ready: a waiting reason, or the Ready condition'),
  node: z.string().optional(),
});
export type PodRow = z.infer<typeof podRowSchema>;

export function podRow(pod: Pod): PodRow {
  const statuses = pod.status.containerStatuses ?? [];
  const readyCount = statuses.filter((c) => c.ready).length;
  const readyCond = pod.status.conditions?.find((c) => c.type === 'Ready');
  const ready = readyCond ? readyCond.status === 'True' : statuses.length > 0 && readyCount === statuses.length;
  const waiting = [...(pod.status.initContainerStatuses ?? []), ...statuses].find((c) => c.state?.waiting?.reason)?.state?.waiting;
  return {
    name: pod.metadata.name,
    phase: pod.status.phase ?? 'Unknown',
    ready,
    containers: `${readyCount}/${pod.spec.containers.length || statuses.length}`,
    restarts: statuses.reduce((n, c) => n + (c.restartCount ?? 0), 0),
    reason: ready
      ? undefined
      : (waiting?.reason ?? pod.status.reason ?? readyCond?.reason ?? (pod.status.phase === 'Running' ? 'ContainersNotReady' : pod.status.phase)),
    node: pod.spec.nodeName,
  };
}

/** Running, not being deleted, and every container ready: a pod worth exec'ing into or reading. */
export function isRunningAndReady(pod: Pod): boolean {
  return pod.status.phase === 'Running' && !pod.metadata.deletionTimestamp && (pod.status.containerStatuses ?? []).every((c) => c.ready !== false);
}
