/**
 * Fake download clients.
 *
 * SABnzbd (4.x): GET /api?mode=…&output=json&apikey=KEY; a wrong or missing key answers HTTP 200
 * {"status": false, "error": "API Key Incorrect"} (or "API Key Required"), as SABnzbd does.
 * Modes: version (no key needed), queue (start/limit; numbers as strings, disk space in GB),
 * history (failed_only, limit), retry (value=NZO_ID: the failed job goes back into the queue).
 *
 * qBittorrent (5.0, Web API v2): POST /api/v2/auth/login (form) answers "Ok." with a SID cookie or
 * "Fails."; every other call without a valid SID is 403 "Forbidden". /api/v2/app/version (text),
 * /api/v2/sync/maindata (server_state, torrents by hash), POST /api/v2/auth/logout.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { at, secret, timeSpec } from './common.js';
import { Router, serveHttp, unix as unixSeconds, type HttpService, type Reply, type Req } from './router.js';

export const sabnzbdScenario = z.strictObject({
  apiKey: z.string().optional(),
  version: z.string().default('4.4.1'),
  paused: z.boolean().default(false),
  speedKBs: z.number().default(0),
  disks: z
    .strictObject({ incompleteFreeGB: z.number(), incompleteTotalGB: z.number(), completeFreeGB: z.number(), completeTotalGB: z.number() })
    .default({ incompleteFreeGB: 812.4, incompleteTotalGB: 3725.3, completeFreeGB: 812.4, completeTotalGB: 3725.3 }),
  queue: z
    .array(
      z.strictObject({
        name: z.string(),
        status: z.string().default('Queued'),
        mb: z.number().default(2048),
        mbLeft: z.number().default(2048),
        category: z.string().default('tv'),
      }),
    )
    .default([]),
  failed: z.array(z.strictObject({ name: z.string(), message: z.string(), at: timeSpec, category: z.string().default('tv') })).default([]),
});
export type SabnzbdScenario = z.output<typeof sabnzbdScenario>;

export const qbittorrentScenario = z.strictObject({
  username: z.string().default('admin'),
  password: z.string().optional(),
  version: z.string().default('v5.0.3'),
  connection: z.enum(['connected', 'firewalled', 'disconnected']).default('connected'),
  freeGiB: z.number().default(612.5),
  torrents: z
    .array(
      z.strictObject({
        name: z.string(),
        state: z.string(),
        progress: z.number().min(0).max(1),
        sizeGiB: z.number(),
        category: z.string().default(''),
        added: timeSpec.default('-2d'),
      }),
    )
    .default([]),
});
export type QbittorrentScenario = z.output<typeof qbittorrentScenario>;

const nzoId = (name: string) => `SABnzbd_nzo_${createHash('sha256').update(name).digest('hex').slice(0, 8)}`;

interface SabState {
  queue: Array<z.output<typeof sabnzbdScenario>['queue'][number] & { id: string }>;
  failed: Array<z.output<typeof sabnzbdScenario>['failed'][number] & { id: string }>;
}

export class FakeSabnzbd {
  url = '';
  readonly apiKey: string;
  readonly requests: { method: string; path: string; mode: string }[] = [];
  private st: SabState;
  private http: HttpService | undefined;

  constructor(
    private readonly s: SabnzbdScenario,
    private readonly now: () => Date,
  ) {
    this.apiKey =
      s.apiKey ??
      secret(16)
        .replace(/[^a-f0-9]/g, 'a')
        .slice(0, 32);
    this.st = this.initial();
  }

  private initial(): SabState {
    return { queue: this.s.queue.map((q) => ({ ...q, id: nzoId(q.name) })), failed: this.s.failed.map((f) => ({ ...f, id: nzoId(f.name) })) };
  }

  reset(): void {
    this.st = this.initial();
    this.requests.length = 0;
  }

  /** The jobs now queued and failed (tests read them). */
  jobs(): { queued: string[]; failed: Array<{ id: string; name: string }> } {
    return { queued: this.st.queue.map((q) => q.name), failed: this.st.failed.map((f) => ({ id: f.id, name: f.name })) };
  }

  async start(host: string): Promise<void> {
    const r = new Router<Record<string, never>>();
    const none = {} as Record<string, never>;
    r.add('GET', '/api', (q) => this.api(q), none).add('GET', '/sabnzbd/api', (q) => this.api(q), none);
    this.http = await serveHttp(
      {
        router: r,
        before: (req) => {
          this.requests.push({ method: req.method, path: req.path, mode: req.query.get('mode') ?? '' });
          return undefined;
        },
        notFound: () => ({ status: 404, text: 'Not Found', contentType: 'text/html' }),
      },
      host,
    );
    this.url = this.http.url;
  }

  stop(): Promise<void> {
    return this.http?.stop() ?? Promise.resolve();
  }

  private api(req: Req): Reply {
    const mode = req.query.get('mode') ?? '';
    if (mode === 'version') return { status: 200, body: { version: this.s.version } };
    const key = req.query.get('apikey');
    if (!key) return { status: 200, body: { status: false, error: 'API Key Required' } };
    if (key !== this.apiKey) return { status: 200, body: { status: false, error: 'API Key Incorrect' } };
    if (mode === 'queue') {
      const start = Number(req.query.get('start') ?? 0) || 0;
      const limit = Number(req.query.get('limit') ?? 0) || this.st.queue.length;
      const d = this.s.disks;
      const mbleft = this.st.queue.reduce((n, q) => n + q.mbLeft, 0);
      return {
        status: 200,
        body: {
          queue: {
            version: this.s.version,
            paused: this.s.paused,
            status: this.s.paused ? 'Paused' : this.st.queue.length ? 'Downloading' : 'Idle',
            kbpersec: this.s.speedKBs.toFixed(2),
            speed: `${Math.round(this.s.speedKBs)} K`,
            mbleft: mbleft.toFixed(2),
            mb: this.st.queue.reduce((n, q) => n + q.mb, 0).toFixed(2),
            noofslots_total: this.st.queue.length,
            noofslots: Math.min(limit, this.st.queue.length),
            diskspace1: d.incompleteFreeGB.toFixed(2),
            diskspacetotal1: d.incompleteTotalGB.toFixed(2),
            diskspace2: d.completeFreeGB.toFixed(2),
            diskspacetotal2: d.completeTotalGB.toFixed(2),
            diskspace1_norm: `${(d.incompleteFreeGB / 1024).toFixed(1)} T`,
            diskspace2_norm: `${(d.completeFreeGB / 1024).toFixed(1)} T`,
            start,
            limit,
            slots: this.st.queue.slice(start, start + limit).map((q, i) => ({
              index: start + i,
              nzo_id: q.id,
              filename: q.name,
              status: this.s.paused ? 'Paused' : q.status,
              cat: q.category,
              priority: 'Normal',
              mb: q.mb.toFixed(2),
              mbleft: q.mbLeft.toFixed(2),
              percentage: String(Math.round((1 - q.mbLeft / q.mb) * 100)),
              timeleft: '0:12:00',
            })),
          },
        },
      };
    }
    if (mode === 'history') {
      const limit = Number(req.query.get('limit') ?? 0) || 50;
      const failedOnly = req.query.get('failed_only') === '1';
      const slots = this.st.failed.map((f) => ({
        nzo_id: f.id,
        name: f.name,
        status: 'Failed',
        fail_message: f.message,
        category: f.category,
        completed: unixSeconds(at(f.at, this.now())),
        bytes: 0,
        storage: null,
      }));
      return { status: 200, body: { history: { noofslots: failedOnly ? slots.length : slots.length, slots: slots.slice(0, limit) } } };
    }
    if (mode === 'retry') {
      const id = req.query.get('value') ?? '';
      const index = this.st.failed.findIndex((f) => f.id === id);
      const job = this.st.failed[index];
      if (!job) return { status: 200, body: { status: false } };
      this.st.failed.splice(index, 1);
      this.st.queue.push({ name: job.name, status: 'Queued', mb: 2048, mbLeft: 2048, category: job.category, id: job.id });
      return { status: 200, body: { status: true, nzo_ids: [job.id] } };
    }
    return { status: 200, body: { status: false, error: 'not implemented' } };
  }
}

export class FakeQbittorrent {
  url = '';
  readonly username: string;
  readonly password: string;
  readonly requests: { method: string; path: string }[] = [];
  private sessions = new Set<string>();
  private http: HttpService | undefined;

  constructor(
    private readonly s: QbittorrentScenario,
    private readonly now: () => Date,
  ) {
    this.username = s.username;
    this.password = s.password ?? secret();
  }

  reset(): void {
    this.sessions.clear();
    this.requests.length = 0;
  }

  /** Sessions open now (a client that logged out leaves none). */
  openSessions(): number {
    return this.sessions.size;
  }

  async start(host: string): Promise<void> {
    const r = new Router<{ auth: boolean }>();
    const open = { auth: false },
      closed = { auth: true };
    r.add(
      'POST',
      '/api/v2/auth/login',
      (q) => {
        const form = new URLSearchParams(q.text);
        if (form.get('username') !== this.username || form.get('password') !== this.password) return { status: 200, text: 'Fails.' };
        const sid = secret(24).replace(/[^A-Za-z0-9]/g, 'x');
        this.sessions.add(sid);
        return { status: 200, text: 'Ok.', headers: { 'Set-Cookie': `SID=${sid}; HttpOnly; SameSite=Strict; path=/` } };
      },
      open,
    )
      .add(
        'POST',
        '/api/v2/auth/logout',
        (q) => {
          const sid = this.sid(q);
          if (sid) this.sessions.delete(sid);
          return { status: 200, text: '' };
        },
        closed,
      )
      .add('GET', '/api/v2/app/version', () => ({ status: 200, text: this.s.version }), closed)
      .add('GET', '/api/v2/app/webapiVersion', () => ({ status: 200, text: '2.11.2' }), closed)
      .add('GET', '/api/v2/sync/maindata', () => ({ status: 200, body: this.mainData() }), closed);
    this.http = await serveHttp(
      {
        router: r,
        before: (req, meta) => {
          this.requests.push({ method: req.method, path: req.path });
          if (meta?.auth && !this.sessions.has(this.sid(req) ?? '')) return { status: 403, text: 'Forbidden' };
          return undefined;
        },
        notFound: () => ({ status: 404, text: 'Not Found' }),
      },
      host,
    );
    this.url = this.http.url;
  }

  stop(): Promise<void> {
    return this.http?.stop() ?? Promise.resolve();
  }

  private sid(req: Req): string | undefined {
    return /(?:^|;\s*)SID=([^;]+)/.exec(String(req.headers.cookie ?? ''))?.[1];
  }

  private mainData(): Record<string, unknown> {
    const GiB = 1024 ** 3;
    const now = this.now();
    const torrents = Object.fromEntries(
      this.s.torrents.map((t) => [
        createHash('sha1').update(t.name).digest('hex'),
        {
          name: t.name,
          state: t.state,
          progress: t.progress,
          size: Math.round(t.sizeGiB * GiB),
          total_size: Math.round(t.sizeGiB * GiB),
          amount_left: Math.round(t.sizeGiB * GiB * (1 - t.progress)),
          eta: t.progress >= 1 ? 8640000 : 3600,
          category: t.category,
          added_on: unixSeconds(at(t.added, now)),
          dlspeed: 0,
          upspeed: 0,
          num_seeds: t.state === 'stalledDL' ? 0 : 12,
          save_path: '/downloads/',
        },
      ]),
    );
    return {
      rid: 1,
      full_update: true,
      torrents,
      categories: {},
      tags: [],
      server_state: {
        connection_status: this.s.connection,
        dl_info_speed: 1_250_000,
        up_info_speed: 240_000,
        dl_info_data: 0,
        up_info_data: 0,
        free_space_on_disk: Math.round(this.s.freeGiB * GiB),
        dht_nodes: 312,
        queueing: true,
        use_alt_speed_limits: false,
      },
    };
  }
}
