import type { AdguardPort } from './adguard.js';
import type { ImmichPort } from './immich.js';
import type { JellyfinPort } from './jellyfin.js';
import type { NasPort } from './nas.js';
import type { PiholePort } from './pihole.js';

/**
 * The home services an op may call. Each is undefined when the config does not name it (ops report
 * "not configured"). Clients are made on first use and kept for the process: one Pi-hole session,
 * one SSH connection; `close()` logs out and disconnects when the process is done.
 */
export interface ServicePorts {
  pihole(): Promise<PiholePort | undefined>;
  adguard(): Promise<AdguardPort | undefined>;
  jellyfin(): Promise<JellyfinPort | undefined>;
  immich(): Promise<ImmichPort | undefined>;
  nas(): Promise<NasPort | undefined>;
  close(): Promise<void>;
}
