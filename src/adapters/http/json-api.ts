/**
 * One way to call a JSON API that takes a fixed credential on every request (an API key or a bearer
 * token: Authentik, Rancher, the *arr apps, Bazarr, SABnzbd): the credential added to each call,
 * answers checked with zod, and refusals turned into one line that names the service, the call and
 * what to check. The credential never enters a message (messages name the path, never the query).
 */
import type { z } from 'zod';
import { Forbidden } from '../../core/errors.js';
import type { HttpAnswer, HttpCall, HttpService } from './request.js';

export interface JsonApiAuth {
  /** Headers carrying the credential (Authorization, X-Api-Key). */
  headers?: Record<string, string>;
  /** Query parameters carrying it, for an API that takes it nowhere else (SABnzbd's apikey). */
  query?: Record<string, string>;
  /** What to check when the credential is refused: "the key services.sonarr.apiKey points at (Settings → General)". */
  hint: string;
}

export class JsonApi {
  constructor(
    readonly http: HttpService,
    private readonly auth: JsonApiAuth,
    /** Said when an answer has an unexpected shape: "is it Sonarr v3 or newer?". */
    private readonly versionHint: string,
  ) {}

  withSignal(signal: AbortSignal): JsonApi {
    return new JsonApi(this.http.withSignal(signal), this.auth, this.versionHint);
  }

  get name(): string {
    return this.http.name;
  }

  get target(): string {
    return this.http.where;
  }

  /** GET and check the answer's shape. */
  async get<S extends z.ZodType>(schema: S, call: Omit<HttpCall, 'method'>): Promise<z.output<S>> {
    return this.json(schema, { method: 'GET', ...call });
  }

  /** Any method, the answer checked against `schema`. */
  async json<S extends z.ZodType>(schema: S, call: HttpCall): Promise<z.output<S>> {
    return this.http.parsed(schema, await this.send(call), call, this.versionHint);
  }

  /** The call with the credential; a 2xx answer, or the error that says why not. */
  async send(call: HttpCall): Promise<HttpAnswer> {
    const answer = await this.http.request({
      ...call,
      headers: { ...call.headers, ...this.auth.headers },
      query: { ...call.query, ...this.auth.query },
    });
    if (answer.status >= 200 && answer.status < 300) return answer;
    const detail = detailOf(answer.text);
    if (answer.status === 401) {
      throw new Forbidden(
        `${this.name} at ${this.target} did not accept the credentials (HTTP 401 on ${call.method} ${call.path})${detail ? `: ${detail}` : ''}`,
        { hint: `check ${this.auth.hint}` },
      );
    }
    if (answer.status === 403) {
      throw new Forbidden(`${this.name} at ${this.target} refused ${call.method} ${call.path} (HTTP 403)${detail ? `: ${detail}` : ''}`, {
        hint: `the credentials are wrong or not allowed to do this: check ${this.auth.hint}`,
      });
    }
    throw this.http.httpError(answer, call, detail);
  }
}

/**
 * One short line of an error body: the `message`, `detail`, `error` or `errorMessage` of a JSON
 * body (the *arr apps answer a list of validation failures), or the first line of plain text.
 */
export function detailOf(text: string): string | undefined {
  const trimmed = text.trim();
  if (!trimmed) return undefined;
  let body: unknown;
  try {
    body = JSON.parse(trimmed);
  } catch {
    return trimmed.startsWith('<') ? undefined : trimmed.split('\n')[0]?.slice(0, 200);
  }
  const first = Array.isArray(body) ? (body[0] as unknown) : body;
  if (!first || typeof first !== 'object') return undefined;
  const record = first as Record<string, unknown>;
  for (const key of ['message', 'detail', 'errorMessage', 'error', 'title']) {
    const value = record[key];
    if (typeof value === 'string' && value) return value.slice(0, 200);
  }
  return undefined;
}
