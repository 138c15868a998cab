/**
 * Sonarr, Radarr and Prowlarr: the "Servarr" apps share one API style (X-Api-Key, JSON, paged lists
 * as {page, pageSize, totalRecords, records}), so one client serves the three.
 *
 * Sonarr v4 and Radarr v5 serve /api/v3 (Sonarr v3 the same routes): system/status, health,
 * queue (includeSeries/includeEpisode, includeMovie), wanted/missing, episode/{id} and series/{id},
 * movie/{id}, diskspace, indexer and indexerstatus, command (POST EpisodeSearch / MoviesSearch,
 * GET command/{id}), DELETE queue/{id}?removeFromClient&blocklist&skipRedownload.
 * Prowlarr 1.x serves /api/v1: system/status, health, indexer, indexerstatus.
 * Ids that go into a path are checked as positive integers here again, whatever the caller did.
 */
import { z } from 'zod';
import { resolveSecret, type Config } from '../../core/config.js';
import { UserError } from '../../core/errors.js';
import type {
  ArrCommand,
  ArrDisk,
  ArrHealth,
  ArrIndexer,
  ArrSystem,
  Counted,
  ProwlarrPort,
  StarrApp,
  StarrItem,
  StarrPort,
  StarrQueueItem,
} from '../../core/ports/arr.js';
import type { ServiceDeps } from '../services.js';
import { JsonApi } from './json-api.js';
import { HttpService } from './request.js';

type KeyConfig = NonNullable<Config['services']['sonarr']>;

const str = z.string().nullish();
const num = z.number().nullish();
const paged = <T extends z.ZodType>(item: T) => z.object({ totalRecords: z.number(), records: z.array(item) });

const systemSchema = z.object({ appName: z.string(), version: z.string(), instanceName: str });
const healthSchema = z.object({
  source: z.string().default(''),
  type: z.string(),
  message: z.string(),
  wikiUrl: z.union([z.string(), z.object({ fullUri: str })]).nullish(),
});
const seriesSchema = z.object({ title: z.string(), titleSlug: str });
const episodeSchema = z.object({
  id: z.number(),
  seriesId: z.number().nullish(),
  seasonNumber: z.number(),
  episodeNumber: z.number(),
  title: str,
  airDateUtc: str,
  series: seriesSchema.nullish(),
});
const movieSchema = z.object({ id: z.number(), title: z.string(), year: num, titleSlug: str, inCinemas: str, digitalRelease: str, physicalRelease: str });
const queueSchema = z.object({
  id: z.number(),
  title: str,
  status: z.string().default('unknown'),
  trackedDownloadStatus: str,
  trackedDownloadState: str,
  statusMessages: z.array(z.object({ title: str, messages: z.array(z.string()).nullish() })).nullish(),
  errorMessage: str,
  downloadClient: str,
  protocol: str,
  size: num,
  sizeleft: num,
  timeleft: str,
  added: str,
  episode: episodeSchema.nullish(),
  series: seriesSchema.nullish(),
  movie: movieSchema.nullish(),
});
const diskSchema = z.object({ path: z.string(), label: str, freeSpace: z.number(), totalSpace: z.number() });
const indexerSchema = z.object({
  id: z.number(),
  name: z.string(),
  enable: z.boolean().nullish(),
  enableRss: z.boolean().nullish(),
  enableAutomaticSearch: z.boolean().nullish(),
  enableInteractiveSearch: z.boolean().nullish(),
  protocol: str,
});
const indexerStatusSchema = z.object({ indexerId: z.number(), disabledTill: str, mostRecentFailure: str, initialFailure: str });
const commandSchema = z.object({ id: z.number(), name: z.string(), status: z.string(), message: str, queued: str, ended: str });

const opt = <T>(v: T | null | undefined): T | undefined => (v === null ? undefined : v);
const pad = (n: number) => String(n).padStart(2, '0');

function episodeItem(e: z.output<typeof episodeSchema>, series?: z.output<typeof seriesSchema> | null): StarrItem {
  const s = e.series ?? series;
  return {
    id: e.id,
    label: `${s?.title ?? 'series'} S${pad(e.seasonNumber)}E${pad(e.episodeNumber)}${e.title ? ` ${e.title}` : ''}`,
    slug: opt(s?.titleSlug),
    date: opt(e.airDateUtc),
  };
}

function movieItem(m: z.output<typeof movieSchema>): StarrItem {
  return {
    id: m.id,
    label: `${m.title}${m.year ? ` (${m.year})` : ''}`,
    slug: opt(m.titleSlug),
    date: opt(m.digitalRelease ?? m.physicalRelease ?? m.inCinemas),
  };
}

/** The client's own check: only a positive integer goes into a path. */
function pathId(id: number): string {
  if (!Number.isSafeInteger(id) || id < 1) throw new UserError(`refusing to use ${String(id).slice(0, 40)} as an id: it must be a positive integer`);
  return String(id);
}

const LABEL: Record<StarrApp | 'prowlarr', string> = { sonarr: 'Sonarr', radarr: 'Radarr', prowlarr: 'Prowlarr' };
const SETTINGS = 'Settings → General → Security';

function api(app: StarrApp | 'prowlarr', config: KeyConfig, key: string): JsonApi {
  const http = new HttpService({ name: LABEL[app], baseUrl: config.url, timeoutMs: config.timeoutMs, caFile: config.caFile });
  const version = app === 'sonarr' ? 'is it Sonarr v3 or newer?' : app === 'radarr' ? 'is it Radarr v4 or newer?' : 'is it Prowlarr 1.x?';
  return new JsonApi(http, { headers: { 'X-Api-Key': key }, hint: `the key services.${app}.apiKey points at (${LABEL[app]}: ${SETTINGS})` }, version);
}

export async function createStarrClient(app: StarrApp, config: KeyConfig, deps: ServiceDeps): Promise<StarrClient> {
  return new StarrClient(app, api(app, config, await resolveSecret(config.apiKey, deps.env)));
}

export async function createProwlarrClient(config: KeyConfig, deps: ServiceDeps): Promise<ProwlarrClient> {
  return new ProwlarrClient(api('prowlarr', config, await resolveSecret(config.apiKey, deps.env)));
}

/** What Sonarr, Radarr and Prowlarr answer alike (one API, each at its own version): status, health, indexers. */
abstract class ArrClient {
  constructor(
    protected readonly api: JsonApi,
    protected readonly base: string,
  ) {}

  get target(): string {
    return this.api.target;
  }

  async system(): Promise<ArrSystem> {
    const s = await this.api.get(systemSchema, { path: `${this.base}/system/status` });
    return { appName: s.appName, version: s.version, instanceName: opt(s.instanceName) };
  }

  async health(): Promise<ArrHealth[]> {
    const list = await this.api.get(z.array(healthSchema), { path: `${this.base}/health` });
    return list.map((h) => ({
      source: h.source,
      type: h.type,
      message: h.message,
      wikiUrl: typeof h.wikiUrl === 'string' ? h.wikiUrl : opt(h.wikiUrl?.fullUri),
    }));
  }

  async indexers(): Promise<ArrIndexer[]> {
    const [list, statuses] = await Promise.all([
      this.api.get(z.array(indexerSchema), { path: `${this.base}/indexer` }),
      this.api.get(z.array(indexerStatusSchema), { path: `${this.base}/indexerstatus` }),
    ]);
    const byId = new Map(statuses.map((s) => [s.indexerId, s]));
    return list.map((i) => {
      const status = byId.get(i.id);
      return {
        id: i.id,
        name: i.name,
        // Prowlarr says `enable`; Sonarr and Radarr have a switch per use.
        enabled: i.enable ?? Boolean(i.enableRss || i.enableAutomaticSearch || i.enableInteractiveSearch),
        protocol: opt(i.protocol),
        disabledTill: opt(status?.disabledTill),
        mostRecentFailure: opt(status?.mostRecentFailure),
        initialFailure: opt(status?.initialFailure),
      };
    });
  }
}

export class StarrClient extends ArrClient implements StarrPort {
  constructor(
    readonly app: StarrApp,
    api: JsonApi,
  ) {
    super(api, '/api/v3');
  }

  withSignal(signal: AbortSignal): StarrPort {
    return new StarrClient(this.app, this.api.withSignal(signal));
  }

  async queue(limit: number): Promise<Counted<StarrQueueItem>> {
    const query =
      this.app === 'sonarr'
        ? { page: 1, pageSize: limit, includeUnknownSeriesItems: true, includeSeries: true, includeEpisode: true }
        : { page: 1, pageSize: limit, includeUnknownMovieItems: true, includeMovie: true };
    const answer = await this.api.get(paged(queueSchema), { path: `${this.base}/queue`, query });
    return {
      total: answer.totalRecords,
      items: answer.records.map((q) => ({
        id: q.id,
        title: q.title ?? '(untitled)',
        status: q.status,
        trackedDownloadStatus: opt(q.trackedDownloadStatus),
        trackedDownloadState: opt(q.trackedDownloadState),
        messages: [
          ...(q.errorMessage ? [q.errorMessage] : []),
          ...(q.statusMessages ?? []).flatMap((m) => (m.messages?.length ? m.messages : m.title ? [m.title] : [])),
        ],
        downloadClient: opt(q.downloadClient),
        protocol: opt(q.protocol),
        size: opt(q.size),
        sizeLeft: opt(q.sizeleft),
        timeLeft: opt(q.timeleft),
        added: opt(q.added),
        item: q.episode ? episodeItem(q.episode, q.series) : q.movie ? movieItem(q.movie) : undefined,
      })),
    };
  }

  async missing(limit: number): Promise<Counted<StarrItem>> {
    if (this.app === 'sonarr') {
      const answer = await this.api.get(paged(episodeSchema), {
        path: `${this.base}/wanted/missing`,
        query: { page: 1, pageSize: limit, includeSeries: true, monitored: true },
      });
      return { total: answer.totalRecords, items: answer.records.map((e) => episodeItem(e)) };
    }
    const answer = await this.api.get(paged(movieSchema), { path: `${this.base}/wanted/missing`, query: { page: 1, pageSize: limit, monitored: true } });
    return { total: answer.totalRecords, items: answer.records.map(movieItem) };
  }

  async item(id: number): Promise<StarrItem> {
    if (this.app === 'radarr') return movieItem(await this.api.get(movieSchema, { path: `${this.base}/movie/${pathId(id)}` }));
    const episode = await this.api.get(episodeSchema, { path: `${this.base}/episode/${pathId(id)}` });
    const series =
      episode.series ?? (episode.seriesId ? await this.api.get(seriesSchema, { path: `${this.base}/series/${pathId(episode.seriesId)}` }) : undefined);
    return episodeItem(episode, series);
  }

  async diskSpace(): Promise<ArrDisk[]> {
    const list = await this.api.get(z.array(diskSchema), { path: `${this.base}/diskspace` });
    return list.map((d) => ({ path: d.path, label: opt(d.label) || undefined, free: d.freeSpace, total: d.totalSpace }));
  }

  async retry(queueId: number, options: { redownload: boolean }): Promise<void> {
    await this.api.send({
      method: 'DELETE',
      path: `${this.base}/queue/${pathId(queueId)}`,
      query: { removeFromClient: true, blocklist: true, skipRedownload: !options.redownload },
    });
  }

  async search(ids: number[]): Promise<ArrCommand> {
    ids.forEach(pathId);
    const body = this.app === 'sonarr' ? { name: 'EpisodeSearch', episodeIds: ids } : { name: 'MoviesSearch', movieIds: ids };
    return toCommand(await this.api.json(commandSchema, { method: 'POST', path: `${this.base}/command`, json: body }));
  }

  async command(id: number): Promise<ArrCommand> {
    return toCommand(await this.api.get(commandSchema, { path: `${this.base}/command/${pathId(id)}` }));
  }
}

function toCommand(c: z.output<typeof commandSchema>): ArrCommand {
  return { id: c.id, name: c.name, status: c.status, message: opt(c.message), queued: opt(c.queued), ended: opt(c.ended) };
}

export class ProwlarrClient extends ArrClient implements ProwlarrPort {
  constructor(api: JsonApi) {
    super(api, '/api/v1');
  }

  withSignal(signal: AbortSignal): ProwlarrPort {
    return new ProwlarrClient(this.api.withSignal(signal));
  }
}
