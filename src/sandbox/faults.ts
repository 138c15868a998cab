/**
 * Fault injection: tests make the simulated API server answer some requests the way a sick or odd
 * cluster does (a 503 from an aggregated API that is down, a proxy's HTML page, a discovery
 * document of the wrong shape), then take the fault away to see the client recover. The faults
 * live here, in the sandbox's own API; product code knows nothing of them.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface Fault {
  /** HTTP method to match (GET, PATCH, ...); any when absent */
  method?: string;
  /** the request path without the query: exact when a string, tested when a RegExp */
  path: string | RegExp;
  /** the status code to answer */
  status: number;
  /** the raw body; default: the apiserver's Status object for the code */
  body?: string;
  /** default application/json */
  contentType?: string;
  /** answer this many matching requests, then let them through again; default: until removed */
  times?: number;
}

const REASONS: Record<number, string> = {
  400: 'BadRequest', 403: 'Forbidden', 404: 'NotFound', 429: 'TooManyRequests',
  500: 'InternalError', 502: 'InternalError', 503: 'ServiceUnavailable', 504: 'Timeout',
};

function statusBody(code: number): string {
  const message = code === 503 ? 'the server is currently unable to handle the request' : `injected fault: HTTP ${code}`;
  return JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason: REASONS[code] ?? 'InternalError', code });
}

/** The faults in force; `add` returns a function that removes the one added. */
export class Faults {
  private readonly active: Array<{ fault: Fault; left: number }> = [];

  add(fault: Fault): () => void {
    const entry = { fault, left: fault.times ?? Infinity };
    this.active.push(entry);
    return () => {
      const i = this.active.indexOf(entry);
      if (i >= 0) this.active.splice(i, 1);
    };
  }

  clear(): void {
    this.active.length = 0;
  }

  /** Answers the request with the first matching fault; false when none matches. */
  answer(req: IncomingMessage, res: ServerResponse, path: string): boolean {
    const method = req.method ?? 'GET';
    const i = this.active.findIndex(({ fault }) =>
      (!fault.method || fault.method.toUpperCase() === method) && (typeof fault.path === 'string' ? fault.path === path : fault.path.test(path)));
    const entry = this.active[i];
    if (!entry) return false;
    if (--entry.left <= 0) this.active.splice(i, 1);
    const body = entry.fault.body ?? statusBody(entry.fault.status);
    res.writeHead(entry.fault.status, { 'Content-Type': entry.fault.contentType ?? 'application/json', 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
    return true;
  }
}
