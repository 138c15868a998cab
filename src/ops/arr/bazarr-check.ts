import { z } from 'zod';
import type { Check, ObjectRef } from '../shared/check.js';
import type { Finding } from '../shared/findings.js';
import { Looked, notConfigured, partOf, unreachableReport } from '../shared/service.js';

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
export const bazarrCheck: Check<{ limit?: number }, BazarrStatus> = {
  name: 'bazarr',
  about: 'Bazarr: health, missing subtitles',
  rbac: [],
  async run(ctx, params) {
    const port = await ctx.services.bazarr();
    if (!port) return notConfigured('services.bazarr', { configured: false });
    const service: ObjectRef = { kind: 'Bazarr', name: port.target };
    let version: string;
    try {
      version = await port.version();
    } catch (err) {
      return unreachableReport(service, err, { configured: true, url: port.target, reachable: false });
    }
    const limit = params.limit ?? 5;
    const findings: Finding[] = [];
    const looked = new Looked();
    looked.add(service);
    const [health, episodes, movies] = await Promise.all([
      partOf(service, 'its health', findings, port.health()),
      partOf(service, 'the episodes missing subtitles', findings, port.wantedEpisodes(limit)),
      partOf(service, 'the movies missing subtitles', findings, port.wantedMovies(limit)),
    ]);
    for (const h of health ?? []) {
      looked.add({ kind: 'BazarrHealth', name: h.object });
      findings.push({ severity: 'warn', kind: 'BazarrHealth', name: h.object, reason: 'HealthIssue', message: h.issue });
    }
    // Missing subtitles are work Bazarr has queued, not a fault: counted, not a finding.
    const wanted = [...(episodes?.items ?? []), ...(movies?.items ?? [])].slice(0, limit);
    return {
      installed: true,
      scope: `Bazarr ${version}`,
      findings,
      looked: looked.refs,
      lookedTotal: looked.total,
      data: {
        configured: true,
        url: port.target,
        reachable: true,
        version,
        issues: health,
        missingEpisodes: episodes?.total,
        missingMovies: movies?.total,
        wanted,
      },
    };
  },
};
