/** What ops need from AdGuard Home (its API under /control); implemented in src/adapters/http/adguard.ts. */

export interface AdguardStatus {
  version: string;
  /** The DNS server is up. */
  running: boolean;
  protectionEnabled: boolean;
  /** Milliseconds until protection comes back on, when paused; 0 otherwise. */
  protectionDisabledMs: number;
  dnsAddresses: string[];
}

export interface AdguardCount {
  name: string;
  count: number;
}

export interface AdguardStats {
  timeUnits: string;
  queries: number;
  blocked: number;
  safebrowsing: number;
  parental: number;
  /** Seconds. */
  avgProcessingTime: number;
  topBlocked: AdguardCount[];
  topClients: AdguardCount[];
  topUpstreams: AdguardCount[];
}

export interface AdguardQueryFilter {
  /** Domain or client IP, as AdGuard's own search box. */
  search?: string;
  blocked?: boolean;
  limit: number;
}

export interface AdguardQuery {
  /** RFC 3339. */
  time: string;
  client: string;
  clientName: string | null;
  domain: string;
  type: string;
  reason: string;
  blocked: boolean;
  status: string;
  upstream: string | null;
  elapsedMs: number | null;
}

export interface AdguardPort {
  /** Where it is, for messages: the base URL. */
  readonly target: string;
  status(): Promise<AdguardStatus>;
  stats(): Promise<AdguardStats>;
  queryLog(filter: AdguardQueryFilter): Promise<AdguardQuery[]>;
}
