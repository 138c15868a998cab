import { z } from 'zod';
import { commandLine, fix, fixSchema } from '../shared/fix.js';
import { defineOp, type Plan } from '../../core/op.js';
import { NotFound, Timeout, UserError } from '../../core/errors.js';
import { hasMetadata, jellyfinIdSchema, type JellyfinItem } from '../../core/ports/jellyfin.js';
import { boundWithWait, pollInterval, pollUntil, waitInput, waitMs, type WaitInput } from '../shared/wait.js';
import { requireJellyfin } from './jellyfin.js';
import { execRbac } from '../shared/exec.js';
import { LOOKUP_TYPES, isExactMatch, lookUp, unusableTitle, type Candidate } from './lookup.js';

const itemSchema = z.object({
  id: z.string().describe('Item id (32 hex digits)'),
  name: z.string(),
  type: z.string(),
  year: z.number().optional(),
  path: z.string().optional(),
  hasMetadata: z.boolean().describe('false: never refreshed (DateLastRefreshed empty), which hides a series in the UI'),
});

function view(item: JellyfinItem) {
  return { id: item.id, name: item.name, type: item.type, year: item.year, path: item.path, hasMetadata: hasMetadata(item) };
}

const WAIT = { timeout: '30s', max: '5m' };

function describeMatch(m: Candidate, title: string | undefined, input: { replaceAll: boolean } & WaitInput) {
  // The call that refreshes this one by its id, with the options the caller chose (a person confirms it).
  const refresh = fix('jellyfin_fix', {
    id: m.item.id,
    replaceAll: input.replaceAll || undefined,
    wait: input.wait ? undefined : false,
    timeout: input.timeout !== WAIT.timeout ? input.timeout : undefined,
  });
  return { ...view(m.item), foundBy: m.foundBy, exact: title === undefined || isExactMatch(m.item, title), fix: refresh };
}

/** What the plan found: the one item to refresh, or the candidates listed instead. */
type FixState =
  | { outcome: 'refreshed'; lookedIn: string[]; matches: Candidate[]; target: JellyfinItem }
  | { outcome: 'ambiguous' | 'not-exact'; lookedIn: string[]; listed: Candidate[] };

const titleSchema = z
  .string()
  .min(1)
  .max(200)
  .superRefine((title, ctx) => {
    const why = unusableTitle(title);
    if (why) ctx.addIssue({ code: 'custom', message: why });
  });

export default defineOp({
  name: 'jellyfin_fix',
  title: 'Fix a Jellyfin item without metadata',
  description:
    'Refreshes the metadata of a series or movie Jellyfin hides, by exact title or id; near matches are only listed. Returns the matches and the item.',
  effect: 'write',
  input: z
    .object({
      title: titleSchema.optional().describe('Exact title (case and punctuation aside)'),
      id: jellyfinIdSchema.optional().describe('Or its item id (32 hex digits)'),
      replaceAll: z.boolean().default(false).describe('All metadata, not only what is missing'),
      ...waitInput(WAIT),
    })
    .strict(),
  output: z.object({
    outcome: z
      .enum(['refreshed', 'ambiguous', 'not-exact'])
      .describe(
        'refreshed: the one exact match (or the id); ambiguous: several items have exactly that title; not-exact: items only contain it. The last two change nothing',
      ),
    lookedIn: z.array(z.string()).describe('Where the title was looked for'),
    matches: z.array(
      itemSchema.extend({
        foundBy: z.array(z.string()),
        exact: z.boolean().describe('Its name or folder name is the title asked for'),
        fix: fixSchema.describe('The call that refreshes this item by its id'),
      }),
    ),
    refreshed: itemSchema
      .extend({
        replaceAllMetadata: z.boolean(),
        metadata: z.enum(['present', 'pending']).describe('pending: still missing when the wait ended (the refresh goes on)'),
        overview: z.string().optional(),
        providerIds: z.record(z.string(), z.string()),
        dateLastRefreshed: z.string().nullable().optional(),
      })
      .optional(),
  }),
  args: ['title'],
  // replaceAll overwrites the metadata an item has.
  hints: { destructive: true, idempotent: true },
  // The library-database lookup: find the Jellyfin pod, exec sqlite3 in it.
  rbac: [...execRbac('jellyfin')],
  requires: ['jellyfin'],
  timeoutMs: 60_000,
  timeoutFor: boundWithWait(60_000),
  async plan(ctx, input): Promise<Plan<FixState>> {
    if ((input.title === undefined) === (input.id === undefined)) {
      throw new UserError('give either a TITLE or --id, not both and not neither', {
        hint: `e.g. ${commandLine('jellyfin_fix', { title: 'Better Off Ted' })}, or ${commandLine('jellyfin_fix', { id: 'f27caa37e5142225cceded48f6553502' })}`,
      });
    }
    const jf = await requireJellyfin(ctx);
    let target: JellyfinItem;
    let matches: Candidate[] = [];
    let lookedIn: string[];
    if (input.id) {
      lookedIn = [`item ${input.id} (GET /Items?ids=)`];
      const { items } = await jf.items({ ids: [input.id], limit: 1 });
      const item = items[0];
      if (!item) throw new NotFound(`Jellyfin at ${jf.target} has no item with id ${input.id}`);
      target = item;
      matches = [{ item, foundBy: ['id'] }];
    } else {
      const title = input.title as string;
      ctx.log.progress(`◎ looking for "${title}" in Jellyfin at ${jf.target}`);
      const found = await lookUp(ctx, jf, title);
      matches = found.matches;
      lookedIn = found.lookedIn;
      if (!matches.length) {
        const db = found.skipped.find((s) => s.strategy === 'library-db');
        throw new NotFound(`no ${LOOKUP_TYPES.join(' or ')} matching "${title}" in Jellyfin at ${jf.target}; looked in ${lookedIn.join('; and ')}`, {
          hint: `${db ? `the library database was not read${db.hint ? ` (${db.hint})` : ''}; ` : ''}check the spelling, or find the id in the Jellyfin UI and pass --id`,
        });
      }
      // A write acts on an exact title only; candidates that merely contain it are listed, never refreshed.
      const exact = matches.filter((m) => isExactMatch(m.item, title));
      const [chosen] = exact;
      if (!chosen || exact.length > 1) {
        const outcome = exact.length > 1 ? ('ambiguous' as const) : ('not-exact' as const);
        const listed = exact.length > 1 ? exact : matches;
        return {
          summary: `${outcome === 'ambiguous' ? `${listed.length} items have exactly the title "${title}"` : `no item has exactly the title "${title}"`}: nothing to refresh`,
          changes: [],
          effects: [],
          observed: [],
          state: { outcome, lookedIn, listed },
        };
      }
      target = chosen.item;
    }
    const what = `${target.type} "${target.name}"${target.year ? ` (${target.year})` : ''}`;
    return {
      summary: `refresh the metadata of ${what} (${target.id}) on Jellyfin at ${jf.target}`,
      changes: [
        { action: `POST /Items/${target.id}/Refresh on Jellyfin at ${jf.target} (metadata and images FullRefresh, replaceAllMetadata ${input.replaceAll})` },
      ],
      effects: [
        `Jellyfin fetches metadata and images for ${what} from its providers${input.replaceAll ? ', replacing what it has' : ', filling in what is missing'}; the item shows up in the UI once it has metadata`,
      ],
      observed: [],
      state: { outcome: 'refreshed', lookedIn, matches, target },
    };
  },
  async run(ctx, input, plan) {
    const planned = plan.state;
    if (planned.outcome !== 'refreshed') {
      return { outcome: planned.outcome, lookedIn: planned.lookedIn, matches: planned.listed.map((m) => describeMatch(m, input.title, input)) };
    }
    const jf = await requireJellyfin(ctx);
    const { lookedIn, matches, target } = planned;
    const before = target;
    ctx.log.progress(
      `► queueing a full metadata refresh of ${before.type} "${before.name}" (${before.id})${input.replaceAll ? ', replacing all metadata' : ''}`,
    );
    await jf.refreshItem(before.id, { metadata: 'FullRefresh', images: 'FullRefresh', replaceAllMetadata: input.replaceAll });
    let after = before;
    let metadata: 'present' | 'pending' = 'pending';
    if (input.wait) {
      ctx.log.progress(`◎ waiting up to ${input.timeout} for its metadata`);
      try {
        after = await pollUntil(
          async () => {
            const now = (await jf.items({ ids: [before.id], limit: 1 })).items[0];
            if (!now || !hasMetadata(now)) return undefined;
            // An item that had metadata is done when Jellyfin records the new refresh (when it says when).
            const fresh = !hasMetadata(before) || now.dateLastRefreshed === undefined || now.dateLastRefreshed !== before.dateLastRefreshed;
            return fresh ? now : undefined;
          },
          { timeoutMs: waitMs(input), intervalMs: pollInterval(ctx), signal: ctx.signal, describe: () => 'metadata did not appear in time' },
        );
        metadata = 'present';
      } catch (err) {
        if (!(err instanceof Timeout)) throw err;
        after = (await jf.items({ ids: [before.id], limit: 1 })).items[0] ?? before;
      }
    }
    return {
      outcome: 'refreshed' as const,
      lookedIn,
      matches: matches.map((m) => describeMatch(m, input.title, input)),
      refreshed: {
        ...view(after),
        hasMetadata: hasMetadata(after),
        replaceAllMetadata: input.replaceAll,
        metadata,
        overview: after.overview,
        providerIds: after.providerIds,
        dateLastRefreshed: after.dateLastRefreshed,
      },
    };
  },
  summarize: (out) => {
    if (out.outcome !== 'refreshed') {
      const head =
        out.outcome === 'ambiguous'
          ? `${out.matches.length} items have exactly that title`
          : `no item has exactly that title; ${out.matches.length} ${out.matches.length === 1 ? 'contains' : 'contain'} it`;
      return {
        verdict: 'warn',
        line: `${head}; nothing refreshed: ${out.matches.map((m) => `${m.type} "${m.name}"${m.year ? ` (${m.year})` : ''}: ${m.fix.command}`).join('; ')}`,
      };
    }
    const r = out.refreshed;
    if (!r) return { verdict: 'ok', line: 'nothing refreshed' };
    const what = `${r.type} "${r.name}"${r.year ? ` (${r.year})` : ''}`;
    return r.metadata === 'present'
      ? {
          verdict: 'ok',
          line: `refreshed ${what}: metadata present${
            Object.keys(r.providerIds).length
              ? ` (${Object.entries(r.providerIds)
                  .map(([k, v]) => `${k} ${v}`)
                  .join(', ')})`
              : ''
          }`,
        }
      : { verdict: 'warn', line: `queued a full refresh of ${what}; its metadata had not appeared when the wait ended (Jellyfin keeps working on it)` };
  },
});
