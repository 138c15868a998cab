/**
 * The product's side of the sandbox seam: the homelab config for a running sandbox, written from what
 * the sandbox says it runs (its kubeconfig and context, each fake service's URL and credential files)
 * over the scenario's own `config:` mapping. The sandbox package knows nothing of this file's shape;
 * `homelab sandbox` and the tests' helper both write it here.
 */
import { chmodSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import type { z } from 'zod';
import type { Sandbox } from '@homelab/sandbox';
import type { configSchema } from './core/config.js';

export type SandboxSeam = Pick<Sandbox, 'dir' | 'kubeconfigPath' | 'context' | 'endpoints' | 'scenarioConfig'>;
type ServicesConfig = NonNullable<z.input<typeof configSchema>['services']>;

function mapping(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/** The `services:` entries for the fakes that run; credentials stay in their files. */
function servicesConfig(e: Sandbox['endpoints']): ServicesConfig {
  const { pihole, adguard, jellyfin, immich, authentik, rancher, prowlarr, bazarr, sabnzbd, qbittorrent } = e;
  const keyed = (x: { url: string; apiKeyFile: string } | undefined) => x && { url: x.url, apiKey: { file: x.apiKeyFile } };
  return {
    ...(pihole && { pihole: { url: pihole.url, ...(pihole.passwordFile && { password: { file: pihole.passwordFile } }) } }),
    ...(adguard && { adguard: { url: adguard.url, username: adguard.username, password: { file: adguard.passwordFile } } }),
    ...(jellyfin && { jellyfin: { url: jellyfin.url, apiKey: { file: jellyfin.apiKeyFile } } }),
    ...(immich && { immich: { url: immich.url, apiKey: { file: immich.apiKeyFile } } }),
    ...(authentik && { authentik: { url: authentik.url, token: { file: authentik.tokenFile } } }),
    ...(rancher && { rancher: { url: rancher.url, token: { file: rancher.tokenFile } } }),
    ...(e.sonarr && { sonarr: keyed(e.sonarr) }),
    ...(e.radarr && { radarr: keyed(e.radarr) }),
    ...(prowlarr && { prowlarr: keyed(prowlarr) }),
    ...(bazarr && { bazarr: keyed(bazarr) }),
    ...(sabnzbd && { sabnzbd: keyed(sabnzbd) }),
    ...(qbittorrent && { qbittorrent: { url: qbittorrent.url, username: qbittorrent.username, password: { file: qbittorrent.passwordFile } } }),
  };
}

/**
 * What `homelab uptime` checks in a sandbox: each fake's own health or ping URL (those a monitor
 * of the real service would use), with the keyword its answer holds.
 */
function uptimeTargets(e: Sandbox['endpoints']): Array<{ name: string; url: string; keyword?: string }> {
  return [
    e.jellyfin && { name: 'jellyfin', url: `${e.jellyfin.url}/System/Ping` },
    e.immich && { name: 'immich', url: `${e.immich.url}/api/server/ping`, keyword: 'pong' },
    e.authentik && { name: 'authentik', url: `${e.authentik.url}/-/health/live/` },
    e.sonarr && { name: 'sonarr', url: `${e.sonarr.url}/ping`, keyword: 'OK' },
    e.radarr && { name: 'radarr', url: `${e.radarr.url}/ping`, keyword: 'OK' },
    e.prowlarr && { name: 'prowlarr', url: `${e.prowlarr.url}/ping`, keyword: 'OK' },
  ].filter((t): t is { name: string; url: string; keyword?: string } => Boolean(t));
}

/** The config mapping: the scenario's, pointed at the sandbox's kubeconfig and fakes. */
export function sandboxConfig(sandbox: SandboxSeam): Record<string, unknown> {
  const own = sandbox.scenarioConfig;
  const services = servicesConfig(sandbox.endpoints);
  const targets = uptimeTargets(sandbox.endpoints);
  return {
    ...own,
    kubernetes: { ...mapping(own.kubernetes), kubeconfig: sandbox.kubeconfigPath, context: sandbox.context },
    ...(Object.keys(services).length > 0 && { services: { ...mapping(own.services), ...services } }),
    ...(targets.length > 0 && { uptime: { ...mapping(own.uptime), targets } }),
  };
}

/** Writes DIR/homelab.yaml (0600) for the sandbox and returns its path. */
export function writeSandboxConfig(sandbox: SandboxSeam): string {
  const file = path.join(sandbox.dir, 'homelab.yaml');
  writeFileSync(file, stringify(sandboxConfig(sandbox)), { mode: 0o600 });
  chmodSync(file, 0o600);
  return file;
}
