import { z } from 'zod';
import { UserError } from '../../core/errors.js';
import { defineOp } from '../../core/op.js';
import { urlSchema } from '../net/net-curl.js';
import { checkStatus } from '../shared/check.js';
import { findingsSchema, summarizeStatus, summaryLineSchema, verdictSchema } from '../shared/findings.js';
import { cutFindings, findingsCutSchema } from '../shared/service.js';
import { uptimeCheck } from './uptime-check.js';
import { askedTargets, uptimeRowSchema } from './uptime.js';

const output = z.object({
  verdict: verdictSchema.describe(
    'ok: every URL up; warn: slow or a certificate expiring soon; crit: a URL down, a wrong status, an invalid certificate or a missing keyword',
  ),
  summary: summaryLineSchema,
  from: z.string().describe('Where the checks ran from'),
  checked: z.number().int(),
  down: z.number().int(),
  targets: z.array(uptimeRowSchema).describe('Problems first, then the others up to limit'),
  listed: z.number().int().describe('Rows in targets (problems are always listed)'),
  skipped: z.number().int().describe('URLs beyond the 200 one run checks'),
  findings: findingsSchema,
  findingsCut: findingsCutSchema,
});
type Output = z.infer<typeof output>;

export default defineOp({
  name: 'uptime_status',
  title: "Uptime: do the homelab's URLs answer?",
  description:
    "From homelab's own machine: uptime.targets, Ingress hosts, allow-listed urls. Returns each URL's status, answer time, certificate days left, keyword match.",
  effect: 'read',
  input: z
    .object({
      urls: z.array(urlSchema).max(50).optional().describe('More URLs (allow-listed only)'),
      keyword: z.string().min(1).max(200).optional().describe('Text the pages of `urls` must contain'),
      ingresses: z.boolean().optional().describe('Default: uptime.ingresses'),
      onlyUrls: z.boolean().default(false).describe('Not the configured targets'),
      limit: z.number().int().min(1).max(200).default(20).describe('URLs listed besides those with a problem'),
    })
    .strict(),
  output,
  rbac: uptimeCheck.rbac,
  timeoutMs: 120_000,
  async run(ctx, input): Promise<Output> {
    if (input.onlyUrls && !input.urls?.length)
      throw new UserError('onlyUrls needs urls to check', { hint: 'give --url URL (repeatable), or drop --only-urls' });
    const extra = await askedTargets(ctx, input.urls ?? [], input.keyword);
    const withIngresses = input.ingresses ?? ctx.config.uptime.ingresses;
    if (!ctx.config.uptime.targets.length && !extra.length && !withIngresses) {
      throw new UserError('nothing to check: no uptime.targets in the config, and no URL or --ingresses given', {
        hint: 'add uptime.targets (url, optional keyword) to the config file, or run homelab uptime --ingresses, or --url URL',
      });
    }
    const report = await uptimeCheck.run(ctx, { ingresses: input.ingresses, extra, onlyExtra: input.onlyUrls });
    const rows = report.data.targets;
    const problems = rows.filter((r) => r.problem);
    const others = rows.filter((r) => !r.problem).slice(0, input.limit);
    const status = checkStatus(report, { ok: `${report.scope}, all up` });
    return {
      ...status,
      from: "this process (homelab's own network view)",
      checked: report.data.checked,
      down: report.data.down,
      targets: [...problems, ...others],
      listed: problems.length + others.length,
      skipped: report.data.skipped,
      ...cutFindings(status.findings, 'every URL with a problem is in targets; check fewer at once with --only-urls --url URL'),
    };
  },
  summarize: summarizeStatus,
});
