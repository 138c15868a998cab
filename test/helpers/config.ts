import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import type { ConfiguredSandbox } from './sandbox.js';

/**
 * Writes a config file next to the sandbox's own, with `changes` merged over it (one level deep),
 * as a user would edit theirs; returns its path for --config (removed with the sandbox on stop()).
 */
export async function configWith(sandbox: ConfiguredSandbox, name: string, changes: Record<string, unknown>): Promise<string> {
  const merged = await sandboxConfig(sandbox);
  for (const [key, value] of Object.entries(changes)) {
    const current = merged[key];
    merged[key] = value && typeof value === 'object' && !Array.isArray(value) && current && typeof current === 'object' ? { ...current, ...value } : value;
  }
  return writeConfig(sandbox, name, merged);
}

/** A config file next to the sandbox's own without the `keys` named, dotted for nested ones: `services` (no section at all), `services.pihole`. */
export async function configWithout(sandbox: ConfiguredSandbox, name: string, keys: string[]): Promise<string> {
  const config = await sandboxConfig(sandbox);
  for (const key of keys) {
    const path = key.split('.');
    const last = path.pop() as string;
    let parent: Record<string, unknown> = config;
    for (const part of path) {
      const child = parent[part];
      if (!child || typeof child !== 'object') throw new Error(`the sandbox's config has no ${key}`);
      parent[part] = { ...(child as Record<string, unknown>) };
      parent = parent[part] as Record<string, unknown>;
    }
    if (!(last in parent)) throw new Error(`the sandbox's config has no ${key}`);
    delete parent[last];
  }
  return writeConfig(sandbox, name, config);
}

async function sandboxConfig(sandbox: ConfiguredSandbox): Promise<Record<string, unknown>> {
  return { ...((parse(await readFile(sandbox.configPath, 'utf8')) ?? {}) as Record<string, unknown>) };
}

async function writeConfig(sandbox: ConfiguredSandbox, name: string, config: Record<string, unknown>): Promise<string> {
  const path = join(sandbox.dir, `${name}.yaml`);
  await writeFile(path, stringify(config));
  sandbox.written.push(path);
  return path;
}
