/**
 * What the API server was asked, in order: tests read it to prove what a client did and did not
 * request (no Secret read as a whole object, say). Bounded: the oldest entries go first.
 */
export interface LoggedRequest {
  method: string;
  /** The path without the query. */
  path: string;
  query: Record<string, string>;
  /** The Accept header as sent ('' when absent). */
  accept: string;
}

const MAX_ENTRIES = 20_000;

export class RequestLog {
  readonly entries: LoggedRequest[] = [];

  record(method: string, url: URL, accept: string | undefined): void {
    if (this.entries.length >= MAX_ENTRIES) this.entries.shift();
    this.entries.push({ method, path: url.pathname, query: Object.fromEntries(url.searchParams), accept: accept ?? '' });
  }

  clear(): void {
    this.entries.length = 0;
  }
}
