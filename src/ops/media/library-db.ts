/**
 * Jellyfin's library database, read through the Jellyfin pod: the items that were never refreshed
 * (`DateLastRefreshed` NULL), which the UI hides and the API's own filters may not reveal.
 *
 * Which database depends on the server (../shared/reference/jellyfin.md §4): up to 10.10
 * `/config/data/library.db`, table `TypedBaseItems`, whose `guid` is a BLOB in .NET's byte order
 * (`Guid.ToByteArray()`: the first three groups little-endian), read as `hex(guid)`; from 10.11
 * (EF Core) `/config/data/jellyfin.db`, table `BaseItems`, whose `Id` is TEXT, upper case with
 * dashes. Both become the API's 32-hex form here, and every id is confirmed through the API
 * (`/Items?ids=`) before it is offered: the database only says where to look.
 *
 * The query is `sqlite3 -readonly -json <db> <SQL>` as an argument vector: the SQL is a constant of
 * this file and no user text ever goes into it (the title is matched in TypeScript, on the rows).
 */
import { z } from 'zod';
import type { OpContext } from '../../core/op.js';
import { Forbidden, HomelabError, NotFound, Upstream, describeError, isHomelabError } from '../../core/errors.js';
import { parseJellyfinId, type JellyfinId } from '../../core/ports/jellyfin.js';
import { listAll } from '../../core/ports/kube.js';
import { parseObject, podSchema, type Pod } from '../shared/k8s.js';
import { runIn, type ExecTarget } from '../shared/exec.js';
import { isRunningAndReady } from '../shared/pods.js';

/** The .NET type names of what `jellyfin fix` looks for (Series, Movie). */
export const DB_TYPES = {
  Series: 'MediaBrowser.Controller.Entities.TV.Series',
  Movie: 'MediaBrowser.Controller.Entities.Movies.Movie',
} as const;

/** "Never refreshed": NULL, or .NET's DateTime.MinValue written as text. */
const NEVER_REFRESHED = "(DateLastRefreshed IS NULL OR DateLastRefreshed LIKE '0001-01-01%')";
const TYPE_LIST = `('${DB_TYPES.Series}', '${DB_TYPES.Movie}')`;
/** Rows read at most; a library with more never-refreshed items has bigger problems. */
export const MAX_ROWS = 10_000;

export interface LibraryDb {
  /** The server line it belongs to, for messages. */
  versions: string;
  file: string;
  table: string;
  /** How the id column reads: a .NET-order GUID blob as hex, or the 10.11 dashed TEXT. */
  idForm: 'net-blob-hex' | 'text';
  /** A constant: never built from input. */
  sql: string;
}

export const LIBRARY_DB_10_10: Readonly<LibraryDb> = Object.freeze({
  versions: 'up to 10.10',
  file: '/config/data/library.db',
  table: 'TypedBaseItems',
  idForm: 'net-blob-hex',
  sql:
    'SELECT hex(guid) AS Id, Name, Path, type AS Type FROM TypedBaseItems' +
    ` WHERE type IN ${TYPE_LIST} AND ${NEVER_REFRESHED} ORDER BY Name LIMIT ${MAX_ROWS};`,
});

export const LIBRARY_DB_10_11: Readonly<LibraryDb> = Object.freeze({
  versions: '10.11 and later',
  file: '/config/data/jellyfin.db',
  table: 'BaseItems',
  idForm: 'text',
  sql: 'SELECT Id, Name, Path, Type FROM BaseItems' + ` WHERE Type IN ${TYPE_LIST} AND ${NEVER_REFRESHED} ORDER BY Name LIMIT ${MAX_ROWS};`,
});

/** The database of a server version ("10.10.7", "10.11.0", "12.0.0"); undefined when unreadable. */
export function libraryDbFor(version: string): LibraryDb | undefined {
  const m = /^(\d+)\.(\d+)/.exec(version.trim());
  if (!m) return undefined;
  const major = Number(m[1]);
  const minor = Number(m[2]);
  return major > 10 || (major === 10 && minor >= 11) ? LIBRARY_DB_10_11 : LIBRARY_DB_10_10;
}

/** The argument vector: read-only, JSON out, the database file and the constant SQL. */
export function sqliteArgv(db: LibraryDb): string[] {
  return ['sqlite3', '-readonly', '-json', db.file, db.sql];
}

/**
 * `hex(guid)` of a TypedBaseItems row (.NET `Guid.ToByteArray()` order: Data1 as 4 little-endian
 * bytes, Data2 and Data3 as 2 each, then 8 bytes as they are) → the id the API prints.
 */
export function netGuidHexToId(hex: string): JellyfinId | undefined {
  if (!/^[0-9a-f]{32}$/i.test(hex)) return undefined;
  const b = hex.toLowerCase().match(/../g) as string[];
  const swapped = [...b.slice(0, 4).reverse(), ...b.slice(4, 6).reverse(), ...b.slice(6, 8).reverse(), ...b.slice(8)].join('');
  return parseJellyfinId(swapped);
}

/** The id of a row as the API prints it, per the database's id column. */
export function rowId(db: LibraryDb, raw: string): JellyfinId | undefined {
  return db.idForm === 'net-blob-hex' ? netGuidHexToId(raw) : parseJellyfinId(raw);
}

const rowSchema = z.object({
  Id: z.string(),
  Name: z.string().nullish(),
  Path: z.string().nullish(),
  Type: z.string().nullish(),
});

export interface DbRow {
  /** The API's 32-hex id. */
  id: JellyfinId;
  /** The id as the database printed it. */
  raw: string;
  name: string;
  path?: string;
  /** Series or Movie (the .NET type name shortened); the full name for anything else. */
  type: string;
}

/**
 * sqlite3 `-json` output → rows. No output at all is no rows (sqlite3 prints nothing for an empty
 * result). Rows whose id is not a GUID are dropped: they could not be confirmed anyway.
 */
export function parseRows(db: LibraryDb, stdout: string): DbRow[] {
  const text = stdout.trim();
  if (!text) return [];
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new Upstream(`sqlite3 printed something that is not JSON reading ${db.file}: ${text.slice(0, 120)}`);
  }
  const parsed = z.array(rowSchema).safeParse(data);
  if (!parsed.success) throw new Upstream(`sqlite3's answer from ${db.file} is not the rows asked for (Id, Name, Path, Type)`);
  const short = Object.fromEntries(Object.entries(DB_TYPES).map(([k, v]) => [v, k]));
  return parsed.data.flatMap((r): DbRow[] => {
    const id = rowId(db, r.Id);
    if (!id) return [];
    return [{ id, raw: r.Id, name: r.Name ?? '', path: r.Path ?? undefined, type: r.Type ? (short[r.Type] ?? r.Type) : 'Unknown' }];
  });
}

/**
 * The Jellyfin pod in the configured namespace: running and ready; the container named `jellyfin`,
 * or the pod's first container. A pod with a `jellyfin` container, or named or labelled so, is
 * preferred over other pods of the namespace.
 */
export async function findJellyfinPod(ctx: OpContext, namespace: string): Promise<ExecTarget> {
  const pods = (await listAll(ctx.kube, { group: '', version: 'v1', resource: 'pods', namespace })).map((p) => parseObject(podSchema, p, 'Pod'));
  const running = pods.filter(isRunningAndReady);
  const hasContainer = (p: Pod): boolean => p.spec.containers.some((c) => c.name === 'jellyfin');
  const looksLike = (p: Pod): boolean => p.metadata.name.includes('jellyfin') || Object.values(p.metadata.labels ?? {}).some((v) => v === 'jellyfin');
  const pod = running.find(hasContainer) ?? running.find(looksLike) ?? (running.length === 1 ? running[0] : undefined);
  if (!pod) {
    throw new NotFound(
      pods.length
        ? `no running and ready Jellyfin pod in namespace ${namespace} (pods there: ${pods
            .slice(0, 5)
            .map((p) => `${p.metadata.name} ${p.status.phase ?? ''}`.trim())
            .join(', ')})`
        : `no pods in namespace ${namespace}`,
      { hint: 'services.jellyfin.namespace in the config names where the Jellyfin pod runs' },
    );
  }
  const container = hasContainer(pod) ? 'jellyfin' : pod.spec.containers[0]?.name;
  return { namespace, pod: pod.metadata.name, container, label: `Jellyfin pod ${namespace}/${pod.metadata.name}` };
}

/** Why the database could not be read, in one line; thrown by `readNeverRefreshed`. */
export class DbSkipped extends HomelabError {
  /** Which database and pod it was about to read, when it got that far (for "where it looked"). */
  db?: LibraryDb;
  target?: ExecTarget;
  constructor(message: string, options?: { hint?: string; cause?: unknown }) {
    super('Upstream', message, options);
  }
}

/** Turns what exec threw into the reason the database was skipped; the op's own abort goes on. */
export function skipReason(err: unknown, target: ExecTarget | undefined): DbSkipped {
  if (err instanceof DbSkipped) return err;
  if (err instanceof Forbidden) return new DbSkipped(err.message, { hint: err.hint, cause: err });
  const text = describeError(err);
  const hint = isHomelabError(err) ? err.hint : undefined;
  if (/executable file not found|no such file or directory/.test(text) || /has no `sqlite3`/.test(hint ?? '')) {
    return new DbSkipped(`sqlite3 is not installed in the ${target?.label ?? 'Jellyfin pod'}`, {
      hint: 'the official jellyfin/jellyfin image ships without the sqlite3 CLI; the API lookups still ran',
      cause: err,
    });
  }
  return new DbSkipped(text, { hint, cause: err });
}

export interface DbRead {
  db: LibraryDb;
  target: ExecTarget;
  rows: DbRow[];
}

/**
 * Reads the never-refreshed Series and Movies of the database for `version` in the Jellyfin pod.
 * Anything that keeps it from being read (exec forbidden, no sqlite3, the file missing or locked,
 * output cut short) is a `DbSkipped`; an abort of the op is rethrown as it came.
 */
export async function readNeverRefreshed(ctx: OpContext, namespace: string, version: string): Promise<DbRead> {
  const db = libraryDbFor(version);
  if (!db) throw new DbSkipped(`Jellyfin reported version "${version.slice(0, 40)}", which does not say which library database it uses`);
  let target: ExecTarget | undefined;
  try {
    target = await findJellyfinPod(ctx, namespace);
    const result = await runIn(ctx, target, sqliteArgv(db), { timeoutMs: 30_000, maxBytes: 8 * 1024 * 1024 });
    if (result.exitCode !== 0) {
      const line = result.stderr.trim().split('\n')[0] ?? '';
      if (result.exitCode === 127 || (/not found/.test(line) && /sqlite3/.test(line))) throw skipReason(new Error('executable file not found'), target);
      throw new DbSkipped(`sqlite3 could not read ${db.file} in the ${target.label} (exit ${result.exitCode}): ${line || 'no message'}`);
    }
    if (result.truncated.stdout) throw new DbSkipped(`sqlite3's answer from ${db.file} was larger than the 8 MiB read`);
    return { db, target, rows: parseRows(db, result.stdout) };
  } catch (err) {
    if (ctx.signal.aborted) throw err;
    const skipped = skipReason(err, target);
    skipped.db ??= db;
    skipped.target ??= target;
    throw skipped;
  }
}

/** "the library database /config/data/library.db (TypedBaseItems) …", for lookedIn and NotFound. */
export function describeDb(db: LibraryDb | undefined, target: ExecTarget | undefined): string {
  const what = db ? `${db.file} (${db.table}, Jellyfin ${db.versions})` : '(library.db/TypedBaseItems up to 10.10, jellyfin.db/BaseItems from 10.11)';
  return `the library database ${what}${target ? ` in the ${target.label}` : ' through the Jellyfin pod'}, items never refreshed`;
}
