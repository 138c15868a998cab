import type { Config } from '../../core/config.js';
import type { AdguardPort } from '../../core/ports/adguard.js';
import type { ServiceDeps } from '../services.js';

type AdguardConfig = NonNullable<Config['services']['adguard']>;

/** Placeholder until the Adguard client lands (issue 4). */
export async function createAdguardClient(config: AdguardConfig, _deps: ServiceDeps): Promise<AdguardPort> {
  return { target: config.url };
}
