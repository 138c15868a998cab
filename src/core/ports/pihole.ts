/**
 * What ops need from Pi-hole v6 (its REST API under /api); implemented in src/adapters/http/pihole.ts.
 * The client holds one session for the process: it logs in on first use, shares that login among
 * concurrent calls, logs in again once when the session has expired, and logs out when the process
 * closes its clients. Every call stops with the op's signal (ServicePorts).
 */

export interface PiholeBlocking {
  /** As Pi-hole says it: enabled, disabled, failed or unknown. */
  blocking: 'enabled' | 'disabled' | 'failed' | 'unknown';
  /** Seconds until blocking changes back, when a timer is set. */
  timer: number | null;
}

export interface PiholeSummary {
  queries: { total: number; blocked: number; percentBlocked: number; uniqueDomains: number; forwarded: number; cached: number };
  clients: { active: number; total: number };
  gravity: { domainsBeingBlocked: number; /** Unix seconds; 0 when unknown. */ lastUpdate: number };
}

export interface PiholeUpstream {
  ip: string;
  name: string;
  /** -1 for the cache and blocklist pseudo-upstreams. */
  port: number;
  count: number;
  /** Mean response time, seconds. */
  responseTime: number;
}

export interface PiholeMessage {
  id: number;
  /** Unix seconds. */
  timestamp: number;
  type: string;
  plain: string;
}

export interface PiholeQueryFilter {
  /** Exact client IP. */
  clientIp?: string;
  /** Domain (Pi-hole accepts * wildcards). */
  domain?: string;
  /** Only blocked queries. */
  blocked?: boolean;
  /** At most this many. */
  limit: number;
}

export interface PiholeQuery {
  id: number;
  /** Unix seconds (fractional). */
  time: number;
  type: string;
  domain: string;
  status: string;
  blocked: boolean;
  clientIp: string;
  clientName: string | null;
  upstream: string | null;
  /** Reply time in milliseconds, when known. */
  replyMs: number | null;
}

export interface PiholeQueryPage {
  queries: PiholeQuery[];
  /** Queries in Pi-hole's log that match every filter (blocked included); undefined when Pi-hole did not say. */
  recordsFiltered?: number;
}

export interface PiholeDomain {
  id: number;
  domain: string;
  kind: 'exact' | 'regex';
  enabled: boolean;
  comment: string | null;
  groups: number[];
  /** Unix seconds. */
  dateAdded: number;
  dateModified: number;
}

export interface GravityRun {
  /** Lines starting [✓]. */
  ok: string[];
  /** Lines starting [✗]. */
  failed: string[];
  /** How many lines the stream had. */
  lines: number;
}

export interface PiholePort {
  /** Where it is, for messages: the base URL. */
  readonly target: string;
  blocking(): Promise<PiholeBlocking>;
  summary(): Promise<PiholeSummary>;
  upstreams(): Promise<PiholeUpstream[]>;
  /** FTL's diagnosis messages (/api/info/messages). */
  messages(): Promise<PiholeMessage[]>;
  queries(filter: PiholeQueryFilter): Promise<PiholeQueryPage>;
  /** Allowed (or denied) domains, exact and regex. */
  domains(type: 'allow' | 'deny'): Promise<PiholeDomain[]>;
  /**
   * Runs `pihole -g` (POST /api/action/gravity) and reads its streamed output to the end;
   * `onLine` sees each line as it arrives.
   */
  updateGravity(options?: { onLine?: (line: string) => void; timeoutMs?: number }): Promise<GravityRun>;
}
