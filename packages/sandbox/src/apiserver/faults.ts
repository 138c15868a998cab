/**
 * Fault injection: tests make the simulated API server answer chosen requests the way a sick or odd
 * cluster does (a 503 from an aggregated API that is down, a proxy's HTML page, a discovery
 * document of the wrong shape, the second PATCH of a multi-step write failing), then take the fault
 * away to see the client recover. A failed request changes nothing, as when the real API server
 * refuses it. The faults live here, in the sandbox's own API; product code knows nothing of them.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface Fault {
  /** HTTP method to match (GET, PATCH, ...); any when absent */
  method?: string;
  /** the request path without the query: exact when a string, tested when a RegExp */
  path: string | RegExp;
  /** the status code to answer; default 500 (unless only delayMs is given: then the real answer, late) */
  status?: number;
  /** wait this long before answering (a slow or hanging API server) */
  delayMs?: number;
  /** the Status object's reason and message; defaults fit the code */
  reason?: string;
  message?: string;
  /** a raw body instead of a Status object (an HTML error page, a malformed document) */
  body?: string;
  /** default application/json */
  contentType?: string;
  /** which matching request fails first, counting from 1; default 1 */
  nth?: number;
  /** how many matching requests fail from there; default: until removed */
  times?: number;
}

const REASONS: Record<number, string> = {
  400: 'BadRequest',
  403: 'Forbidden',
  404: 'NotFound',
  429: 'TooManyRequests',
  500: 'InternalError',
  502: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

function statusBody(fault: Fault, code: number, method: string, path: string): string {
  const message = fault.message ?? (code === 503 ? 'the server is currently unable to handle the request' : `injected fault: ${method} ${path} (HTTP ${code})`);
  return JSON.stringify({
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason: fault.reason ?? REASONS[code] ?? 'InternalError',
    code,
  });
}

/** The faults in force; `add` returns a function that removes the one added. */
export class Faults {
  private readonly active: Array<{ fault: Fault; seen: number }> = [];

  add(fault: Fault): () => void {
    const entry = { fault, seen: 0 };
    this.active.push(entry);
    return () => {
      const i = this.active.indexOf(entry);
      if (i >= 0) this.active.splice(i, 1);
    };
  }

  clear(): void {
    this.active.length = 0;
  }

  /**
   * Answers the request with the first fault whose turn it is; false when none. Every matching
   * fault counts the request, so "the 2nd PATCH" means the 2nd since the fault was added.
   */
  async answer(req: IncomingMessage, res: ServerResponse, path: string): Promise<boolean> {
    const method = (req.method ?? 'GET').toUpperCase();
    let firing: Fault | undefined;
    for (const entry of [...this.active]) {
      const { fault } = entry;
      if ((fault.method && fault.method.toUpperCase() !== method) || !(typeof fault.path === 'string' ? fault.path === path : fault.path.test(path))) continue;
      entry.seen += 1;
      const first = fault.nth ?? 1;
      const last = first + (fault.times ?? Infinity) - 1;
      if (entry.seen >= first && entry.seen <= last) firing ??= fault;
      if (entry.seen >= last) this.active.splice(this.active.indexOf(entry), 1);
    }
    if (!firing) return false;
    if (firing.delayMs) {
      const delay = firing.delayMs;
      // A client that gives up ends the wait too (and a stopping sandbox closes every socket).
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        res.once('close', () => {
          clearTimeout(timer);
          resolve();
        });
      });
      if (firing.status === undefined && firing.body === undefined) return res.destroyed;
    }
    if (res.destroyed) return true;
    const code = firing.status ?? 500;
    const body = firing.body ?? statusBody(firing, code, method, path);
    res.writeHead(code, { 'Content-Type': firing.contentType ?? 'application/json', 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
    return true;
  }
}
