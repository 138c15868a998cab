import { z } from 'zod';
import { parseDuration } from '../../core/schemas.js';
import { ageMs, eventSchema } from '../shared/k8s.js';
import { eventLastSeen } from '../shared/events.js';
import { Reads } from '../shared/reads.js';
import type { Check } from '../shared/check.js';
import { plural } from '../shared/format.js';
import { countBy } from '../shared/bounded.js';
import { compareText } from '../../core/compare.js';

export const warningEventSchema = z.object({
  namespace: z.string().optional(),
  object: z.string().describe('Kind/name of the object the event is about'),
  reason: z.string(),
  message: z.string(),
  count: z.number().int(),
  lastSeen: z.string().describe('RFC3339 time the event was last seen'),
});
export type WarningEvent = z.infer<typeof warningEventSchema>;

/** Recent Warning events (config health.eventsSince), newest first, cut to health.maxEvents. */
export const eventsCheck: Check<object, { events: WarningEvent[]; total: number; byReason: Record<string, number> }> = {
  name: 'events',
  about: 'recent Warning events',
  rbac: [{ apiGroup: '', resource: 'events', verbs: ['list'] }],
  async run(ctx) {
    const windowMs = (parseDuration(ctx.config.health.eventsSince) ?? 3600) * 1000;
    const now = ctx.now();
    const recent: WarningEvent[] = [];
    const reads = new Reads(ctx);
    await reads.list(
      { ref: { group: '', version: 'v1', resource: 'events' }, kind: 'Event', schema: eventSchema, options: { fieldSelector: 'type=Warning' } },
      (e) => {
        const seen = eventLastSeen(e);
        const age = ageMs(now, seen);
        if (!seen || age === undefined || age > windowMs) return;
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
      },
    );
    recent.sort((a, b) => compareText(b.lastSeen, a.lastSeen));
    // Events are context for the findings; they do not by themselves change the verdict.
    return reads.report({
      installed: true,
      scope: `${plural(recent.length, 'Warning event')} in the last ${ctx.config.health.eventsSince}`,
      findings: reads.finish(),
      data: { events: recent.slice(0, ctx.config.health.maxEvents), total: recent.length, byReason: countBy(recent, (e) => e.reason) },
    });
  },
};
