import { z } from 'zod';
import { parseDuration } from '../../../core/schemas.js';
import { ageMs, eventSchema, parseObject } from '../../shared/k8s.js';
import { eventLastSeen } from '../../shared/events.js';
import type { HealthCheck } from '../../shared/findings.js';

export const warningEventSchema = z.object({
  namespace: z.string().optional(),
  object: z.string().describe('Kind/name of the object the event is about'),
  reason: z.string(),
  message: z.string(),
  count: z.number().int(),
  lastSeen: z.string().describe('RFC3339 time the event was last seen'),
});
export type WarningEvent = z.infer<typeof warningEventSchema>;

export const eventsCheck: HealthCheck<{ events: WarningEvent[]; total: number }> = {
  name: 'events',
  async run(ctx) {
    const windowMs = (parseDuration(ctx.config.health.eventsSince) ?? 3600) * 1000;
    const now = ctx.now();
    const recent: WarningEvent[] = [];
    for await (const page of ctx.kube.listPages({ group: '', version: 'v1', resource: 'events' }, { fieldSelector: 'type=Warning' })) {
      for (const raw of page) {
        const e = parseObject(eventSchema, raw, 'Event');
        const seen = eventLastSeen(e);
        const age = ageMs(now, seen);
        if (!seen || age === undefined || age > windowMs) continue;
        const io = e.involvedObject;
        recent.push({
          namespace: io.namespace ?? e.metadata.namespace,
          object: `${io.kind ?? 'Object'}/${io.name ?? '?'}`,
          reason: e.reason ?? 'Unknown',
          // The whole text, newlines and all: the CLI's table puts it on one line, --json keeps it.
          message: (e.message ?? '').trim(),
          count: e.series?.count ?? e.count ?? 1,
          lastSeen: new Date(Date.parse(seen)).toISOString(),
        });
      }
    }
    recent.sort((a, b) => b.lastSeen.localeCompare(a.lastSeen));
    // Events are context for the findings; they do not by themselves change the verdict.
    return { findings: [], data: { events: recent.slice(0, ctx.config.health.maxEvents), total: recent.length } };
  },
};
