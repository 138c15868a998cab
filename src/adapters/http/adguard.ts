import { z } from 'zod';
import { resolveSecret, type Config } from '../../core/config.js';
import { Forbidden, Upstream, type HomelabError } from '../../core/errors.js';
import type { AdguardCount, AdguardPort, AdguardQuery, AdguardQueryFilter, AdguardStats, AdguardStatus } from '../../core/ports/adguard.js';
import type { ServiceDeps } from '../services.js';
import { HttpService, type HttpAnswer, type HttpCall } from './request.js';

type AdguardConfig = NonNullable<Config['services']['adguard']>;

/** Entries read at most to find `limit` blocked queries. */
const MAX_SCAN = 5000;

const statusBody = z.looseObject({
  version: z.string().default(''),
  running: z.boolean(),
  protection_enabled: z.boolean(),
  protection_disabled_duration: z.number().nullish(),
  dns_addresses: z.array(z.string()).nullish(),
});
/** `top_*` entries are single-key objects: {"ads.example": 40}. */
const topArray = z.array(z.record(z.string(), z.number())).nullish();
const statsBody = z.looseObject({
  time_units: z.string().default('hours'),
  num_dns_queries: z.number(),
  num_blocked_filtering: z.number(),
  num_replaced_safebrowsing: z.number().default(0),
  num_replaced_parental: z.number().default(0),
  avg_processing_time: z.number().default(0),
  top_blocked_domains: topArray,
  top_clients: topArray,
  top_upstreams_responses: topArray,
});
const queryLogBody = z.looseObject({
  oldest: z.string().nullish(),
  data: z.array(
    z.looseObject({
      time: z.string(),
      client: z.string(),
      client_info: z.looseObject({ name: z.string().nullish() }).nullish(),
      question: z.looseObject({ name: z.string(), type: z.string().nullish() }),
      reason: z.string().default(''),
      status: z.string().default(''),
      upstream: z.string().nullish(),
      elapsedMs: z.union([z.string(), z.number()]).nullish(),
    }),
  ),
});

function entries(top: z.output<typeof topArray>): AdguardCount[] {
  return (top ?? []).flatMap((item) =>
    Object.entries(item)
      .slice(0, 1)
      .map(([name, count]) => ({ name, count })),
  );
}

/**
 * AdGuard Home's API under /control, with HTTP Basic auth on every request (the header, never the
 * URL). There is no session to keep or close.
 */
export class AdguardClient implements AdguardPort {
  constructor(
    private readonly http: HttpService,
    private readonly username: string,
    /** The Basic credentials header, made once. */
    private readonly authorization: string,
  ) {}

  /** This client as one op sees it: every request stops when `signal` fires. */
  withSignal(signal: AbortSignal): AdguardPort {
    return new AdguardClient(this.http.withSignal(signal), this.username, this.authorization);
  }

  get target(): string {
    return this.http.where;
  }

  async status(): Promise<AdguardStatus> {
    const body = await this.getJson('/control/status', statusBody);
    return {
      version: body.version,
      running: body.running,
      protectionEnabled: body.protection_enabled,
      protectionDisabledMs: body.protection_disabled_duration ?? 0,
      dnsAddresses: body.dns_addresses ?? [],
    };
  }

  async stats(): Promise<AdguardStats> {
    const body = await this.getJson('/control/stats', statsBody);
    return {
      timeUnits: body.time_units,
      queries: body.num_dns_queries,
      blocked: body.num_blocked_filtering,
      safebrowsing: body.num_replaced_safebrowsing,
      parental: body.num_replaced_parental,
      avgProcessingTime: body.avg_processing_time,
      topBlocked: entries(body.top_blocked_domains),
      topClients: entries(body.top_clients),
      topUpstreams: entries(body.top_upstreams_responses),
    };
  }

  async queryLog(filter: AdguardQueryFilter): Promise<AdguardQuery[]> {
    const found: AdguardQuery[] = [];
    const pageSize = filter.blocked ? Math.min(1000, Math.max(200, filter.limit * 2)) : filter.limit;
    let olderThan: string | undefined;
    let scanned = 0;
    for (;;) {
      const query = { limit: pageSize, search: filter.search, older_than: olderThan, response_status: filter.blocked ? 'filtered' : undefined };
      const body = await this.getJson('/control/querylog', queryLogBody, query);
      scanned += body.data.length;
      for (const q of body.data) {
        const blocked = q.reason.startsWith('Filtered');
        if (filter.blocked && !blocked) continue;
        const elapsed = q.elapsedMs === undefined || q.elapsedMs === null ? NaN : Number(q.elapsedMs);
        found.push({
          time: q.time,
          client: q.client,
          clientName: q.client_info?.name || null,
          domain: q.question.name,
          type: q.question.type ?? '',
          reason: q.reason,
          blocked,
          status: q.status,
          upstream: q.upstream || null,
          elapsedMs: Number.isFinite(elapsed) ? elapsed : null,
        });
        if (found.length >= filter.limit) break;
      }
      if (found.length >= filter.limit || body.data.length < pageSize || !body.oldest || scanned >= MAX_SCAN) break;
      olderThan = body.oldest;
    }
    return found.slice(0, filter.limit);
  }

  private async getJson<T extends z.ZodType>(path: string, schema: T, query?: HttpCall['query']): Promise<z.output<T>> {
    const call: HttpCall = { method: 'GET', path, query, headers: { Authorization: this.authorization } };
    const answer = await this.http.request(call);
    if (answer.status < 200 || answer.status >= 300) throw this.refusal(answer, call);
    return this.http.parsed(schema, answer, call, 'is it AdGuard Home?');
  }

  private refusal(answer: HttpAnswer, call: HttpCall): HomelabError {
    const at = `AdGuard Home at ${this.http.where}`;
    if (answer.status === 401) {
      return new Forbidden(`${at} refused the credentials of user ${this.username} (HTTP 401 on ${call.method} ${call.path}): wrong user name or password`, {
        hint: 'check services.adguard.username and the secret services.adguard.password points at',
      });
    }
    if (answer.status === 429) {
      return new Upstream(`${at} is rate limiting homelab (HTTP 429): too many failed logins lock the address out for a while`, {
        hint: 'fix the credentials, then wait a few minutes before trying again',
      });
    }
    const text = answer.text.trim();
    return this.http.httpError(answer, call, text && text.length < 200 && !text.startsWith('<') ? text : undefined);
  }
}

export async function createAdguardClient(config: AdguardConfig, deps: ServiceDeps): Promise<AdguardClient> {
  const password = await resolveSecret(config.password, deps.env);
  const http = new HttpService({ name: 'AdGuard Home', baseUrl: config.url, timeoutMs: config.timeoutMs, caFile: config.caFile });
  return new AdguardClient(http, config.username, `Basic ${Buffer.from(`${config.username}:${password}`).toString('base64')}`);
}
