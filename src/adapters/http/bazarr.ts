/**
 * The Bazarr client (Bazarr 1.4 and 1.5: the flask-restx API under /api, the key in X-API-KEY).
 * Paths: /api/system/status ({data: {bazarr_version}}), /api/system/health ({data: [{object,
 * issue}]}), /api/episodes/wanted and /api/movies/wanted (?start=0&length=N → {data, total}; each
 * item's missing_subtitles lists the languages missing).
 */
import { z } from 'zod';
import { resolveSecret, type Config } from '../../core/config.js';
import type { BazarrPort, BazarrWanted, Counted } from '../../core/ports/arr.js';
import type { ServiceDeps } from '../services.js';
import { JsonApi } from './json-api.js';
import { HttpService } from './request.js';

type BazarrConfig = NonNullable<Config['services']['bazarr']>;

const str = z.string().nullish();
const languageSchema = z.object({ name: z.string(), forced: z.boolean().nullish(), hi: z.boolean().nullish() });
const wantedSchema = <T extends z.ZodType>(item: T) => z.object({ data: z.array(item), total: z.number() });
const episodeSchema = z.object({ seriesTitle: str, episode_number: str, episodeTitle: str, missing_subtitles: z.array(languageSchema).default([]) });
const movieSchema = z.object({ title: str, missing_subtitles: z.array(languageSchema).default([]) });

const language = (l: z.output<typeof languageSchema>) => `${l.name}${l.forced ? ':forced' : ''}${l.hi ? ':hi' : ''}`;

export async function createBazarrClient(config: BazarrConfig, deps: ServiceDeps): Promise<BazarrClient> {
  const key = await resolveSecret(config.apiKey, deps.env);
  const http = new HttpService({ name: 'Bazarr', baseUrl: config.url, timeoutMs: config.timeoutMs, caFile: config.caFile });
  return new BazarrClient(
    new JsonApi(
      http,
      { headers: { 'X-API-KEY': key }, hint: 'the key services.bazarr.apiKey points at (Bazarr: Settings → General → Security)' },
      'is it Bazarr 1.4 or newer?',
    ),
  );
}

export class BazarrClient implements BazarrPort {
  constructor(private readonly api: JsonApi) {}

  withSignal(signal: AbortSignal): BazarrPort {
    return new BazarrClient(this.api.withSignal(signal));
  }

  get target(): string {
    return this.api.target;
  }

  async version(): Promise<string> {
    return (await this.api.get(z.object({ data: z.object({ bazarr_version: z.string() }) }), { path: '/api/system/status' })).data.bazarr_version;
  }

  async health(): Promise<Array<{ object: string; issue: string }>> {
    return (await this.api.get(z.object({ data: z.array(z.object({ object: z.string(), issue: z.string() })) }), { path: '/api/system/health' })).data;
  }

  async wantedEpisodes(limit: number): Promise<Counted<BazarrWanted>> {
    const answer = await this.api.get(wantedSchema(episodeSchema), { path: '/api/episodes/wanted', query: { start: 0, length: limit } });
    return {
      total: answer.total,
      items: answer.data.map((e) => ({
        label: [e.seriesTitle, e.episode_number, e.episodeTitle].filter(Boolean).join(' '),
        missing: e.missing_subtitles.map(language),
      })),
    };
  }

  async wantedMovies(limit: number): Promise<Counted<BazarrWanted>> {
    const answer = await this.api.get(wantedSchema(movieSchema), { path: '/api/movies/wanted', query: { start: 0, length: limit } });
    return { total: answer.total, items: answer.data.map((m) => ({ label: m.title ?? '(untitled)', missing: m.missing_subtitles.map(language) })) };
  }
}
