import type { OpContext } from '../../core/op.js';
import type { JellyfinId, JellyfinItem, JellyfinItemQuery, JellyfinPort } from '../../core/ports/jellyfin.js';
import { DbSkipped, describeDb, readNeverRefreshed, skipReason, type DbRow } from './library-db.js';

/** What a title is looked for among. */
export const LOOKUP_TYPES = ['Series', 'Movie'];
const PAGE = 500;
/** Items lacking metadata read at most (per filter); a library with more has bigger problems. */
const MAX_MISSING = 10_000;

/**
 * One way of finding items by title. `jellyfin fix` asks every strategy and merges what they find
 * by id, so a strategy is a small addition. A strategy that cannot look (the library database
 * when exec is forbidden or the image has no sqlite3) says so in `skipped` instead of failing the
 * lookup: the others still count.
 */
export interface LookupStrategy {
  name: string;
  /** Where it looks, for a NotFound that says so (a strategy may say more precisely in `Found`). */
  where: string;
  find(ctx: OpContext, jf: JellyfinPort, title: string): Promise<Found>;
}

export interface Found {
  items: JellyfinItem[];
  /** Where it looked, when it knows better than its `where` (which database, which pod). */
  where?: string;
  /** Why it could not look; its items are then []. */
  skipped?: { reason: string; hint?: string };
}

/**
 * A title as people mean it: letters and digits of any script, case, accents and punctuation
 * dropped, words kept apart. "Better Off Ted" = "better.off.ted" = "BETTER OFF TED!", and
 * "Amélie" = "Amelie"; "Se7en" and "Se 7en" stay two titles.
 */
export function normalizeTitle(text: string): string {
  // Only the Latin/Greek/Cyrillic accents go (U+0300–036F): a kana's voicing mark changes the word.
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]+/g, '')
    .normalize('NFC')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\p{M}]+/gu, ' ')
    .trim();
}

/** The same without spaces, for finding candidates: "better off ted" ~ "BetterOffTed". */
export function fold(text: string): string {
  return normalizeTitle(text).replace(/ /g, '');
}

/** Why a title cannot be acted on, or undefined: no letters or digits at all, or an option ("-h", "--yes"). */
export function unusableTitle(title: string): string | undefined {
  if (/^[-\u2010-\u2015\u2212]/.test(title.normalize('NFKC').trim()))
    return 'looks like an option, not a title; to act on an item whose title starts with "-", pass its --id';
  if (!normalizeTitle(title)) return 'has no letters or digits: it would match every title';
  return undefined;
}

/** A folder name without its year and tags: "Better Off Ted (2009) [tmdbid-12345]" → "Better Off Ted". */
export function folderTitle(path: string | undefined): string | undefined {
  const parts = path?.split(/[\\/]/).filter(Boolean) ?? [];
  // A movie's path is its file: the title is the folder it sits in.
  if (parts.length > 1 && /\.[a-z0-9]{2,4}$/i.test(parts[parts.length - 1] ?? '')) parts.pop();
  const base = parts.pop();
  return (
    base
      ?.replace(/\[[^\]]*\]/g, '')
      .replace(/\(\d{4}\)/g, '')
      .trim() || undefined
  );
}

/**
 * The only match a write acts on: the whole title equal to the item's name or its folder's title,
 * case, accents and punctuation aside (normalizeTitle). Never a part of a title.
 */
export function isExactMatch(item: JellyfinItem, title: string): boolean {
  const want = normalizeTitle(title);
  if (!want) return false;
  const folder = folderTitle(item.path);
  return normalizeTitle(item.name) === want || (folder !== undefined && normalizeTitle(folder) === want);
}

/** A candidate worth listing: the title inside the name or the folder's title. Never acted on alone. */
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
    const { items } = await jf.items({ searchTerm: title, types: LOOKUP_TYPES, limit: 50 });
    return { items };
  },
};

async function allPages(jf: JellyfinPort, query: Omit<JellyfinItemQuery, 'limit' | 'startIndex'>): Promise<JellyfinItem[]> {
  const out: JellyfinItem[] = [];
  for (let start = 0; start < MAX_MISSING; start += PAGE) {
    const { items, total } = await jf.items({ ...query, startIndex: start, limit: PAGE });
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
      allPages(jf, { types: LOOKUP_TYPES, hasOverview: false }),
      allPages(jf, { types: LOOKUP_TYPES, hasTmdbId: false, hasImdbId: false, hasTvdbId: false }),
    ]);
    return { items: [...noOverview, ...noIds].filter((item) => matches(item, title)) };
  },
};

/** Ids confirmed per `/Items?ids=` call (32 hex + a comma each: the URL stays well under 8 KiB). */
const CONFIRM_BATCH = 100;

/**
 * Rows from the database → the items the API knows by those ids. A 10.10 id is the byte-swapped
 * hex(guid); should a server ever print the blob's order as is, the unswapped form is asked too,
 * and an item is taken only when its name or path is the row's.
 */
export async function confirmRows(jf: JellyfinPort, rows: DbRow[]): Promise<JellyfinItem[]> {
  const wanted = new Map<JellyfinId, DbRow>();
  for (const row of rows) {
    wanted.set(row.id, row);
    const plain = row.raw.replace(/-/g, '').toLowerCase();
    if (/^[0-9a-f]{32}$/.test(plain) && !wanted.has(plain as JellyfinId)) wanted.set(plain as JellyfinId, row);
  }
  const ids = [...wanted.keys()];
  const out = new Map<string, JellyfinItem>();
  for (let i = 0; i < ids.length; i += CONFIRM_BATCH) {
    const batch = ids.slice(i, i + CONFIRM_BATCH);
    const { items } = await jf.items({ ids: batch, limit: batch.length });
    for (const item of items) {
      const row = wanted.get(item.id);
      if (row && (item.name === row.name || (row.path !== undefined && item.path === row.path))) out.set(item.id, item);
    }
  }
  return [...out.values()];
}

/**
 * The library database through the Jellyfin pod (exec `sqlite3 -readonly -json` with a constant
 * query): Series and Movies whose `DateLastRefreshed` is NULL, even when the API's filters do not
 * list them. Which database follows the server's version; the rows are matched by name and folder
 * name here, then confirmed through the API (`/Items?ids=`) before they are offered.
 */
export const libraryDb: LookupStrategy = {
  name: 'library-db',
  where: describeDb(undefined, undefined),
  async find(ctx, jf, title) {
    let version: string;
    try {
      version = (await jf.systemInfo()).version;
    } catch (err) {
      if (ctx.signal.aborted) throw err;
      return skipped(skipReason(err, undefined), this.where);
    }
    const namespace = ctx.config.services.jellyfin?.namespace ?? 'jellyfin';
    try {
      const read = await readNeverRefreshed(ctx, namespace, version);
      const where = describeDb(read.db, read.target);
      const rows = read.rows.filter((r) => matches({ id: r.id, name: r.name, path: r.path, type: r.type, providerIds: {} }, title));
      ctx.log.debug(`${read.rows.length} never-refreshed items in ${read.db.file}, ${rows.length} matching "${title}"`);
      const items = rows.length ? await confirmRows(jf, rows) : [];
      if (items.length < rows.length) {
        ctx.log.warn(`${rows.length - items.length} of the items in ${read.db.file} matching "${title}" are not known to the API by their id; left out`);
      }
      return { items, where };
    } catch (err) {
      if (!(err instanceof DbSkipped)) throw err;
      return skipped(err, describeDb(err.db, err.target));
    }
  },
};

function skipped(err: DbSkipped, where: string): Found {
  return { items: [], where, skipped: { reason: err.message, hint: err.hint } };
}

/** Asked in this order; a later strategy adds what the earlier ones missed. */
export const STRATEGIES: readonly LookupStrategy[] = [apiSearch, missingMetadata, libraryDb];

export interface Candidate {
  item: JellyfinItem;
  foundBy: string[];
}

export interface Lookup {
  matches: Candidate[];
  /** Where each strategy looked, in order; a skipped one says "(skipped: why)". */
  lookedIn: string[];
  skipped: Array<{ strategy: string; reason: string; hint?: string }>;
}

export async function lookUp(ctx: OpContext, jf: JellyfinPort, title: string, strategies = STRATEGIES): Promise<Lookup> {
  const found = await Promise.all(strategies.map(async (s) => ({ s, found: await s.find(ctx, jf, title) })));
  const byId = new Map<string, Candidate>();
  const lookedIn: string[] = [];
  const skippedOnes: Lookup['skipped'] = [];
  for (const { s, found: f } of found) {
    const where = f.where ?? s.where;
    if (f.skipped) {
      lookedIn.push(`${where} (skipped: ${f.skipped.reason})`);
      skippedOnes.push({ strategy: s.name, ...f.skipped });
      ctx.log.warn(`${s.name} lookup skipped: ${f.skipped.reason}${f.skipped.hint ? ` (${f.skipped.hint})` : ''}`);
      continue;
    }
    lookedIn.push(where);
    for (const item of f.items) {
      const known = byId.get(item.id);
      if (known) {
        if (!known.foundBy.includes(s.name)) known.foundBy.push(s.name);
      } else byId.set(item.id, { item, foundBy: [s.name] });
    }
  }
  return { matches: [...byId.values()], lookedIn, skipped: skippedOnes };
}
