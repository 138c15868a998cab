import { z } from 'zod';
import { UserError } from '../../core/errors.js';
import { defineOp, type Plan, type Summary } from '../../core/op.js';
import { plural } from '../shared/format.js';
import { APP_LABEL, QUEUE_READ } from './starr.js';

const STARR = ['sonarr', 'radarr'] as const;

const output = z.object({
  app: z.enum(STARR),
  items: z
    .array(z.object({ id: z.number().int(), label: z.string(), target: z.string() }))
    .describe('What was searched for, and the allow-list entry it passed as'),
  command: z.object({ id: z.number().int(), name: z.string(), status: z.string(), message: z.string().optional() }),
  grabbed: z
    .array(z.object({ queueId: z.number().int(), title: z.string(), for: z.string().optional() }))
    .describe('Downloads the search started, as far as the queue shows them yet'),
});
type Output = z.infer<typeof output>;

/** The items the plan checked against the allow-list, and the queue before the search (to tell what it grabbed). */
interface SearchState {
  items: Output['items'];
  queueBefore: number[];
}

const POLL_MS = 500;
const WAIT_MS = 10_000;

export default defineOp({
  name: 'arr_search',
  title: 'Search again for missing episodes or movies',
  description:
    'For one episode (Sonarr) or movie (Radarr) arr_missing lists, if allow.arr names its title; waits up to 10 s. Returns the command and downloads.',
  effect: 'write',
  listedWith: ['sonarr', 'radarr'],
  hints: { destructive: false, idempotent: true, openWorld: false },
  input: z
    .object({
      app: z.enum(STARR),
      id: z.number().int().positive().describe('Episode or movie id from arr_missing'),
    })
    .strict(),
  output,
  rbac: [],
  timeoutMs: 60_000,
  args: ['app'],
  async plan(ctx, input): Promise<Plan<SearchState>> {
    const port = await ctx.services.starr(input.app);
    if (!port)
      throw new UserError(`${APP_LABEL[input.app]} is not configured`, { hint: `add services.${input.app} (url, apiKey: {env: NAME}) to the config file` });
    const ids = [input.id];
    const items = await Promise.all(ids.map((id) => port.item(id)));
    const checked = items.map((item) => ({ id: item.id, label: item.label, target: `${input.app}/${item.slug ?? 'unknown'}` }));
    // Before anything is shown or started: the allow-list names what may be searched for.
    for (const item of checked) ctx.authorize('arr', item.target);
    const body = input.app === 'sonarr' ? { name: 'EpisodeSearch', episodeIds: ids } : { name: 'MoviesSearch', movieIds: ids };
    return {
      summary: `search for ${checked.map((c) => c.label).join(', ')} in ${APP_LABEL[input.app]}`,
      changes: [{ action: `POST /api/v3/command on ${APP_LABEL[input.app]} at ${port.target}`, body }],
      effects: [`${APP_LABEL[input.app]} asks its indexers and grabs the best release it finds, which starts a download`],
      observed: [],
      state: { items: checked, queueBefore: (await port.queue(QUEUE_READ)).items.map((q) => q.id) },
    };
  },
  async run(ctx, input, plan): Promise<Output> {
    const port = await ctx.services.starr(input.app);
    if (!port)
      throw new UserError(`${APP_LABEL[input.app]} is not configured`, { hint: `add services.${input.app} (url, apiKey: {env: NAME}) to the config file` });
    const ids = plan.state.items.map((i) => i.id);
    const before = new Set(plan.state.queueBefore);
    ctx.log.progress(`asking ${APP_LABEL[input.app]} to search for ${plural(ids.length, input.app === 'sonarr' ? 'episode' : 'movie')}…`);
    let command = await port.search(ids);
    for (
      const deadline = Date.now() + WAIT_MS;
      !['completed', 'failed', 'aborted', 'cancelled', 'orphaned'].includes(command.status) && Date.now() < deadline;
    ) {
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      command = await port.command(command.id);
    }
    const wanted = new Set(ids);
    const grabbed = (await port.queue(QUEUE_READ)).items
      .filter((q) => !before.has(q.id) && q.item && wanted.has(q.item.id))
      .map((q) => ({ queueId: q.id, title: q.title, for: q.item?.label }));
    return {
      app: input.app,
      items: plan.state.items,
      command: { id: command.id, name: command.name, status: command.status, message: command.message },
      grabbed,
    };
  },
  summarize: (out): Summary => ({
    verdict: out.command.status === 'failed' ? 'warn' : 'ok',
    line: `${APP_LABEL[out.app]} search ${out.command.status}: ${out.grabbed.length ? `grabbed ${out.grabbed.map((g) => g.title).join(', ')}` : 'nothing grabbed yet'}`,
  }),
});
