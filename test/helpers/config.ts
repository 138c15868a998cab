import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import type { ConfiguredSandbox } from './sandbox.js';

/**
 * Writes a config file next to the sandbox's own, with `changes` merged over it (one level deep),
 * as a user would edit theirs; returns its path for --config (removed with the sandbox on stop()).
 */
export async function configWith(sandbox: ConfiguredSandbox, name: string, changes: Record<string, unknown>): Promise<string> {
  const base = (parse(await readFile(sandbox.configPath, 'utf8')) ?? {}) as Record<string, unknown>;
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(changes)) {
    const current = merged[key];
    merged[key] = value && typeof value === 'object' && !Array.isArray(value) && current && typeof current === 'object' ? { ...current, ...value } : value;
  }
  const path = join(sandbox.dir, `${name}.yaml`);
  await writeFile(path, stringify(merged));
  sandbox.written.push(path);
  return path;
}
