/**
 * A fake Pi-hole v6 (pihole-FTL's REST API under /api): sessions with seats and inactivity
 * timeout, SID from body/header/cookie(+CSRF)/query in FTL's order, rate limiting, stats, the query
 * log with FTL's filters, blocking with a timer, the allowlist and a streamed gravity update.
 * Every JSON answer carries `took`. The request log records method and path only (never a SID or
 * the password).
 */
import type { ServerResponse } from 'node:http';
import { z } from 'zod';
import { at, hex, realMono, secret, timeSpec } from './common.js';
import { jsonBody, Router, serveHttp, unix, type HttpService, type Reply, type Req } from './router.js';

const queryEntry = z.strictObject({
  at: timeSpec,
  domain: z.string(),
  client: z.string(), // IP
  clientName: z.string().nullish(),
  type: z.string().default('A'),
  status: z.string().default('FORWARDED'),
  upstream: z.string().nullish(),
  reply: z.string().default('IP'),
  replyMs: z.number().default(12.5),
  dnssec: z.string().default('INSECURE'),
});

/** An allow or deny list of the scenario: exact domains or regexes, as Pi-hole v6 keeps them. */
const domainList = z
  .array(
    z.strictObject({
      domain: z.string(),
      kind: z.enum(['exact', 'regex']).default('exact'),
      comment: z.string().nullish(),
      enabled: z.boolean().default(true),
      added: timeSpec.default('-30d'),
    }),
  )
  .default([]);

export const piholeScenario = z.strictObject({
  /** fixed password (tests); default: a random one per start. '' = no password set (no auth) */
  password: z.string().optional(),
  versions: z
    .strictObject({ core: z.string().default('v6.1.2'), web: z.string().default('v6.2.1'), ftl: z.string().default('v6.2.3'), docker: z.string().nullish() })
    .prefault({}),
  blocking: z.boolean().default(true),
  summary: z
    .strictObject({
      total: z.number().int(),
      blocked: z.number().int(),
      uniqueDomains: z.number().int(),
      forwarded: z.number().int(),
      cached: z.number().int(),
      clientsActive: z.number().int(),
      clientsTotal: z.number().int(),
    })
    .default({ total: 7497, blocked: 3465, uniqueDomains: 445, forwarded: 2532, cached: 1500, clientsActive: 12, clientsTotal: 20 }),
  gravity: z
    .strictObject({ domains: z.number().int().default(219_727), updated: timeSpec.default('-6d'), afterUpdate: z.number().int().optional() })
    .prefault({}),
  upstreams: z
    .array(
      z.strictObject({
        ip: z.string(),
        name: z.string().nullish(),
        port: z.number().int(),
        count: z.number().int(),
        response: z.number().default(0),
        variance: z.number().default(0),
      }),
    )
    .default([]),
  topBlocked: z.array(z.strictObject({ domain: z.string(), count: z.number().int() })).default([]),
  topPermitted: z.array(z.strictObject({ domain: z.string(), count: z.number().int() })).default([]),
  queries: z.array(queryEntry).default([]),
  allow: domainList,
  deny: domainList,
  messages: z.array(z.strictObject({ type: z.string(), plain: z.string(), html: z.string().optional(), at: timeSpec.default('-1h') })).default([]),
  /** how long the streamed gravity run takes (ms) */
  gravityMs: z.number().int().nonnegative().default(1000),
});
export type PiholeScenario = z.output<typeof piholeScenario>;

export interface PiholeOptions {
  maxSessions?: number; // webserver.api.max_sessions (16)
  sessionTimeoutS?: number; // webserver.session.timeout (1800)
  rateLimitPerMinute?: number; // requests per 60 s window before 429 (default: unlimited)
  blocking?: boolean; // override the scenario's blocking state
}

interface Session {
  id: number;
  sid: string;
  csrf: string;
  loginAt: number;
  lastActive: number;
  remote: string;
  userAgent: string;
  tlsLogin: boolean;
}
interface DomainEntry {
  id: number;
  domain: string;
  type: 'allow' | 'deny';
  kind: 'exact' | 'regex';
  comment: string | null;
  groups: number[];
  enabled: boolean;
  date_added: number;
  date_modified: number;
}

const BLOCKED = new Set([
  'GRAVITY',
  'REGEX',
  'DENYLIST',
  'EXTERNAL_BLOCKED_IP',
  'EXTERNAL_BLOCKED_NULL',
  'EXTERNAL_BLOCKED_NXRA',
  'GRAVITY_CNAME',
  'REGEX_CNAME',
  'DENYLIST_CNAME',
  'SPECIAL_DOMAIN',
  'EXTERNAL_BLOCKED_EDE15',
]);

const err = (status: number, key: string, message: string, hint: string | null = null, headers?: Record<string, string>): Reply => ({
  status,
  body: { error: { key, message, hint } },
  ...(headers ? { headers } : {}),
});

/** FTL's wildcard filters: `*` matches any run of characters, otherwise an exact match */
function wild(pattern: string, value: string | null | undefined): boolean {
  if (value == null) return false;
  if (!pattern.includes('*')) return pattern === value;
  const re = new RegExp(
    `^${pattern
      .split('*')
      .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
  return re.test(value);
}

interface Meta {
  auth: boolean;
}

interface PiholeState {
  sessions: Map<string, Session>;
  nextSessionId: number;
  rateLimited: number;
  window: number[];
  blocking: boolean;
  blockingTimerEnd: number | undefined; // mono ms
  gravityDomains: number;
  gravityUpdated: number; // unix s
  gravityRunning: boolean;
  domains: DomainEntry[];
  nextDomainId: number;
  queries: { id: number; time: number; q: z.output<typeof queryEntry> }[];
}

/** The scenario's Pi-hole, its relative times resolved against `start`. */
function initialState(s: PiholeScenario, opts: PiholeOptions, start: Date): PiholeState {
  const domains: DomainEntry[] = [];
  for (const [type, list] of [
    ['allow', s.allow],
    ['deny', s.deny],
  ] as const) {
    for (const d of list) {
      const t = unix(at(d.added, start));
      domains.push({
        id: domains.length + 1,
        domain: d.domain,
        type,
        kind: d.kind,
        comment: d.comment ?? null,
        groups: [0],
        enabled: d.enabled,
        date_added: t,
        date_modified: t,
      });
    }
  }
  const sorted = [...s.queries].map((q) => ({ q, time: at(q.at, start).getTime() / 1000 })).sort((a, b) => a.time - b.time);
  return {
    sessions: new Map(),
    nextSessionId: 0,
    rateLimited: 0,
    window: [],
    blocking: opts.blocking ?? s.blocking,
    blockingTimerEnd: undefined,
    gravityDomains: s.gravity.domains,
    gravityUpdated: unix(at(s.gravity.updated, start)),
    gravityRunning: false,
    domains,
    nextDomainId: domains.length + 1,
    queries: sorted.map((x, i) => ({ id: 100_000 + i + 1, time: x.time, q: x.q })),
  };
}

export class FakePihole {
  url = '';
  readonly password: string;
  /** successful POST /api/auth */
  logins = 0;
  /** successful DELETE /api/auth */
  logouts = 0;
  /** METHOD /path of every request (no query string, no body: SIDs and passwords never appear) */
  readonly requests: { method: string; path: string }[] = [];
  readonly maxSessions: number;
  readonly sessionTimeoutS: number;
  rateLimitPerMinute: number | undefined;
  /** what requests change; reset() puts the scenario's back (work still running changes the old one) */
  private st: PiholeState;
  private http: HttpService | undefined;
  private readonly startedMono = realMono();

  constructor(
    private readonly s: PiholeScenario,
    private readonly opts: PiholeOptions,
    private readonly now: () => Date,
  ) {
    this.password = s.password ?? secret();
    this.maxSessions = opts.maxSessions ?? 16;
    this.sessionTimeoutS = opts.sessionTimeoutS ?? 1800;
    this.rateLimitPerMinute = opts.rateLimitPerMinute;
    this.st = initialState(s, opts, now());
  }

  /** Back to the scenario's state (sessions, lists, blocking, gravity, counters); the URL and password stay. */
  reset(): void {
    this.st = initialState(this.s, this.opts, this.now());
    this.rateLimitPerMinute = this.opts.rateLimitPerMinute;
    this.logins = 0;
    this.logouts = 0;
    this.requests.length = 0;
  }

  // ---- introspection for tests
  activeSessions(): number {
    this.sweep();
    return this.st.sessions.size;
  }
  /** every session ends now: the next request with any SID answers 401 */
  expireAllSessions(): void {
    this.st.sessions.clear();
  }
  /** the next N requests answer 429 rate_limit with Retry-After */
  rateLimitNext(n: number): void {
    this.st.rateLimited += n;
  }
  blockingState(): 'enabled' | 'disabled' {
    this.tickTimer();
    return this.st.blocking ? 'enabled' : 'disabled';
  }
  gravity(): { domains: number; lastUpdate: number } {
    return { domains: this.st.gravityDomains, lastUpdate: this.st.gravityUpdated };
  }

  async start(host: string): Promise<void> {
    const r = new Router<Meta>();
    const A = { auth: true },
      OPEN = { auth: false };
    r.add('POST', '/api/auth', (q) => this.login(q), OPEN)
      .add('GET', '/api/auth', (q) => this.check(q), OPEN)
      .add('DELETE', '/api/auth', (q) => this.logout(q), OPEN)
      .add('GET', '/api/auth/sessions', (q) => this.listSessions(q), A)
      .add('DELETE', '/api/auth/session/:id', (q) => this.deleteSession(q), A)
      .add('GET', '/api/stats/summary', () => ({ status: 200, body: this.summary() }), A)
      .add('GET', '/api/stats/upstreams', () => ({ status: 200, body: this.upstreams() }), A)
      .add('GET', '/api/stats/top_domains', (q) => ({ status: 200, body: this.topDomains(q) }), A)
      .add('GET', '/api/dns/blocking', () => ({ status: 200, body: this.blockingBody() }), A)
      .add('POST', '/api/dns/blocking', (q) => this.setBlocking(q), A)
      .add('GET', '/api/info/version', () => ({ status: 200, body: this.version() }), A)
      .add('GET', '/api/info/ftl', () => ({ status: 200, body: this.ftl() }), A)
      .add('GET', '/api/info/messages', () => ({ status: 200, body: this.messages() }), A)
      .add('GET', '/api/queries', (q) => ({ status: 200, body: this.queryLog(q) }), A)
      .add('POST', '/api/action/gravity', (q, res) => this.runGravity(q, res), A)
      .add('POST', '/api/action/restartdns', () => ({ status: 200, body: { status: 'success' } }), A)
      .add('POST', '/api/action/flush/logs', () => ({ status: 200, body: { status: 'success' } }), A)
      .add('POST', '/api/action/flush/arp', () => ({ status: 200, body: { status: 'success' } }), A);
    for (const path of ['/api/domains', '/api/domains/:type', '/api/domains/:type/:kind']) {
      r.add('GET', path, (q) => this.listDomains(q), A);
    }
    r.add('POST', '/api/domains/:type/:kind', (q) => this.addDomain(q), A).add('DELETE', '/api/domains/:type/:kind/:domain', (q) => this.deleteDomain(q), A);

    this.http = await serveHttp<Meta>(
      {
        router: r,
        before: (req, meta) => this.before(req, meta),
        notFound: (req) => err(404, 'not_found', 'Not found', req.path),
        decorate: (req, body) =>
          body && typeof body === 'object' && !Array.isArray(body) ? { ...body, took: (performance.now() - req.started) / 1000 } : body,
      },
      host,
    );
    this.url = this.http.url;
  }

  stop(): Promise<void> {
    return this.http?.stop() ?? Promise.resolve();
  }

  // ---- middleware: request log, rate limits, then the SID
  private before(req: Req, meta: Meta | undefined): Reply | undefined {
    this.requests.push({ method: req.method, path: req.path });
    if (this.st.rateLimited > 0) {
      this.st.rateLimited--;
      return err(429, 'rate_limit', 'Rate-limiting', 'Too many requests, retry in 60 seconds', { 'Retry-After': '60' });
    }
    if (this.rateLimitPerMinute !== undefined) {
      const t = realMono();
      while (this.st.window.length && (this.st.window[0] as number) <= t - 60_000) this.st.window.shift();
      if (this.st.window.length >= this.rateLimitPerMinute) {
        const retry = Math.max(1, Math.ceil(((this.st.window[0] as number) + 60_000 - t) / 1000));
        return err(429, 'rate_limit', 'Rate-limiting', `Too many requests, retry in ${retry} seconds`, { 'Retry-After': String(retry) });
      }
      this.st.window.push(t);
    }
    if (meta?.auth && this.password && !this.sessionOf(req)) return this.unauthorized();
    return undefined;
  }

  private unauthorized(): Reply {
    return err(401, 'unauthorized', 'Unauthorized');
  }

  private sweep(): void {
    const t = realMono();
    for (const [sid, s] of this.st.sessions) if (t - s.lastActive > this.sessionTimeoutS * 1000) this.st.sessions.delete(sid);
  }

  /** FTL's order: body `sid`, header `sid` / `X-FTL-SID`, cookie `sid` (needs X-CSRF-TOKEN), query `sid`. Touching extends. */
  private sessionOf(req: Req): Session | undefined {
    this.sweep();
    const body = jsonBody(req);
    const fromBody = body.ok && body.value && typeof body.value === 'object' ? (body.value as Record<string, unknown>).sid : undefined;
    const header = (name: string): string | undefined => {
      const v = req.headers[name];
      return Array.isArray(v) ? v[0] : v;
    };
    let sid: string | undefined = typeof fromBody === 'string' ? fromBody : (header('sid') ?? header('x-ftl-sid'));
    let needCsrf = false;
    if (!sid) {
      const cookie = /(?:^|;\s*)sid=([^;]+)/.exec(header('cookie') ?? '');
      if (cookie) {
        sid = decodeURIComponent(cookie[1] as string);
        needCsrf = true;
      }
    }
    sid ??= req.query.get('sid') ?? undefined;
    if (!sid) return undefined;
    const s = this.st.sessions.get(sid);
    if (!s) return undefined;
    if (needCsrf && header('x-csrf-token') !== s.csrf) return undefined;
    s.lastActive = realMono();
    return s;
  }

  private validity(s: Session): number {
    return Math.max(0, Math.round(this.sessionTimeoutS - (realMono() - s.lastActive) / 1000));
  }

  // ---- /api/auth
  private login(req: Req): Reply {
    const parsed = jsonBody(req);
    if (!parsed.ok) return err(400, 'bad_request', 'Invalid request body data (no valid JSON)', null);
    const body = parsed.value as Record<string, unknown> | undefined;
    if (!this.password) {
      return { status: 200, body: { session: { valid: true, totp: false, sid: null, csrf: null, validity: -1, message: 'no password set' } } };
    }
    if (!body || typeof body !== 'object' || body.password === undefined) return err(400, 'bad_request', 'No password found in JSON payload', null);
    if (typeof body.password !== 'string') return err(400, 'bad_request', "Field password has to be of type 'string'", null);
    if (body.password !== this.password) {
      return { status: 401, body: { session: { valid: false, totp: false, sid: null, csrf: null, validity: -1, message: 'password incorrect' } } };
    }
    this.sweep();
    if (this.st.sessions.size >= this.maxSessions) return err(429, 'api_seats_exceeded', 'API seats exceeded', 'increase webserver.api.max_sessions');
    const t = realMono();
    const ua = req.headers['user-agent'];
    const s: Session = {
      id: this.st.nextSessionId++,
      sid: secret(16).slice(0, 22) + '=',
      csrf: secret(16).slice(0, 22) + '=',
      loginAt: Date.now(),
      lastActive: t,
      remote: req.remote,
      userAgent: typeof ua === 'string' ? ua : '',
      tlsLogin: false,
    };
    this.st.sessions.set(s.sid, s);
    this.logins++;
    return {
      status: 200,
      body: { session: { valid: true, totp: false, sid: s.sid, csrf: s.csrf, validity: this.sessionTimeoutS, message: 'correct password' } },
    };
  }

  private check(req: Req): Reply {
    if (!this.password)
      return { status: 200, body: { session: { valid: true, totp: false, sid: null, csrf: null, validity: -1, message: 'no password set' } } };
    const s = this.sessionOf(req);
    if (!s) return { status: 401, body: { session: { valid: false, totp: false, sid: null, csrf: null, validity: -1, message: null } } };
    return { status: 200, body: { session: { valid: true, totp: false, sid: s.sid, csrf: s.csrf, validity: this.validity(s), message: null } } };
  }

  private logout(req: Req): Reply {
    const s = this.sessionOf(req);
    if (!s) return err(404, 'not_found', 'No session found', null);
    this.st.sessions.delete(s.sid);
    this.logouts++;
    return { status: 204 };
  }

  private listSessions(req: Req): Reply {
    const me = this.sessionOf(req);
    const sessions = [...this.st.sessions.values()].map((s) => ({
      id: s.id,
      current_session: s === me,
      valid: true,
      tls: { login: s.tlsLogin, mixed: false },
      app: false,
      cli: false,
      login_at: Math.floor(s.loginAt / 1000),
      last_active: Math.floor(Date.now() / 1000 - (realMono() - s.lastActive) / 1000),
      valid_until: Math.floor(Date.now() / 1000) + this.validity(s),
      remote_addr: s.remote,
      user_agent: s.userAgent,
      x_forwarded_for: null,
    }));
    return { status: 200, body: { sessions } };
  }

  private deleteSession(req: Req): Reply {
    const id = Number(req.params.id);
    const s = [...this.st.sessions.values()].find((x) => x.id === id);
    if (!s) return err(404, 'not_found', 'Session ID not in use', null);
    this.st.sessions.delete(s.sid);
    return { status: 204 };
  }

  // ---- stats
  private summary(): Record<string, unknown> {
    const m = this.s.summary;
    const regex = Math.round(m.blocked * 0.03),
      deny = Math.round(m.blocked * 0.01);
    return {
      queries: {
        total: m.total,
        blocked: m.blocked,
        percent_blocked: m.total ? Math.round((m.blocked / m.total) * 100_000) / 1000 : 0,
        unique_domains: m.uniqueDomains,
        forwarded: m.forwarded,
        cached: m.cached,
        frequency: Math.round((m.total / 86_400) * 100) / 100,
        types: {
          A: Math.round(m.total * 0.62),
          AAAA: Math.round(m.total * 0.3),
          ANY: 0,
          SRV: 3,
          SOA: 1,
          PTR: Math.round(m.total * 0.05),
          TXT: 2,
          NAPTR: 0,
          MX: 0,
          DS: 0,
          RRSIG: 0,
          DNSKEY: 0,
          NS: 0,
          SVCB: 0,
          HTTPS: Math.round(m.total * 0.03),
          OTHER: 0,
        },
        status: {
          UNKNOWN: 0,
          GRAVITY: m.blocked - regex - deny,
          FORWARDED: m.forwarded,
          CACHE: m.cached,
          REGEX: regex,
          DENYLIST: deny,
          EXTERNAL_BLOCKED_IP: 0,
          EXTERNAL_BLOCKED_NULL: 0,
          EXTERNAL_BLOCKED_NXRA: 0,
          GRAVITY_CNAME: 0,
          REGEX_CNAME: 0,
          DENYLIST_CNAME: 0,
          RETRIED: 0,
          RETRIED_DNSSEC: 0,
          IN_PROGRESS: 0,
          DBBUSY: 0,
          SPECIAL_DOMAIN: 0,
          CACHE_STALE: 0,
          EXTERNAL_BLOCKED_EDE15: 0,
        },
        replies: {
          UNKNOWN: 0,
          NODATA: Math.round(m.total * 0.08),
          NXDOMAIN: Math.round(m.total * 0.02),
          CNAME: Math.round(m.total * 0.2),
          IP: Math.round(m.total * 0.68),
          DOMAIN: 3,
          RRNAME: 0,
          SERVFAIL: 0,
          REFUSED: 0,
          NOTIMP: 0,
          OTHER: 0,
          DNSSEC: 0,
          NONE: 0,
          BLOB: Math.round(m.total * 0.02),
        },
      },
      clients: { active: m.clientsActive, total: m.clientsTotal },
      gravity: { domains_being_blocked: this.st.gravityDomains, last_update: this.st.gravityUpdated },
    };
  }

  private upstreams(): Record<string, unknown> {
    const m = this.s.summary;
    return {
      upstreams: [
        { ip: 'blocklist', name: 'blocklist', port: -1, count: m.blocked, statistics: { response: 0, variance: 0 } },
        { ip: 'cache', name: 'cache', port: -1, count: m.cached, statistics: { response: 0, variance: 0 } },
        ...this.s.upstreams.map((u) => ({
          ip: u.ip,
          name: u.name ?? u.ip,
          port: u.port,
          count: u.count,
          statistics: { response: u.response, variance: u.variance },
        })),
      ],
      forwarded_queries: m.forwarded,
      total_queries: m.total,
    };
  }

  private topDomains(req: Req): Record<string, unknown> {
    const blocked = req.query.get('blocked') === 'true';
    const count = Math.max(0, Number(req.query.get('count') ?? 10) || 10);
    const list = blocked ? this.s.topBlocked : this.s.topPermitted;
    return {
      domains: [...list].sort((a, b) => b.count - a.count).slice(0, count),
      total_queries: this.s.summary.total,
      blocked_queries: this.s.summary.blocked,
    };
  }

  // ---- blocking
  private tickTimer(): void {
    if (this.st.blockingTimerEnd !== undefined && realMono() >= this.st.blockingTimerEnd) {
      this.st.blocking = !this.st.blocking;
      this.st.blockingTimerEnd = undefined;
    }
  }

  private blockingBody(): Record<string, unknown> {
    this.tickTimer();
    const timer = this.st.blockingTimerEnd === undefined ? null : Math.max(0, (this.st.blockingTimerEnd - realMono()) / 1000);
    return { blocking: this.st.blocking ? 'enabled' : 'disabled', timer };
  }

  private setBlocking(req: Req): Reply {
    const parsed = jsonBody(req);
    if (!parsed.ok) return err(400, 'bad_request', 'Invalid request body data (no valid JSON)', null);
    const body = (parsed.value ?? {}) as Record<string, unknown>;
    if (typeof body.blocking !== 'boolean') return err(400, 'bad_request', 'No "blocking" boolean in body data', null);
    if (body.timer !== undefined && body.timer !== null && typeof body.timer !== 'number')
      return err(400, 'bad_request', 'Invalid "timer" value in body data', null);
    this.st.blocking = body.blocking;
    this.st.blockingTimerEnd = typeof body.timer === 'number' && body.timer > 0 ? realMono() + body.timer * 1000 : undefined;
    return { status: 200, body: this.blockingBody() };
  }

  // ---- info
  private version(): Record<string, unknown> {
    const v = this.s.versions;
    const part = (version: string, extra: Record<string, unknown> = {}): Record<string, unknown> => {
      const hash = hex(4);
      return { local: { branch: 'master', version, hash, ...extra }, remote: { version, hash } };
    };
    return {
      version: {
        core: part(v.core),
        web: part(v.web),
        ftl: part(v.ftl, { date: '2025-06-21 08:00:00 +0000' }),
        docker: { local: v.docker ?? null, remote: v.docker ?? null },
      },
    };
  }

  private ftl(): Record<string, unknown> {
    const count = (type: 'allow' | 'deny', kind: 'exact' | 'regex'): { total: number; enabled: number } => {
      const l = this.st.domains.filter((d) => d.type === type && d.kind === kind);
      return { total: l.length, enabled: l.filter((d) => d.enabled).length };
    };
    return {
      ftl: {
        database: {
          gravity: this.st.gravityDomains,
          groups: 1,
          lists: 3,
          clients: 0,
          domains: { allowed: count('allow', 'exact'), denied: count('deny', 'exact') },
          regex: { allowed: count('allow', 'regex'), denied: count('deny', 'regex') },
        },
        privacy_level: 0,
        clients: { total: this.s.summary.clientsTotal, active: this.s.summary.clientsActive },
        pid: 61,
        uptime: Math.round(realMono() - this.startedMono) + 3_600_000 * 52,
        '%mem': 1.9,
        '%cpu': 0.4,
        allow_destructive: true,
        dnsmasq: {
          dns_cache_inserted: 8120,
          dns_cache_live_freed: 0,
          dns_queries_forwarded: this.s.summary.forwarded,
          dns_auth_answered: 0,
          dns_local_answered: 412,
          dns_stale_answered: 0,
          dns_unanswered: 0,
        },
      },
    };
  }

  private messages(): Record<string, unknown> {
    const start = this.now();
    return {
      messages: this.s.messages.map((m, i) => ({ id: i + 1, timestamp: unix(at(m.at, start)), type: m.type, plain: m.plain, html: m.html ?? m.plain })),
    };
  }

  // ---- the query log, filtered as FTL does
  private queryLog(req: Req): Record<string, unknown> {
    const q = req.query;
    const num = (k: string): number | undefined => {
      const v = q.get(k);
      return v === null || v === '' || Number.isNaN(Number(v)) ? undefined : Number(v);
    };
    const length = num('length') ?? 100,
      start = num('start') ?? 0,
      cursor = num('cursor'),
      from = num('from'),
      until = num('until');
    const filters: [string, (x: (typeof this.st.queries)[number]) => boolean][] = [];
    const f = (k: string, test: (p: string, x: (typeof this.st.queries)[number]) => boolean): void => {
      const v = q.get(k);
      if (v !== null && v !== '') filters.push([k, (x) => test(v, x)]);
    };
    f('domain', (p, x) => wild(p, x.q.domain));
    f('client_ip', (p, x) => wild(p, x.q.client));
    f('client_name', (p, x) => wild(p, x.q.clientName));
    f('upstream', (p, x) => {
      if (p === 'blocklist') return BLOCKED.has(x.q.status);
      if (p === 'cache') return x.q.status === 'CACHE' || x.q.status === 'CACHE_STALE';
      if (p === 'permitted') return !BLOCKED.has(x.q.status);
      return wild(p, x.q.upstream);
    });
    f('type', (p, x) => p === x.q.type);
    f('status', (p, x) => p === x.q.status);
    f('reply', (p, x) => p === x.q.reply);
    f('dnssec', (p, x) => p === x.q.dnssec);
    const newestFirst = [...this.st.queries].reverse();
    const matching = newestFirst.filter(
      (x) => (from === undefined || x.time >= from) && (until === undefined || x.time <= until) && filters.every(([, t]) => t(x)),
    );
    const fromCursor = cursor === undefined ? matching : matching.filter((x) => x.id <= cursor);
    const page = length < 0 ? fromCursor.slice(start) : fromCursor.slice(start, start + length);
    return {
      queries: page.map((x) => ({
        id: x.id,
        time: x.time,
        type: x.q.type,
        domain: x.q.domain,
        cname: null,
        status: x.q.status,
        client: { ip: x.q.client, name: x.q.clientName ?? null },
        dnssec: x.q.dnssec,
        reply: { type: x.q.reply, time: BLOCKED.has(x.q.status) ? -1 : x.q.replyMs },
        list_id: BLOCKED.has(x.q.status) ? 1 : null,
        upstream: BLOCKED.has(x.q.status) || x.q.status === 'CACHE' ? null : (x.q.upstream ?? '127.0.0.1#5335'),
        ede: { code: -1, text: null },
      })),
      cursor: fromCursor[0]?.id ?? null,
      recordsTotal: this.st.queries.length,
      recordsFiltered: matching.length,
      draw: num('draw') ?? 0,
      earliest_timestamp: this.st.queries[0]?.time ?? 0,
      earliest_timestamp_disk: this.st.queries[0]?.time ?? 0,
    };
  }

  // ---- domain lists (allow/deny, exact/regex)
  private domainFilter(req: Req): { type?: 'allow' | 'deny'; kind?: 'exact' | 'regex' } | Reply {
    const { type, kind } = req.params;
    const out: { type?: 'allow' | 'deny'; kind?: 'exact' | 'regex' } = {};
    for (const seg of [type, kind]) {
      if (seg === undefined) continue;
      if (seg === 'allow' || seg === 'deny') out.type = seg;
      else if (seg === 'exact' || seg === 'regex') out.kind = seg;
      else return err(400, 'bad_request', 'Invalid request: Specify list to modify more precisely', req.path);
    }
    return out;
  }

  private shapeDomain(d: DomainEntry): Record<string, unknown> {
    return {
      domain: d.domain,
      unicode: d.domain,
      type: d.type,
      kind: d.kind,
      comment: d.comment,
      groups: d.groups,
      enabled: d.enabled,
      id: d.id,
      date_added: d.date_added,
      date_modified: d.date_modified,
    };
  }

  private listDomains(req: Req): Reply {
    const f = this.domainFilter(req);
    if ('status' in f) return f;
    const list = this.st.domains.filter((d) => (!f.type || d.type === f.type) && (!f.kind || d.kind === f.kind));
    return { status: 200, body: { domains: list.map((d) => this.shapeDomain(d)) } };
  }

  private addDomain(req: Req): Reply {
    const f = this.domainFilter(req);
    if ('status' in f) return f;
    if (!f.type || !f.kind) return err(400, 'bad_request', 'Invalid request: Specify list to modify more precisely', req.path);
    const parsed = jsonBody(req);
    if (!parsed.ok) return err(400, 'bad_request', 'Invalid request body data (no valid JSON)', null);
    const body = (parsed.value ?? {}) as Record<string, unknown>;
    const names = Array.isArray(body.domain) ? body.domain : [body.domain];
    if (!names.length || !names.every((n): n is string => typeof n === 'string' && n.length > 0))
      return err(400, 'bad_request', 'No "domain" string in body data', null);
    const success: { item: string }[] = [],
      errors: { item: string; error: string }[] = [];
    const added: DomainEntry[] = [];
    const t = unix(this.now());
    for (const n of names) {
      const domain = f.kind === 'exact' ? n.toLowerCase() : n;
      if (f.kind === 'regex') {
        try {
          new RegExp(domain);
        } catch (e) {
          errors.push({ item: n, error: `Invalid regex: ${(e as Error).message}` });
          continue;
        }
      }
      if (this.st.domains.some((d) => d.domain === domain && d.type === f.type && d.kind === f.kind)) {
        errors.push({ item: n, error: 'UNIQUE constraint failed: domainlist.domain, domainlist.type' });
        continue;
      }
      const entry: DomainEntry = {
        id: this.st.nextDomainId++,
        domain,
        type: f.type,
        kind: f.kind,
        comment: typeof body.comment === 'string' ? body.comment : null,
        groups: Array.isArray(body.groups) ? body.groups.filter((g): g is number => typeof g === 'number') : [0],
        enabled: typeof body.enabled === 'boolean' ? body.enabled : true,
        date_added: t,
        date_modified: t,
      };
      this.st.domains.push(entry);
      added.push(entry);
      success.push({ item: n });
    }
    return { status: 201, body: { domains: added.map((d) => this.shapeDomain(d)), processed: { success, errors } } };
  }

  private deleteDomain(req: Req): Reply {
    const f = this.domainFilter(req);
    if ('status' in f) return f;
    const i = this.st.domains.findIndex((d) => d.type === f.type && d.kind === f.kind && d.domain === req.params.domain);
    if (i < 0) return err(404, 'not_found', 'Item not found', null);
    this.st.domains.splice(i, 1);
    return { status: 204 };
  }

  /** Domains on the allowlist (exact and regex), for tests. */
  allowlist(): { domain: string; kind: 'exact' | 'regex' }[] {
    return this.st.domains.filter((d) => d.type === 'allow').map((d) => ({ domain: d.domain, kind: d.kind }));
  }

  // ---- gravity: text/plain, chunked, over gravityMs
  private async runGravity(req: Req, res: ServerResponse): Promise<Reply | 'streamed'> {
    const st = this.st; // a reset meanwhile leaves the new state alone
    if (st.gravityRunning) return err(400, 'bad_request', 'Gravity is already running', null);
    st.gravityRunning = true;
    const color = req.query.get('color') === 'true';
    const ok = color ? '[\x1b[1;32m✓\x1b[0m]' : '[✓]';
    const info = color ? '[\x1b[1;33mi\x1b[0m]' : '[i]';
    const allowExact = this.st.domains.filter((d) => d.type === 'allow' && d.kind === 'exact').length;
    const allowRegex = this.st.domains.filter((d) => d.type === 'allow' && d.kind === 'regex').length;
    const after = this.s.gravity.afterUpdate ?? this.st.gravityDomains + 1342;
    const lines = [
      `  ${info} Neutrino emissions detected...`,
      `  ${ok} Pulling blocklist source list into range`,
      `  ${info} Preparing new gravity database...`,
      `  ${ok} Preparing new gravity database`,
      `  ${info} Creating new gravity databases...`,
      `  ${ok} Creating new gravity databases`,
      `  ${info} Using libz compression`,
      '',
      `  ${info} Target: https://raw.githubusercontent.com/StevenBlack/hosts/master/hosts`,
      `  ${ok} Status: Retrieval successful`,
      `  ${ok} Parsed ${after} exact domains and 0 ABP-style domains (blocking, ignored 0 non-domain entries)`,
      '',
      `  ${info} Building tree...`,
      `  ${ok} Building tree`,
      `  ${info} Swapping databases...`,
      `  ${ok} Swapping databases`,
      `  ${ok} The old database remains available`,
      `  ${info} Number of gravity domains: ${after} (${Math.round(after * 0.76)} unique domains)`,
      `  ${info} Number of exact denied domains: ${this.st.domains.filter((d) => d.type === 'deny' && d.kind === 'exact').length}`,
      `  ${info} Number of regex denied filters: ${this.st.domains.filter((d) => d.type === 'deny' && d.kind === 'regex').length}`,
      `  ${info} Number of exact allowed domains: ${allowExact}`,
      `  ${info} Number of regex allowed filters: ${allowRegex}`,
      `  ${info} Cleaning up stray matter...`,
      `  ${ok} Cleaning up stray matter`,
      '',
      `  ${ok} Done.`,
    ];
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Cache-Control': 'no-cache' }); // no Content-Length: chunked
    const step = this.s.gravityMs / lines.length;
    try {
      for (const line of lines) {
        if (res.destroyed) break;
        res.write(`${line}\n`);
        await new Promise((r) => setTimeout(r, step));
      }
      st.gravityDomains = after;
      st.gravityUpdated = unix(this.now());
      res.end();
    } finally {
      st.gravityRunning = false;
    }
    return 'streamed';
  }
}
