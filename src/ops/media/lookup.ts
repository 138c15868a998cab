import type { OpContext } from '../../core/op.js';
import type { JellyfinItem, JellyfinItemQuery, JellyfinPort } from '../../core/ports/jellyfin.js';

/** What a title is looked for among. */
export const LOOKUP_TYPES = ['Series', 'Movie'];
const PAGE = 500;
/** Items lacking metadata read at most (per filter); a library with more has bigger problems. */
const MAX_MISSING = 10_000;

/**
 * One way of finding items by title. `jellyfin fix` asks every strategy and merges what they find
 * by id, so a strategy is a small addition: the library-database strategy (reading
 * `library.db`/TypedBaseItems up to 10.10, `jellyfin.db`/BaseItems from 10.11 through pod exec,
 * for items whose NULL columns keep them out of the API's answers too) slots in here once exec
 * into the Jellyfin pod exists. Its GUIDs must be mapped through the API (`/Items?ids=`), since
 * hex(guid) in TypedBaseItems is in .NET byte order.
 */
export interface LookupStrategy {
  name: string;
  /** Where it looked, for a NotFound that says so. */
  where: string;
  find(ctx: OpContext, jf: JellyfinPort, title: string): Promise<JellyfinItem[]>;
}

/** Lowercase letters and digits only: "Better Off Ted" ~ "better.off.ted". */
export function fold(text: string): string {
  return text.toLowerCase().normalize('NFKD').replace(/[^a-z0-9]/g, '');
}

/** A folder name without its year and tags: "Better Off Ted (2009) [tmdbid-12345]" → "Better Off Ted". */
export function folderTitle(path: string | undefined): string | undefined {
  const parts = path?.split(/[\\/]/).filter(Boolean) ?? [];
  // A movie's path is its file: the title is the folder it sits in.
  if (parts.length > 1 && /\.[a-z0-9]{2,4}$/i.test(parts[parts.length - 1] ?? '')) parts.pop();
  const base = parts.pop();
  return base?.replace(/\[[^\]]*\]/g, '').replace(/\(\d{4}\)/g, '').trim() || undefined;
}

export function isExactMatch(item: JellyfinItem, title: string): boolean {
  const want = title.trim().toLowerCase();
  return item.name.trim().toLowerCase() === want || folderTitle(item.path)?.toLowerCase() === want;
}

function matches(item: JellyfinItem, title: string): boolean {
  const want = fold(title);
  if (!want) return false;
  return fold(item.name).includes(want) || fold(folderTitle(item.path) ?? '').includes(want);
}

/** Jellyfin's own search: finds items whose names it has indexed. */
export const apiSearch: LookupStrategy = {
  name: 'search',
  where: 'the API search (GET /Items?searchTerm=)',
  async find(ctx, jf, title) {
    const { items } = await jf.items({ searchTerm: title, types: LOOKUP_TYPES, limit: 50 }, ctx.signal);
    return items;
  },
};

async function allPages(ctx: OpContext, jf: JellyfinPort, query: Omit<JellyfinItemQuery, 'limit' | 'startIndex'>): Promise<JellyfinItem[]> {
  const out: JellyfinItem[] = [];
  for (let start = 0; start < MAX_MISSING; start += PAGE) {
    const { items, total } = await jf.items({ ...query, startIndex: start, limit: PAGE }, ctx.signal);
    out.push(...items);
    if (items.length < PAGE || start + PAGE >= total) break;
  }
  return out;
}

/**
 * The items the API itself says lack metadata (no overview; no TMDb, IMDb or TVDb id), matched
 * by name and folder name here: a series that was never refreshed is hidden by the UI and may
 * not be found by a search, but these filters still list it.
 */
export const missingMetadata: LookupStrategy = {
  name: 'missing-metadata',
  where: 'the items lacking metadata (GET /Items?hasOverview=false, and ?hasTmdbId=false&hasImdbId=false&hasTvdbId=false)',
  async find(ctx, jf, title) {
    const [noOverview, noIds] = await Promise.all([
      allPages(ctx, jf, { types: LOOKUP_TYPES, hasOverview: false }),
      allPages(ctx, jf, { types: LOOKUP_TYPES, hasTmdbId: false, hasImdbId: false, hasTvdbId: false }),
    ]);
    return [...noOverview, ...noIds].filter((item) => matches(item, title));
  },
};

/** Asked in this order; a later strategy adds what the earlier ones missed. */
export const STRATEGIES: readonly LookupStrategy[] = [apiSearch, missingMetadata];

export interface Candidate {
  item: JellyfinItem;
  foundBy: string[];
}

export async function lookUp(ctx: OpContext, jf: JellyfinPort, title: string, strategies = STRATEGIES): Promise<Candidate[]> {
  const found = await Promise.all(strategies.map(async (s) => ({ s, items: await s.find(ctx, jf, title) })));
  const byId = new Map<string, Candidate>();
  for (const { s, items } of found) {
    for (const item of items) {
      const known = byId.get(item.id);
      if (known) {
        if (!known.foundBy.includes(s.name)) known.foundBy.push(s.name);
      } else byId.set(item.id, { item, foundBy: [s.name] });
    }
  }
  return [...byId.values()];
}
