/**
 * A fake Authentik (API v3 as authentik 2024.x–2026.x serves it): `Authorization: Bearer TOKEN`,
 * 403 {"detail": …} without or with a wrong token (DRF's answer); paged lists as {pagination:
 * {next, previous, count, current, total_pages, start_index, end_index}, results} with `page` and
 * `page_size`; /api/v3/admin/version/, /api/v3/core/users/ (is_active, is_superuser, ordering
 * -last_login), /api/v3/core/applications/ (provider_obj), /api/v3/outposts/instances/ and
 * …/{uuid}/health/, /api/v3/events/events/ (action, ordering -created); /-/health/live/ answers
 * 204 without a token, as the server's liveness probe. Read-only.
 */
import { z } from 'zod';
import { at, secret, timeSpec } from './common.js';
import { Router, serveHttp, type HttpService, type Reply, type Req } from './router.js';
import { hashString } from '../scenario/ids.js';

export const authentikScenario = z.strictObject({
  token: z.string().optional(),
  version: z.string().default('2025.10.1'),
  latest: z.string().optional(),
  users: z
    .array(
      z.strictObject({
        username: z.string(),
        name: z.string().default(''),
        active: z.boolean().default(true),
        superuser: z.boolean().default(false),
        lastLogin: timeSpec.nullable().default(null),
        type: z.enum(['internal', 'external', 'service_account', 'internal_service_account']).default('internal'),
      }),
    )
    .default([]),
  applications: z
    .array(
      z.strictObject({
        slug: z.string(),
        name: z.string(),
        launchUrl: z.string().optional(),
        provider: z
          .strictObject({ name: z.string(), type: z.enum(['proxy', 'oauth2', 'ldap', 'saml', 'radius']) })
          .nullable()
          .default(null),
      }),
    )
    .default([]),
  outposts: z
    .array(
      z.strictObject({
        name: z.string(),
        type: z.enum(['proxy', 'ldap', 'radius', 'rac']).default('proxy'),
        embedded: z.boolean().default(false),
        providers: z.number().int().default(1),
        instances: z.array(z.strictObject({ hostname: z.string(), lastSeen: timeSpec.default('-5s'), version: z.string().optional() })).default([]),
      }),
    )
    .default([]),
  failedLogins: z.array(z.strictObject({ at: timeSpec, username: z.string(), clientIp: z.string() })).default([]),
});
export type AuthentikScenario = z.output<typeof authentikScenario>;

const PROVIDER_NAMES: Record<string, string> = {
  proxy: 'Proxy Provider',
  oauth2: 'OAuth2/OpenID Provider',
  ldap: 'LDAP Provider',
  saml: 'SAML Provider',
  radius: 'Radius Provider',
};

const uuid = (seed: string) => {
  const h = hashString(seed, 32).replace(/[^0-9a-f]/g, (c) => (c.charCodeAt(0) % 16).toString(16));
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
};

export class FakeAuthentik {
  url = '';
  readonly token: string;
  readonly requests: { method: string; path: string }[] = [];
  private http: HttpService | undefined;

  constructor(
    private readonly s: AuthentikScenario,
    private readonly now: () => Date,
  ) {
    this.token = s.token ?? secret(40);
  }

  /** Authentik is only read here: a reset clears the request log. */
  reset(): void {
    this.requests.length = 0;
  }

  async start(host: string): Promise<void> {
    const r = new Router<Record<string, never>>();
    const none = {} as Record<string, never>;
    r.add('GET', '/-/health/live/', () => ({ status: 204 }), none)
      .add(
        'GET',
        '/api/v3/admin/version/',
        () => ({
          status: 200,
          body: {
            version_current: this.s.version,
            version_latest: this.s.latest ?? this.s.version,
            version_latest_valid: true,
            build_hash: 'a1b2c3d4',
            outdated: Boolean(this.s.latest && this.s.latest !== this.s.version),
          },
        }),
        none,
      )
      .add('GET', '/api/v3/core/users/', (q) => this.users(q), none)
      .add(
        'GET',
        '/api/v3/core/applications/',
        (q) =>
          this.page(
            q,
            this.s.applications.map((a, i) => this.application(a, i)),
          ),
        none,
      )
      .add(
        'GET',
        '/api/v3/outposts/instances/',
        (q) =>
          this.page(
            q,
            this.s.outposts.map((o, i) => this.outpost(o, i)),
          ),
        none,
      )
      .add('GET', '/api/v3/outposts/instances/:uuid/health/', (q) => this.outpostHealth(q.params.uuid ?? ''), none)
      .add('GET', '/api/v3/events/events/', (q) => this.events(q), none);
    this.http = await serveHttp(
      {
        router: r,
        before: (req) => {
          this.requests.push({ method: req.method, path: req.path });
          if (req.path.startsWith('/-/health/')) return undefined;
          const auth = req.headers.authorization;
          if (!auth) return { status: 403, body: { detail: 'Authentication credentials were not provided.' } };
          if (auth !== `Bearer ${this.token}`) return { status: 403, body: { detail: 'Token invalid/expired' } };
          return undefined;
        },
        notFound: () => ({ status: 404, body: { detail: 'Not found.' } }),
      },
      host,
    );
    this.url = this.http.url;
  }

  stop(): Promise<void> {
    return this.http?.stop() ?? Promise.resolve();
  }

  /** DRF's page: `page` (1-based) and `page_size`; `next`/`previous` are page numbers, 0 when none. */
  private page(req: Req, all: unknown[]): Reply {
    const size = Math.max(1, Math.min(Number(req.query.get('page_size') ?? 20) || 20, 1000));
    const pages = Math.max(1, Math.ceil(all.length / size));
    const page = Math.max(1, Number(req.query.get('page') ?? 1) || 1);
    if (page > pages && all.length) return { status: 404, body: { detail: 'Invalid page.' } };
    const results = all.slice((page - 1) * size, page * size);
    return {
      status: 200,
      body: {
        pagination: {
          next: page < pages ? page + 1 : 0,
          previous: page > 1 ? page - 1 : 0,
          count: all.length,
          current: page,
          total_pages: pages,
          start_index: all.length ? (page - 1) * size + 1 : 0,
          end_index: (page - 1) * size + results.length,
        },
        results,
      },
    };
  }

  private users(req: Req): Reply {
    let list = this.s.users.map((u, i) => ({ u, i }));
    const active = req.query.get('is_active');
    if (active !== null) list = list.filter(({ u }) => String(u.active) === active);
    const superuser = req.query.get('is_superuser');
    if (superuser !== null) list = list.filter(({ u }) => String(u.superuser) === superuser);
    const now = this.now();
    const login = (x: { u: { lastLogin: string | null } }) => (x.u.lastLogin ? at(x.u.lastLogin, now).getTime() : -Infinity);
    if (req.query.get('ordering') === '-last_login') list.sort((a, b) => login(b) - login(a));
    return this.page(
      req,
      list.map(({ u, i }) => ({
        pk: i + 1,
        username: u.username,
        name: u.name,
        is_active: u.active,
        last_login: u.lastLogin ? at(u.lastLogin, now).toISOString() : null,
        is_superuser: u.superuser,
        groups: [],
        groups_obj: null,
        email: `${u.username}@home.lan`,
        avatar: '',
        attributes: {},
        uid: hashString(`uid:${u.username}`, 32),
        path: 'users',
        type: u.type,
        uuid: uuid(`user:${u.username}`),
      })),
    );
  }

  private application(a: AuthentikScenario['applications'][number], i: number): Record<string, unknown> {
    const provider = a.provider
      ? {
          pk: i + 1,
          name: a.provider.name,
          authentication_flow: null,
          authorization_flow: uuid('flow:authz'),
          invalidation_flow: uuid('flow:inval'),
          property_mappings: [],
          component: `ak-provider-${a.provider.type}-form`,
          assigned_application_slug: a.slug,
          assigned_application_name: a.name,
          verbose_name: PROVIDER_NAMES[a.provider.type],
          verbose_name_plural: `${PROVIDER_NAMES[a.provider.type]}s`,
          meta_model_name: `authentik_providers_${a.provider.type}.${a.provider.type}provider`,
        }
      : null;
    return {
      pk: uuid(`app:${a.slug}`),
      name: a.name,
      slug: a.slug,
      provider: provider?.pk ?? null,
      provider_obj: provider,
      backchannel_providers: [],
      launch_url: a.launchUrl ?? null,
      open_in_new_tab: false,
      meta_launch_url: a.launchUrl ?? '',
      meta_icon: null,
      meta_description: '',
      meta_publisher: '',
      policy_engine_mode: 'any',
      group: '',
    };
  }

  private outpost(o: AuthentikScenario['outposts'][number], i: number): Record<string, unknown> {
    return {
      pk: uuid(`outpost:${o.name}`),
      name: o.name,
      type: o.type,
      providers: Array.from({ length: o.providers }, (_, k) => i * 100 + k + 1),
      providers_obj: [],
      service_connection: null,
      service_connection_obj: null,
      refresh_interval_s: 300,
      token_identifier: `ak-outpost-${uuid(`outpost:${o.name}`)}-api`,
      config: {},
      managed: o.embedded ? 'goauthentik.io/outposts/embedded' : null,
    };
  }

  private outpostHealth(pk: string): Reply {
    const o = this.s.outposts.find((x) => uuid(`outpost:${x.name}`) === pk);
    if (!o) return { status: 404, body: { detail: 'Not found.' } };
    const now = this.now();
    return {
      status: 200,
      body: o.instances.map((h) => {
        const version = h.version ?? this.s.version;
        return {
          uid: hashString(`${o.name}:${h.hostname}`, 16),
          last_seen: at(h.lastSeen, now).toISOString(),
          version,
          golang_version: 'go1.24.4',
          openssl_enabled: false,
          openssl_version: '',
          fips_enabled: null,
          version_should: this.s.version,
          version_outdated: version !== this.s.version,
          build_hash: 'a1b2c3d4',
          build_hash_should: 'a1b2c3d4',
          hostname: h.hostname,
        };
      }),
    };
  }

  private events(req: Req): Reply {
    const action = req.query.get('action');
    const now = this.now();
    const events =
      action && action !== 'login_failed'
        ? []
        : this.s.failedLogins
            .map((e, i) => ({ e, i, t: at(e.at, now) }))
            .sort((a, b) => (req.query.get('ordering') === 'created' ? a.t.getTime() - b.t.getTime() : b.t.getTime() - a.t.getTime()))
            .map(({ e, i, t }) => ({
              pk: uuid(`event:${i}`),
              user: { pk: 2, email: '', username: 'AnonymousUser' },
              action: 'login_failed',
              app: 'authentik.events.signals',
              context: {
                stage: { pk: hashString('stage', 32), app: 'authentik_stages_password', name: 'default-authentication-password', model_name: 'passwordstage' },
                password: '********************',
                username: e.username,
              },
              client_ip: e.clientIp,
              created: t.toISOString(),
              expires: new Date(t.getTime() + 365 * 86_400_000).toISOString(),
              brand: null,
            }));
    return this.page(req, events);
  }
}
