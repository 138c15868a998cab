import type { AdguardPort } from './adguard.js';
import type { BazarrPort, ProwlarrPort, QbittorrentPort, SabnzbdPort, StarrApp, StarrPort } from './arr.js';
import type { AuthentikPort } from './authentik.js';
import type { ImmichPort } from './immich.js';
import type { JellyfinPort } from './jellyfin.js';
import type { NasPort } from './nas.js';
import type { PiholePort } from './pihole.js';
import type { PostgresPort } from './postgres.js';
import type { HttpProbePort } from './probe.js';
import type { RancherPort } from './rancher.js';

/**
 * The home services an op may call, every call bound to the op's signal: it stops when the op
 * times out or is cancelled, and no call can forget to (the ports take no signal). Each is
 * undefined when the config does not name it (ops report "not configured").
 */
export interface ServicePorts {
  pihole(): Promise<PiholePort | undefined>;
  adguard(): Promise<AdguardPort | undefined>;
  jellyfin(): Promise<JellyfinPort | undefined>;
  immich(): Promise<ImmichPort | undefined>;
  nas(): Promise<NasPort | undefined>;
  authentik(): Promise<AuthentikPort | undefined>;
  rancher(): Promise<RancherPort | undefined>;
  /** Sonarr or Radarr (one API). */
  starr(app: StarrApp): Promise<StarrPort | undefined>;
  prowlarr(): Promise<ProwlarrPort | undefined>;
  bazarr(): Promise<BazarrPort | undefined>;
  sabnzbd(): Promise<SabnzbdPort | undefined>;
  qbittorrent(): Promise<QbittorrentPort | undefined>;
  /** PostgreSQL over the network (services.postgres.url); undefined when it is reached by pod exec or not configured. */
  postgres(): Promise<PostgresPort | undefined>;
  /** HTTP(S) checks from this process (uptime); always there. */
  probe(): Promise<HttpProbePort>;
}

/**
 * What a door holds: the clients, made on first use and kept for the process (one Pi-hole
 * session, one SSH connection). Ops never see it; runOp hands each op a view bound to its signal,
 * as it does the Kubernetes port.
 */
export interface ServiceClients {
  /** The services as one op sees them: every call stops when `signal` fires. */
  withSignal(signal: AbortSignal): ServicePorts;
  /** Logs out and disconnects; the process calls it once when it is done. */
  close(): Promise<void>;
}
