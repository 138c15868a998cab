import { z } from 'zod';
import type { Check } from '../shared/check.js';
import { serviceCheck } from '../shared/service.js';

const wantedRowSchema = z.object({ label: z.string(), missing: z.array(z.string()).describe('Languages without a subtitle') });

export const bazarrStatusSchema = z.object({
  configured: z.boolean(),
  url: z.string().optional(),
  reachable: z.boolean().optional(),
  version: z.string().optional(),
  issues: z
    .array(z.object({ object: z.string(), issue: z.string() }))
    .optional()
    .describe("Bazarr's own health issues"),
  missingEpisodes: z.number().int().optional().describe('Episodes missing a subtitle in a wanted language'),
  missingMovies: z.number().int().optional(),
  wanted: z.array(wantedRowSchema).optional().describe('The most recent of them'),
});
export type BazarrStatus = z.infer<typeof bazarrStatusSchema>;

/** Bazarr (services.bazarr): its health issues, and how many episodes and movies miss a subtitle. */
export const bazarrCheck: Check<{ limit?: number }, BazarrStatus> = serviceCheck({
  name: 'bazarr',
  about: 'Bazarr: health, missing subtitles',
  kind: 'Bazarr',
  port: (ctx) => ctx.services.bazarr(),
  reach: (port) => port.version(),
  async read({ port, reached: version, findings, looked, part }, params) {
    const limit = params.limit ?? 5;
    const [health, episodes, movies] = await Promise.all([
      part('its health', port.health()),
      part('the episodes missing subtitles', port.wantedEpisodes(limit)),
      part('the movies missing subtitles', port.wantedMovies(limit)),
    ]);
    for (const h of health ?? []) {
      looked.add({ kind: 'BazarrHealth', name: h.object });
      findings.push({ severity: 'warn', kind: 'BazarrHealth', name: h.object, reason: 'HealthIssue', message: h.issue });
    }
    // Missing subtitles are work Bazarr has queued, not a fault: counted, not a finding.
    const wanted = [...(episodes?.items ?? []), ...(movies?.items ?? [])].slice(0, limit);
    return {
      scope: `Bazarr ${version}`,
      data: { version, issues: health, missingEpisodes: episodes?.total, missingMovies: movies?.total, wanted },
    };
  },
});
