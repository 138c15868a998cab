import type { Config } from '../core/config.js';
import type { Logger } from '../core/op.js';
import type { StarrApp } from '../core/ports/arr.js';
import type { ServiceClients, ServicePorts } from '../core/ports/services.js';

export interface ServiceDeps {
  config: Config;
  env: Record<string, string | undefined>;
  log: Logger;
}

/** A process-wide client: it hands each op a view bound to the op's signal, and lets go of its session or connection at the end. */
interface Client<P> {
  withSignal(signal: AbortSignal): P;
  close?(): Promise<void>;
}

/**
 * Lazily made, process-wide clients for the home services. Each adapter module is imported only
 * when an op first asks for that service, so `--help` and MCP tools/list never load them.
 */
export function createServices(deps: ServiceDeps): ServiceClients {
  const made = new Map<string, Promise<Client<unknown> | undefined>>();
  const once = <P>(name: string, make: () => Promise<Client<P> | undefined>): Promise<Client<P> | undefined> => {
    let client = made.get(name) as Promise<Client<P> | undefined> | undefined;
    if (!client) {
      client = make();
      made.set(name, client);
      // A failure to set up (bad secret reference) is reported to this call and tried again next time.
      client.catch(() => made.delete(name));
    }
    return client;
  };
  const { services, nas } = deps.config;
  const clients = {
    pihole: () => once('pihole', async () => (services.pihole ? (await import('./http/pihole.js')).createPiholeClient(services.pihole, deps) : undefined)),
    adguard: () =>
      once('adguard', async () => (services.adguard ? (await import('./http/adguard.js')).createAdguardClient(services.adguard, deps) : undefined)),
    jellyfin: () =>
      once('jellyfin', async () => (services.jellyfin ? (await import('./http/jellyfin.js')).createJellyfinClient(services.jellyfin, deps) : undefined)),
    immich: () => once('immich', async () => (services.immich ? (await import('./http/immich.js')).createImmichClient(services.immich, deps) : undefined)),
    nas: () => once('nas', async () => (nas ? (await import('./ssh/nas.js')).createNasClient(nas, deps) : undefined)),
    authentik: () =>
      once('authentik', async () => (services.authentik ? (await import('./http/authentik.js')).createAuthentikClient(services.authentik, deps) : undefined)),
    rancher: () =>
      once('rancher', async () => (services.rancher ? (await import('./http/rancher.js')).createRancherClient(services.rancher, deps) : undefined)),
    starr: (app: StarrApp) =>
      once(app, async () => {
        const config = services[app];
        return config ? (await import('./http/starr.js')).createStarrClient(app, config, deps) : undefined;
      }),
    prowlarr: () =>
      once('prowlarr', async () => (services.prowlarr ? (await import('./http/starr.js')).createProwlarrClient(services.prowlarr, deps) : undefined)),
    bazarr: () => once('bazarr', async () => (services.bazarr ? (await import('./http/bazarr.js')).createBazarrClient(services.bazarr, deps) : undefined)),
    sabnzbd: () =>
      once('sabnzbd', async () => (services.sabnzbd ? (await import('./http/sabnzbd.js')).createSabnzbdClient(services.sabnzbd, deps) : undefined)),
    qbittorrent: () =>
      once('qbittorrent', async () =>
        services.qbittorrent ? (await import('./http/qbittorrent.js')).createQbittorrentClient(services.qbittorrent, deps) : undefined,
      ),
    postgres: () =>
      once('postgres', async () => (services.postgres ? (await import('./postgres.js')).createPostgresClient(services.postgres, deps) : undefined)),
  };
  return {
    withSignal(signal): ServicePorts {
      const bound = async <P>(client: Promise<Client<P> | undefined>) => (await client)?.withSignal(signal);
      return {
        pihole: () => bound(clients.pihole()),
        adguard: () => bound(clients.adguard()),
        jellyfin: () => bound(clients.jellyfin()),
        immich: () => bound(clients.immich()),
        nas: () => bound(clients.nas()),
        authentik: () => bound(clients.authentik()),
        rancher: () => bound(clients.rancher()),
        starr: (app) => bound(clients.starr(app)),
        prowlarr: () => bound(clients.prowlarr()),
        bazarr: () => bound(clients.bazarr()),
        sabnzbd: () => bound(clients.sabnzbd()),
        qbittorrent: () => bound(clients.qbittorrent()),
        postgres: () => bound(clients.postgres()),
        probe: async () => new (await import('./http/probe.js')).HttpProbe(signal),
      };
    },
    async close() {
      const all = await Promise.allSettled([...made.values()]);
      await Promise.allSettled(all.map((c) => (c.status === 'fulfilled' ? c.value?.close?.() : undefined)));
      made.clear();
    },
  };
}
