/**
 * An HTTP(S) check from homelab's own process (not from a pod): what `homelab uptime` asks of the
 * outside. It sees the network as the machine homelab runs on sees it: that machine's DNS, routes
 * and firewall, which for homelab in the cluster means the cluster's view, and for a laptop the LAN's.
 * Implemented in src/adapters/http/probe.ts. Redirects are not followed.
 */

export interface ProbeRequest {
  url: string;
  timeoutMs: number;
  /** Text the body must contain (the first MiB of it is read). */
  keyword?: string;
  /** A CA certificate (PEM) file for a self-signed site. */
  caFile?: string;
  /**
   * Asked for every address the host name resolves to, before connecting: a reason to refuse it
   * (a link-local or cloud metadata address), or undefined to go on.
   */
  refuseAddress(ip: string): string | undefined;
}

export interface ProbeTls {
  /** The chain verified against the system's CAs (or caFile) and the name matched. */
  authorized: boolean;
  error?: string;
  validFrom?: string;
  validTo?: string;
  subject?: string;
  issuer?: string;
}

export interface ProbeResult {
  /** The HTTP status; undefined when no answer came. */
  status?: number;
  /** Until the answer's headers arrived (or the failure). */
  latencyMs: number;
  /** Why no answer came: a network error, a timeout, a refused address. */
  error?: string;
  /** refused: the resolved address was refused before connecting. */
  errorKind?: 'dns' | 'refused' | 'connect' | 'timeout' | 'tls' | 'other';
  tls?: ProbeTls;
  keywordFound?: boolean;
  address?: string;
  redirectTo?: string;
}

export interface HttpProbePort {
  check(request: ProbeRequest): Promise<ProbeResult>;
}
