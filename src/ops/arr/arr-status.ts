import { z } from 'zod';
import { UserError } from '../../core/errors.js';
import { defineOp } from '../../core/op.js';
import { attemptCheck, couldNotCheck, type CheckReport } from '../shared/check.js';
import { findingsSchema, problemsLine, sortFindings, summarizeStatus, summaryLineSchema, verdictOf, verdictSchema, type Finding } from '../shared/findings.js';
import { bazarrCheck, bazarrStatusSchema } from './bazarr-check.js';
import { prowlarrCheck, prowlarrStatusSchema } from './prowlarr-check.js';
import { qbittorrentCheck, qbittorrentStatusSchema } from './qbittorrent-check.js';
import { radarrCheck } from './radarr-check.js';
import { sabnzbdCheck, sabnzbdStatusSchema } from './sabnzbd-check.js';
import { sonarrCheck } from './sonarr-check.js';
import { starrLine, starrStatusSchema } from './starr.js';
import { cutFindings, findingsCutSchema } from '../shared/service.js';

export const ARR_APPS = ['sonarr', 'radarr', 'prowlarr', 'bazarr', 'sabnzbd', 'qbittorrent'] as const;
type App = (typeof ARR_APPS)[number];
const LABELS: Record<App, string> = {
  sonarr: 'Sonarr',
  radarr: 'Radarr',
  prowlarr: 'Prowlarr',
  bazarr: 'Bazarr',
  sabnzbd: 'SABnzbd',
  qbittorrent: 'qBittorrent',
};
const CHECK = {
  sonarr: sonarrCheck,
  radarr: radarrCheck,
  prowlarr: prowlarrCheck,
  bazarr: bazarrCheck,
  sabnzbd: sabnzbdCheck,
  qbittorrent: qbittorrentCheck,
} as const;

const output = z.object({
  verdict: verdictSchema,
  summary: summaryLineSchema,
  sonarr: starrStatusSchema.optional(),
  radarr: starrStatusSchema.optional(),
  prowlarr: prowlarrStatusSchema.optional(),
  bazarr: bazarrStatusSchema.optional(),
  sabnzbd: sabnzbdStatusSchema.optional(),
  qbittorrent: qbittorrentStatusSchema.optional(),
  findings: findingsSchema,
  findingsCut: findingsCutSchema,
});
type Output = z.infer<typeof output>;

/** One line per app for the summary: its state and the headline numbers. */
function appLine(app: App, report: CheckReport | undefined, error: string | undefined): string {
  const label = LABELS[app];
  if (error) return `${label} could not be checked`;
  const data = report?.data as { configured: boolean; reachable?: boolean } | undefined;
  if (!data?.configured) return `${label} not configured`;
  if (!data.reachable) return `${label} ${report?.findings[0]?.reason === 'Refused' ? 'refused the key' : 'unreachable'}`;
  if (app === 'sonarr' || app === 'radarr') return starrLine(label, report?.data as z.infer<typeof starrStatusSchema>, app === 'sonarr' ? 'episode' : 'movie');
  return `${label} ok${report?.findings.length ? ` (${report.findings.length} to look at)` : ''}`;
}

export default defineOp({
  name: 'arr_status',
  title: 'The *arr media stack at a glance',
  description: 'Sonarr, Radarr, Prowlarr, Bazarr, SABnzbd, qBittorrent: health, stuck downloads (queue ids for arr_retry), missing, indexers, disks.',
  effect: 'read',
  listedWith: ARR_APPS,
  input: z
    .object({
      apps: z.array(z.enum(ARR_APPS)).min(1).optional(),
      limit: z.number().int().min(1).max(50).default(1).describe('Rows per list per app, and findings in all (the CLI: 20)'),
    })
    .strict(),
  output,
  rbac: [],
  timeoutMs: 60_000,
  async run(ctx, input): Promise<Output> {
    const apps = input.apps ?? [...ARR_APPS];
    const configured = apps.filter((app) => ctx.config.services[app]);
    if (!configured.length) {
      throw new UserError(`none of ${apps.map((a) => LABELS[a]).join(', ')} is configured`, {
        hint: `add ${apps.map((a) => `services.${a}`).join(', ')} (url, apiKey: {env: NAME}) to the config file`,
      });
    }
    const outcomes = await Promise.all(apps.map(async (app) => ({ app, outcome: await attemptCheck(CHECK[app], ctx, { limit: input.limit }) })));
    const findings: Finding[] = [];
    const sections: Partial<Output> = {};
    const lines: string[] = [];
    for (const { app, outcome } of outcomes) {
      if (outcome.report) {
        findings.push(...outcome.report.findings);
        Object.assign(sections, { [app]: outcome.report.data });
      } else {
        findings.push(couldNotCheck(app, outcome.error));
      }
      lines.push(appLine(app, outcome.report, outcome.error));
    }
    sortFindings(findings);
    const problems = problemsLine(findings, 'the media stack');
    const cut = cutFindings(findings, 'ask for fewer apps (apps: [sonarr]) or a larger limit to see more findings', input.limit);
    return { verdict: verdictOf(findings), summary: `${lines.join('; ')}${problems ? ` — ${problems}` : ''}`, ...sections, ...cut };
  },
  summarize: summarizeStatus,
});
