import type { OpContext } from '../../core/op.js';
import { listAll } from '../../core/ports/kube.js';
import { eventSchema, parseObject, type KubeEvent } from './k8s.js';

/** When an event was last seen: newer events may carry only eventTime or series.lastObservedTime. */
export function eventLastSeen(e: KubeEvent): string | undefined {
  return e.series?.lastObservedTime ?? e.lastTimestamp ?? e.eventTime ?? e.metadata.creationTimestamp ?? undefined;
}

/**
 * The newest event of one reason about one object, or without a reason its newest Warning
 * (core/v1 events, which controllers built on client-go's recorder write and aggregate: count and
 * lastTimestamp move on each repeat).
 */
export async function latestEvent(
  ctx: OpContext,
  involved: { kind: string; namespace: string; name: string },
  reason?: string,
): Promise<{ message: string; at: number } | undefined> {
  const fieldSelector = `involvedObject.kind=${involved.kind},involvedObject.name=${involved.name},${reason ? `reason=${reason}` : 'type=Warning'}`;
  let latest: { message: string; at: number } | undefined;
  for (const raw of await listAll(ctx.kube, { group: '', version: 'v1', resource: 'events', namespace: involved.namespace }, { fieldSelector })) {
    const e = parseObject(eventSchema, raw, 'Event');
    const at = Date.parse(eventLastSeen(e) ?? '');
    if (Number.isNaN(at) || (latest && latest.at >= at)) continue;
    latest = { message: (e.message ?? '').trim(), at };
  }
  return latest;
}
