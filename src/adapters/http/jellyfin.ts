import type { Config } from '../../core/config.js';
import type { JellyfinPort } from '../../core/ports/jellyfin.js';
import type { ServiceDeps } from '../services.js';

type JellyfinConfig = NonNullable<Config['services']['jellyfin']>;

/** Placeholder until the Jellyfin client lands (issue 4). */
export async function createJellyfinClient(config: JellyfinConfig, _deps: ServiceDeps): Promise<JellyfinPort> {
  return { target: config.url };
}
