/**
 * The Immich client: four typed calls on the shared HttpService, answers checked with zod.
 *
 * Why not @immich/sdk (evaluated 2025, see the media work's report): it is small (340 KB, one dep,
 * ~7 ms to import) but AGPL-3.0 while homelab is MIT, pinned to one server major (function names
 * changed between 2.x and 3.x), and its global-fetch transport would bypass HttpService's private
 * CA, per-call timeouts, size bounds and error wording. We need four stable GET routes.
 *
 * Only the current paths (`/api/server/about|statistics|storage`, Immich ≥ 1.118): the old
 * `/api/server-info/*` ones were removed. The key travels only in the `x-api-key` header.
 */
import { z } from 'zod';
import { resolveSecret, type Config } from '../../core/config.js';
import { Forbidden, NotFound } from '../../core/errors.js';
import type { ImmichAbout, ImmichPort, ImmichQueue, ImmichStatistics, ImmichStorage } from '../../core/ports/immich.js';
import type { ServiceDeps } from '../services.js';
import { HttpService, type HttpAnswer, type HttpCall } from './request.js';

type ImmichConfig = NonNullable<Config['services']['immich']>;

const aboutSchema = z.object({ version: z.string(), build: z.string().nullish() });

const statisticsSchema = z.object({
  photos: z.number(),
  videos: z.number(),
  usage: z.number(),
  usagePhotos: z.number().nullish(),
  usageVideos: z.number().nullish(),
  usageByUser: z
    .array(
      z.object({
        userId: z.string(),
        userName: z.string(),
        photos: z.number(),
        videos: z.number(),
        usage: z.number(),
        quotaSizeInBytes: z.number().nullish(),
      }),
    )
    .default([]),
});

const storageSchema = z.object({
  diskSize: z.string(),
  diskUse: z.string(),
  diskAvailable: z.string(),
  diskSizeRaw: z.number(),
  diskUseRaw: z.number(),
  diskAvailableRaw: z.number(),
  diskUsagePercentage: z.number(),
});

const count = z.number().nullish();
const jobsSchema = z.record(
  z.string(),
  z.object({
    jobCounts: z.object({ active: count, waiting: count, failed: count, delayed: count }),
    queueStatus: z.object({ isPaused: z.boolean().nullish() }).nullish(),
  }),
);

export async function createImmichClient(config: ImmichConfig, deps: ServiceDeps): Promise<ImmichClient> {
  const apiKey = await resolveSecret(config.apiKey, deps.env);
  // The API lives under /api; a base URL given with it is taken as it is.
  const baseUrl = config.url.replace(/\/+$/, '').replace(/\/api$/, '');
  const http = new HttpService({ name: 'Immich', baseUrl, timeoutMs: config.timeoutMs, caFile: config.caFile });
  return new ImmichClient(http, apiKey);
}

export class ImmichClient implements ImmichPort {
  constructor(
    private readonly http: HttpService,
    private readonly apiKey: string,
  ) {}

  /** This client as one op sees it: every request stops when `signal` fires. */
  withSignal(signal: AbortSignal): ImmichPort {
    return new ImmichClient(this.http.withSignal(signal), this.apiKey);
  }

  get target(): string {
    return this.http.where;
  }

  async about(): Promise<ImmichAbout> {
    const a = await this.get(aboutSchema, '/api/server/about');
    return { version: a.version, build: a.build ?? undefined };
  }

  async statistics(): Promise<ImmichStatistics> {
    const s = await this.get(statisticsSchema, '/api/server/statistics');
    return {
      photos: s.photos,
      videos: s.videos,
      usage: s.usage,
      usagePhotos: s.usagePhotos ?? undefined,
      usageVideos: s.usageVideos ?? undefined,
      usageByUser: s.usageByUser,
    };
  }

  storage(): Promise<ImmichStorage> {
    return this.get(storageSchema, '/api/server/storage');
  }

  async queues(): Promise<ImmichQueue[]> {
    const jobs = await this.get(jobsSchema, '/api/jobs');
    return Object.entries(jobs).map(([name, q]) => ({
      name,
      active: q.jobCounts.active ?? 0,
      waiting: q.jobCounts.waiting ?? 0,
      failed: q.jobCounts.failed ?? 0,
      delayed: q.jobCounts.delayed ?? 0,
      paused: q.queueStatus?.isPaused === true,
    }));
  }

  private async get<S extends z.ZodType>(schema: S, path: string): Promise<z.output<S>> {
    const call: HttpCall = { method: 'GET', path, headers: { 'x-api-key': this.apiKey } };
    const answer = await this.http.request(call);
    if (answer.status < 200 || answer.status >= 300) throw this.refusal(answer, call);
    return this.http.parsed(schema, answer, call, undefined);
  }

  private refusal(answer: HttpAnswer, call: HttpCall): Error {
    const detail = detailOf(answer.text);
    if (answer.status === 401) {
      return new Forbidden(`Immich at ${this.target} did not accept the API key (HTTP 401 on GET ${call.path}${detail ? `: ${detail}` : ''})`, {
        hint: 'check the key services.immich.apiKey points at (Immich: Account settings → API keys)',
      });
    }
    if (answer.status === 403) {
      return new Forbidden(
        `Immich at ${this.target} refused GET ${call.path} (HTTP 403${detail ? `: ${detail}` : ''}): the API key lacks the permission or its user is not an admin`,
        {
          hint: 'server statistics need an admin user\'s key with the server.statistics permission (or "all")',
        },
      );
    }
    if (answer.status === 404) {
      return new NotFound(
        `Immich at ${this.target} has no GET ${call.path} (HTTP 404): homelab speaks the API of Immich 1.118 and newer (the old /api/server-info paths are gone)`,
        {
          hint: 'check the URL points at Immich itself (not a proxy page), and upgrade Immich if it is older than 1.118',
        },
      );
    }
    return this.http.httpError(answer, call, detail);
  }
}

/** Immich's errors are `{message, error, statusCode}`; message may be a list. */
function detailOf(text: string): string | undefined {
  try {
    const body = JSON.parse(text) as { message?: unknown };
    const m = Array.isArray(body.message) ? body.message.join('; ') : body.message;
    return typeof m === 'string' && m ? m.slice(0, 200) : undefined;
  } catch {
    return undefined;
  }
}
