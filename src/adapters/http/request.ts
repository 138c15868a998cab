import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { readFileSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import type { z } from 'zod';
import { Forbidden, NotFound, Timeout, Upstream, UserError, type HomelabError } from '../../core/errors.js';

export interface HttpCall {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path under the service's base URL, e.g. /api/stats/summary (never carries a credential). */
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  /** Credentials go here, never into the URL, so nothing that logs URLs can leak them. */
  headers?: Record<string, string>;
  json?: unknown;
  /** A form body (application/x-www-form-urlencoded), for an API that takes no JSON (qBittorrent's login). */
  form?: Record<string, string>;
  /** Overrides the service's timeout (e.g. a gravity update that streams for minutes). */
  timeoutMs?: number;
  /** Upper bound on the answer's size. */
  maxBytes?: number;
  /** Sees the answer's text as it streams in (e.g. a gravity update's progress); the whole text is still returned. */
  onText?: (text: string) => void;
}

export interface HttpAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

export interface HttpServiceOptions {
  /** "Pi-hole", "Jellyfin": how messages name it. */
  name: string;
  baseUrl: string;
  timeoutMs: number;
  caFile?: string;
}

const DEFAULT_MAX_BYTES = 16 * 1024 * 1024;

/**
 * One HTTP service: base URL, timeouts on every call, TLS with an optional private CA, and
 * network failures turned into one line that names the service and where it was looked for.
 * A view made by `withSignal` stops every request it sends when that signal fires; the clients
 * hand ops only such views, so no call can forget the op's signal.
 */
export class HttpService {
  private readonly ca: Buffer | undefined;

  constructor(
    readonly options: HttpServiceOptions,
    /** Stops every request of this view; none on the process-wide service (a login shared by many ops). */
    readonly signal?: AbortSignal,
    shared?: HttpService,
  ) {
    if (shared) {
      this.ca = shared.ca;
      return;
    }
    try {
      this.ca = options.caFile ? readFileSync(options.caFile) : undefined;
    } catch (err) {
      throw new UserError(`cannot read the CA file ${options.caFile} for ${options.name}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
    }
  }

  /** The same service, every request of which stops when `signal` fires. */
  withSignal(signal: AbortSignal): HttpService {
    return new HttpService(this.options, signal, this);
  }

  get name(): string {
    return this.options.name;
  }

  /** The base URL without any path, for messages. */
  get where(): string {
    return this.options.baseUrl.replace(/\/+$/, '');
  }

  url(call: Pick<HttpCall, 'path' | 'query'>): URL {
    const url = new URL(this.where + call.path);
    for (const [k, v] of Object.entries(call.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    return url;
  }

  async request(call: HttpCall): Promise<HttpAnswer> {
    const url = this.url(call);
    const body = call.form ? new URLSearchParams(call.form).toString() : call.json === undefined ? undefined : JSON.stringify(call.json);
    const headers: Record<string, string> = { Accept: 'application/json', 'User-Agent': 'homelab', ...call.headers };
    if (body !== undefined) {
      headers['Content-Type'] = call.form ? 'application/x-www-form-urlencoded' : 'application/json';
      headers['Content-Length'] = String(Buffer.byteLength(body));
    }
    const timeoutMs = call.timeoutMs ?? this.options.timeoutMs;
    const maxBytes = call.maxBytes ?? DEFAULT_MAX_BYTES;
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise<HttpAnswer>((resolve, reject) => {
      const req = send(url, { method: call.method, headers, ca: this.ca, signal: this.signal }, (res) => {
        const chunks: Buffer[] = [];
        // Decodes across chunk boundaries, so a character split between two chunks arrives whole.
        const decoder = call.onText ? new StringDecoder('utf8') : undefined;
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > maxBytes) {
            req.destroy(new Upstream(`${this.name} answered ${call.method} ${call.path} with more than ${Math.round(maxBytes / 1024)} KiB`));
            return;
          }
          chunks.push(chunk);
          if (decoder) call.onText?.(decoder.write(chunk));
        });
        res.on('end', () => {
          if (decoder) call.onText?.(decoder.end());
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') });
        });
        res.on('error', (err) => reject(this.networkError(err)));
      });
      req.setTimeout(timeoutMs, () =>
        req.destroy(new Timeout(`${this.name} at ${this.where} did not answer ${call.method} ${call.path} within ${timeoutMs / 1000}s`)),
      );
      req.on('error', (err) => reject(this.networkError(err)));
      if (body !== undefined) req.write(body);
      req.end();
    });
  }

  /** Parses a JSON answer; a non-JSON answer (a login page, a proxy's error) says so. */
  json<T = unknown>(answer: HttpAnswer, call: Pick<HttpCall, 'method' | 'path'>): T {
    try {
      return JSON.parse(answer.text) as T;
    } catch {
      throw new Upstream(
        `${this.name} answered ${call.method} ${call.path} with something that is not JSON (HTTP ${answer.status}): is ${this.where} really ${this.name}?`,
      );
    }
  }

  /** A JSON answer checked against `schema`; one of another shape says where, and `versionHint` ("is it Jellyfin 10.10 or newer?"). */
  parsed<S extends z.ZodType>(schema: S, answer: HttpAnswer, call: Pick<HttpCall, 'method' | 'path'>, versionHint: string | undefined): z.output<S> {
    const parsed = schema.safeParse(this.json(answer, call));
    if (parsed.success) return parsed.data;
    const issue = parsed.error.issues[0];
    const where = issue ? `${issue.path.join('.') || 'answer'}: ${issue.message}` : 'invalid';
    throw new Upstream(
      `${this.name} at ${this.where} answered ${call.method} ${call.path} in an unexpected shape (${where})${versionHint ? `: ${versionHint}` : ''}`,
    );
  }

  /**
   * The typed error for an HTTP refusal. `detail` is the service's own message; services with
   * sessions handle 401 themselves before calling this.
   */
  httpError(answer: HttpAnswer, call: Pick<HttpCall, 'method' | 'path'>, detail?: string): HomelabError {
    const what = `${this.name} refused ${call.method} ${call.path} (HTTP ${answer.status})${detail ? `: ${detail}` : ''}`;
    switch (answer.status) {
      case 401:
        return new Forbidden(`${what}: wrong credentials or an expired session`, { hint: `check the ${this.name} password or API key the config points at` });
      case 403:
        return new Forbidden(`${what}: the credentials are not allowed to do this`);
      case 404:
        return new NotFound(`${what}: not found (is ${this.where} the right base URL, and the version supported?)`);
      case 429: {
        const retry = answer.headers['retry-after'];
        return new Upstream(`${what}: rate limited${retry ? `, retry after ${retry}s` : ''}`, { hint: 'wait a moment before trying again' });
      }
      default:
        return answer.status >= 500 ? new Upstream(`${what}: the service failed`) : new UserError(what);
    }
  }

  private networkError(err: Error): Error {
    if (err instanceof Upstream || err instanceof Timeout) return err;
    if (err.name === 'AbortError' && this.signal?.aborted) return this.signal.reason instanceof Error ? this.signal.reason : err;
    const code = (err as NodeJS.ErrnoException).code ?? '';
    const at = `${this.name} at ${this.where}`;
    if (code === 'ECONNREFUSED')
      return new Upstream(`${at} is unreachable: connection refused`, { hint: 'is it running, and is the URL in the config right?' });
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return new Upstream(`${at} is unreachable: cannot resolve its host name`);
    if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code === 'ETIMEDOUT') return new Upstream(`${at} is unreachable (${code})`);
    if (code === 'ECONNRESET') return new Upstream(`${at} closed the connection`);
    if (/CERT|SSL|TLS|SELF_SIGNED/.test(code))
      return new Upstream(`${at}: TLS error (${code})`, { hint: 'for a self-signed certificate, set caFile for this service in the config' });
    return new Upstream(`${at}: ${err.message}`);
  }
}
