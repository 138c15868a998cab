/**
 * The side services of the simulated homelab: which fakes start (those the scenario's
 * `services:` section describes, minus `disable`), and the `services:` part of homelab.yaml that
 * points the product at them, with their secrets in DIR/secrets/ (0600).
 */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { FakePihole, piholeScenario, type PiholeOptions } from './pihole.js';

export { FakePihole } from './pihole.js';

export const servicesScenario = z.strictObject({
  pihole: piholeScenario.optional(),
});
export type ServicesScenario = z.output<typeof servicesScenario>;

export type ServiceName = 'pihole' | 'adguard' | 'jellyfin' | 'immich';

export interface ServicesOptions {
  jellyfinVersion?: '10.10' | '10.11';
  pihole?: PiholeOptions;
  /** fakes not started (and not written into homelab.yaml) even if the scenario has them */
  disable?: ServiceName[];
}

export interface Services {
  pihole?: FakePihole;
}

export interface StartedServices {
  services: Services;
  /** the `services:` section of homelab.yaml (undefined when no fake runs) */
  config: Record<string, unknown> | undefined;
  stop(): Promise<void>;
}

function writeSecret(dir: string, name: string, value: string): string {
  const secrets = path.join(dir, 'secrets');
  mkdirSync(secrets, { recursive: true, mode: 0o700 });
  const file = path.join(secrets, name);
  writeFileSync(file, `${value}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return file;
}

export async function startServices(scenario: ServicesScenario | undefined, opts: ServicesOptions, dir: string, now: () => Date, host = '127.0.0.1'): Promise<StartedServices> {
  const off = new Set(opts.disable ?? []);
  const services: Services = {};
  const config: Record<string, unknown> = {};
  const stops: (() => Promise<void>)[] = [];
  try {
    if (scenario?.pihole && !off.has('pihole')) {
      const p = new FakePihole(scenario.pihole, opts.pihole ?? {}, now);
      await p.start(host);
      stops.push(() => p.stop());
      services.pihole = p;
      config.pihole = p.password ? { url: p.url, password: { file: writeSecret(dir, 'pihole-password', p.password) } } : { url: p.url };
    }
  } catch (e) {
    await Promise.all(stops.map((s) => s()));
    throw e;
  }
  let stopping: Promise<void> | undefined;
  return {
    services,
    config: Object.keys(config).length ? config : undefined,
    stop() {
      stopping ??= Promise.all(stops.map((s) => s())).then(() => undefined);
      return stopping;
    },
  };
}
