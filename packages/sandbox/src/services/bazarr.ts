/**
 * A fake Bazarr (1.4/1.5: the flask-restx API under /api): `X-API-KEY` (or ?apikey), 401
 * {"message": "Unauthorized"} without a valid key; system/status ({data: {bazarr_version, …}}),
 * system/health ({data: [{object, issue}]}), episodes/wanted and movies/wanted (?start&length →
 * {data, total}, missing_subtitles per item). Read-only here.
 */
import { z } from 'zod';
import { secret } from './common.js';
import { Router, serveHttp, type HttpService, type Reply, type Req } from './router.js';

const language = z.strictObject({ name: z.string(), code2: z.string(), forced: z.boolean().default(false), hi: z.boolean().default(false) });

export const bazarrScenario = z.strictObject({
  apiKey: z.string().optional(),
  version: z.string().default('v1.5.1'),
  health: z.array(z.strictObject({ object: z.string(), issue: z.string() })).default([]),
  wantedEpisodes: z.array(z.strictObject({ series: z.string(), episode: z.string(), title: z.string(), missing: z.array(language) })).default([]),
  wantedMovies: z.array(z.strictObject({ title: z.string(), missing: z.array(language) })).default([]),
});
export type BazarrScenario = z.output<typeof bazarrScenario>;

const lang = (l: z.output<typeof language>) => ({ name: l.name, code2: l.code2, code3: l.code2, forced: l.forced, hi: l.hi });

function window(req: Req, all: unknown[]): Reply {
  const start = Math.max(0, Number(req.query.get('start') ?? 0) || 0);
  const length = Number(req.query.get('length') ?? -1);
  return { status: 200, body: { data: length < 0 ? all.slice(start) : all.slice(start, start + length), total: all.length } };
}

export class FakeBazarr {
  url = '';
  readonly apiKey: string;
  readonly requests: { method: string; path: string }[] = [];
  private http: HttpService | undefined;

  constructor(private readonly s: BazarrScenario) {
    this.apiKey = s.apiKey ?? secret(16).replace(/[^a-zA-Z0-9]/g, '0');
  }

  reset(): void {
    this.requests.length = 0;
  }

  async start(host: string): Promise<void> {
    const r = new Router<Record<string, never>>();
    const none = {} as Record<string, never>;
    r.add(
      'GET',
      '/api/system/status',
      () => ({
        status: 200,
        body: {
          data: {
            bazarr_version: this.s.version,
            package_version: '',
            sonarr_version: '4.0.14.2939',
            radarr_version: '5.17.2.9580',
            operating_system: 'Linux-6.6.51-v8+-aarch64',
            python_version: '3.12.8',
            database_engine: 'Sqlite 3.45.3',
            start_time: 1735689600,
            timezone: 'Europe/Berlin',
          },
        },
      }),
      none,
    )
      .add('GET', '/api/system/health', () => ({ status: 200, body: { data: this.s.health } }), none)
      .add(
        'GET',
        '/api/episodes/wanted',
        (q) =>
          window(
            q,
            this.s.wantedEpisodes.map((e, i) => ({
              seriesTitle: e.series,
              episode_number: e.episode,
              episodeTitle: e.title,
              missing_subtitles: e.missing.map(lang),
              sonarrSeriesId: 1,
              sonarrEpisodeId: i + 1,
              sceneName: null,
              tags: [],
              seriesType: 'standard',
            })),
          ),
        none,
      )
      .add(
        'GET',
        '/api/movies/wanted',
        (q) =>
          window(
            q,
            this.s.wantedMovies.map((m, i) => ({ title: m.title, missing_subtitles: m.missing.map(lang), radarrId: i + 1, sceneName: null, tags: [] })),
          ),
        none,
      );
    this.http = await serveHttp(
      {
        router: r,
        before: (req) => {
          this.requests.push({ method: req.method, path: req.path });
          const given = req.headers['x-api-key'] ?? req.query.get('apikey');
          return given === this.apiKey ? undefined : { status: 401, body: { message: 'Unauthorized' } };
        },
        notFound: () => ({ status: 404, body: { message: 'The requested URL was not found on the server.' } }),
      },
      host,
    );
    this.url = this.http.url;
  }

  stop(): Promise<void> {
    return this.http?.stop() ?? Promise.resolve();
  }
}
