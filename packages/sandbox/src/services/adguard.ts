/**
 * A fake AdGuard Home (`/control/...`): Basic auth or the `agh_session` cookie from
 * `POST /control/login`, 401 with an empty body otherwise; status, protection pause, stats with
 * top lists, the query log with `response_status`/`reason`/`search`/`limit`/`offset`/`older_than`,
 * and filtering status.
 */
import { z } from 'zod';
import { at, hex, secret, timeSpec } from './common.js';
import { jsonBody, Router, serveHttp, type HttpService, type Reply, type Req } from './router.js';

const REASONS = [
  'NotFilteredNotFound',
  'NotFilteredWhiteList',
  'NotFilteredError',
  'FilteredBlackList',
  'FilteredSafeBrowsing',
  'FilteredParental',
  'FilteredInvalid',
  'FilteredSafeSearch',
  'FilteredBlockedService',
  'Rewrite',
  'RewriteEtcHosts',
  'RewriteRule',
] as const;

const top = z.array(z.strictObject({ name: z.string(), count: z.number() }));

export const adguardScenario = z.strictObject({
  username: z.string().default('admin'),
  password: z.string().optional(),
  version: z.string().default('v0.107.57'),
  dnsAddresses: z.array(z.string()).default(['192.168.1.3']),
  protection: z.boolean().default(true),
  stats: z
    .strictObject({
      queries: z.number().int(),
      blocked: z.number().int(),
      safebrowsing: z.number().int().default(0),
      safesearch: z.number().int().default(0),
      parental: z.number().int().default(0),
      avgProcessingTime: z.number().default(0.012),
      topQueried: top.default([]),
      topClients: top.default([]),
      topBlocked: top.default([]),
      topUpstreams: top.default([]),
      topUpstreamsAvgTime: top.default([]),
    })
    .default({
      queries: 0,
      blocked: 0,
      safebrowsing: 0,
      safesearch: 0,
      parental: 0,
      avgProcessingTime: 0,
      topQueried: [],
      topClients: [],
      topBlocked: [],
      topUpstreams: [],
      topUpstreamsAvgTime: [],
    }),
  querylog: z
    .array(
      z.strictObject({
        at: timeSpec,
        client: z.string(),
        clientName: z.string().default(''),
        domain: z.string(),
        type: z.string().default('A'),
        reason: z.enum(REASONS).default('NotFilteredNotFound'),
        rule: z.string().optional(),
        filterListId: z.number().int().default(1),
        elapsedMs: z.number().default(0.5),
        upstream: z.string().default(''),
        cached: z.boolean().default(false),
        answer: z.string().optional(),
      }),
    )
    .default([]),
  filters: z
    .array(
      z.strictObject({
        name: z.string(),
        url: z.string(),
        enabled: z.boolean().default(true),
        rulesCount: z.number().int(),
        updated: timeSpec.default('-12h'),
      }),
    )
    .default([]),
  userRules: z.array(z.string()).default([]),
});
export type AdguardScenario = z.output<typeof adguardScenario>;

const STATUS_REASONS: Record<string, (r: string) => boolean> = {
  all: () => true,
  filtered: (r) => r.startsWith('Filtered') || r.startsWith('Rewrite') || r === 'NotFilteredWhiteList',
  blocked: (r) => r === 'FilteredBlackList' || r === 'FilteredBlockedService',
  blocked_services: (r) => r === 'FilteredBlockedService',
  blocked_safebrowsing: (r) => r === 'FilteredSafeBrowsing',
  blocked_parental: (r) => r === 'FilteredParental',
  whitelisted: (r) => r === 'NotFilteredWhiteList',
  rewritten: (r) => r.startsWith('Rewrite'),
  safe_search: (r) => r === 'FilteredSafeSearch',
  processed: (r) => r.startsWith('NotFiltered'),
};

interface AdguardState {
  protection: boolean;
  pauseUntil: number | undefined; // epoch ms
  cookies: Set<string>;
}

const initialState = (s: AdguardScenario): AdguardState => ({ protection: s.protection, pauseUntil: undefined, cookies: new Set() });

export class FakeAdguard {
  url = '';
  readonly username: string;
  readonly password: string;
  readonly requests: { method: string; path: string }[] = [];
  /** what requests change; reset() puts the scenario's back */
  private st: AdguardState;
  private readonly startedAt = Date.now();
  private http: HttpService | undefined;

  constructor(
    private readonly s: AdguardScenario,
    private readonly now: () => Date,
  ) {
    this.username = s.username;
    this.password = s.password ?? secret();
    this.st = initialState(s);
  }

  /** Back to the scenario's state (protection, sessions, request log); the URL and credentials stay. */
  reset(): void {
    this.st = initialState(this.s);
    this.requests.length = 0;
  }

  protectionEnabled(): boolean {
    this.tick();
    return this.st.protection;
  }

  async start(host: string): Promise<void> {
    const r = new Router<{ open?: boolean }>();
    r.add('POST', '/control/login', (q) => this.login(q), { open: true })
      .add('GET', '/control/logout', (q) => this.logout(q), {})
      .add('GET', '/control/status', () => ({ status: 200, body: this.status() }), {})
      .add('POST', '/control/protection', (q) => this.setProtection(q), {})
      .add('GET', '/control/stats', () => ({ status: 200, body: this.stats() }), {})
      .add('GET', '/control/stats/config', () => ({ status: 200, body: { enabled: true, interval: 86_400_000, ignored: [], ignored_enabled: false } }), {})
      .add('GET', '/control/querylog', (q) => this.querylog(q), {})
      .add('GET', '/control/filtering/status', () => ({ status: 200, body: this.filtering() }), {});
    this.http = await serveHttp(
      {
        router: r,
        before: (req, meta) => {
          this.requests.push({ method: req.method, path: req.path });
          if (!meta?.open && req.path.startsWith('/control/') && !this.authorized(req)) return { status: 401 };
          return undefined;
        },
        notFound: () => ({ status: 404, text: '404 page not found\n' }),
      },
      host,
    );
    this.url = this.http.url;
  }

  stop(): Promise<void> {
    return this.http?.stop() ?? Promise.resolve();
  }

  private authorized(req: Req): boolean {
    const cookie = /(?:^|;\s*)agh_session=([^;]+)/.exec(String(req.headers.cookie ?? ''));
    if (cookie && this.st.cookies.has(cookie[1] as string)) return true;
    const m = /^Basic\s+(\S+)$/i.exec(String(req.headers.authorization ?? ''));
    if (!m) return false;
    const [user, ...rest] = Buffer.from(m[1] as string, 'base64')
      .toString('utf8')
      .split(':');
    return user === this.username && rest.join(':') === this.password;
  }

  private login(req: Req): Reply {
    const b = jsonBody(req);
    const body = (b.ok ? b.value : undefined) as { name?: unknown; password?: unknown } | undefined;
    if (!body || body.name !== this.username || body.password !== this.password) return { status: 400, text: 'invalid username or password\n' };
    const token = hex(16);
    this.st.cookies.add(token);
    return { status: 200, text: 'OK\n', headers: { 'Set-Cookie': `agh_session=${token}; Path=/; HttpOnly; Max-Age=31536000; SameSite=Lax` } };
  }

  private logout(req: Req): Reply {
    const cookie = /(?:^|;\s*)agh_session=([^;]+)/.exec(String(req.headers.cookie ?? ''));
    if (cookie) this.st.cookies.delete(cookie[1] as string);
    return { status: 302, headers: { Location: '/login.html', 'Set-Cookie': 'agh_session=; Path=/; Max-Age=0' } };
  }

  private tick(): void {
    if (this.st.pauseUntil !== undefined && Date.now() >= this.st.pauseUntil) {
      this.st.protection = true;
      this.st.pauseUntil = undefined;
    }
  }

  private status(): Record<string, unknown> {
    this.tick();
    return {
      version: this.s.version,
      language: 'en',
      dns_addresses: this.s.dnsAddresses,
      dns_port: 53,
      http_port: 80,
      protection_enabled: this.st.protection,
      protection_disabled_duration: this.st.pauseUntil ? Math.max(0, this.st.pauseUntil - Date.now()) : 0,
      dhcp_available: false,
      running: true,
      start_time: this.startedAt,
    };
  }

  private setProtection(req: Req): Reply {
    const b = jsonBody(req);
    const body = (b.ok ? b.value : undefined) as { enabled?: unknown; duration?: unknown } | undefined;
    if (!body || typeof body.enabled !== 'boolean') return { status: 400, text: 'json decode: enabled is required\n' };
    this.st.protection = body.enabled;
    this.st.pauseUntil = !body.enabled && typeof body.duration === 'number' && body.duration > 0 ? Date.now() + body.duration : undefined;
    return { status: 200, text: 'OK\n' };
  }

  private stats(): Record<string, unknown> {
    const st = this.s.stats;
    const entries = (l: { name: string; count: number }[]): Record<string, number>[] => l.map((e) => ({ [e.name]: e.count }));
    const series = (total: number): number[] => Array.from({ length: 24 }, (_, i) => Math.round((total / 24) * (0.6 + (0.8 * ((i * 7) % 24)) / 24)));
    return {
      time_units: 'hours',
      num_dns_queries: st.queries,
      num_blocked_filtering: st.blocked,
      num_replaced_safebrowsing: st.safebrowsing,
      num_replaced_safesearch: st.safesearch,
      num_replaced_parental: st.parental,
      avg_processing_time: st.avgProcessingTime,
      top_queried_domains: entries(st.topQueried),
      top_clients: entries(st.topClients),
      top_blocked_domains: entries(st.topBlocked),
      top_upstreams_responses: entries(st.topUpstreams),
      top_upstreams_avg_time: entries(st.topUpstreamsAvgTime),
      dns_queries: series(st.queries),
      blocked_filtering: series(st.blocked),
      replaced_safebrowsing: series(st.safebrowsing),
      replaced_parental: series(st.parental),
    };
  }

  private querylog(req: Req): Reply {
    const q = req.query;
    const status = q.get('response_status');
    const reasons = q.getAll('reason');
    if (status && reasons.length) return { status: 400, text: 'parsing params: response_status and reason cannot be used together\n' };
    if (status && !STATUS_REASONS[status]) return { status: 400, text: `parsing params: response_status: bad value "${status}"\n` };
    for (const r of reasons) if (!(REASONS as readonly string[]).includes(r)) return { status: 400, text: `parsing params: reason: bad value "${r}"\n` };
    const limit = Math.min(Number(q.get('limit') ?? 500) || 500, 5000);
    const offset = Number(q.get('offset') ?? 0) || 0;
    const olderThan = q.get('older_than') ? Date.parse(q.get('older_than') as string) : undefined;
    const search = q.get('search')?.toLowerCase();
    const start = this.now();
    const all = this.s.querylog.map((e) => ({ e, t: at(e.at, start) })).sort((a, b) => b.t.getTime() - a.t.getTime());
    const match = all.filter(
      ({ e, t }) =>
        (olderThan === undefined || t.getTime() < olderThan) &&
        (!status || (STATUS_REASONS[status] as (r: string) => boolean)(e.reason)) &&
        (!reasons.length || reasons.includes(e.reason)) &&
        (!search || e.domain.toLowerCase().includes(search) || e.client.includes(search) || e.clientName.toLowerCase().includes(search)),
    );
    const page = match.slice(offset, offset + limit);
    const data = page.map(({ e, t }) => ({
      answer: e.answer ? [{ type: e.type, value: e.answer, ttl: 300 }] : [],
      answer_dnssec: false,
      cached: e.cached,
      client: e.client,
      client_info: { whois: {}, name: e.clientName, disallowed_rule: '', disallowed: false },
      client_proto: '',
      elapsedMs: String(e.elapsedMs),
      question: { class: 'IN', name: e.domain, type: e.type },
      reason: e.reason,
      rules: e.rule ? [{ filter_list_id: e.filterListId, text: e.rule }] : [],
      status: 'NOERROR',
      time: t.toISOString(),
      upstream: e.upstream,
    }));
    const oldest = page.length ? (page[page.length - 1] as { t: Date }).t.toISOString() : '';
    return { status: 200, body: { data, oldest } };
  }

  private filtering(): Record<string, unknown> {
    const start = this.now();
    return {
      enabled: true,
      interval: 24,
      filters: this.s.filters.map((f, i) => ({
        id: i + 1,
        name: f.name,
        url: f.url,
        enabled: f.enabled,
        rules_count: f.rulesCount,
        last_updated: at(f.updated, start).toISOString(),
      })),
      whitelist_filters: [],
      user_rules: this.s.userRules,
    };
  }
}
