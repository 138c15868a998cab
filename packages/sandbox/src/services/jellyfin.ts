/**
 * A fake Jellyfin (10.10 or 10.11 flavour): API-key auth, system info, item browse/search with
 * the real filters, counts, sessions, libraries, scheduled tasks (a library scan that runs and
 * completes) and item refresh that really fills an item's metadata after a short delay.
 *
 * Items whose metadata is NULL (`DateLastRefreshed` null, no Overview/ProductionYear/provider ids)
 * are what the origin story's UI hides: they are left out of every normal `/Items` listing and a
 * plain `searchTerm` search, and returned only when the query asks for items lacking metadata the
 * way the reference names it (`hasOverview=false`, `hasTmdbId=false`, `hasImdbId=false`,
 * `hasTvdbId=false`), by `ids=`, or by id (`GET /Items/{id}`). A refresh that fills them makes them
 * ordinary, visible items. `database()` renders the items as the library database's rows
 * (library.db/TypedBaseItems up to 10.10, jellyfin.db/BaseItems from 10.11) for a later scripted
 * `sqlite3`.
 */
import { createHash, randomUUID } from 'node:crypto';
import { z } from 'zod';
import { at, secret, sleep, timeSpec } from './common.js';
import { Router, serveHttp, type HttpService, type Reply, type Req } from './router.js';

const providerIds = z.record(z.string(), z.string());
const metadata = z.strictObject({
  overview: z.string(),
  year: z.number().int(),
  premiere: z.string().optional(),
  providerIds: providerIds.default({}),
  genres: z.array(z.string()).default([]),
});

const itemSpec = z.strictObject({
  name: z.string(),
  type: z.enum(['Movie', 'Series']),
  library: z.string(),
  /** path on disk (default: under the library's first location) */
  path: z.string().optional(),
  added: timeSpec.default('-200d'),
  /** the item's metadata; with `missingMetadata` it is what a refresh fills in */
  metadata: metadata.optional(),
  /** NULL metadata in the database (never refreshed): hidden by the UI */
  missingMetadata: z.boolean().default(false),
  episodes: z.number().int().nonnegative().default(0),
  runtimeMin: z.number().positive().optional(),
});

const taskSpec = z.strictObject({
  name: z.string(),
  key: z.string(),
  category: z.string(),
  description: z.string().default(''),
  last: z
    .strictObject({
      status: z.enum(['Completed', 'Failed', 'Cancelled', 'Aborted']),
      start: timeSpec,
      durationS: z.number().default(12),
      error: z.string().optional(),
    })
    .optional(),
  /** how long a run takes (ms) */
  runMs: z.number().int().nonnegative().optional(),
});

export const jellyfinScenario = z.strictObject({
  apiKey: z.string().optional(),
  serverName: z.string().default('jellyfin'),
  versions: z.strictObject({ '10.10': z.string().default('10.10.7'), '10.11': z.string().default('10.11.11') }).prefault({}),
  libraries: z
    .array(
      z.strictObject({
        name: z.string(),
        collectionType: z.enum(['movies', 'tvshows', 'music', 'homevideos', 'books', 'mixed']),
        locations: z.array(z.string()).min(1),
      }),
    )
    .default([]),
  items: z.array(itemSpec).default([]),
  sessions: z
    .array(
      z.strictObject({
        user: z.string(),
        client: z.string(),
        device: z.string(),
        deviceType: z.string().default('Tv'),
        appVersion: z.string().default('10.10.7'),
        remote: z.string(),
        playing: z
          .strictObject({
            series: z.string().optional(),
            name: z.string(),
            season: z.number().int().optional(),
            episode: z.number().int().optional(),
            runtimeMin: z.number(),
            positionMin: z.number(),
            paused: z.boolean().default(false),
            playMethod: z.enum(['DirectPlay', 'DirectStream', 'Transcode']).default('DirectPlay'),
          })
          .optional(),
      }),
    )
    .default([]),
  tasks: z.array(taskSpec).default([]),
  /** ms before a queued item refresh has filled the item */
  refreshMs: z.number().int().nonnegative().default(300),
  /** ms a library scan (RefreshLibrary) takes */
  scanMs: z.number().int().nonnegative().default(800),
});
export type JellyfinScenario = z.output<typeof jellyfinScenario>;

export type JellyfinFlavour = '10.10' | '10.11';

/** an item as the fake keeps it (the database row, in API words) */
export interface JellyfinItem {
  Id: string;
  Name: string;
  Type: 'Movie' | 'Series' | 'CollectionFolder';
  Path: string;
  ParentId: string | null;
  TopParentId: string | null;
  IsFolder: boolean;
  CollectionType?: string;
  Overview: string | null;
  ProductionYear: number | null;
  PremiereDate: string | null;
  ProviderIds: Record<string, string>;
  Genres: string[];
  DateCreated: string;
  DateModified: string;
  DateLastRefreshed: string | null;
  DateLastSaved: string | null;
  RunTimeTicks: number | null;
  episodes: number;
  /** what a refresh will fill (from the scenario) */
  pending?: z.output<typeof metadata>;
}

interface Task {
  Name: string;
  Key: string;
  Id: string;
  Category: string;
  Description: string;
  State: 'Idle' | 'Running' | 'Cancelling';
  CurrentProgressPercentage: number | null;
  runMs: number;
  last?: { StartTimeUtc: string; EndTimeUtc: string; Status: string; ErrorMessage?: string; LongErrorMessage?: string };
  running?: Promise<void>;
  cancel?: boolean;
}

const TYPE_NET: Record<string, string> = {
  Movie: 'MediaBrowser.Controller.Entities.Movies.Movie',
  Series: 'MediaBrowser.Controller.Entities.TV.Series',
  CollectionFolder: 'MediaBrowser.Controller.Entities.CollectionFolder',
};

/** a stable 32-hex GUID from a name */
export function guidOf(...parts: string[]): string {
  const h = createHash('md5').update(parts.join('\0')).digest('hex');
  // version-4 style bits, like Jellyfin's ids look
  return `${h.slice(0, 12)}4${h.slice(13, 16)}${'89ab'[parseInt(h[16] as string, 16) % 4]}${h.slice(17, 32)}`;
}

/** Jellyfin accepts 32-hex and dashed GUIDs; the API prints 32-hex lowercase */
function parseGuid(s: string): string | undefined {
  const v = s.trim().toLowerCase();
  if (/^[0-9a-f]{32}$/.test(v)) return v;
  if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(v)) return v.replace(/-/g, '');
  if (/^\{[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\}$/.test(v)) return v.slice(1, -1).replace(/-/g, '');
  return undefined;
}

const dashed = (g: string): string => `${g.slice(0, 8)}-${g.slice(8, 12)}-${g.slice(12, 16)}-${g.slice(16, 20)}-${g.slice(20)}`;
/** .NET Guid.ToByteArray() order, as hex(guid) prints it from library.db */
const netBytesHex = (g: string): string => {
  const b = g.match(/../g) as string[];
  return [...b.slice(0, 4).reverse(), ...b.slice(4, 6).reverse(), ...b.slice(6, 8).reverse(), ...b.slice(8)].join('').toUpperCase();
};

const traceId = (): string => `00-${randomUUID().replace(/-/g, '')}-${randomUUID().replace(/-/g, '').slice(0, 16)}-00`;
const problem = (status: number, title: string, type: string, errors?: Record<string, string[]>): Reply => ({
  status,
  contentType: 'application/problem+json; charset=utf-8',
  body: { type, title, status, ...(errors ? { errors } : {}), traceId: traceId() },
});
const badGuid = (param: string, value: string): Reply =>
  problem(400, 'One or more validation errors occurred.', 'https://tools.ietf.org/html/rfc9110#section-15.5.1', {
    [param]: [`The value '${value}' is not valid.`],
  });
const notFound = (): Reply => problem(404, 'Not Found', 'https://tools.ietf.org/html/rfc9110#section-15.5.5');

interface Meta {
  open?: boolean;
}

interface JellyfinState {
  store: Map<string, JellyfinItem>;
  folders: JellyfinItem[];
  tasks: Task[];
}

/** The scenario's libraries, items and tasks, their relative times resolved against `start`. */
function initialState(s: JellyfinScenario, start: Date): JellyfinState {
  const store = new Map<string, JellyfinItem>();
  const folders: JellyfinItem[] = [];
  const tasks: Task[] = [];
  const iso = (d: Date): string => d.toISOString();
  for (const lib of s.libraries) {
    const f: JellyfinItem = {
      Id: guidOf('library', lib.name),
      Name: lib.name,
      Type: 'CollectionFolder',
      Path: `/config/root/default/${lib.name}`,
      ParentId: null,
      TopParentId: null,
      IsFolder: true,
      CollectionType: lib.collectionType,
      Overview: null,
      ProductionYear: null,
      PremiereDate: null,
      ProviderIds: {},
      Genres: [],
      DateCreated: iso(at('-400d', start)),
      DateModified: iso(at('-400d', start)),
      DateLastRefreshed: iso(at('-1d', start)),
      DateLastSaved: iso(at('-1d', start)),
      RunTimeTicks: null,
      episodes: 0,
    };
    folders.push(f);
    store.set(f.Id, f);
  }
  for (const it of s.items) {
    const lib = s.libraries.find((l) => l.name === it.library);
    if (!lib) throw new Error(`jellyfin item ${it.name}: no library ${it.library}`);
    const libId = guidOf('library', lib.name);
    const year = it.metadata?.year;
    const dir = `${lib.locations[0]}/${it.name}${year ? ` (${year})` : ''}`;
    const added = iso(at(it.added, start));
    const m = it.missingMetadata ? undefined : it.metadata;
    const item: JellyfinItem = {
      Id: guidOf('item', it.library, it.name),
      Name: it.name,
      Type: it.type,
      Path: it.path ?? (it.type === 'Movie' ? `${dir}/${it.name}.mkv` : dir),
      ParentId: libId,
      TopParentId: libId,
      IsFolder: it.type === 'Series',
      Overview: m?.overview ?? null,
      ProductionYear: m?.year ?? null,
      PremiereDate: m ? (m.premiere ?? `${m.year}-01-01T00:00:00.0000000Z`) : null,
      ProviderIds: m?.providerIds ?? {},
      Genres: m?.genres ?? [],
      DateCreated: added,
      DateModified: added,
      DateLastRefreshed: m ? added : null,
      DateLastSaved: m ? added : null,
      RunTimeTicks: it.runtimeMin ? Math.round(it.runtimeMin * 60 * 10_000_000) : null,
      episodes: it.episodes,
      ...(it.missingMetadata && it.metadata ? { pending: it.metadata } : {}),
    };
    store.set(item.Id, item);
  }
  for (const t of s.tasks) {
    const task: Task = {
      Name: t.name,
      Key: t.key,
      Id: guidOf('task', t.key),
      Category: t.category,
      Description: t.description,
      State: 'Idle',
      CurrentProgressPercentage: null,
      runMs: t.runMs ?? (t.key === 'RefreshLibrary' ? s.scanMs : 300),
    };
    if (t.last) {
      const st = at(t.last.start, start);
      task.last = {
        StartTimeUtc: iso(st),
        EndTimeUtc: iso(new Date(st.getTime() + t.last.durationS * 1000)),
        Status: t.last.status,
        ...(t.last.error ? { ErrorMessage: t.last.error, LongErrorMessage: `${t.last.error}\n   at MediaBrowser.Controller...` } : {}),
      };
    }
    tasks.push(task);
  }
  return { store, folders, tasks };
}

export class FakeJellyfin {
  url = '';
  readonly apiKey: string;
  readonly version: string;
  readonly serverId: string;
  /** METHOD /path of every request (no query string: an ApiKey never appears) */
  readonly requests: { method: string; path: string }[] = [];
  /** what requests change; reset() puts the scenario's back (a task or refresh still running changes the old one) */
  private st: JellyfinState;
  private http: HttpService | undefined;

  constructor(
    private readonly s: JellyfinScenario,
    readonly flavour: JellyfinFlavour,
    private readonly now: () => Date,
  ) {
    this.apiKey = s.apiKey ?? secret(16).replace(/[-_]/g, 'a').slice(0, 32);
    this.version = s.versions[flavour];
    this.serverId = guidOf('server', s.serverName);
    this.st = initialState(s, now());
  }

  /** Back to the scenario's library, items and tasks (running ones are cancelled); the URL and API key stay. */
  reset(): void {
    for (const t of this.st.tasks) t.cancel = true;
    this.st = initialState(this.s, this.now());
    this.requests.length = 0;
  }

  // ---- introspection for tests
  /** every item (library items and the library folders), hidden ones included, as copies */
  items(): JellyfinItem[] {
    return [...this.st.store.values()].map((i) => ({ ...i, ProviderIds: { ...i.ProviderIds } }));
  }
  /** whether the UI (and normal listings) hide an item: its metadata was never refreshed */
  isHidden(id: string): boolean {
    const i = this.st.store.get(id);
    return !!i && i.Type !== 'CollectionFolder' && i.DateLastRefreshed === null;
  }
  /** the library database as a scripted `sqlite3` would see it, per flavour */
  database(): { file: string; path: string; tables: Record<string, Record<string, string | number | null>[]> } {
    const items = [...this.st.store.values()];
    const dbDate = (s: string | null): string | null =>
      s === null
        ? null
        : s
            .replace('T', ' ')
            .replace(/\.\d+Z$/, 'Z')
            .replace(/Z$/, '.0000000Z');
    if (this.flavour === '10.10') {
      return {
        file: 'library.db',
        path: '/config/data/library.db',
        tables: {
          TypedBaseItems: items.map((i) => ({
            guid: netBytesHex(i.Id),
            type: TYPE_NET[i.Type] as string,
            Name: i.Name,
            Path: i.Path,
            ParentId: i.ParentId ? netBytesHex(i.ParentId) : null,
            TopParentId: i.TopParentId ? netBytesHex(i.TopParentId) : null,
            Overview: i.Overview,
            ProductionYear: i.ProductionYear,
            PremiereDate: dbDate(i.PremiereDate),
            DateCreated: dbDate(i.DateCreated),
            DateModified: dbDate(i.DateModified),
            DateLastRefreshed: dbDate(i.DateLastRefreshed),
            DateLastSaved: dbDate(i.DateLastSaved),
            ProviderIds: Object.keys(i.ProviderIds).length
              ? Object.entries(i.ProviderIds)
                  .map(([k, v]) => `${k}=${v}`)
                  .join('|')
              : null,
            IsFolder: i.IsFolder ? 1 : 0,
            IsVirtualItem: 0,
            IsLocked: 0,
            PresentationUniqueKey: i.Id,
          })),
        },
      };
    }
    return {
      file: 'jellyfin.db',
      path: '/config/data/jellyfin.db',
      tables: {
        BaseItems: items.map((i) => ({
          Id: dashed(i.Id).toUpperCase(),
          Type: TYPE_NET[i.Type] as string,
          Name: i.Name,
          Path: i.Path,
          ParentId: i.ParentId ? dashed(i.ParentId).toUpperCase() : null,
          TopParentId: i.TopParentId ? dashed(i.TopParentId).toUpperCase() : null,
          Overview: i.Overview,
          ProductionYear: i.ProductionYear,
          PremiereDate: dbDate(i.PremiereDate),
          DateCreated: dbDate(i.DateCreated),
          DateModified: dbDate(i.DateModified),
          DateLastRefreshed: dbDate(i.DateLastRefreshed),
          DateLastSaved: dbDate(i.DateLastSaved),
          IsFolder: i.IsFolder ? 1 : 0,
          IsVirtualItem: 0,
          IsLocked: 0,
          PresentationUniqueKey: i.Id,
        })),
        BaseItemProviders: items.flatMap((i) =>
          Object.entries(i.ProviderIds).map(([k, v]) => ({ ItemId: dashed(i.Id).toUpperCase(), ProviderId: k, ProviderValue: v })),
        ),
      },
    };
  }

  async start(host: string): Promise<void> {
    const r = new Router<Meta>({ caseInsensitive: true });
    const OPEN = { open: true },
      A = {};
    r.add('GET', '/System/Info/Public', () => ({ status: 200, body: this.publicInfo() }), OPEN)
      .add('GET', '/System/Ping', () => ({ status: 200, body: this.s.serverName }), OPEN)
      .add('POST', '/System/Ping', () => ({ status: 200, body: this.s.serverName }), OPEN)
      .add('GET', '/System/Info', () => ({ status: 200, body: this.systemInfo() }), A)
      .add('GET', '/Items', (q) => this.listItems(q), A)
      .add('GET', '/Items/Counts', () => ({ status: 200, body: this.counts() }), A)
      .add('GET', '/Items/:itemId', (q) => this.getItem(q), A)
      .add('POST', '/Items/:itemId/Refresh', (q) => this.refreshItem(q), A)
      .add('POST', '/Library/Refresh', () => this.libraryRefresh(), A)
      .add('GET', '/Library/VirtualFolders', () => ({ status: 200, body: this.virtualFolders() }), A)
      .add('GET', '/Sessions', () => ({ status: 200, body: this.sessions() }), A)
      .add('GET', '/ScheduledTasks', (q) => this.listTasks(q), A)
      .add('GET', '/ScheduledTasks/:taskId', (q) => this.getTask(q), A)
      .add('POST', '/ScheduledTasks/Running/:taskId', (q) => this.startTask(q), A)
      .add('DELETE', '/ScheduledTasks/Running/:taskId', (q) => this.stopTask(q), A);
    this.http = await serveHttp<Meta>(
      {
        router: r,
        before: (req, meta) => {
          this.requests.push({ method: req.method, path: req.path });
          if (meta && !meta.open && !this.authorized(req)) return { status: 401 };
          return undefined;
        },
        notFound: () => ({ status: 404 }),
      },
      host,
    );
    this.url = this.http.url;
  }

  stop(): Promise<void> {
    for (const t of this.st.tasks) t.cancel = true;
    return this.http?.stop() ?? Promise.resolve();
  }

  // ---- auth: MediaBrowser Token="…" (or ?ApiKey=); legacy X-Emby-Token & co (EnableLegacyAuthorization, default true in 10.10/10.11)
  private authorized(req: Req): boolean {
    const h = (n: string): string | undefined => {
      const v = req.headers[n];
      return Array.isArray(v) ? v[0] : v;
    };
    const q = (n: string): string | undefined => {
      for (const [k, v] of req.query) if (k.toLowerCase() === n) return v;
      return undefined;
    };
    const tokenFrom = (value: string | undefined, schemes: string[]): string | undefined => {
      if (!value) return undefined;
      const m = /^\s*(\S+)\s+(.*)$/.exec(value);
      if (!m || !schemes.includes((m[1] as string).toLowerCase())) return undefined;
      for (const part of (m[2] as string).split(',')) {
        const kv = /^\s*([A-Za-z]+)\s*=\s*"?([^"]*)"?\s*$/.exec(part);
        if (kv && (kv[1] as string).toLowerCase() === 'token') return decodeURIComponent(kv[2] as string);
      }
      return undefined;
    };
    const legacy = true;
    const candidates = [
      tokenFrom(h('authorization'), legacy ? ['mediabrowser', 'emby'] : ['mediabrowser']),
      q('apikey'),
      ...(legacy ? [h('x-emby-token'), h('x-mediabrowser-token'), q('api_key'), tokenFrom(h('x-emby-authorization'), ['mediabrowser', 'emby'])] : []),
    ];
    return candidates.some((c) => c !== undefined && c === this.apiKey);
  }

  // ---- system
  private publicInfo(): Record<string, unknown> {
    return {
      LocalAddress: 'http://10.42.1.17:8096',
      ServerName: this.s.serverName,
      Version: this.version,
      ProductName: 'Jellyfin Server',
      OperatingSystem: '',
      Id: this.serverId,
      StartupWizardCompleted: true,
    };
  }

  private systemInfo(): Record<string, unknown> {
    return {
      ...this.publicInfo(),
      OperatingSystemDisplayName: '',
      PackageName: 'jellyfin-docker',
      HasPendingRestart: false,
      IsShuttingDown: false,
      SupportsLibraryMonitor: true,
      WebSocketPortNumber: 8096,
      CompletedInstallations: [],
      CanSelfRestart: false,
      CanLaunchWebBrowser: false,
      ProgramDataPath: '/config',
      WebPath: '/jellyfin/jellyfin-web',
      ItemsByNamePath: '/config/metadata',
      CachePath: '/cache',
      LogPath: '/config/log',
      InternalMetadataPath: '/config/metadata',
      TranscodingTempPath: '/cache/transcodes',
      CastReceiverApplications: [],
      HasUpdateAvailable: false,
      EncoderLocation: 'Custom',
      SystemArchitecture: 'Arm64',
    };
  }

  // ---- items
  private dto(i: JellyfinItem, fields: Set<string>, all = false): Record<string, unknown> {
    const want = (f: string): boolean => all || fields.has(f.toLowerCase());
    const d: Record<string, unknown> = { Name: i.Name, ServerId: this.serverId, Id: i.Id };
    if (want('DateCreated')) d.DateCreated = i.DateCreated;
    if (want('DateLastRefreshed')) d.DateLastRefreshed = i.DateLastRefreshed;
    if (want('DateLastSaved')) d.DateLastSaved = i.DateLastSaved;
    if (want('Path')) d.Path = i.Path;
    if (want('Overview') && i.Overview !== null) d.Overview = i.Overview;
    if (want('Genres')) d.Genres = i.Genres;
    if (i.PremiereDate) d.PremiereDate = i.PremiereDate;
    if (i.ProductionYear !== null) d.ProductionYear = i.ProductionYear;
    if (want('ProviderIds')) d.ProviderIds = i.ProviderIds;
    if (i.RunTimeTicks !== null) d.RunTimeTicks = i.RunTimeTicks;
    d.IsFolder = i.IsFolder;
    if (i.ParentId) d.ParentId = i.ParentId;
    d.Type = i.Type;
    if (i.CollectionType) d.CollectionType = i.CollectionType;
    if (i.Type === 'Series' && want('ChildCount')) d.ChildCount = i.episodes ? Math.max(1, Math.ceil(i.episodes / 10)) : 0;
    d.ImageTags = i.Overview !== null ? { Primary: guidOf('img', i.Id) } : {};
    d.BackdropImageTags = [];
    d.LocationType = 'FileSystem';
    d.MediaType = i.Type === 'Movie' ? 'Video' : 'Unknown';
    return d;
  }

  private params(req: Req): Map<string, string> {
    const m = new Map<string, string>();
    for (const [k, v] of req.query) m.set(k.toLowerCase(), v);
    return m;
  }

  private listItems(req: Req): Reply {
    const p = this.params(req);
    const bool = (k: string): boolean | undefined => {
      const v = p.get(k)?.toLowerCase();
      return v === 'true' ? true : v === 'false' ? false : undefined;
    };
    const list = (k: string): string[] =>
      (p.get(k) ?? '')
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean);
    for (const k of ['parentid', 'userid']) {
      const v = p.get(k);
      if (v !== undefined && v !== '' && !parseGuid(v)) return badGuid(k === 'parentid' ? 'parentId' : 'userId', v);
    }
    const ids: string[] = [];
    for (const v of list('ids')) {
      const g = parseGuid(v);
      if (!g) return badGuid('ids', v);
      ids.push(g);
    }
    const parentId = p.get('parentid') ? parseGuid(p.get('parentid') as string) : undefined;
    const recursive = bool('recursive') ?? false;
    const hasOverview = bool('hasoverview');
    const missingQuery = hasOverview === false || bool('hastmdbid') === false || bool('hasimdbid') === false || bool('hastvdbid') === false;
    const include = list('includeitemtypes').map((t) => t.toLowerCase());
    const exclude = list('excludeitemtypes').map((t) => t.toLowerCase());
    const term = p.get('searchterm')?.toLowerCase();
    const fields = new Set(list('fields').map((f) => f.toLowerCase()));

    let items = [...this.st.store.values()];
    if (ids.length) items = items.filter((i) => ids.includes(i.Id));
    else if (parentId) items = items.filter((i) => i.ParentId === parentId || (recursive && i.TopParentId === parentId));
    else if (!recursive) items = this.st.folders.slice();
    else items = items.filter((i) => i.Type !== 'CollectionFolder' || include.includes('collectionfolder'));
    if (!ids.length && !missingQuery) items = items.filter((i) => !this.isHidden(i.Id));
    if (include.length) items = items.filter((i) => include.includes(i.Type.toLowerCase()));
    if (exclude.length) items = items.filter((i) => !exclude.includes(i.Type.toLowerCase()));
    if (term) items = items.filter((i) => i.Name.toLowerCase().includes(term));
    if (hasOverview !== undefined) items = items.filter((i) => (i.Overview !== null && i.Overview !== '') === hasOverview);
    for (const [k, provider] of [
      ['hastmdbid', 'Tmdb'],
      ['hasimdbid', 'Imdb'],
      ['hastvdbid', 'Tvdb'],
    ] as const) {
      const want = bool(k);
      if (want !== undefined) items = items.filter((i) => provider in i.ProviderIds === want);
    }
    const isMissing = bool('ismissing'); // virtual (missing) episodes: none in this library
    if (isMissing === true) items = [];
    const isFolder = bool('isfolder');
    if (isFolder !== undefined) items = items.filter((i) => i.IsFolder === isFolder);
    const sortBy = list('sortby').map((s) => s.toLowerCase());
    const desc = (p.get('sortorder') ?? '').toLowerCase().startsWith('desc');
    const key = (i: JellyfinItem): string | number =>
      sortBy[0] === 'productionyear'
        ? (i.ProductionYear ?? 0)
        : sortBy[0] === 'datecreated'
          ? i.DateCreated
          : i.Name.replace(/^(the|a|an) /i, '').toLowerCase();
    items.sort((a, b) => {
      const x = key(a),
        y = key(b);
      return (x < y ? -1 : x > y ? 1 : 0) * (desc ? -1 : 1);
    });
    const total = items.length;
    const startIndex = Number(p.get('startindex') ?? 0) || 0;
    const limit = p.get('limit') !== undefined ? Number(p.get('limit')) : undefined;
    const page = items.slice(startIndex, limit !== undefined && !Number.isNaN(limit) ? startIndex + limit : undefined);
    return { status: 200, body: { Items: page.map((i) => this.dto(i, fields)), TotalRecordCount: total, StartIndex: startIndex } };
  }

  private getItem(req: Req): Reply {
    const raw = req.params.itemId as string;
    const id = parseGuid(raw);
    if (!id) return badGuid('itemId', raw);
    const i = this.st.store.get(id);
    if (!i) return notFound();
    return { status: 200, body: this.dto(i, new Set(), true) };
  }

  private counts(): Record<string, number> {
    const visible = [...this.st.store.values()].filter((i) => i.Type !== 'CollectionFolder' && !this.isHidden(i.Id));
    const movies = visible.filter((i) => i.Type === 'Movie').length;
    const series = visible.filter((i) => i.Type === 'Series');
    const episodes = series.reduce((n, i) => n + i.episodes, 0);
    return {
      MovieCount: movies,
      SeriesCount: series.length,
      EpisodeCount: episodes,
      ArtistCount: 0,
      ProgramCount: 0,
      TrailerCount: 0,
      SongCount: 0,
      AlbumCount: 0,
      MusicVideoCount: 0,
      BoxSetCount: 0,
      BookCount: 0,
      ItemCount: movies + series.length + episodes,
    };
  }

  private refreshItem(req: Req): Reply {
    const raw = req.params.itemId as string;
    const id = parseGuid(raw);
    if (!id) return badGuid('itemId', raw);
    const item = this.st.store.get(id);
    if (!item) return notFound();
    const p = this.params(req);
    const mode = (p.get('metadatarefreshmode') ?? 'None').toLowerCase();
    const replace = (p.get('replaceallmetadata') ?? 'false').toLowerCase() === 'true';
    const modes = ['none', 'validationonly', 'default', 'fullrefresh'];
    if (!modes.includes(mode))
      return problem(400, 'One or more validation errors occurred.', 'https://tools.ietf.org/html/rfc9110#section-15.5.1', {
        metadataRefreshMode: [`The value '${p.get('metadatarefreshmode')}' is not valid.`],
      });
    setTimeout(() => {
      if (mode === 'none' || mode === 'validationonly') return;
      const t = this.now().toISOString();
      const m = item.pending;
      if (m && (item.DateLastRefreshed === null || replace || mode === 'fullrefresh')) {
        item.Overview = m.overview;
        item.ProductionYear = m.year;
        item.PremiereDate = m.premiere ?? `${m.year}-01-01T00:00:00.0000000Z`;
        item.ProviderIds = { ...m.providerIds };
        item.Genres = [...m.genres];
        delete item.pending;
      }
      if (item.DateLastRefreshed !== null || item.Overview !== null) {
        item.DateLastRefreshed = t;
        item.DateLastSaved = t;
      }
    }, this.s.refreshMs).unref();
    return { status: 204 };
  }

  // ---- libraries and tasks
  private scanTask(): Task | undefined {
    return this.st.tasks.find((t) => t.Key === 'RefreshLibrary');
  }

  private virtualFolders(): Record<string, unknown>[] {
    const scan = this.scanTask();
    const active = scan?.State === 'Running';
    return this.s.libraries.map((l) => ({
      Name: l.name,
      Locations: l.locations,
      CollectionType: l.collectionType,
      LibraryOptions: {
        Enabled: true,
        EnableRealtimeMonitor: true,
        EnableInternetProviders: true,
        SaveLocalMetadata: false,
        PathInfos: l.locations.map((Path) => ({ Path })),
        TypeOptions: [],
      },
      ItemId: guidOf('library', l.name),
      PrimaryImageItemId: guidOf('library', l.name),
      RefreshProgress: active ? (scan?.CurrentProgressPercentage ?? 0) : null,
      RefreshStatus: active ? 'Active' : 'Idle',
    }));
  }

  private sessions(): Record<string, unknown>[] {
    const now = this.now();
    return this.s.sessions.map((s, idx) => {
      const p = s.playing;
      const series = p?.series ? [...this.st.store.values()].find((i) => i.Name === p.series) : undefined;
      return {
        PlayState: p
          ? {
              PositionTicks: Math.round(p.positionMin * 60 * 1e7),
              CanSeek: true,
              IsPaused: p.paused,
              IsMuted: false,
              VolumeLevel: 100,
              PlayMethod: p.playMethod,
              RepeatMode: 'RepeatNone',
              PlaybackOrder: 'Default',
            }
          : { CanSeek: false, IsPaused: false, IsMuted: false, RepeatMode: 'RepeatNone', PlaybackOrder: 'Default' },
        AdditionalUsers: [],
        RemoteEndPoint: s.remote,
        PlayableMediaTypes: ['Video', 'Audio'],
        Id: guidOf('session', String(idx), s.device),
        UserId: guidOf('user', s.user),
        UserName: s.user,
        Client: s.client,
        LastActivityDate: now.toISOString(),
        LastPlaybackCheckIn: now.toISOString(),
        DeviceName: s.device,
        DeviceType: s.deviceType,
        DeviceId: guidOf('device', s.device),
        ApplicationVersion: s.appVersion,
        IsActive: true,
        SupportsMediaControl: true,
        SupportsRemoteControl: true,
        ...(p
          ? {
              NowPlayingItem: {
                Name: p.name,
                ServerId: this.serverId,
                Id: guidOf('episode', p.series ?? '', p.name),
                RunTimeTicks: Math.round(p.runtimeMin * 60 * 1e7),
                IsFolder: false,
                Type: p.series ? 'Episode' : 'Movie',
                ...(p.series
                  ? { SeriesName: p.series, SeriesId: series?.Id ?? guidOf('series', p.series), ParentIndexNumber: p.season, IndexNumber: p.episode }
                  : {}),
                MediaType: 'Video',
              },
              ...(p.playMethod === 'Transcode'
                ? {
                    TranscodingInfo: {
                      AudioCodec: 'aac',
                      VideoCodec: 'h264',
                      Container: 'ts',
                      IsVideoDirect: false,
                      IsAudioDirect: false,
                      Bitrate: 8_000_000,
                      Width: 1920,
                      Height: 1080,
                      HardwareAccelerationType: 'none',
                      TranscodeReasons: ['VideoCodecNotSupported'],
                    },
                  }
                : {}),
            }
          : {}),
        HasCustomDeviceName: false,
        ServerId: this.serverId,
        SupportedCommands: [],
      };
    });
  }

  private taskDto(t: Task): Record<string, unknown> {
    return {
      Name: t.Name,
      State: t.State,
      ...(t.State === 'Running' ? { CurrentProgressPercentage: t.CurrentProgressPercentage } : {}),
      Id: t.Id,
      ...(t.last ? { LastExecutionResult: { ...t.last, Name: t.Name, Key: t.Key, Id: t.Id } } : {}),
      Triggers: [{ Type: 'IntervalTrigger', IntervalTicks: 432_000_000_000 }],
      Description: t.Description,
      Category: t.Category,
      IsHidden: false,
      Key: t.Key,
    };
  }

  private listTasks(req: Req): Reply {
    const p = this.params(req);
    if (p.get('ishidden')?.toLowerCase() === 'true' || p.get('isenabled')?.toLowerCase() === 'false') return { status: 200, body: [] };
    return { status: 200, body: this.st.tasks.map((t) => this.taskDto(t)) };
  }

  private findTask(req: Req): Task | Reply {
    const raw = req.params.taskId as string;
    const t = this.st.tasks.find((x) => x.Id === raw.toLowerCase().replace(/-/g, ''));
    return t ?? notFound();
  }

  private getTask(req: Req): Reply {
    const t = this.findTask(req);
    return 'status' in t ? t : { status: 200, body: this.taskDto(t) };
  }

  private run(t: Task): Promise<void> {
    if (t.running) return t.running;
    const started = this.now();
    t.State = 'Running';
    t.CurrentProgressPercentage = 0;
    t.cancel = false;
    t.running = (async (): Promise<void> => {
      const steps = 8;
      for (let i = 1; i <= steps && !t.cancel; i++) {
        await sleep(t.runMs / steps);
        t.CurrentProgressPercentage = Math.round((i / steps) * 1000) / 10;
      }
      t.last = { StartTimeUtc: started.toISOString(), EndTimeUtc: this.now().toISOString(), Status: t.cancel ? 'Cancelled' : 'Completed' };
      t.State = 'Idle';
      t.CurrentProgressPercentage = null;
      delete t.running;
    })();
    return t.running;
  }

  private startTask(req: Req): Reply {
    const t = this.findTask(req);
    if ('status' in t) return t;
    void this.run(t);
    return { status: 204 };
  }

  private stopTask(req: Req): Reply {
    const t = this.findTask(req);
    if ('status' in t) return t;
    if (t.State === 'Running') {
      t.cancel = true;
      t.State = 'Cancelling';
    }
    return { status: 204 };
  }

  /** POST /Library/Refresh: runs the scan and answers 204 only when it is done (as the real handler does) */
  private async libraryRefresh(): Promise<Reply> {
    const t = this.scanTask();
    if (t) await this.run(t);
    else await sleep(this.s.scanMs);
    return { status: 204 };
  }
}
