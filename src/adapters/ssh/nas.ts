import type { Config } from '../../core/config.js';
import type { NasPort } from '../../core/ports/nas.js';
import type { ServiceDeps } from '../services.js';

type NasConfig = NonNullable<Config['nas']>;

/** Placeholder until the NAS client lands (issue 4). */
export async function createNasClient(config: NasConfig, _deps: ServiceDeps): Promise<NasPort> {
  return { target: `${config.username}@${config.host}:${config.port}` };
}
