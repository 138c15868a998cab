/**
 * The Authentik client: read-only calls of the v3 API (authentik 2024.x to 2026.x, whose OpenAPI
 * schema is at /api/v3/schema/), answers checked with zod. Paths (all with the trailing slash the
 * API routes have): /api/v3/admin/version/, /api/v3/core/users/, /api/v3/core/applications/,
 * /api/v3/outposts/instances/ and …/{uuid}/health/, /api/v3/events/events/?action=login_failed.
 * Lists are paged as {pagination: {count, next, …}, results}; `next` is a page number, 0 at the end.
 * The token travels only in `Authorization: Bearer …`.
 */
import { z } from 'zod';
import { resolveSecret, type Config } from '../../core/config.js';
import type {
  AuthentikApplication,
  AuthentikEvent,
  AuthentikOutpost,
  AuthentikOutpostInstance,
  AuthentikPort,
  AuthentikUser,
  AuthentikUserCounts,
  AuthentikVersion,
  Counted,
} from '../../core/ports/authentik.js';
import type { ServiceDeps } from '../services.js';
import { JsonApi } from './json-api.js';
import { HttpService } from './request.js';

type AuthentikConfig = NonNullable<Config['services']['authentik']>;

const str = z.string().nullish();
const page = <T extends z.ZodType>(item: T) => z.object({ pagination: z.object({ count: z.number(), next: z.number().nullish() }), results: z.array(item) });

const versionSchema = z.object({ version_current: z.string(), version_latest: str, outdated: z.boolean().nullish() });
const userSchema = z.object({
  pk: z.number(),
  username: z.string(),
  name: z.string().nullish(),
  is_active: z.boolean(),
  is_superuser: z.boolean(),
  last_login: str,
  type: str,
});
const providerSchema = z.object({ pk: z.number(), name: z.string(), verbose_name: str, component: str });
const applicationSchema = z.object({ slug: z.string(), name: z.string(), provider_obj: providerSchema.nullish(), launch_url: str });
const outpostSchema = z.object({ pk: z.string(), name: z.string(), type: z.string(), providers: z.array(z.number()).default([]), managed: str });
const outpostHealthSchema = z.object({
  uid: z.string(),
  hostname: z.string().default(''),
  last_seen: z.string(),
  version: z.string().default(''),
  version_should: z.string().default(''),
  version_outdated: z.boolean().default(false),
});
const eventSchema = z.object({
  pk: z.string(),
  created: z.string(),
  user: z.looseObject({ username: str }).nullish(),
  context: z.looseObject({ username: z.unknown() }).nullish(),
  client_ip: str,
});

const opt = <T>(v: T | null | undefined): T | undefined => (v === null ? undefined : v);
const PAGE = 100;

export async function createAuthentikClient(config: AuthentikConfig, deps: ServiceDeps): Promise<AuthentikClient> {
  const token = await resolveSecret(config.token, deps.env);
  const http = new HttpService({ name: 'Authentik', baseUrl: config.url, timeoutMs: config.timeoutMs, caFile: config.caFile });
  return new AuthentikClient(
    new JsonApi(
      http,
      { headers: { Authorization: `Bearer ${token}` }, hint: 'the token services.authentik.token points at (Directory → Tokens and App passwords)' },
      'is it Authentik 2024.x or newer?',
    ),
  );
}

export class AuthentikClient implements AuthentikPort {
  constructor(private readonly api: JsonApi) {}

  withSignal(signal: AbortSignal): AuthentikPort {
    return new AuthentikClient(this.api.withSignal(signal));
  }

  get target(): string {
    return this.api.target;
  }

  async version(): Promise<AuthentikVersion> {
    const v = await this.api.get(versionSchema, { path: '/api/v3/admin/version/' });
    return { current: v.version_current, latest: opt(v.version_latest), outdated: v.outdated === true };
  }

  async userCounts(): Promise<AuthentikUserCounts> {
    // One item per page: only the counts are wanted.
    const count = async (query: Record<string, string>) =>
      (await this.api.get(page(userSchema), { path: '/api/v3/core/users/', query: { ...query, page_size: '1', include_groups: 'false' } })).pagination.count;
    const [total, active, superusers] = await Promise.all([count({}), count({ is_active: 'true' }), count({ is_superuser: 'true' })]);
    return { total, active, superusers };
  }

  async users(limit: number, options: { superusersOnly?: boolean } = {}): Promise<Counted<AuthentikUser>> {
    const answer = await this.api.get(page(userSchema), {
      path: '/api/v3/core/users/',
      query: { ordering: '-last_login', page_size: limit, include_groups: 'false', ...(options.superusersOnly ? { is_superuser: 'true' } : {}) },
    });
    return {
      total: answer.pagination.count,
      items: answer.results.map((u) => ({
        pk: u.pk,
        username: u.username,
        name: u.name ?? '',
        active: u.is_active,
        superuser: u.is_superuser,
        lastLogin: opt(u.last_login),
        type: opt(u.type),
      })),
    };
  }

  async applications(limit: number): Promise<Counted<AuthentikApplication>> {
    // superuser_full_list: every application, not only those the token's user may open.
    const answer = await this.api.get(page(applicationSchema), {
      path: '/api/v3/core/applications/',
      query: { page_size: limit, superuser_full_list: 'true', ordering: 'name' },
    });
    return {
      total: answer.pagination.count,
      items: answer.results.map((a) => ({
        slug: a.slug,
        name: a.name,
        provider: a.provider_obj
          ? { pk: a.provider_obj.pk, name: a.provider_obj.name, type: a.provider_obj.verbose_name ?? a.provider_obj.component ?? 'provider' }
          : undefined,
        launchUrl: opt(a.launch_url),
      })),
    };
  }

  async outposts(): Promise<AuthentikOutpost[]> {
    const out: AuthentikOutpost[] = [];
    for (let n = 1; n;) {
      const answer = await this.api.get(page(outpostSchema), { path: '/api/v3/outposts/instances/', query: { page_size: PAGE, page: n } });
      out.push(...answer.results.map((o) => ({ pk: o.pk, name: o.name, type: o.type, providers: o.providers.length, managed: opt(o.managed) })));
      n = answer.pagination.next ?? 0;
      if (out.length >= 1000) break;
    }
    return out;
  }

  async outpostHealth(pk: string): Promise<AuthentikOutpostInstance[]> {
    const list = await this.api.get(z.array(outpostHealthSchema), { path: `/api/v3/outposts/instances/${encodeURIComponent(pk)}/health/` });
    return list.map((h) => ({
      uid: h.uid,
      hostname: h.hostname,
      lastSeen: h.last_seen,
      version: h.version,
      versionShould: h.version_should,
      versionOutdated: h.version_outdated,
    }));
  }

  async failedLogins(since: Date, limit: number, scanMax: number): Promise<Counted<AuthentikEvent> & { scanCapped: boolean }> {
    // The API filters by action but not by time: read newest first until an older event (or scanMax).
    const items: AuthentikEvent[] = [];
    let total = 0;
    let scanned = 0;
    for (let n = 1; n;) {
      const answer = await this.api.get(page(eventSchema), {
        path: '/api/v3/events/events/',
        query: { action: 'login_failed', ordering: '-created', page_size: PAGE, page: n },
      });
      for (const e of answer.results) {
        scanned++;
        if (new Date(e.created).getTime() < since.getTime()) return { items, total, scanCapped: false };
        total++;
        const given = e.context?.username;
        if (items.length < limit)
          items.push({ pk: e.pk, created: e.created, username: typeof given === 'string' ? given : opt(e.user?.username), clientIp: opt(e.client_ip) });
      }
      if (scanned >= scanMax) return { items, total, scanCapped: answer.pagination.next !== 0 && answer.pagination.next != null };
      n = answer.pagination.next ?? 0;
    }
    return { items, total, scanCapped: false };
  }
}
