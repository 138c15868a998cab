import { z } from 'zod';
import { NotFound, UserError } from '../../core/errors.js';
import { defineOp, type OpContext, type Summary } from '../../core/op.js';
import { SABNZBD_ID } from '../../core/ports/arr.js';
import { APP_LABEL, QUEUE_READ } from './starr.js';

const APPS = ['sonarr', 'radarr', 'sabnzbd'] as const;

const output = z.object({
  app: z.enum(APPS),
  target: z.string().describe('What the allow-list admitted: APP/TITLE-SLUG, or sabnzbd/CATEGORY'),
  retried: z.object({ id: z.string(), title: z.string(), for: z.string().optional() }),
  blocklisted: z.boolean().describe('Sonarr/Radarr: the failed release will not be grabbed again'),
  replacement: z.object({ id: z.string(), title: z.string(), status: z.string() }).optional().describe('The download that took its place, when the app already started one'),
  message: z.string(),
});
type Output = z.infer<typeof output>;

const notConfigured = (app: (typeof APPS)[number]) => new UserError(`${app === 'sabnzbd' ? 'SABnzbd' : APP_LABEL[app]} is not configured`, { hint: `add services.${app} (url, apiKey: {env: NAME}) to the config file` });

async function retryStarr(ctx: OpContext, app: 'sonarr' | 'radarr', id: string, redownload: boolean): Promise<Output> {
  const queueId = Number(id);
  if (!/^\d{1,9}$/.test(id) || queueId < 1) throw new UserError(`id: a ${APP_LABEL[app]} queue id is a positive number (homelab arr lists the stuck ones), not "${id.slice(0, 40)}"`);
  const port = await ctx.services.starr(app);
  if (!port) throw notConfigured(app);
  const before = await port.queue(QUEUE_READ);
  const item = before.items.find((q) => q.id === queueId);
  if (!item) throw new NotFound(`${APP_LABEL[app]} has no queue item ${queueId}`, { hint: 'homelab arr lists the stuck downloads with their queue ids' });
  const target = `${app}/${item.item?.slug ?? 'unknown'}`;
  // Before the first change: the allow-list names what may be retried (audited as a refusal if not).
  ctx.authorize('arr', target);
  ctx.log.progress(`removing ${item.title} from ${APP_LABEL[app]}'s queue and blocklisting it${redownload ? '; it grabs another release' : ''}…`);
  await port.retry(queueId, { redownload });
  const after = await port.queue(QUEUE_READ);
  const known = new Set(before.items.map((q) => q.id));
  const replacement = after.items.find((q) => !known.has(q.id) && item.item && q.item?.id === item.item.id);
  return {
    app,
    target,
    retried: { id: String(queueId), title: item.title, for: item.item?.label },
    blocklisted: true,
    replacement: replacement ? { id: String(replacement.id), title: replacement.title, status: replacement.status } : undefined,
    message: replacement
      ? `${APP_LABEL[app]} grabbed ${replacement.title} instead`
      : redownload ? `${APP_LABEL[app]} is searching for another release` : 'removed and blocklisted; no new search (redownload off)',
  };
}

async function retrySabnzbd(ctx: OpContext, id: string): Promise<Output> {
  if (!SABNZBD_ID.test(id)) throw new UserError(`id: a SABnzbd job id looks like SABnzbd_nzo_…, not "${id.slice(0, 40)}" (homelab arr lists the failed jobs)`);
  const port = await ctx.services.sabnzbd();
  if (!port) throw notConfigured('sabnzbd');
  const failed = await port.failed(500);
  const job = failed.items.find((j) => j.id === id);
  if (!job) throw new NotFound(`SABnzbd has no failed job ${id} in its history`, { hint: 'homelab arr lists the failed jobs of the last day' });
  const target = `sabnzbd/${(job.category ?? 'default').toLowerCase().replace(/[^a-z0-9.-]/g, '-')}`;
  ctx.authorize('arr', target);
  ctx.log.progress(`retrying ${job.name} in SABnzbd…`);
  await port.retry(id);
  const queue = await port.queue(500);
  const queued = queue.slots.items.find((s) => s.id === id || s.name === job.name);
  return {
    app: 'sabnzbd',
    target,
    retried: { id, title: job.name },
    blocklisted: false,
    replacement: queued ? { id: queued.id, title: queued.name, status: queued.status } : undefined,
    message: queued ? `back in SABnzbd's queue (${queued.status})` : 'SABnzbd accepted the retry',
  };
}

export default defineOp({
  name: 'arr_retry',
  title: 'Retry a failed or stuck download',
  description:
    'Sonarr or Radarr: removes a stuck or failed download (by its queue id, from arr_status) from the download client, ' +
    'blocklists that release and lets the app grab another release of the same episode or movie (redownload false: only ' +
    'remove and blocklist). SABnzbd: retries a failed job of its history (by its SABnzbd_nzo_ id). Allowed only for what ' +
    'allow.arr names: sonarr/TITLE-SLUG, radarr/*, sabnzbd/CATEGORY (default: nothing). Returns what was retried and the ' +
    'download that replaced it.',
  effect: 'write',
  hints: { destructive: true, idempotent: false, openWorld: false },
  input: z
    .object({
      app: z.enum(APPS).describe('sonarr, radarr or sabnzbd'),
      id: z.string().min(1).max(80).describe('Queue id (Sonarr/Radarr) or SABnzbd_nzo_ id'),
      redownload: z.boolean().default(true).describe('Sonarr/Radarr: grab another release after removing this one'),
    })
    .strict(),
  output,
  rbac: [],
  timeoutMs: 60_000,
  args: ['app', 'id'],
  async run(ctx, input): Promise<Output> {
    return input.app === 'sabnzbd' ? retrySabnzbd(ctx, input.id) : retryStarr(ctx, input.app, input.id, input.redownload);
  },
  summarize: (out): Summary => ({ verdict: 'ok', line: `retried ${out.retried.title}: ${out.message}` }),
});
