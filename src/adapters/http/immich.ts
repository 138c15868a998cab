import type { Config } from '../../core/config.js';
import type { ImmichPort } from '../../core/ports/immich.js';
import type { ServiceDeps } from '../services.js';

type ImmichConfig = NonNullable<Config['services']['immich']>;

/** Placeholder until the Immich client lands (issue 4). */
export async function createImmichClient(config: ImmichConfig, _deps: ServiceDeps): Promise<ImmichPort> {
  return { target: config.url };
}
