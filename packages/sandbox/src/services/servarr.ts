/**
 * Fake Sonarr (v4), Radarr (v5) and Prowlarr (1.x): the Servarr API style, `X-Api-Key` (or the
 * `apikey` query parameter), 401 without a valid key; Sonarr and Radarr under /api/v3, Prowlarr
 * under /api/v1. Paged lists as {page, pageSize, sortKey, sortDirection, totalRecords, records}.
 *
 * Every app answers GET /ping ({"status": "OK"}) without a key, as the real ones do.
 * Sonarr/Radarr: system/status, health, queue (includeSeries/includeEpisode, includeMovie),
 * wanted/missing, episode/{id}, series/{id}, movie/{id}, diskspace, indexer, indexerstatus,
 * command (POST, GET {id}), DELETE queue/{id}?removeFromClient&blocklist&skipRedownload.
 * State changes as the apps' would: removing a queue item blocklists its release and, unless
 * skipRedownload, grabs another release of the same episode/movie (a new queue item, downloading);
 * an EpisodeSearch/MoviesSearch completes at once and grabs a release for each id asked.
 */
import { z } from 'zod';
import { at, secret, timeSpec } from './common.js';
import { jsonBody, Router, serveHttp, type HttpService, type Reply, type Req } from './router.js';

const health = z
  .array(z.strictObject({ source: z.string(), type: z.enum(['ok', 'notice', 'warning', 'error']), message: z.string(), wiki: z.string().optional() }))
  .default([]);
const indexers = z
  .array(
    z.strictObject({
      name: z.string(),
      enabled: z.boolean().default(true),
      protocol: z.enum(['usenet', 'torrent']).default('usenet'),
      failingSince: timeSpec.optional(),
      disabledFor: z.string().optional(),
    }),
  )
  .default([]);

const queueItem = z.strictObject({
  item: z.number().int().describe('index into episodes (Sonarr) or movies (Radarr)'),
  title: z.string(),
  status: z.string().default('downloading'),
  trackedDownloadStatus: z.enum(['ok', 'warning', 'error']).default('ok'),
  trackedDownloadState: z.string().default('downloading'),
  messages: z.array(z.string()).default([]),
  downloadClient: z.string().default('SABnzbd'),
  protocol: z.enum(['usenet', 'torrent']).default('usenet'),
  sizeGiB: z.number().default(2),
  leftGiB: z.number().default(1),
  added: timeSpec.default('-1h'),
});

export const starrScenario = z.strictObject({
  apiKey: z.string().optional(),
  version: z.string().optional(),
  instanceName: z.string().optional(),
  health,
  /** Sonarr: the episodes it knows (series, season, episode, title, aired, hasFile). */
  episodes: z
    .array(
      z.strictObject({
        series: z.string(),
        slug: z.string(),
        season: z.number().int(),
        episode: z.number().int(),
        title: z.string(),
        aired: timeSpec,
        hasFile: z.boolean().default(false),
        monitored: z.boolean().default(true),
      }),
    )
    .default([]),
  /** Radarr: the movies it knows. */
  movies: z
    .array(
      z.strictObject({
        title: z.string(),
        year: z.number().int(),
        slug: z.string(),
        released: timeSpec.default('-400d'),
        hasFile: z.boolean().default(false),
        monitored: z.boolean().default(true),
      }),
    )
    .default([]),
  queue: z.array(queueItem).default([]),
  disks: z.array(z.strictObject({ path: z.string(), label: z.string().default(''), freeGiB: z.number(), totalGiB: z.number() })).default([]),
  indexers,
});
export type StarrScenario = z.output<typeof starrScenario>;

export const prowlarrScenario = z.strictObject({
  apiKey: z.string().optional(),
  version: z.string().default('1.28.2.4885'),
  health,
  indexers,
});
export type ProwlarrScenario = z.output<typeof prowlarrScenario>;

const GiB = 1024 ** 3;
type Flavour = 'sonarr' | 'radarr';

interface StarrState {
  queue: Array<z.output<typeof queueItem> & { id: number }>;
  blocklist: string[];
  commands: Array<{ id: number; name: string; ids: number[]; queued: string }>;
  nextQueueId: number;
  nextCommandId: number;
}

function paged(req: Req, all: unknown[]): Reply {
  const page = Math.max(1, Number(req.query.get('page') ?? 1) || 1);
  const pageSize = Math.max(1, Math.min(Number(req.query.get('pageSize') ?? 10) || 10, 10_000));
  return {
    status: 200,
    body: {
      page,
      pageSize,
      sortKey: req.query.get('sortKey') ?? 'timeleft',
      sortDirection: req.query.get('sortDirection') ?? 'ascending',
      totalRecords: all.length,
      records: all.slice((page - 1) * pageSize, page * pageSize),
    },
  };
}

/** 401 unless the key is in X-Api-Key or ?apikey (as the apps accept it); /ping needs none. */
function keyCheck(key: string, req: Req): Reply | undefined {
  if (req.path.toLowerCase() === '/ping') return undefined;
  const given = req.headers['x-api-key'] ?? req.query.get('apikey');
  return given === key ? undefined : { status: 401, text: 'Unauthorized', contentType: 'text/plain' };
}

function healthRows(h: z.output<typeof health>, app: string) {
  return h.map((x, i) => ({
    id: i + 1,
    source: x.source,
    type: x.type,
    message: x.message,
    wikiUrl: x.wiki ?? `https://wiki.servarr.com/${app}/system#${x.source.toLowerCase()}`,
  }));
}

function indexerRows(list: z.output<typeof indexers>, prowlarr: boolean) {
  return list.map((x, i) =>
    prowlarr
      ? { id: i + 1, name: x.name, enable: x.enabled, protocol: x.protocol, implementation: 'Newznab', priority: 25, fields: [], tags: [] }
      : {
          id: i + 1,
          name: x.name,
          enableRss: x.enabled,
          enableAutomaticSearch: x.enabled,
          enableInteractiveSearch: x.enabled,
          protocol: x.protocol,
          implementation: 'Newznab',
          priority: 25,
          fields: [],
          tags: [],
        },
  );
}

function indexerStatus(list: z.output<typeof indexers>, now: Date) {
  return list.flatMap((x, i) =>
    x.failingSince
      ? [
          {
            id: i + 1,
            indexerId: i + 1,
            initialFailure: at(x.failingSince, now).toISOString(),
            mostRecentFailure: at('-10m', now).toISOString(),
            disabledTill: at(x.disabledFor ?? '3h', now).toISOString(),
          },
        ]
      : [],
  );
}

export class FakeStarr {
  url = '';
  readonly apiKey: string;
  readonly version: string;
  readonly requests: { method: string; path: string }[] = [];
  private st: StarrState;
  private http: HttpService | undefined;

  constructor(
    readonly flavour: Flavour,
    private readonly s: StarrScenario,
    private readonly now: () => Date,
  ) {
    this.apiKey = s.apiKey ?? secret(16).replace(/[^a-zA-Z0-9]/g, '0');
    this.version = s.version ?? (flavour === 'sonarr' ? '4.0.14.2939' : '5.17.2.9580');
    this.st = this.initial();
  }

  private initial(): StarrState {
    return {
      queue: this.s.queue.map((q, i) => ({ ...q, id: 1000 + i })),
      blocklist: [],
      commands: [],
      nextQueueId: 1000 + this.s.queue.length,
      nextCommandId: 1,
    };
  }

  /** Back to the scenario's queue, blocklist and commands; the URL and key stay. */
  reset(): void {
    this.st = this.initial();
    this.requests.length = 0;
  }

  /** What the app holds now (tests read it). */
  queue(): ReadonlyArray<{ id: number; item: number; title: string; status: string; trackedDownloadState: string }> {
    return this.st.queue;
  }

  blocklist(): readonly string[] {
    return this.st.blocklist;
  }

  commands(): ReadonlyArray<{ id: number; name: string; ids: number[] }> {
    return this.st.commands;
  }

  /** The id the API gives the nth episode/movie of the scenario. */
  itemId(index: number): number {
    return index + 1;
  }

  async start(host: string): Promise<void> {
    const r = new Router<Record<string, never>>({ caseInsensitive: true });
    const none = {} as Record<string, never>;
    const sonarr = this.flavour === 'sonarr';
    r.add('GET', '/ping', () => ({ status: 200, body: { status: 'OK' } }), none)
      .add(
        'GET',
        '/api/v3/system/status',
        () => ({
          status: 200,
          body: {
            appName: sonarr ? 'Sonarr' : 'Radarr',
            instanceName: this.s.instanceName ?? (sonarr ? 'Sonarr' : 'Radarr'),
            version: this.version,
            isDocker: true,
            osName: 'ubuntu',
            branch: 'main',
            authentication: 'forms',
            urlBase: '',
            runtimeVersion: '8.0.12',
          },
        }),
        none,
      )
      .add('GET', '/api/v3/health', () => ({ status: 200, body: healthRows(this.s.health, this.flavour) }), none)
      .add(
        'GET',
        '/api/v3/queue',
        (q) =>
          paged(
            q,
            this.st.queue.map((x) => this.queueRecord(x, q)),
          ),
        none,
      )
      .add('DELETE', '/api/v3/queue/:id', (q) => this.removeFromQueue(q), none)
      .add(
        'GET',
        '/api/v3/wanted/missing',
        (q) =>
          paged(
            q,
            sonarr
              ? this.s.episodes
                  .map((e, i) => ({ e, i }))
                  .filter(({ e }) => !e.hasFile && e.monitored)
                  .sort((a, b) => at(b.e.aired, this.now()).getTime() - at(a.e.aired, this.now()).getTime())
                  .map(({ i }) => this.episode(i, q.query.get('includeSeries') === 'true'))
              : this.s.movies
                  .map((m, i) => ({ m, i }))
                  .filter(({ m }) => !m.hasFile && m.monitored)
                  .map(({ i }) => this.movie(i)),
          ),
        none,
      )
      .add(
        'GET',
        '/api/v3/diskspace',
        () => ({
          status: 200,
          body: this.s.disks.map((d, i) => ({
            id: i + 1,
            path: d.path,
            label: d.label,
            freeSpace: Math.round(d.freeGiB * GiB),
            totalSpace: Math.round(d.totalGiB * GiB),
          })),
        }),
        none,
      )
      .add('GET', '/api/v3/indexer', () => ({ status: 200, body: indexerRows(this.s.indexers, false) }), none)
      .add('GET', '/api/v3/indexerstatus', () => ({ status: 200, body: indexerStatus(this.s.indexers, this.now()) }), none)
      .add('POST', '/api/v3/command', (q) => this.command(q), none)
      .add(
        'GET',
        '/api/v3/command/:id',
        (q) => {
          const c = this.st.commands.find((x) => x.id === Number(q.params.id));
          return c ? { status: 200, body: this.commandRecord(c) } : { status: 404, body: { message: 'NotFound' } };
        },
        none,
      );
    if (sonarr) {
      r.add(
        'GET',
        '/api/v3/episode/:id',
        (q) =>
          this.s.episodes[Number(q.params.id) - 1]
            ? { status: 200, body: this.episode(Number(q.params.id) - 1, true) }
            : { status: 404, body: { message: 'NotFound' } },
        none,
      ).add(
        'GET',
        '/api/v3/series/:id',
        (q) => {
          const slugs = [...new Set(this.s.episodes.map((e) => e.slug))];
          const slug = slugs[Number(q.params.id) - 1];
          const e = this.s.episodes.find((x) => x.slug === slug);
          return e
            ? { status: 200, body: { id: Number(q.params.id), title: e.series, titleSlug: e.slug, monitored: true } }
            : { status: 404, body: { message: 'NotFound' } };
        },
        none,
      );
    } else {
      r.add(
        'GET',
        '/api/v3/movie/:id',
        (q) =>
          this.s.movies[Number(q.params.id) - 1] ? { status: 200, body: this.movie(Number(q.params.id) - 1) } : { status: 404, body: { message: 'NotFound' } },
        none,
      );
    }
    this.http = await serveHttp(
      {
        router: r,
        before: (req) => {
          this.requests.push({ method: req.method, path: req.path });
          return keyCheck(this.apiKey, req);
        },
        notFound: () => ({ status: 404, body: { message: 'NotFound' } }),
      },
      host,
    );
    this.url = this.http.url;
  }

  stop(): Promise<void> {
    return this.http?.stop() ?? Promise.resolve();
  }

  private seriesId(slug: string): number {
    return [...new Set(this.s.episodes.map((e) => e.slug))].indexOf(slug) + 1;
  }

  private episode(i: number, includeSeries: boolean): Record<string, unknown> {
    const e = this.s.episodes[i];
    if (!e) return {};
    return {
      id: i + 1,
      seriesId: this.seriesId(e.slug),
      tvdbId: 0,
      episodeFileId: e.hasFile ? i + 1 : 0,
      seasonNumber: e.season,
      episodeNumber: e.episode,
      title: e.title,
      airDate: at(e.aired, this.now()).toISOString().slice(0, 10),
      airDateUtc: at(e.aired, this.now()).toISOString(),
      hasFile: e.hasFile,
      monitored: e.monitored,
      ...(includeSeries ? { series: { id: this.seriesId(e.slug), title: e.series, titleSlug: e.slug, monitored: true } } : {}),
    };
  }

  private movie(i: number): Record<string, unknown> {
    const m = this.s.movies[i];
    if (!m) return {};
    return {
      id: i + 1,
      title: m.title,
      year: m.year,
      titleSlug: m.slug,
      hasFile: m.hasFile,
      monitored: m.monitored,
      isAvailable: true,
      digitalRelease: at(m.released, this.now()).toISOString(),
      status: 'released',
    };
  }

  private queueRecord(x: StarrState['queue'][number], req: Req): Record<string, unknown> {
    const sonarr = this.flavour === 'sonarr';
    const e = sonarr ? this.s.episodes[x.item] : undefined;
    const m = sonarr ? undefined : this.s.movies[x.item];
    const left = x.leftGiB * GiB;
    return {
      id: x.id,
      title: x.title,
      status: x.status,
      trackedDownloadStatus: x.trackedDownloadStatus,
      trackedDownloadState: x.trackedDownloadState,
      statusMessages: x.messages.length ? [{ title: x.title, messages: x.messages }] : [],
      errorMessage: x.trackedDownloadStatus === 'error' ? x.messages[0] : undefined,
      downloadId: `SABnzbd_nzo_${x.id}`,
      protocol: x.protocol,
      downloadClient: x.downloadClient,
      indexer: 'NZBgeek',
      outputPath: `/downloads/${x.title}`,
      size: x.sizeGiB * GiB,
      sizeleft: left,
      timeleft: left > 0 ? '00:20:00' : '00:00:00',
      added: at(x.added, this.now()).toISOString(),
      quality: { quality: { id: 7, name: 'Bluray-1080p' } },
      languages: [{ id: 1, name: 'English' }],
      ...(sonarr && e
        ? {
            seriesId: this.seriesId(e.slug),
            episodeId: x.item + 1,
            seasonNumber: e.season,
            ...(req.query.get('includeSeries') === 'true' ? { series: { id: this.seriesId(e.slug), title: e.series, titleSlug: e.slug } } : {}),
            ...(req.query.get('includeEpisode') === 'true' ? { episode: this.episode(x.item, false) } : {}),
          }
        : {}),
      ...(!sonarr && m ? { movieId: x.item + 1, ...(req.query.get('includeMovie') === 'true' ? { movie: this.movie(x.item) } : {}) } : {}),
    };
  }

  /** Remove (and blocklist) a queue item; unless skipRedownload, another release of the same item is grabbed. */
  private removeFromQueue(req: Req): Reply {
    const id = Number(req.params.id);
    const index = this.st.queue.findIndex((x) => x.id === id);
    const removed = this.st.queue[index];
    if (!removed) return { status: 404, body: { message: `Queue item ${id} not found` } };
    this.st.queue.splice(index, 1);
    if (req.query.get('blocklist') === 'true') this.st.blocklist.push(removed.title);
    if (req.query.get('skipRedownload') !== 'true') this.grab(removed.item, `${removed.title.replace(/-[A-Za-z0-9]+$/, '')}-REPACK`);
    return { status: 200, body: {} };
  }

  private grab(item: number, title: string): void {
    this.st.queue.push({
      item,
      title,
      status: 'queued',
      trackedDownloadStatus: 'ok',
      trackedDownloadState: 'downloading',
      messages: [],
      downloadClient: 'SABnzbd',
      protocol: 'usenet',
      sizeGiB: 2,
      leftGiB: 2,
      added: 'now',
      id: this.st.nextQueueId++,
    });
  }

  private command(req: Req): Reply {
    const parsed = jsonBody(req);
    const body = parsed.ok ? (parsed.value as { name?: unknown; episodeIds?: unknown; movieIds?: unknown }) : undefined;
    const name = typeof body?.name === 'string' ? body.name : '';
    const expected = this.flavour === 'sonarr' ? 'EpisodeSearch' : 'MoviesSearch';
    const raw = this.flavour === 'sonarr' ? body?.episodeIds : body?.movieIds;
    if (name !== expected || !Array.isArray(raw) || !raw.every((x) => Number.isInteger(x))) {
      return {
        status: 400,
        body: [{ propertyName: 'name', errorMessage: `expected ${expected} with ${this.flavour === 'sonarr' ? 'episodeIds' : 'movieIds'}`, severity: 'error' }],
      };
    }
    const ids = raw as number[];
    const list = this.flavour === 'sonarr' ? this.s.episodes : this.s.movies;
    const c = { id: this.st.nextCommandId++, name, ids, queued: this.now().toISOString() };
    this.st.commands.push(c);
    for (const id of ids) {
      const item = list[id - 1];
      if (item && !item.hasFile)
        this.grab(
          id - 1,
          'series' in item
            ? `${item.series}.S${String(item.season).padStart(2, '0')}E${String(item.episode).padStart(2, '0')}.1080p.WEB-DL-GRP`
            : `${item.title}.${item.year}.1080p.BluRay-GRP`,
        );
    }
    return { status: 201, body: this.commandRecord(c) };
  }

  private commandRecord(c: StarrState['commands'][number]): Record<string, unknown> {
    return {
      id: c.id,
      name: c.name,
      commandName: c.name.replace(/([a-z])([A-Z])/g, '$1 $2'),
      message: 'Completed',
      priority: 'normal',
      status: 'completed',
      result: 'successful',
      queued: c.queued,
      started: c.queued,
      ended: c.queued,
      duration: '00:00:00.1',
      trigger: 'manual',
      stateChangeTime: c.queued,
      sendUpdatesToClient: true,
      updateScheduledTask: true,
      body: { ...(this.flavour === 'sonarr' ? { episodeIds: c.ids } : { movieIds: c.ids }), sendUpdatesToClient: true, trigger: 'manual' },
    };
  }
}

export class FakeProwlarr {
  url = '';
  readonly apiKey: string;
  readonly requests: { method: string; path: string }[] = [];
  private http: HttpService | undefined;

  constructor(
    private readonly s: ProwlarrScenario,
    private readonly now: () => Date,
  ) {
    this.apiKey = s.apiKey ?? secret(16).replace(/[^a-zA-Z0-9]/g, '0');
  }

  reset(): void {
    this.requests.length = 0;
  }

  async start(host: string): Promise<void> {
    const r = new Router<Record<string, never>>({ caseInsensitive: true });
    const none = {} as Record<string, never>;
    r.add('GET', '/ping', () => ({ status: 200, body: { status: 'OK' } }), none)
      .add(
        'GET',
        '/api/v1/system/status',
        () => ({ status: 200, body: { appName: 'Prowlarr', instanceName: 'Prowlarr', version: this.s.version, isDocker: true } }),
        none,
      )
      .add('GET', '/api/v1/health', () => ({ status: 200, body: healthRows(this.s.health, 'prowlarr') }), none)
      .add('GET', '/api/v1/indexer', () => ({ status: 200, body: indexerRows(this.s.indexers, true) }), none)
      .add('GET', '/api/v1/indexerstatus', () => ({ status: 200, body: indexerStatus(this.s.indexers, this.now()) }), none);
    this.http = await serveHttp(
      {
        router: r,
        before: (req) => {
          this.requests.push({ method: req.method, path: req.path });
          return keyCheck(this.apiKey, req);
        },
        notFound: () => ({ status: 404, body: { message: 'NotFound' } }),
      },
      host,
    );
    this.url = this.http.url;
  }

  stop(): Promise<void> {
    return this.http?.stop() ?? Promise.resolve();
  }
}
