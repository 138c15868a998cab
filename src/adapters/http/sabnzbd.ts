/**
 * The SABnzbd client (4.x; the same API since 3.x): GET /api?mode=…&output=json. SABnzbd takes its
 * API key only as the `apikey` query parameter, so it goes there (and HttpService's messages name
 * the path alone, never the query). Modes: version, queue (start/limit), history (failed_only),
 * retry (value=NZO_ID). A refused key comes back as HTTP 200 with {status: false, error: "API Key
 * Incorrect"} (or 401/403 behind some proxies): both are a refusal here.
 */
import { z } from 'zod';
import { resolveSecret, type Config } from '../../core/config.js';
import { Forbidden, Upstream, UserError } from '../../core/errors.js';
import { SABNZBD_ID, type Counted, type SabnzbdFailed, type SabnzbdPort, type SabnzbdQueue } from '../../core/ports/arr.js';
import type { ServiceDeps } from '../services.js';
import { JsonApi } from './json-api.js';
import { HttpService } from './request.js';

type SabnzbdConfig = NonNullable<Config['services']['sabnzbd']>;

/** SABnzbd prints most numbers as strings ("3978.31"). */
const numeric = z.union([z.number(), z.string()]).transform((v) => (typeof v === 'number' ? v : Number.parseFloat(v) || 0));
const str = z.string().nullish();
const GB = 1024 ** 3;

const queueSchema = z.object({
  queue: z.object({
    status: z.string().default('Unknown'),
    paused: z.boolean().default(false),
    kbpersec: numeric.default(0),
    mbleft: numeric.default(0),
    diskspace1: numeric.nullish(),
    diskspacetotal1: numeric.nullish(),
    diskspace2: numeric.nullish(),
    diskspacetotal2: numeric.nullish(),
    noofslots_total: numeric.default(0),
    slots: z
      .array(
        z.object({
          nzo_id: z.string(),
          filename: z.string(),
          status: z.string(),
          percentage: numeric.default(0),
          mbleft: numeric.default(0),
          timeleft: str,
          cat: str,
        }),
      )
      .default([]),
  }),
});
const historySchema = z.object({
  history: z.object({
    noofslots: numeric.default(0),
    slots: z
      .array(z.object({ nzo_id: z.string(), name: z.string(), status: z.string(), fail_message: str, completed: z.number().nullish(), category: str }))
      .default([]),
  }),
});
const refusal = z.object({ status: z.literal(false), error: z.string() });

const opt = <T>(v: T | null | undefined): T | undefined => (v === null ? undefined : v);

export async function createSabnzbdClient(config: SabnzbdConfig, deps: ServiceDeps): Promise<SabnzbdClient> {
  const key = await resolveSecret(config.apiKey, deps.env);
  const http = new HttpService({ name: 'SABnzbd', baseUrl: config.url, timeoutMs: config.timeoutMs, caFile: config.caFile });
  return new SabnzbdClient(
    new JsonApi(
      http,
      { query: { apikey: key }, hint: 'the key services.sabnzbd.apiKey points at (SABnzbd: Config → General → Security → API Key)' },
      'is it SABnzbd 3.x or newer?',
    ),
  );
}

export class SabnzbdClient implements SabnzbdPort {
  constructor(private readonly api: JsonApi) {}

  withSignal(signal: AbortSignal): SabnzbdPort {
    return new SabnzbdClient(this.api.withSignal(signal));
  }

  get target(): string {
    return this.api.target;
  }

  async version(): Promise<string> {
    return (await this.call(z.object({ version: z.string() }), { mode: 'version' })).version;
  }

  async queue(limit: number): Promise<SabnzbdQueue> {
    const { queue: q } = await this.call(queueSchema, { mode: 'queue', start: 0, limit });
    const disk = (folder: 'incomplete' | 'complete', free: number | null | undefined, total: number | null | undefined) =>
      free != null && total ? [{ folder, free: Math.round(free * GB), total: Math.round(total * GB) }] : [];
    return {
      status: q.status,
      paused: q.paused,
      speedKBs: q.kbpersec,
      mbLeft: q.mbleft,
      disks: [...disk('incomplete', q.diskspace1, q.diskspacetotal1), ...disk('complete', q.diskspace2, q.diskspacetotal2)],
      slots: {
        total: q.noofslots_total,
        items: q.slots.map((s) => ({
          id: s.nzo_id,
          name: s.filename,
          status: s.status,
          percentage: s.percentage,
          mbLeft: s.mbleft,
          timeLeft: opt(s.timeleft),
          category: opt(s.cat),
        })),
      },
    };
  }

  async failed(limit: number): Promise<Counted<SabnzbdFailed>> {
    const { history } = await this.call(historySchema, { mode: 'history', start: 0, limit, failed_only: 1 });
    return {
      total: history.noofslots,
      items: history.slots.map((s) => ({
        id: s.nzo_id,
        name: s.name,
        failMessage: opt(s.fail_message) || undefined,
        completed: s.completed ? new Date(s.completed * 1000).toISOString() : undefined,
        category: opt(s.category),
      })),
    };
  }

  async retry(id: string): Promise<void> {
    if (!SABNZBD_ID.test(id)) throw new UserError(`refusing to use "${id.slice(0, 80)}" as a SABnzbd job id: it must look like SABnzbd_nzo_…`);
    const answer = await this.call(z.object({ status: z.boolean() }), { mode: 'retry', value: id });
    if (!answer.status) throw new Upstream(`SABnzbd at ${this.target} did not retry ${id} (no such failed job in its history?)`);
  }

  /** One API call; a refusal in the body (SABnzbd's way) is a refusal like a 401. */
  private async call<S extends z.ZodType>(schema: S, query: Record<string, string | number>): Promise<z.output<S>> {
    const call = { method: 'GET' as const, path: '/api', query: { ...query, output: 'json' } };
    const answer = await this.api.send(call);
    const body = this.api.http.json(answer, call);
    const refused = refusal.safeParse(body);
    if (refused.success) {
      const what = `SABnzbd at ${this.target} refused mode=${query.mode}: ${refused.data.error}`;
      throw /api key/i.test(refused.data.error)
        ? new Forbidden(what, { hint: 'check the key services.sabnzbd.apiKey points at (SABnzbd: Config → General → Security → API Key)' })
        : new Upstream(what);
    }
    const parsed = schema.safeParse(body);
    if (!parsed.success) throw new Upstream(`SABnzbd at ${this.target} answered mode=${query.mode} in an unexpected shape: is it SABnzbd 3.x or newer?`);
    return parsed.data;
  }
}
