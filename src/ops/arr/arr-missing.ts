import { z } from 'zod';
import { UserError } from '../../core/errors.js';
import { defineOp, type Summary } from '../../core/op.js';
import { fixSchema, fix } from '../shared/fix.js';
import { plural } from '../shared/format.js';
import { APP_LABEL } from './starr.js';

const STARR = ['sonarr', 'radarr'] as const;

const output = z.object({
  app: z.enum(STARR),
  url: z.string(),
  total: z.number().int().describe('Monitored items without a file, in all'),
  items: z.array(
    z.object({
      id: z.number().int().describe('Episode id (Sonarr) or movie id (Radarr)'),
      label: z.string(),
      slug: z.string().optional().describe("The series' or movie's titleSlug"),
      date: z.string().optional().describe('Aired or released'),
      fix: fixSchema.describe('The search for it (a write: allow.arr must name it)'),
    }),
  ),
  truncated: z.boolean(),
  narrow: z.string().optional(),
});
type Output = z.infer<typeof output>;

export default defineOp({
  name: 'arr_missing',
  title: 'Sonarr/Radarr: monitored episodes or movies without a file',
  description: 'Newest first, with the id arr_search takes, and the total. Use it after arr_status counts missing items.',
  effect: 'read',
  listedWith: ['sonarr', 'radarr'],
  input: z
    .object({
      app: z.enum(STARR),
      limit: z.number().int().min(1).max(100).default(20).describe('Items listed'),
    })
    .strict(),
  output,
  rbac: [],
  timeoutMs: 30_000,
  args: ['app'],
  async run(ctx, input): Promise<Output> {
    const port = await ctx.services.starr(input.app);
    if (!port)
      throw new UserError(`${APP_LABEL[input.app]} is not configured`, { hint: `add services.${input.app} (url, apiKey: {env: NAME}) to the config file` });
    const missing = await port.missing(input.limit);
    const truncated = missing.total > missing.items.length;
    return {
      app: input.app,
      url: port.target,
      total: missing.total,
      items: missing.items.map((i) => ({ id: i.id, label: i.label, slug: i.slug, date: i.date, fix: fix('arr_search', { app: input.app, id: i.id }) })),
      truncated,
      narrow: truncated ? `${missing.total - missing.items.length} more: raise limit (up to 100)` : undefined,
    };
  },
  summarize: (out): Summary => ({
    verdict: 'ok',
    line: `${APP_LABEL[out.app]}: ${plural(out.total, out.app === 'sonarr' ? 'missing episode' : 'missing movie')}${out.truncated ? ` (${out.items.length} shown)` : ''}`,
  }),
});
