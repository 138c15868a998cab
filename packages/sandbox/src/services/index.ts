/**
 * The side services of the simulated homelab: which fakes start (those the scenario's
 * `services:` section describes, minus `disable`), and where a client finds each one: its URL and
 * its credentials as files in DIR/secrets/ (0600), never in the clear.
 */
import { chmodSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { adguardScenario, FakeAdguard } from './adguard.js';
import { FakeImmich, immichScenario } from './immich.js';
import { FakeJellyfin, jellyfinScenario } from './jellyfin.js';
import { FakePihole, piholeScenario, type PiholeOptions } from './pihole.js';
import { authentikScenario, FakeAuthentik } from './authentik.js';
import { FakeRancher, rancherScenario } from './rancher.js';
import { FakeProwlarr, FakeStarr, prowlarrScenario, starrScenario } from './servarr.js';
import { bazarrScenario, FakeBazarr } from './bazarr.js';
import { FakeQbittorrent, FakeSabnzbd, qbittorrentScenario, sabnzbdScenario } from './downloads.js';

export { FakePihole } from './pihole.js';
export { FakeAdguard } from './adguard.js';
export { FakeJellyfin, type JellyfinItem, type JellyfinFlavour } from './jellyfin.js';
export { FakeImmich } from './immich.js';
export { FakeAuthentik } from './authentik.js';
export { FakeRancher } from './rancher.js';
export { FakeStarr, FakeProwlarr } from './servarr.js';
export { FakeBazarr } from './bazarr.js';
export { FakeSabnzbd, FakeQbittorrent } from './downloads.js';

export const servicesScenario = z.strictObject({
  pihole: piholeScenario.optional(),
  adguard: adguardScenario.optional(),
  jellyfin: jellyfinScenario.optional(),
  immich: immichScenario.optional(),
  authentik: authentikScenario.optional(),
  rancher: rancherScenario.optional(),
  sonarr: starrScenario.optional(),
  radarr: starrScenario.optional(),
  prowlarr: prowlarrScenario.optional(),
  bazarr: bazarrScenario.optional(),
  sabnzbd: sabnzbdScenario.optional(),
  qbittorrent: qbittorrentScenario.optional(),
});
export type ServicesScenario = z.output<typeof servicesScenario>;

export type ServiceName =
  'pihole' | 'adguard' | 'jellyfin' | 'immich' | 'authentik' | 'rancher' | 'sonarr' | 'radarr' | 'prowlarr' | 'bazarr' | 'sabnzbd' | 'qbittorrent';

export interface ServicesOptions {
  jellyfinVersion?: '10.10' | '10.11';
  pihole?: PiholeOptions;
  /** fakes not started (and without an endpoint) even if the scenario has them */
  disable?: ServiceName[];
}

export interface Services {
  pihole?: FakePihole;
  adguard?: FakeAdguard;
  jellyfin?: FakeJellyfin;
  immich?: FakeImmich;
  authentik?: FakeAuthentik;
  rancher?: FakeRancher;
  sonarr?: FakeStarr;
  radarr?: FakeStarr;
  prowlarr?: FakeProwlarr;
  bazarr?: FakeBazarr;
  sabnzbd?: FakeSabnzbd;
  qbittorrent?: FakeQbittorrent;
}

/** Where a client reaches a running fake: its base URL and the files holding its credentials. */
export interface ServiceEndpoints {
  pihole?: { url: string; passwordFile?: string };
  adguard?: { url: string; username: string; passwordFile: string };
  jellyfin?: { url: string; apiKeyFile: string };
  immich?: { url: string; apiKeyFile: string };
  authentik?: { url: string; tokenFile: string };
  rancher?: { url: string; tokenFile: string };
  sonarr?: { url: string; apiKeyFile: string };
  radarr?: { url: string; apiKeyFile: string };
  prowlarr?: { url: string; apiKeyFile: string };
  bazarr?: { url: string; apiKeyFile: string };
  sabnzbd?: { url: string; apiKeyFile: string };
  qbittorrent?: { url: string; username: string; passwordFile: string };
}

export interface StartedServices {
  services: Services;
  /** one entry per fake that runs */
  endpoints: ServiceEndpoints;
  /** every fake back to its scenario state, on the same URL with the same credentials */
  reset(): void;
  /** stops the fakes and removes the credential files (and DIR/secrets/ when it made it); idempotent */
  stop(): Promise<void>;
}

export async function startServices(
  scenario: ServicesScenario | undefined,
  opts: ServicesOptions,
  dir: string,
  now: () => Date,
  host = '127.0.0.1',
): Promise<StartedServices> {
  const off = new Set(opts.disable ?? []);
  const services: Services = {};
  const endpoints: ServiceEndpoints = {};
  const stops: (() => Promise<void>)[] = [];
  const secretsDir = path.join(dir, 'secrets');
  const made: string[] = []; // files and folders written here, removed by stop()
  const writeSecret = (name: string, value: string): string => {
    if (!existsSync(secretsDir)) {
      mkdirSync(secretsDir, { recursive: true, mode: 0o700 });
      made.push(secretsDir);
    }
    const file = path.join(secretsDir, name);
    writeFileSync(file, `${value}\n`, { mode: 0o600 });
    chmodSync(file, 0o600);
    made.push(file);
    return file;
  };
  const removeMade = (): void => {
    for (const p of made.reverse()) rmSync(p, { recursive: true, force: true });
    made.length = 0;
  };
  try {
    if (scenario?.pihole && !off.has('pihole')) {
      const p = new FakePihole(scenario.pihole, opts.pihole ?? {}, now);
      await p.start(host);
      stops.push(() => p.stop());
      services.pihole = p;
      endpoints.pihole = p.password ? { url: p.url, passwordFile: writeSecret('pihole-password', p.password) } : { url: p.url };
    }
    if (scenario?.adguard && !off.has('adguard')) {
      const a = new FakeAdguard(scenario.adguard, now);
      await a.start(host);
      stops.push(() => a.stop());
      services.adguard = a;
      endpoints.adguard = { url: a.url, username: a.username, passwordFile: writeSecret('adguard-password', a.password) };
    }
    if (scenario?.jellyfin && !off.has('jellyfin')) {
      const j = new FakeJellyfin(scenario.jellyfin, opts.jellyfinVersion ?? '10.10', now);
      await j.start(host);
      stops.push(() => j.stop());
      services.jellyfin = j;
      endpoints.jellyfin = { url: j.url, apiKeyFile: writeSecret('jellyfin-api-key', j.apiKey) };
    }
    if (scenario?.immich && !off.has('immich')) {
      const m = new FakeImmich(scenario.immich, now);
      await m.start(host);
      stops.push(() => m.stop());
      services.immich = m;
      endpoints.immich = { url: m.url, apiKeyFile: writeSecret('immich-api-key', m.apiKey) };
    }
    const started = async <F extends { url: string; start(host: string): Promise<void>; stop(): Promise<void> }>(name: ServiceName, fake: F): Promise<F> => {
      await fake.start(host);
      stops.push(() => fake.stop());
      Object.assign(services, { [name]: fake });
      return fake;
    };
    const on = (name: ServiceName) => !off.has(name);
    if (scenario?.authentik && on('authentik')) {
      const f = await started('authentik', new FakeAuthentik(scenario.authentik, now));
      endpoints.authentik = { url: f.url, tokenFile: writeSecret('authentik-token', f.token) };
    }
    if (scenario?.rancher && on('rancher')) {
      const f = await started('rancher', new FakeRancher(scenario.rancher));
      endpoints.rancher = { url: f.url, tokenFile: writeSecret('rancher-token', f.token) };
    }
    for (const flavour of ['sonarr', 'radarr'] as const) {
      const s = scenario?.[flavour];
      if (!s || !on(flavour)) continue;
      const f = await started(flavour, new FakeStarr(flavour, s, now));
      endpoints[flavour] = { url: f.url, apiKeyFile: writeSecret(`${flavour}-api-key`, f.apiKey) };
    }
    if (scenario?.prowlarr && on('prowlarr')) {
      const f = await started('prowlarr', new FakeProwlarr(scenario.prowlarr, now));
      endpoints.prowlarr = { url: f.url, apiKeyFile: writeSecret('prowlarr-api-key', f.apiKey) };
    }
    if (scenario?.bazarr && on('bazarr')) {
      const f = await started('bazarr', new FakeBazarr(scenario.bazarr));
      endpoints.bazarr = { url: f.url, apiKeyFile: writeSecret('bazarr-api-key', f.apiKey) };
    }
    if (scenario?.sabnzbd && on('sabnzbd')) {
      const f = await started('sabnzbd', new FakeSabnzbd(scenario.sabnzbd, now));
      endpoints.sabnzbd = { url: f.url, apiKeyFile: writeSecret('sabnzbd-api-key', f.apiKey) };
    }
    if (scenario?.qbittorrent && on('qbittorrent')) {
      const f = await started('qbittorrent', new FakeQbittorrent(scenario.qbittorrent, now));
      endpoints.qbittorrent = { url: f.url, username: f.username, passwordFile: writeSecret('qbittorrent-password', f.password) };
    }
  } catch (e) {
    await Promise.all(stops.map((s) => s()));
    removeMade();
    throw e;
  }
  let stopping: Promise<void> | undefined;
  return {
    services,
    endpoints,
    reset() {
      for (const fake of Object.values(services) as Array<{ reset(): void } | undefined>) fake?.reset();
    },
    stop() {
      stopping ??= Promise.all(stops.map((s) => s())).then(removeMade);
      return stopping;
    },
  };
}
