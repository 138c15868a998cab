import { describe, expect, it } from 'vitest';
import { Forbidden, Upstream } from '../../../src/core/errors.js';
import type { OpContext } from '../../../src/core/op.js';
import type { JellyfinId, JellyfinItem, JellyfinItemQuery, JellyfinPort } from '../../../src/core/ports/jellyfin.js';
import type { ExecOptions, ExecResult, KubeObject, KubePort } from '../../../src/core/ports/kube.js';
import { isExactMatch, normalizeTitle, unusableTitle } from '../../../src/ops/media/lookup.js';
import { LIBRARY_DB_10_10, LIBRARY_DB_10_11, libraryDbFor, netGuidHexToId, parseRows, rowId, sqliteArgv } from '../../../src/ops/media/library-db.js';
import { libraryDb } from '../../../src/ops/media/lookup.js';

// .NET: new Guid("00112233-4455-6677-8899-aabbccddeeff").ToByteArray() is 33 22 11 00 55 44 77 66 88 99 AA BB CC DD EE FF.
const DOTNET_BYTES = '33221100554477668899AABBCCDDEEFF';
const DOTNET_GUID = '00112233445566778899aabbccddeeff';
// The sandbox's "Better Off Ted": the id the API prints, and hex(guid) of its TypedBaseItems row.
const TED_ID = 'e099ff07122a49179927d074320436cc';
const TED_HEX = '07FF99E02A1217499927D074320436CC';

describe('library database: GUIDs', () => {
  it('turns hex(guid) of a 10.10 blob (.NET byte order) into the API id', () => {
    expect(netGuidHexToId(DOTNET_BYTES)).toBe(DOTNET_GUID);
    expect(netGuidHexToId(TED_HEX)).toBe(TED_ID);
    expect(netGuidHexToId(TED_HEX.toLowerCase())).toBe(TED_ID);
    expect(rowId(LIBRARY_DB_10_10, TED_HEX)).toBe(TED_ID);
  });

  it('reads a 10.11 TEXT id (upper case, dashed) as it is, without swapping', () => {
    expect(rowId(LIBRARY_DB_10_11, 'E099FF07-122A-4917-9927-D074320436CC')).toBe(TED_ID);
    expect(rowId(LIBRARY_DB_10_11, '00112233-4455-6677-8899-AABBCCDDEEFF')).toBe(DOTNET_GUID);
  });

  it('refuses what is not 32 hex digits', () => {
    for (const bad of ['', TED_HEX.slice(1), `${TED_HEX}0`, '../System/Shutdown', `${TED_HEX.slice(0, 31)}G`]) {
      expect(netGuidHexToId(bad)).toBeUndefined();
    }
    expect(rowId(LIBRARY_DB_10_11, '../System/Shutdown')).toBeUndefined();
  });
});

describe('library database: the query', () => {
  it('picks the database by server version', () => {
    expect(libraryDbFor('10.9.11')).toBe(LIBRARY_DB_10_10);
    expect(libraryDbFor('10.10.7')).toBe(LIBRARY_DB_10_10);
    expect(libraryDbFor('10.11.0')).toBe(LIBRARY_DB_10_11);
    expect(libraryDbFor('10.11.11')).toBe(LIBRARY_DB_10_11);
    expect(libraryDbFor('12.0.0')).toBe(LIBRARY_DB_10_11);
    expect(libraryDbFor('unknown')).toBeUndefined();
  });

  it('is one constant, read-only SELECT per database, as an argument vector', () => {
    expect(sqliteArgv(LIBRARY_DB_10_10)).toEqual(['sqlite3', '-readonly', '-json', '/config/data/library.db', LIBRARY_DB_10_10.sql]);
    expect(sqliteArgv(LIBRARY_DB_10_11)).toEqual(['sqlite3', '-readonly', '-json', '/config/data/jellyfin.db', LIBRARY_DB_10_11.sql]);
    expect(sqliteArgv(LIBRARY_DB_10_10)).toEqual(sqliteArgv(LIBRARY_DB_10_10));
    expect(Object.isFrozen(LIBRARY_DB_10_10) && Object.isFrozen(LIBRARY_DB_10_11)).toBe(true);
    for (const db of [LIBRARY_DB_10_10, LIBRARY_DB_10_11]) {
      expect(db.sql).toMatch(/^SELECT /);
      expect(db.sql.indexOf(';')).toBe(db.sql.length - 1); // one statement
      expect(db.sql).not.toMatch(/\b(INSERT|UPDATE|DELETE|DROP|ATTACH|PRAGMA|CREATE|ALTER)\b/i);
      expect(db.sql).toContain('DateLastRefreshed IS NULL');
      expect(db.sql).toContain("'MediaBrowser.Controller.Entities.TV.Series'");
      expect(db.sql).toContain("'MediaBrowser.Controller.Entities.Movies.Movie'");
      expect(db.sql).toMatch(/ LIMIT \d+;$/);
    }
    expect(LIBRARY_DB_10_10.sql).toContain('hex(guid) AS Id');
    expect(LIBRARY_DB_10_10.sql).toContain('FROM TypedBaseItems');
    expect(LIBRARY_DB_10_11.sql).toContain('FROM BaseItems');
  });
});

describe('library database: sqlite3 -json output', () => {
  it('parses rows, shortens the .NET types and converts the ids', () => {
    const out =
      `[{"Id":"${TED_HEX}","Name":"Better Off Ted","Path":"/media/tv/Better Off Ted (2009)","Type":"MediaBrowser.Controller.Entities.TV.Series"},\n` +
      '{"Id":"54694A3671B3DA4F88117D6F98BE6F0A","Name":"Step Brothers","Path":"/media/movies/Step Brothers (2008)/Step Brothers.mkv","Type":"MediaBrowser.Controller.Entities.Movies.Movie"},\n' +
      '{"Id":"not-a-guid","Name":"Broken","Path":null,"Type":"MediaBrowser.Controller.Entities.Movies.Movie"}]\n';
    expect(parseRows(LIBRARY_DB_10_10, out)).toEqual([
      { id: TED_ID, raw: TED_HEX, name: 'Better Off Ted', path: '/media/tv/Better Off Ted (2009)', type: 'Series' },
      {
        id: '364a6954b3714fda88117d6f98be6f0a',
        raw: '54694A3671B3DA4F88117D6F98BE6F0A',
        name: 'Step Brothers',
        path: '/media/movies/Step Brothers (2008)/Step Brothers.mkv',
        type: 'Movie',
      },
    ]);
  });

  it('reads no output as no rows (sqlite3 prints nothing for an empty result)', () => {
    expect(parseRows(LIBRARY_DB_10_11, '')).toEqual([]);
    expect(parseRows(LIBRARY_DB_10_11, '\n')).toEqual([]);
  });

  it('says so when the output is not the rows asked for', () => {
    expect(() => parseRows(LIBRARY_DB_10_11, 'Better Off Ted|x|y')).toThrow(Upstream);
    expect(() => parseRows(LIBRARY_DB_10_11, '{"Id":1}')).toThrow(/not the rows asked for/);
  });
});

// ---- the strategy, with stub ports

const POD: KubeObject = {
  metadata: { name: 'jellyfin-7d9c8b5f4-x2k9q', namespace: 'jellyfin' },
  spec: { nodeName: 'n1', containers: [{ name: 'jellyfin' }] },
  status: { phase: 'Running', containerStatuses: [{ name: 'jellyfin', ready: true }] },
};

function stubs(exec: (argv: string[]) => Promise<ExecResult>, known: JellyfinItem[], version = '10.10.7') {
  const calls: { exec: Array<{ ns: string; pod: string; container?: string; argv: string[] }>; ids: string[][]; warnings: string[] } = {
    exec: [],
    ids: [],
    warnings: [],
  };
  const kube = {
    server: 'https://k',
    async *listPages() {
      yield [POD];
    },
    async exec(ns: string, pod: string, container: string | undefined, argv: string[], _o: ExecOptions) {
      calls.exec.push({ ns, pod, container, argv });
      return exec(argv);
    },
  } as unknown as KubePort;
  const jf = {
    target: 'http://jf',
    async systemInfo() {
      return { serverName: 'jf', version };
    },
    async items(q: JellyfinItemQuery) {
      calls.ids.push(q.ids ?? []);
      const items = known.filter((i) => q.ids?.includes(i.id));
      return { items, total: items.length };
    },
  } as unknown as JellyfinPort;
  const ctx = {
    kube,
    signal: new AbortController().signal,
    config: { services: { jellyfin: { namespace: 'jellyfin' } } },
    log: {
      progress() {},
      debug() {},
      warn(m: string) {
        calls.warnings.push(m);
      },
    },
  } as unknown as OpContext;
  return { ctx, jf, calls };
}

const ted: JellyfinItem = {
  id: TED_ID as JellyfinId,
  name: 'Better Off Ted',
  type: 'Series',
  path: '/media/tv/Better Off Ted (2009)',
  providerIds: {},
  dateLastRefreshed: null,
};
const ok = (stdout: string): Promise<ExecResult> =>
  Promise.resolve({ stdout, stderr: '', exitCode: 0, truncated: { stdout: false, stderr: false }, protocol: 'v5.channel.k8s.io' });

describe('library-db lookup strategy', () => {
  it('runs the constant argv in the Jellyfin pod, matches the title on the rows and confirms the ids through the API', async () => {
    const rows =
      `[{"Id":"${TED_HEX}","Name":"Better Off Ted","Path":"/media/tv/Better Off Ted (2009)","Type":"MediaBrowser.Controller.Entities.TV.Series"},\n` +
      '{"Id":"FB0D0FA118D11643B9FBD1F9ED205A11","Name":"Fallout","Path":"/media/tv/Fallout (2024)","Type":"MediaBrowser.Controller.Entities.TV.Series"}]';
    const { ctx, jf, calls } = stubs(() => ok(rows), [ted]);
    const found = await libraryDb.find(ctx, jf, 'better off ted');
    expect(found.skipped).toBeUndefined();
    expect(found.items).toEqual([ted]);
    expect(found.where).toContain('/config/data/library.db (TypedBaseItems');
    expect(calls.exec).toEqual([{ ns: 'jellyfin', pod: 'jellyfin-7d9c8b5f4-x2k9q', container: 'jellyfin', argv: sqliteArgv(LIBRARY_DB_10_10) }]);
    // only the matching row is confirmed (Fallout is not asked for); the unswapped form too, as a fallback
    expect(calls.ids).toEqual([[TED_ID, TED_HEX.toLowerCase()]]);
  });

  it('offers nothing the API does not know by that id', async () => {
    const rows = `[{"Id":"${TED_HEX}","Name":"Better Off Ted","Path":"/x","Type":"MediaBrowser.Controller.Entities.TV.Series"}]`;
    const { ctx, jf, calls } = stubs(() => ok(rows), []);
    expect((await libraryDb.find(ctx, jf, 'Better Off Ted')).items).toEqual([]);
    expect(calls.warnings.join('\n')).toMatch(/not known to the API/);
  });

  it('reads jellyfin.db from 10.11 on', async () => {
    const rows =
      '[{"Id":"E099FF07-122A-4917-9927-D074320436CC","Name":"Better Off Ted","Path":"/media/tv/Better Off Ted (2009)","Type":"MediaBrowser.Controller.Entities.TV.Series"}]';
    const { ctx, jf, calls } = stubs(() => ok(rows), [ted], '10.11.11');
    expect((await libraryDb.find(ctx, jf, 'Better Off Ted')).items).toEqual([ted]);
    expect(calls.exec[0]?.argv).toEqual(sqliteArgv(LIBRARY_DB_10_11));
  });

  it('is skipped, with the reason, when exec is forbidden', async () => {
    const { ctx, jf } = stubs(
      () => Promise.reject(new Forbidden('forbidden: needs `get` and `create` on pods/exec in namespace jellyfin (the exec upgrade needs both)')),
      [ted],
    );
    const found = await libraryDb.find(ctx, jf, 'Better Off Ted');
    expect(found.items).toEqual([]);
    expect(found.skipped?.reason).toBe('forbidden: needs `get` and `create` on pods/exec in namespace jellyfin (the exec upgrade needs both)');
  });

  it('is skipped when the image has no sqlite3', async () => {
    const missing = new Upstream(
      'exec of `sqlite3` in pod jellyfin/x failed: Internal error occurred: error executing command in container: failed to exec in container: failed to start exec "1": OCI runtime exec failed: exec failed: unable to start container process: exec: "sqlite3": executable file not found in $PATH: unknown',
      { hint: 'the image of the container has no `sqlite3`' },
    );
    const { ctx, jf } = stubs(() => Promise.reject(missing), [ted]);
    const found = await libraryDb.find(ctx, jf, 'Better Off Ted');
    expect(found.skipped?.reason).toBe('sqlite3 is not installed in the Jellyfin pod jellyfin/jellyfin-7d9c8b5f4-x2k9q');
  });

  it('is skipped when sqlite3 cannot read the file', async () => {
    const { ctx, jf } = stubs(
      () =>
        Promise.resolve({
          stdout: '',
          stderr: 'Error: in prepare, database is locked (5)\n',
          exitCode: 5,
          truncated: { stdout: false, stderr: false },
          protocol: 'v5.channel.k8s.io',
        }),
      [ted],
    );
    const found = await libraryDb.find(ctx, jf, 'Better Off Ted');
    expect(found.skipped?.reason).toMatch(/sqlite3 could not read \/config\/data\/library\.db .*\(exit 5\): Error: in prepare, database is locked/);
  });
});

describe('titles: what jellyfin fix acts on', () => {
  const item = (name: string, path?: string): JellyfinItem => ({ id: '0'.repeat(32) as JellyfinId, name, type: 'Series', path, providerIds: {} });

  it('is the whole title, case, accents and punctuation aside, never a part of it', () => {
    expect(normalizeTitle('Better.Off.Ted!')).toBe('better off ted');
    expect(normalizeTitle('Amélie')).toBe('amelie');
    expect(normalizeTitle('ガ')).not.toBe(normalizeTitle('カ'));
    expect(isExactMatch(item('Better Off Ted'), 'better.off.ted')).toBe(true);
    expect(isExactMatch(item('Something', '/media/tv/Better Off Ted (2009) [tmdbid-18586]'), 'BETTER OFF TED')).toBe(true);
    expect(isExactMatch(item('Step Brothers'), 'Brothers')).toBe(false);
    expect(isExactMatch(item('Step Brothers'), '-h')).toBe(false);
    expect(isExactMatch(item('Se7en'), 'Se 7en')).toBe(false);
  });

  it('refuses titles that are options or have nothing to match', () => {
    expect(unusableTitle('-h')).toMatch(/looks like an option/);
    expect(unusableTitle(' --yes')).toMatch(/looks like an option/);
    expect(unusableTitle('\u2014h')).toMatch(/looks like an option/);
    expect(unusableTitle('...')).toMatch(/no letters or digits/);
    expect(unusableTitle('')).toMatch(/no letters or digits/);
    expect(unusableTitle('Better Off Ted')).toBeUndefined();
    expect(unusableTitle('9-1-1')).toBeUndefined();
  });
});
