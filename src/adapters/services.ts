import type { Config } from '../core/config.js';
import type { Logger } from '../core/op.js';
import type { ServicePorts } from '../core/ports/services.js';

export interface ServiceDeps {
  config: Config;
  env: Record<string, string | undefined>;
  log: Logger;
}

/** Something that holds a session or a connection and must let go of it at the end. */
interface Closable {
  close?(): Promise<void>;
}

/**
 * Lazily made, process-wide clients for the home services. Each adapter module is imported only
 * when an op first asks for that service, so `--help` and MCP tools/list never load them.
 */
export function createServices(deps: ServiceDeps): ServicePorts {
  const made = new Map<string, Promise<unknown>>();
  const once = <T>(name: string, make: () => Promise<T | undefined>): Promise<T | undefined> => {
    let client = made.get(name) as Promise<T | undefined> | undefined;
    if (!client) {
      client = make();
      made.set(name, client);
      // A failure to set up (bad secret reference) is reported to this call and tried again next time.
      client.catch(() => made.delete(name));
    }
    return client;
  };
  const { services, nas } = deps.config;
  return {
    pihole: () => once('pihole', async () => (services.pihole ? (await import('./http/pihole.js')).createPiholeClient(services.pihole, deps) : undefined)),
    adguard: () => once('adguard', async () => (services.adguard ? (await import('./http/adguard.js')).createAdguardClient(services.adguard, deps) : undefined)),
    jellyfin: () => once('jellyfin', async () => (services.jellyfin ? (await import('./http/jellyfin.js')).createJellyfinClient(services.jellyfin, deps) : undefined)),
    immich: () => once('immich', async () => (services.immich ? (await import('./http/immich.js')).createImmichClient(services.immich, deps) : undefined)),
    nas: () => once('nas', async () => (nas ? (await import('./ssh/nas.js')).createNasClient(nas, deps) : undefined)),
    async close() {
      const clients = await Promise.allSettled([...made.values()]);
      await Promise.allSettled(clients.map((c) => (c.status === 'fulfilled' ? (c.value as Closable | undefined)?.close?.() : undefined)));
      made.clear();
    },
  };
}
