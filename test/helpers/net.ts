/** What the dns and net probes answer, as the tests read it. */
export interface DnsRecord {
  name: string;
  ttl: number;
  class: string;
  type: string;
  data: string;
}
export interface DigResult {
  reached: boolean;
  status?: string;
  flags: string[];
  authenticated: boolean;
  answers: DnsRecord[];
  authority: DnsRecord[];
  queryTimeMs?: number;
  error?: string;
  exitCode: number;
}
export interface DnsQuery {
  name: string;
  type: string;
  server: { requested: string; address: string; label: string };
  from: string;
  result: DigResult;
  verdict: string;
  summary: string;
}
export interface Diagnose {
  verdict: string;
  failingHop?: string;
  conclusion: string;
  hops: Array<{ hop: string; state: string; label: string; note: string; server?: string }>;
}
export interface Curl {
  ok: boolean;
  exitCode: number;
  status: number;
  error?: string;
  admittedAs: string;
  timing: Record<string, number>;
  tls?: { verified: boolean; certificates?: number };
}
export interface Ping {
  icmp: { sent: number; received: number; lossPercent: number; rttMs?: { avg: number }; error?: string };
  tcp?: { port: number; state: string; message: string };
  verdict: string;
  summary: string;
}
export interface Trace {
  reached: boolean;
  hops: Array<{ ttl: number; host?: string; ip?: string; rttsMs: Array<number | null>; timeouts: number }>;
}

/** The metadata refusal's words (169.254.169.254 in any spelling, even where a wider CIDR is allowed). */
export const METADATA_REFUSED = /may not reach \S+: \S+ is (a link-local address|an IPv6 link-local address|the AWS IPv6 metadata address)/;

export interface NetNode {
  verdict: string;
  summary: string;
  node: string;
  agentPod: string;
  links: Array<{ name: string; state: string; up: boolean; mtu?: number; addresses: Array<{ family: string; cidr: string; scope?: string }> }>;
  routes: Array<{ dst: string; gateway?: string; dev?: string }>;
  defaultRoute?: { gateway?: string; dev?: string };
  rules: Array<{ priority: number; selector: string; table?: string }>;
  findings: Array<{ severity: string; kind: string; name: string; reason: string; message: string }>;
}
export interface Iptables {
  summary: string;
  family: string;
  command: string[];
  tables: Array<{
    name: string;
    chains: Array<{ name: string; builtin: boolean; policy?: string; rules: Array<{ number: number; text: string; target?: string; comment?: string }> }>;
  }>;
  chains: number;
  rules: number;
}
export interface Conntrack {
  summary: string;
  scanned: number;
  reported?: number;
  total: number;
  shown: number;
  truncated: boolean;
  byProtocol: Record<string, number>;
  entries: Array<{ protocol: string; state?: string; src: string; dst: string; sport?: number; dport?: number; reply?: { src: string }; flags: string[] }>;
}

/** What the Pi-hole and AdGuard ops answer. */
export interface DnsStatus {
  verdict: string;
  summary: string;
  namespace: string;
  pods: Array<{ name: string; app: string; ready: boolean }>;
  pihole: {
    configured: boolean;
    url?: string;
    reachable?: boolean;
    blocking?: { state: string; timer: number | null };
    queries?: { total: number; blocked: number; percentBlocked: number };
    gravity?: { domains: number; age?: string; stale: boolean; lastUpdate?: string };
    upstreams?: Array<{ name: string; ip: string; port: number }>;
    messages?: Array<{ type: string; message: string }>;
  };
  adguard: {
    configured: boolean;
    reachable?: boolean;
    version?: string;
    running?: boolean;
    protection?: { enabled: boolean };
    stats?: { queries: number; blocked: number; percentBlocked: number };
    topBlocked?: Array<{ domain: string; count: number }>;
  };
  findings: Array<{ severity: string; kind: string; namespace?: string; name: string; reason: string; message: string }>;
}
export interface Queries {
  server: string;
  count: number;
  matched?: number;
  queries: Array<{ client: string; domain: string; status: string; blocked: boolean; time: string }>;
}
export interface Gravity {
  succeeded: boolean;
  before: { domains: number };
  after: { domains: number };
  change: number;
  failures: string[];
}
export interface Allowlist {
  exact: number;
  regex: number;
  domains: Array<{ domain: string; kind: string; enabled: boolean; comment?: string }>;
}
