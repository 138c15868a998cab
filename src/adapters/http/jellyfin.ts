/**
 * The Jellyfin client: a handful of typed calls on the shared HttpService, answers checked with zod.
 *
 * Why not @jellyfin/sdk (evaluated 2025, see the media work's report): 1.0.0 is generated for the
 * 12.x API (0.13 for 10.11, 0.11 for 10.10 — one SDK version per server line, where a homelab
 * meets several), needs axios as a peer (the SDK is 6.0 MB unpacked, axios another 2.5 MB) and
 * costs 80–135 ms to import against ~4 ms for node:https; its CA and timeout handling would sit
 * beside HttpService's instead of using it. We call 9 routes that are identical in 10.10, 10.11
 * and 12.0, so a small client is less code to trust than the SDK is to configure.
 *
 * The API key travels only in the `Authorization: MediaBrowser Token="…"` header (never
 * `?ApiKey=` in a URL, never the legacy X-Emby-Token, which 12.0 turns off by default). Ids that
 * go into a path are checked as GUIDs here again, whatever the caller did.
 */
import { z } from 'zod';
import { resolveSecret, type Config } from '../../core/config.js';
import { Forbidden, Upstream, UserError } from '../../core/errors.js';
import {
  JELLYFIN_ID_RULE,
  parseJellyfinId,
  type JellyfinCounts,
  type JellyfinId,
  type JellyfinItem,
  type JellyfinItemQuery,
  type JellyfinLibrary,
  type JellyfinPort,
  type JellyfinRefreshOptions,
  type JellyfinSession,
  type JellyfinSystemInfo,
  type JellyfinTask,
} from '../../core/ports/jellyfin.js';
import type { ServiceDeps } from '../services.js';
import { HttpService, type HttpAnswer, type HttpCall } from './request.js';

type JellyfinConfig = NonNullable<Config['services']['jellyfin']>;

const TICKS_PER_SECOND = 10_000_000;
const num = z.number().nullish();
const str = z.string().nullish();

const systemInfoSchema = z.object({
  ServerName: str,
  Version: z.string(),
  ProductName: str,
  OperatingSystem: str,
  OperatingSystemDisplayName: str,
  HasPendingRestart: z.boolean().nullish(),
  IsShuttingDown: z.boolean().nullish(),
  HasUpdateAvailable: z.boolean().nullish(),
});

const countsSchema = z.object({
  MovieCount: num,
  SeriesCount: num,
  EpisodeCount: num,
  AlbumCount: num,
  SongCount: num,
  MusicVideoCount: num,
  BookCount: num,
  BoxSetCount: num,
  ItemCount: num,
});

const sessionSchema = z.object({
  Id: z.string(),
  UserName: str,
  Client: str,
  DeviceName: str,
  LastActivityDate: str,
  NowPlayingItem: z.object({ Name: str, Type: str, SeriesName: str, RunTimeTicks: num }).nullish(),
  PlayState: z.object({ PositionTicks: num, IsPaused: z.boolean().nullish(), PlayMethod: str }).nullish(),
});

const virtualFolderSchema = z.object({
  Name: z.string(),
  CollectionType: str,
  Locations: z.array(z.string()).nullish(),
  ItemId: str,
  RefreshStatus: str,
  RefreshProgress: num,
});

const taskSchema = z.object({
  Id: z.string(),
  Key: str,
  Name: z.string(),
  Category: str,
  State: z.string(),
  CurrentProgressPercentage: num,
  IsHidden: z.boolean().nullish(),
  LastExecutionResult: z.object({ Status: z.string(), StartTimeUtc: str, EndTimeUtc: str, ErrorMessage: str }).nullish(),
});

const itemSchema = z.object({
  Id: z.string(),
  Name: str,
  Type: str,
  ProductionYear: num,
  Path: str,
  Overview: str,
  ProviderIds: z.record(z.string(), z.string().nullish()).nullish(),
  DateLastRefreshed: str,
});

const itemsSchema = z.object({ Items: z.array(itemSchema), TotalRecordCount: num });

/** Optional answers come back null in Jellyfin's JSON; ours are undefined. */
const opt = <T>(v: T | null | undefined): T | undefined => (v === null ? undefined : v);

export async function createJellyfinClient(config: JellyfinConfig, deps: ServiceDeps): Promise<JellyfinClient> {
  const apiKey = await resolveSecret(config.apiKey, deps.env);
  const http = new HttpService({ name: 'Jellyfin', baseUrl: config.url, timeoutMs: config.timeoutMs, caFile: config.caFile });
  return new JellyfinClient(http, apiKey);
}

export class JellyfinClient implements JellyfinPort {
  private readonly auth: string;

  constructor(
    private readonly http: HttpService,
    private readonly apiKey: string,
  ) {
    // Values may be URL-encoded (Jellyfin decodes them): a quote or comma in a key cannot break the header.
    this.auth = `MediaBrowser Token="${encodeURIComponent(apiKey)}", Client="homelab", Device="homelab", DeviceId="homelab-cli", Version="1"`;
  }

  /** This client as one op sees it: every request stops when `signal` fires. */
  withSignal(signal: AbortSignal): JellyfinPort {
    return new JellyfinClient(this.http.withSignal(signal), this.apiKey);
  }

  get target(): string {
    return this.http.where;
  }

  async systemInfo(): Promise<JellyfinSystemInfo> {
    const s = await this.get(systemInfoSchema, { path: '/System/Info' });
    return {
      serverName: s.ServerName ?? '',
      version: s.Version,
      productName: opt(s.ProductName),
      operatingSystem: opt(s.OperatingSystemDisplayName ?? s.OperatingSystem),
      hasPendingRestart: opt(s.HasPendingRestart),
      isShuttingDown: opt(s.IsShuttingDown),
      hasUpdateAvailable: opt(s.HasUpdateAvailable),
    };
  }

  async counts(): Promise<JellyfinCounts> {
    const c = await this.get(countsSchema, { path: '/Items/Counts' });
    return {
      movies: c.MovieCount ?? 0,
      series: c.SeriesCount ?? 0,
      episodes: c.EpisodeCount ?? 0,
      albums: c.AlbumCount ?? 0,
      songs: c.SongCount ?? 0,
      musicVideos: c.MusicVideoCount ?? 0,
      books: c.BookCount ?? 0,
      boxSets: c.BoxSetCount ?? 0,
      items: c.ItemCount ?? 0,
    };
  }

  async sessions(): Promise<JellyfinSession[]> {
    // Sessions seen in the last 15 minutes: what "active" means on the dashboard.
    const list = await this.get(z.array(sessionSchema), { path: '/Sessions', query: { activeWithinSeconds: 900 } });
    return list.map((s) => ({
      id: s.Id,
      userName: opt(s.UserName),
      client: opt(s.Client),
      deviceName: opt(s.DeviceName),
      lastActivity: opt(s.LastActivityDate),
      nowPlaying: s.NowPlayingItem
        ? {
            name: s.NowPlayingItem.Name ?? '(unnamed)',
            type: opt(s.NowPlayingItem.Type),
            seriesName: opt(s.NowPlayingItem.SeriesName),
            position: s.PlayState?.PositionTicks != null ? Math.floor(s.PlayState.PositionTicks / TICKS_PER_SECOND) : undefined,
            runtime: s.NowPlayingItem.RunTimeTicks != null ? Math.floor(s.NowPlayingItem.RunTimeTicks / TICKS_PER_SECOND) : undefined,
            paused: s.PlayState?.IsPaused === true,
            playMethod: opt(s.PlayState?.PlayMethod),
          }
        : undefined,
    }));
  }

  async libraries(): Promise<JellyfinLibrary[]> {
    const list = await this.get(z.array(virtualFolderSchema), { path: '/Library/VirtualFolders' });
    return list.map((f) => ({
      name: f.Name,
      collectionType: opt(f.CollectionType),
      locations: f.Locations ?? [],
      itemId: f.ItemId ? parseJellyfinId(f.ItemId) : undefined,
      refreshStatus: opt(f.RefreshStatus),
      refreshProgress: opt(f.RefreshProgress),
    }));
  }

  async tasks(): Promise<JellyfinTask[]> {
    const list = await this.get(z.array(taskSchema), { path: '/ScheduledTasks' });
    return list.flatMap((t) => {
      const task = toTask(t);
      return task ? [task] : [];
    });
  }

  async task(id: JellyfinId): Promise<JellyfinTask> {
    const t = await this.get(taskSchema, { path: `/ScheduledTasks/${pathId(id)}` });
    const task = toTask(t);
    if (!task) throw new Upstream(`Jellyfin at ${this.target} answered with a task id that is not a GUID`);
    return task;
  }

  async startTask(id: JellyfinId): Promise<void> {
    await this.send({ method: 'POST', path: `/ScheduledTasks/Running/${pathId(id)}` });
  }

  async items(query: JellyfinItemQuery): Promise<{ items: JellyfinItem[]; total: number }> {
    const ids = query.ids?.map(pathId);
    const answer = await this.get(itemsSchema, {
      path: '/Items',
      query: {
        recursive: true,
        searchTerm: query.searchTerm,
        includeItemTypes: query.types?.join(','),
        ids: ids?.join(','),
        hasOverview: query.hasOverview,
        hasTmdbId: query.hasTmdbId,
        hasImdbId: query.hasImdbId,
        hasTvdbId: query.hasTvdbId,
        fields: 'ProviderIds,Path,Overview,DateLastRefreshed',
        enableImages: false,
        sortBy: 'SortName',
        sortOrder: 'Ascending',
        startIndex: query.startIndex,
        limit: query.limit,
      },
    });
    const items = answer.Items.flatMap((i): JellyfinItem[] => {
      const id = parseJellyfinId(i.Id);
      if (!id) return [];
      const providerIds = Object.fromEntries(Object.entries(i.ProviderIds ?? {}).filter((e): e is [string, string] => Boolean(e[1])));
      return [
        {
          id,
          name: i.Name ?? '',
          type: i.Type ?? 'Unknown',
          year: opt(i.ProductionYear),
          path: opt(i.Path),
          overview: opt(i.Overview),
          providerIds,
          dateLastRefreshed: 'DateLastRefreshed' in i ? (i.DateLastRefreshed ?? null) : undefined,
        },
      ];
    });
    return { items, total: answer.TotalRecordCount ?? items.length };
  }

  async refreshItem(id: JellyfinId, options: JellyfinRefreshOptions): Promise<void> {
    await this.send({
      method: 'POST',
      path: `/Items/${pathId(id)}/Refresh`,
      query: {
        metadataRefreshMode: options.metadata,
        imageRefreshMode: options.images,
        replaceAllMetadata: options.replaceAllMetadata,
        replaceAllImages: false,
        regenerateTrickplay: false,
      },
    });
  }

  private async get<S extends z.ZodType>(schema: S, call: Omit<HttpCall, 'method'>): Promise<z.output<S>> {
    const full: HttpCall = { method: 'GET', ...call };
    return this.http.parsed(schema, await this.call(full), full, 'is it Jellyfin 10.10 or newer?');
  }

  private async send(call: HttpCall): Promise<void> {
    await this.call(call);
  }

  private async call(call: HttpCall): Promise<HttpAnswer> {
    const answer = await this.http.request({ ...call, headers: { ...call.headers, Authorization: this.auth } });
    if (answer.status >= 200 && answer.status < 300) return answer;
    if (answer.status === 401) {
      throw new Forbidden(`Jellyfin at ${this.target} did not accept the API key (HTTP 401 on ${call.method} ${call.path})`, {
        hint: 'check the key services.jellyfin.apiKey points at (Jellyfin: Dashboard → API Keys)',
      });
    }
    if (answer.status === 403) {
      throw new Forbidden(`Jellyfin at ${this.target} refused ${call.method} ${call.path} (HTTP 403): the API key or user is not an administrator`, {
        hint: 'use an API key made under Dashboard → API Keys (they act as an administrator)',
      });
    }
    throw this.http.httpError(answer, call, detailOf(answer.text));
  }
}

/** The client's own check, whatever the caller did: an id goes into a path only as 32 hex digits. */
function pathId(id: string): string {
  const checked = parseJellyfinId(id);
  if (!checked) throw new UserError(`refusing to use "${id.slice(0, 80)}" as a Jellyfin id: ${JELLYFIN_ID_RULE}`);
  return encodeURIComponent(checked);
}

function toTask(t: z.output<typeof taskSchema>): JellyfinTask | undefined {
  const id = parseJellyfinId(t.Id);
  if (!id) return undefined;
  const r = t.LastExecutionResult;
  return {
    id,
    key: opt(t.Key),
    name: t.Name,
    category: opt(t.Category),
    state: t.State,
    progress: opt(t.CurrentProgressPercentage),
    hidden: opt(t.IsHidden),
    lastResult: r ? { status: r.Status, startTime: opt(r.StartTimeUtc), endTime: opt(r.EndTimeUtc), errorMessage: opt(r.ErrorMessage) } : undefined,
  };
}

/** Jellyfin's error bodies are ProblemDetails JSON or plain text; one short line of either. */
function detailOf(text: string): string | undefined {
  const trimmed = text.trim();
  if (!trimmed) return undefined;
  try {
    const body = JSON.parse(trimmed) as { title?: unknown; detail?: unknown };
    const line = [body.title, body.detail].filter((x): x is string => typeof x === 'string').join(': ');
    return line ? line.slice(0, 200) : undefined;
  } catch {
    return trimmed.startsWith('<') ? undefined : trimmed.split('\n')[0]?.slice(0, 200);
  }
}
