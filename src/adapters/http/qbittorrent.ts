/**
 * The qBittorrent client (4.6 and 5.x, Web API v2). A login (POST /api/v2/auth/login, a form with
 * username and password; "Ok." and a SID cookie, or "Fails.") opens one session for the process;
 * a 403 means it expired: log in again, once. Without a username the Web UI must let this host in
 * unauthenticated (its "bypass authentication" settings). Reads: /api/v2/app/version (text) and
 * /api/v2/sync/maindata (server_state: connection, speeds, free_space_on_disk; torrents by hash).
 * close() logs out.
 */
import { z } from 'zod';
import { resolveSecret, type Config } from '../../core/config.js';
import { Forbidden, Upstream } from '../../core/errors.js';
import type { QbittorrentPort, QbittorrentState } from '../../core/ports/arr.js';
import type { ServiceDeps } from '../services.js';
import { detailOf } from './json-api.js';
import { HttpService, type HttpAnswer, type HttpCall } from './request.js';

type QbittorrentConfig = NonNullable<Config['services']['qbittorrent']>;

const num = z.number().nullish();
const mainDataSchema = z.object({
  server_state: z
    .object({
      connection_status: z.string().default('unknown'),
      dl_info_speed: z.number().default(0),
      up_info_speed: z.number().default(0),
      free_space_on_disk: num,
    })
    .default({ connection_status: 'unknown', dl_info_speed: 0, up_info_speed: 0 }),
  torrents: z
    .record(
      z.string(),
      z.object({
        name: z.string().default(''),
        state: z.string().default('unknown'),
        progress: z.number().default(0),
        size: z.number().default(0),
        eta: num,
        category: z.string().nullish(),
        added_on: num,
      }),
    )
    .default({}),
});

/** The session shared by every view of the client. */
interface SessionSlot {
  cookie: Promise<string | undefined> | undefined;
}

const HINT = 'check services.qbittorrent.username and the password it points at (qBittorrent: Tools → Options → Web UI)';

export async function createQbittorrentClient(config: QbittorrentConfig, deps: ServiceDeps): Promise<QbittorrentClient> {
  const password = config.password ? await resolveSecret(config.password, deps.env) : undefined;
  const http = new HttpService({ name: 'qBittorrent', baseUrl: config.url, timeoutMs: config.timeoutMs, caFile: config.caFile });
  return new QbittorrentClient(http, config.username && password ? { username: config.username, password } : undefined, { cookie: undefined });
}

export class QbittorrentClient implements QbittorrentPort {
  constructor(
    private readonly http: HttpService,
    private readonly credentials: { username: string; password: string } | undefined,
    private readonly session: SessionSlot,
  ) {}

  withSignal(signal: AbortSignal): QbittorrentPort {
    return new QbittorrentClient(this.http.withSignal(signal), this.credentials, this.session);
  }

  get target(): string {
    return this.http.where;
  }

  async version(): Promise<string> {
    return (await this.call({ method: 'GET', path: '/api/v2/app/version' })).text.trim();
  }

  async state(): Promise<QbittorrentState> {
    const call: HttpCall = { method: 'GET', path: '/api/v2/sync/maindata', query: { rid: 0 } };
    const parsed = mainDataSchema.safeParse(this.http.json(await this.call(call), call));
    if (!parsed.success)
      throw new Upstream(`qBittorrent at ${this.target} answered GET /api/v2/sync/maindata in an unexpected shape: is it qBittorrent 4.1 or newer?`);
    const { server_state: s, torrents } = parsed.data;
    return {
      connectionStatus: s.connection_status,
      dlSpeed: s.dl_info_speed,
      upSpeed: s.up_info_speed,
      freeSpace: s.free_space_on_disk ?? undefined,
      torrents: Object.entries(torrents).map(([hash, t]) => ({
        hash,
        name: t.name,
        state: t.state,
        progress: t.progress,
        size: t.size,
        eta: t.eta ?? undefined,
        category: t.category || undefined,
        addedOn: t.added_on ? new Date(t.added_on * 1000).toISOString() : undefined,
      })),
    };
  }

  /** Logs out of the session, if there is one (bounded: never holds the process up for long). */
  async close(): Promise<void> {
    const pending = this.session.cookie;
    this.session.cookie = undefined;
    const cookie = await pending?.catch(() => undefined);
    if (!cookie) return;
    await this.http
      .request({ method: 'POST', path: '/api/v2/auth/logout', headers: { Cookie: cookie }, timeoutMs: Math.min(this.http.options.timeoutMs, 5000) })
      .catch(() => undefined);
  }

  /** A call with the session: logs in first if needed, and once more if the session has expired. */
  private async call(call: HttpCall): Promise<HttpAnswer> {
    for (let attempt = 0; ; attempt++) {
      const pending = this.login();
      const cookie = await pending;
      const answer = await this.http.request({ ...call, headers: { ...call.headers, ...(cookie ? { Cookie: cookie } : {}) } });
      if (answer.status >= 200 && answer.status < 300) return answer;
      if (answer.status === 403 && this.credentials && attempt === 0) {
        if (this.session.cookie === pending) this.session.cookie = undefined;
        continue;
      }
      if (answer.status === 403) {
        throw new Forbidden(
          `qBittorrent at ${this.target} refused ${call.method} ${call.path} (HTTP 403)${this.credentials ? ' even after logging in' : ': it wants a login'}`,
          {
            hint: this.credentials ? HINT : 'set services.qbittorrent.username and password (or let this host in without a login in the Web UI options)',
          },
        );
      }
      throw this.http.httpError(answer, call, detailOf(answer.text));
    }
  }

  private login(): Promise<string | undefined> {
    if (!this.credentials) return Promise.resolve(undefined);
    if (!this.session.cookie) {
      const made = this.doLogin(this.credentials);
      this.session.cookie = made;
      made.catch(() => {
        if (this.session.cookie === made) this.session.cookie = undefined;
      });
    }
    return this.session.cookie;
  }

  private async doLogin(credentials: { username: string; password: string }): Promise<string> {
    const call: HttpCall = { method: 'POST', path: '/api/v2/auth/login', form: credentials };
    const answer = await this.http.request(call);
    if (answer.status === 403)
      throw new Forbidden(`qBittorrent at ${this.target} refused the login (HTTP 403): too many failed logins have banned this address for a while`, {
        hint: HINT,
      });
    if (answer.status !== 200) throw this.http.httpError(answer, call, detailOf(answer.text));
    const setCookie = answer.headers['set-cookie'] ?? [];
    const sid = setCookie.map((c) => /^(SID|QBT_SID_\d+)=([^;]+)/.exec(c)).find(Boolean);
    if (answer.text.trim() !== 'Ok.' || !sid)
      throw new Forbidden(`qBittorrent at ${this.target} did not accept the login (it answered "${answer.text.trim().slice(0, 40)}")`, { hint: HINT });
    return `${sid[1]}=${sid[2]}`;
  }
}
