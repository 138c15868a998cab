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
function servicesConfig({ pihole, adguard, jellyfin, immich }: Sandbox['endpoints']): ServicesConfig {
  return {
    ...(pihole && { pihole: { url: pihole.url, ...(pihole.passwordFile && { password: { file: pihole.passwordFile } }) } }),
    ...(adguard && { adguard: { url: adguard.url, username: adguard.username, password: { file: adguard.passwordFile } } }),
    ...(jellyfin && { jellyfin: { url: jellyfin.url, apiKey: { file: jellyfin.apiKeyFile } } }),
    ...(immich && { immich: { url: immich.url, apiKey: { file: immich.apiKeyFile } } }),
  };
}

/** The config mapping: the scenario's, pointed at the sandbox's kubeconfig and fakes. */
export function sandboxConfig(sandbox: SandboxSeam): Record<string, unknown> {
  const own = sandbox.scenarioConfig;
  const services = servicesConfig(sandbox.endpoints);
  return {
    ...own,
    kubernetes: { ...mapping(own.kubernetes), kubeconfig: sandbox.kubeconfigPath, context: sandbox.context },
    ...(Object.keys(services).length > 0 && { services: { ...mapping(own.services), ...services } }),
  };
}

/** Writes DIR/homelab.yaml (0600) for the sandbox and returns its path. */
export function writeSandboxConfig(sandbox: SandboxSeam): string {
  const file = path.join(sandbox.dir, 'homelab.yaml');
  writeFileSync(file, stringify(sandboxConfig(sandbox)), { mode: 0o600 });
  chmodSync(file, 0o600);
  return file;
}
