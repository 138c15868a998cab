import { z } from 'zod';
import { NotFound, UserError } from '../../core/errors.js';
import { defineOp, type OpContext, type Plan, type Summary } from '../../core/op.js';
import { SABNZBD_ID } from '../../core/ports/arr.js';
import { APP_LABEL, QUEUE_READ } from './starr.js';

const APPS = ['sonarr', 'radarr', 'sabnzbd'] as const;

const output = z.object({
  app: z.enum(APPS),
  target: z.string().describe('What the allow-list admitted: APP/TITLE-SLUG, or sabnzbd/CATEGORY'),
  retried: z.object({ id: z.string(), title: z.string(), for: z.string().optional() }),
  blocklisted: z.boolean().describe('Sonarr/Radarr: the failed release will not be grabbed again'),
  replacement: z
    .object({ id: z.string(), title: z.string(), status: z.string() })
    .optional()
    .describe('The download that took its place, when the app already started one'),
  message: z.string(),
});
type Output = z.infer<typeof output>;

const notConfigured = (app: (typeof APPS)[number]) =>
  new UserError(`${app === 'sabnzbd' ? 'SABnzbd' : APP_LABEL[app]} is not configured`, {
    hint: `add services.${app} (url, apiKey: {env: NAME}) to the config file`,
  });

/** What run needs from the plan's reads: the item to retry and, for Sonarr/Radarr, the queue it was in. */
type RetryState =
  | { app: 'sonarr' | 'radarr'; queueId: number; title: string; target: string; itemId?: number; forLabel?: string; queueBefore: number[]; redownload: boolean }
  | { app: 'sabnzbd'; id: string; name: string; target: string };

async function planStarr(ctx: OpContext, app: 'sonarr' | 'radarr', id: string, redownload: boolean): Promise<Plan<RetryState>> {
  const queueId = Number(id);
  if (!/^\d{1,9}$/.test(id) || queueId < 1)
    throw new UserError(`id: a ${APP_LABEL[app]} queue id is a positive number (homelab arr lists the stuck ones), not "${id.slice(0, 40)}"`);
  const port = await ctx.services.starr(app);
  if (!port) throw notConfigured(app);
  const before = await port.queue(QUEUE_READ);
  const item = before.items.find((q) => q.id === queueId);
  if (!item) throw new NotFound(`${APP_LABEL[app]} has no queue item ${queueId}`, { hint: 'homelab arr lists the stuck downloads with their queue ids' });
  const target = `${app}/${item.item?.slug ?? 'unknown'}`;
  // Before anything is shown or changed: the allow-list names what may be retried (audited as a refusal if not).
  ctx.authorize('arr', target);
  return {
    summary: `retry ${item.title} in ${APP_LABEL[app]} (queue id ${queueId})`,
    changes: [
      {
        action: `DELETE /api/v3/queue/${queueId} on ${APP_LABEL[app]} at ${port.target}`,
        body: { removeFromClient: true, blocklist: true, skipRedownload: !redownload },
      },
    ],
    effects: [
      `the download is removed from ${item.downloadClient ?? 'its download client'} and its release blocklisted`,
      redownload
        ? `${APP_LABEL[app]} searches for another release of ${item.item?.label ?? item.title} and grabs the best one`
        : 'no new search (redownload off)',
    ],
    observed: [],
    state: {
      app,
      queueId,
      title: item.title,
      target,
      itemId: item.item?.id,
      forLabel: item.item?.label,
      queueBefore: before.items.map((q) => q.id),
      redownload,
    },
  };
}

async function planSabnzbd(ctx: OpContext, id: string): Promise<Plan<RetryState>> {
  if (!SABNZBD_ID.test(id)) throw new UserError(`id: a SABnzbd job id looks like SABnzbd_nzo_…, not "${id.slice(0, 40)}" (homelab arr lists the failed jobs)`);
  const port = await ctx.services.sabnzbd();
  if (!port) throw notConfigured('sabnzbd');
  const failed = await port.failed(500);
  const job = failed.items.find((j) => j.id === id);
  if (!job) throw new NotFound(`SABnzbd has no failed job ${id} in its history`, { hint: 'homelab arr lists the failed jobs of the last day' });
  const target = `sabnzbd/${(job.category ?? 'default').toLowerCase().replace(/[^a-z0-9.-]/g, '-')}`;
  ctx.authorize('arr', target);
  return {
    summary: `retry the failed SABnzbd job ${job.name}`,
    changes: [{ action: `GET /api?mode=retry&value=${id} on SABnzbd at ${port.target}` }],
    effects: [`SABnzbd puts ${job.name} back in its queue and downloads what is missing again`],
    observed: [],
    state: { app: 'sabnzbd', id, name: job.name, target },
  };
}

async function runStarr(ctx: OpContext, state: Extract<RetryState, { app: 'sonarr' | 'radarr' }>): Promise<Output> {
  const { app, queueId } = state;
  const port = await ctx.services.starr(app);
  if (!port) throw notConfigured(app);
  ctx.log.progress(`removing ${state.title} from ${APP_LABEL[app]}'s queue and blocklisting it${state.redownload ? '; it grabs another release' : ''}…`);
  await port.retry(queueId, { redownload: state.redownload });
  const after = await port.queue(QUEUE_READ);
  const known = new Set(state.queueBefore);
  const replacement = after.items.find((q) => !known.has(q.id) && state.itemId !== undefined && q.item?.id === state.itemId);
  return {
    app,
    target: state.target,
    retried: { id: String(queueId), title: state.title, for: state.forLabel },
    blocklisted: true,
    replacement: replacement ? { id: String(replacement.id), title: replacement.title, status: replacement.status } : undefined,
    message: replacement
      ? `${APP_LABEL[app]} grabbed ${replacement.title} instead`
      : state.redownload
        ? `${APP_LABEL[app]} is searching for another release`
        : 'removed and blocklisted; no new search (redownload off)',
  };
}

async function runSabnzbd(ctx: OpContext, state: Extract<RetryState, { app: 'sabnzbd' }>): Promise<Output> {
  const port = await ctx.services.sabnzbd();
  if (!port) throw notConfigured('sabnzbd');
  ctx.log.progress(`retrying ${state.name} in SABnzbd…`);
  await port.retry(state.id);
  const queue = await port.queue(500);
  const queued = queue.slots.items.find((s) => s.id === state.id || s.name === state.name);
  return {
    app: 'sabnzbd',
    target: state.target,
    retried: { id: state.id, title: state.name },
    blocklisted: false,
    replacement: queued ? { id: queued.id, title: queued.name, status: queued.status } : undefined,
    message: queued ? `back in SABnzbd's queue (${queued.status})` : 'SABnzbd accepted the retry',
  };
}

export default defineOp({
  name: 'arr_retry',
  title: 'Retry a failed or stuck download',
  description:
    'Sonarr/Radarr: remove a stuck download by queue id (arr_status), blocklist it, search again; SABnzbd: retry a failed job. Only what allow.arr names.',
  effect: 'write',
  listedWith: ['sonarr', 'radarr', 'sabnzbd'],
  hints: { destructive: true, idempotent: false, openWorld: false },
  input: z
    .object({
      app: z.enum(APPS),
      id: z.string().min(1).max(80).describe('Queue id (Sonarr/Radarr) or SABnzbd_nzo_ id'),
      redownload: z.boolean().default(true).describe('Sonarr/Radarr: grab another release'),
    })
    .strict(),
  output,
  rbac: [],
  timeoutMs: 60_000,
  args: ['app', 'id'],
  async plan(ctx, input): Promise<Plan<RetryState>> {
    return input.app === 'sabnzbd' ? planSabnzbd(ctx, input.id) : planStarr(ctx, input.app, input.id, input.redownload);
  },
  async run(ctx, _input, plan): Promise<Output> {
    return plan.state.app === 'sabnzbd' ? runSabnzbd(ctx, plan.state) : runStarr(ctx, plan.state);
  },
  summarize: (out): Summary => ({ verdict: 'ok', line: `retried ${out.retried.title}: ${out.message}` }),
});
