import { z } from 'zod';
import { raceSignal, sleep } from '../../core/abort.js';
import { resolveSecret, type Config } from '../../core/config.js';
import { Forbidden, Upstream, describeError, type HomelabError } from '../../core/errors.js';
import type { Logger } from '../../core/op.js';
import type {
  GravityRun,
  PiholeBlocking,
  PiholeDomain,
  PiholeMessage,
  PiholePort,
  PiholeQuery,
  PiholeQueryFilter,
  PiholeQueryPage,
  PiholeSummary,
  PiholeUpstream,
} from '../../core/ports/pihole.js';
import type { ServiceDeps } from '../services.js';
import { HttpService, type HttpAnswer, type HttpCall } from './request.js';

type PiholeConfig = NonNullable<Config['services']['pihole']>;

/** A 429 is retried at most this many times per request... */
const MAX_RETRIES = 2;
/** ...waiting what Retry-After says, but never longer than this. */
const MAX_BACKOFF_MS = 5_000;
/** A gravity update downloads every list and rebuilds the database: minutes, not seconds. */
export const GRAVITY_TIMEOUT_MS = 10 * 60_000;

/** Query states in which Pi-hole blocked the answer (v6 names, and the v5 ones older FTL still reports). */
export const BLOCKED_STATUSES = new Set([
  'GRAVITY',
  'REGEX',
  'DENYLIST',
  'GRAVITY_CNAME',
  'REGEX_CNAME',
  'DENYLIST_CNAME',
  'SPECIAL_DOMAIN',
  'EXTERNAL_BLOCKED_IP',
  'EXTERNAL_BLOCKED_NULL',
  'EXTERNAL_BLOCKED_NXRA',
  'EXTERNAL_BLOCKED_EDE15',
  'BLACKLIST',
  'BLACKLIST_CNAME',
]);

// What we rely on in Pi-hole's answers; anything else passes through unread.
const errorBody = z.looseObject({ error: z.looseObject({ key: z.string(), message: z.string().nullish(), hint: z.string().nullish() }) });
const authBody = z.looseObject({
  session: z.looseObject({ valid: z.boolean(), sid: z.string().nullable(), validity: z.number().optional(), message: z.string().nullish() }),
});
const blockingBody = z.looseObject({ blocking: z.string(), timer: z.number().nullish() });
const summaryBody = z.looseObject({
  queries: z.looseObject({
    total: z.number(),
    blocked: z.number(),
    percent_blocked: z.number(),
    unique_domains: z.number().default(0),
    forwarded: z.number().default(0),
    cached: z.number().default(0),
  }),
  clients: z.looseObject({ active: z.number(), total: z.number() }).default({ active: 0, total: 0 }),
  gravity: z.looseObject({ domains_being_blocked: z.number(), last_update: z.number() }),
});
const upstreamsBody = z.looseObject({
  upstreams: z.array(
    z.looseObject({
      ip: z.string().nullish(),
      name: z.string().nullish(),
      port: z.number(),
      count: z.number(),
      statistics: z.looseObject({ response: z.number().nullish() }).optional(),
    }),
  ),
});
const messagesBody = z.looseObject({
  messages: z.array(z.looseObject({ id: z.number(), timestamp: z.number(), type: z.string(), plain: z.string() })),
});
const queriesBody = z.looseObject({
  queries: z.array(
    z.looseObject({
      id: z.number(),
      time: z.number(),
      type: z.string().nullish(),
      domain: z.string(),
      status: z.string().nullish(),
      client: z.looseObject({ ip: z.string(), name: z.string().nullish() }),
      upstream: z.string().nullish(),
      reply: z.looseObject({ type: z.string().nullish(), time: z.number().nullish() }).nullish(),
    }),
  ),
  cursor: z.number().nullish(),
  recordsFiltered: z.number().optional(),
});
const domainsBody = z.looseObject({
  domains: z.array(
    z.looseObject({
      id: z.number(),
      domain: z.string(),
      kind: z.enum(['exact', 'regex']),
      enabled: z.boolean(),
      comment: z.string().nullish(),
      groups: z.array(z.number()).default([]),
      date_added: z.number().default(0),
      date_modified: z.number().default(0),
    }),
  ),
});

/** A session: its SID, or null when Pi-hole has no password and wants none. */
interface Session {
  sid: string | null;
}

/** The login every view of one client shares. */
interface SessionSlot {
  current: Promise<Session> | undefined;
}

/** Retry-After in seconds or as an HTTP date; bounded either way. */
export function backoffMs(retryAfter: string | string[] | undefined, attempt: number): number {
  const value = Array.isArray(retryAfter) ? retryAfter[0] : retryAfter;
  let ms = 1000 * 2 ** attempt;
  if (value && /^\d+(\.\d+)?$/.test(value.trim())) ms = Number(value) * 1000;
  else if (value && !Number.isNaN(Date.parse(value))) ms = Date.parse(value) - Date.now();
  return Math.min(MAX_BACKOFF_MS, Math.max(250, ms));
}

/**
 * Pi-hole v6 with one session for the whole process. The first call logs in; calls made meanwhile
 * wait for that same login; later calls reuse the SID (sent as X-FTL-SID, never in a URL). A 401
 * means the session expired (Pi-hole's default is 30 minutes idle): log in again, once, and retry.
 * A 429 is waited out (Retry-After, bounded) a couple of times. `close()` logs out, so the process
 * never leaves one of Pi-hole's 16 API seats taken. Ops get views (`withSignal`) that share the
 * session; their requests stop with the op's signal, the login and the logout with no op's.
 */
export class PiholeClient implements PiholePort {
  /** This view's requests: they stop with its signal. */
  private readonly http: HttpService;

  constructor(
    /** The process-wide service: the login and the logout, which no one op's signal may stop. */
    private readonly root: HttpService,
    private readonly password: string | undefined,
    private readonly log: Logger,
    private readonly session: SessionSlot = { current: undefined },
    signal?: AbortSignal,
  ) {
    this.http = signal ? root.withSignal(signal) : root;
  }

  /** This client as one op sees it: every request stops when `signal` fires; the session is shared. */
  withSignal(signal: AbortSignal): PiholePort {
    return new PiholeClient(this.root, this.password, this.log, this.session, signal);
  }

  get target(): string {
    return this.http.where;
  }

  private get at(): string {
    return `Pi-hole at ${this.http.where}`;
  }

  async blocking(): Promise<PiholeBlocking> {
    const body = await this.getJson('/api/dns/blocking', blockingBody);
    const state = ['enabled', 'disabled', 'failed', 'unknown'].includes(body.blocking) ? (body.blocking as PiholeBlocking['blocking']) : 'unknown';
    return { blocking: state, timer: body.timer ?? null };
  }

  async summary(): Promise<PiholeSummary> {
    const body = await this.getJson('/api/stats/summary', summaryBody);
    const q = body.queries;
    return {
      queries: {
        total: q.total,
        blocked: q.blocked,
        percentBlocked: q.percent_blocked,
        uniqueDomains: q.unique_domains,
        forwarded: q.forwarded,
        cached: q.cached,
      },
      clients: { active: body.clients.active, total: body.clients.total },
      gravity: { domainsBeingBlocked: body.gravity.domains_being_blocked, lastUpdate: body.gravity.last_update },
    };
  }

  async upstreams(): Promise<PiholeUpstream[]> {
    const body = await this.getJson('/api/stats/upstreams', upstreamsBody);
    return body.upstreams.map((u) => ({
      ip: u.ip ?? '',
      name: u.name ?? u.ip ?? '',
      port: u.port,
      count: u.count,
      responseTime: u.statistics?.response ?? 0,
    }));
  }

  async messages(): Promise<PiholeMessage[]> {
    const body = await this.getJson('/api/info/messages', messagesBody);
    return body.messages.map((m) => ({ id: m.id, timestamp: m.timestamp, type: m.type, plain: m.plain }));
  }

  /**
   * One page of the query log, filtered by Pi-hole itself: client, domain, and blocked through the
   * "blocklist" pseudo-upstream (FTL src/api/queries.c turns `upstream=blocklist` into `status IN`
   * its blocked states; the web UI's own "blocked queries" links use it). So `recordsFiltered` counts
   * exactly the queries that match every filter, not the page and not the whole log.
   */
  async queries(filter: PiholeQueryFilter): Promise<PiholeQueryPage> {
    const query = { length: filter.limit, start: 0, client_ip: filter.clientIp, domain: filter.domain, upstream: filter.blocked ? 'blocklist' : undefined };
    const body = await this.getJson('/api/queries', queriesBody, query);
    const rows = body.queries.map((q): PiholeQuery => {
      const status = q.status ?? 'UNKNOWN';
      return {
        id: q.id,
        time: q.time,
        type: q.type ?? '',
        domain: q.domain,
        status,
        blocked: BLOCKED_STATUSES.has(status),
        clientIp: q.client.ip,
        clientName: q.client.name || null,
        upstream: q.upstream ?? null,
        replyMs: typeof q.reply?.time === 'number' && q.reply.time >= 0 ? Math.round(q.reply.time * 1000) / 1000 : null,
      };
    });
    // A server that ignored the pseudo-upstream answers unblocked rows: they are left out, and its count is not ours.
    const ignored = filter.blocked && rows.some((q) => !q.blocked);
    if (ignored) this.log.warn(`${this.at} did not filter blocked queries itself (upstream=blocklist); how many match is unknown`);
    const queries = ignored ? rows.filter((q) => q.blocked) : rows;
    return { queries: queries.slice(0, filter.limit), recordsFiltered: ignored ? undefined : body.recordsFiltered };
  }

  async domains(type: 'allow' | 'deny'): Promise<PiholeDomain[]> {
    const body = await this.getJson(`/api/domains/${type}`, domainsBody);
    return body.domains.map((d) => ({
      id: d.id,
      domain: d.domain,
      kind: d.kind,
      enabled: d.enabled,
      comment: d.comment || null,
      groups: d.groups,
      dateAdded: d.date_added,
      dateModified: d.date_modified,
    }));
  }

  async updateGravity(options: { onLine?: (line: string) => void; timeoutMs?: number } = {}): Promise<GravityRun> {
    let partial = '';
    const onText = options.onLine
      ? (text: string) => {
          const lines = (partial + text).split(/\r?\n|\r/);
          partial = lines.pop() ?? '';
          for (const line of lines) if (line.trim()) options.onLine?.(stripAnsi(line).trimEnd());
        }
      : undefined;
    const call: HttpCall = { method: 'POST', path: '/api/action/gravity', timeoutMs: options.timeoutMs ?? GRAVITY_TIMEOUT_MS, onText };
    const answer = await this.api(call);
    if (partial.trim()) options.onLine?.(stripAnsi(partial).trimEnd());
    if (answer.status < 200 || answer.status >= 300) throw this.refusal(answer, call);
    const lines = answer.text
      .split(/\r?\n|\r/)
      .map((l) => stripAnsi(l).trim())
      .filter(Boolean);
    return {
      ok: lines.filter((l) => l.startsWith('[✓]')),
      failed: lines.filter((l) => l.startsWith('[✗]')),
      lines: lines.length,
    };
  }

  async close(): Promise<void> {
    const pending = this.session.current;
    this.session.current = undefined;
    const session = await pending?.catch(() => undefined);
    if (!session?.sid) return;
    try {
      const answer = await this.root.request({
        method: 'DELETE',
        path: '/api/auth',
        headers: { 'X-FTL-SID': session.sid },
        timeoutMs: Math.min(this.http.options.timeoutMs, 5000),
      });
      if (answer.status >= 300 && answer.status !== 404) this.log.debug(`${this.at}: logout answered HTTP ${answer.status}`);
      else this.log.debug(`${this.at}: logged out`);
    } catch (err) {
      this.log.debug(`${this.at}: could not log out: ${describeError(err)}`);
    }
  }

  /** GET a JSON answer and check the part we rely on. */
  private async getJson<T extends z.ZodType>(path: string, schema: T, query?: HttpCall['query']): Promise<z.output<T>> {
    const call: HttpCall = { method: 'GET', path, query };
    const answer = await this.api(call);
    if (answer.status < 200 || answer.status >= 300) throw this.refusal(answer, call);
    return this.http.parsed(schema, answer, call, 'is it Pi-hole v6?');
  }

  /** A call with the session: logs in first if needed, and once more if the session has expired. */
  private async api(call: HttpCall): Promise<HttpAnswer> {
    for (let attempt = 0; ; attempt++) {
      const pending = this.login();
      const session = await raceSignal(pending, this.http.signal);
      const headers = session.sid ? { ...call.headers, 'X-FTL-SID': session.sid } : call.headers;
      const answer = await this.send({ ...call, headers }, this.http);
      if (answer.status !== 401) return answer;
      if (this.password === undefined) {
        throw new Forbidden(`${this.at} asks for a password (HTTP 401 on ${call.method} ${call.path}) and none is configured`, {
          hint: 'set services.pihole.password in the config to a reference to the web or app password ({env: NAME} or {file: PATH})',
        });
      }
      if (attempt >= 1) {
        throw new Forbidden(`${this.at} refused ${call.method} ${call.path} (HTTP 401) even with a fresh session: expired session right after logging in`, {
          hint: "check webserver.session.timeout and that nothing deletes homelab's sessions",
        });
      }
      // Only the first caller to see the expiry drops the session; the others wait for the new login.
      if (this.session.current === pending) this.session.current = undefined;
      this.log.debug(`${this.at}: the session has expired; logging in again`);
    }
  }

  /** The one login in flight; everyone waits for it. */
  private login(): Promise<Session> {
    if (this.password === undefined) return Promise.resolve({ sid: null });
    if (!this.session.current) {
      const session = this.doLogin(this.password);
      this.session.current = session;
      // A failed login is not kept: the next call tries again.
      session.catch(() => {
        if (this.session.current === session) this.session.current = undefined;
      });
    }
    return this.session.current;
  }

  private async doLogin(password: string): Promise<Session> {
    const call: HttpCall = { method: 'POST', path: '/api/auth', json: { password } };
    // Not bound to one op's signal: other calls share this login. The service timeout bounds it.
    const answer = await this.send(call, this.root);
    const body = authBody.safeParse(safeJson(answer.text));
    if (answer.status === 200 && body.success && body.data.session.valid) {
      this.log.debug(`${this.at}: logged in${body.data.session.sid ? '' : ' (no password needed)'}`);
      return { sid: body.data.session.sid };
    }
    const said = body.success ? body.data.session.message : errorBody.safeParse(safeJson(answer.text)).data?.error.message;
    if (answer.status === 401 || (answer.status === 200 && body.success)) {
      throw new Forbidden(`${this.at} refused the password (HTTP ${answer.status}${said ? `: ${said}` : ''}): wrong password`, {
        hint: 'check the secret services.pihole.password points at (the web password or an app password)',
      });
    }
    if (answer.status === 400 && /totp|2fa/i.test(said ?? '')) {
      throw new Forbidden(`${this.at} asks for a two-factor code: homelab cannot log in with the web password`, {
        hint: 'create an app password in Pi-hole (Settings → Web interface / API) and point services.pihole.password at it',
      });
    }
    throw this.refusal(answer, call);
  }

  /** One request; a 429 is waited out (Retry-After, bounded) up to MAX_RETRIES times, and said so. */
  private async send(call: HttpCall, http: HttpService): Promise<HttpAnswer> {
    for (let attempt = 0; ; attempt++) {
      const answer = await http.request(call);
      if (answer.status !== 429) return answer;
      const error = errorBody.safeParse(safeJson(answer.text)).data?.error;
      if (error?.key === 'api_seats_exceeded') throw this.refusal(answer, call);
      if (attempt >= MAX_RETRIES) throw this.refusal(answer, call);
      const wait = backoffMs(answer.headers['retry-after'], attempt);
      this.log.warn(
        `${this.at} is rate limiting (HTTP 429 on ${call.method} ${call.path}); backing off ${(wait / 1000).toFixed(wait < 1000 ? 2 : 0)}s before retry ${attempt + 1} of ${MAX_RETRIES}`,
      );
      await sleep(wait, http.signal);
    }
  }

  /** A refusal as one clear error; Pi-hole's own key and message are kept, credentials never are. */
  private refusal(answer: HttpAnswer, call: HttpCall): HomelabError {
    const error = errorBody.safeParse(safeJson(answer.text)).data?.error;
    if (answer.status === 429 && error?.key === 'api_seats_exceeded') {
      return new Upstream(
        `${this.at} refused ${call.method} ${call.path} (HTTP 429 api_seats_exceeded): all 16 API seats are taken: something logs in without logging out`,
        { hint: 'raise webserver.api.max_sessions or wait 30 min for the sessions to expire (Settings → Web interface / API lists them)' },
      );
    }
    if (answer.status === 429) {
      const retry = answer.headers['retry-after'];
      return new Upstream(
        `${this.at} is rate limiting ${call.method} ${call.path} (HTTP 429${error?.key ? ` ${error.key}` : ''}) and still was after ${MAX_RETRIES} retries`,
        {
          hint: `wait${retry ? ` ${String(retry)}s` : ' a moment'} before trying again`,
        },
      );
    }
    const detail = error ? [error.key, error.message, error.hint].filter(Boolean).join(': ') : undefined;
    return this.http.httpError(answer, call, detail);
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function stripAnsi(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '');
}

export async function createPiholeClient(config: PiholeConfig, deps: ServiceDeps): Promise<PiholeClient> {
  const password = config.password ? await resolveSecret(config.password, deps.env) : undefined;
  const http = new HttpService({ name: 'Pi-hole', baseUrl: config.url, timeoutMs: config.timeoutMs, caFile: config.caFile });
  return new PiholeClient(http, password, deps.log);
}
