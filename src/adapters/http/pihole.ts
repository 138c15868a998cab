import type { Config } from '../../core/config.js';
import type { PiholePort } from '../../core/ports/pihole.js';
import type { ServiceDeps } from '../services.js';

type PiholeConfig = NonNullable<Config['services']['pihole']>;

/** Placeholder until the Pihole client lands (issue 4). */
export async function createPiholeClient(config: PiholeConfig, _deps: ServiceDeps): Promise<PiholePort> {
  return { target: config.url };
}
