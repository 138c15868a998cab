import { readFile } from 'node:fs/promises';
import { parseConfigFile, resolveSecret, type Config } from '../../core/config.js';
import { UserError } from '../../core/errors.js';
import type { Logger } from '../../core/op.js';
import { DEFAULT_KEY_NAME, Keys, parseKeysFile, type KeyEntry } from './keys.js';
import type { WatchedFile } from './watch.js';

/** The HTTP door's keys, and the file they follow when they come from one. */
export interface KeySource {
  keys: Keys;
  /** Where they came from, for the start-up line: "keys file PATH", "mcp.apiKey", "HOMELAB_API_KEY". */
  origin: string;
  /** The file to follow for rotation, with its text as read at start; absent for a key from the environment. */
  file?: { watched: WatchedFile; text: string };
}

/** The one key of mcp.apiKey or HOMELAB_API_KEY: write-scoped, named "default". */
function defaultKey(key: string): KeyEntry[] {
  if (key.length < 16) throw new UserError('the MCP API key is shorter than 16 characters; use a long random one (openssl rand -hex 32)');
  return [{ name: DEFAULT_KEY_NAME, key, scope: 'write' }];
}

async function readText(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw new UserError(`cannot read ${what} ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/**
 * The keys the HTTP door checks: mcp.keysFile (named keys with scopes), else the one key of
 * mcp.apiKey or HOMELAB_API_KEY; undefined when there is none. A key read from a file is followed:
 * a new content replaces the keys (see FileWatch), a bad one is refused and the old keys stay.
 */
export async function keySource(mcp: Config['mcp'], env: Record<string, string | undefined>, log: Logger): Promise<KeySource | undefined> {
  if (mcp.keysFile) {
    const path = mcp.keysFile;
    if (env.HOMELAB_API_KEY) log.warn(`HOMELAB_API_KEY is ignored: the keys come from mcp.keysFile (${path})`);
    const text = await readText(path, 'keys file');
    const keys = new Keys(await parseKeysFile(text, path));
    const watched: WatchedFile = {
      label: 'keys file',
      path,
      apply: async (next) => {
        keys.replace(await parseKeysFile(next, path));
        return keys.describe();
      },
    };
    return { keys, origin: `keys file ${path}`, file: { watched, text } };
  }
  const ref = mcp.apiKey ?? (env.HOMELAB_API_KEY ? { env: 'HOMELAB_API_KEY' } : undefined);
  if (!ref) return undefined;
  const keys = new Keys(defaultKey(await resolveSecret(ref, env)));
  if (!('file' in ref)) return { keys, origin: mcp.apiKey ? 'mcp.apiKey' : 'HOMELAB_API_KEY' };
  const path = ref.file;
  const watched: WatchedFile = {
    label: 'API key file',
    path,
    apply: async (next) => {
      keys.replace(defaultKey(next.trim()));
      return 'the key was replaced';
    },
  };
  return { keys, origin: `mcp.apiKey (${path})`, file: { watched, text: await readText(path, 'secret file') } };
}

/** The config's sections a running server takes from a changed file: the allow-lists of the write tools. */
const LIVE_SECTIONS = ['allow'] as const;

/**
 * The config file, followed while the HTTP server runs: a changed file is validated whole (a bad one
 * is refused, the running config stays), then its allow-lists replace the running ones in place, so
 * every op context sees them at its next check. Other sections are read at start only: the log line
 * names those that changed and need a restart.
 */
export function configFileWatch(config: Config, path: string, env: Record<string, string | undefined>, atStart: Config): WatchedFile {
  // Compared with the file as it was read, not the running config (flags such as --read-only change that).
  let onDisk = JSON.stringify(atStart);
  return {
    label: 'config file',
    path,
    apply: async (text) => {
      const next = await parseConfigFile(text, path, env);
      const before = JSON.parse(onDisk) as Record<string, unknown>;
      onDisk = JSON.stringify(next);
      const changed = (Object.keys(next) as Array<keyof Config>).filter((k) => JSON.stringify(next[k]) !== JSON.stringify(before[k]));
      const live = changed.filter((k) => (LIVE_SECTIONS as readonly string[]).includes(k));
      const restart = changed.filter((k) => !live.includes(k));
      // In place: the op contexts and every server made so far hold this very object.
      Object.assign(config.allow, next.allow);
      const parts = [live.length ? `applied ${live.join(', ')} (${describeAllow(next.allow)})` : 'no change to the allow-lists'];
      if (restart.length) parts.push(`changed but read at start only, restart to apply: ${restart.join(', ')}`);
      return parts.join('; ');
    },
  };
}

function describeAllow(allow: Config['allow']): string {
  return Object.entries(allow)
    .map(([list, entries]) => `${list}: ${entries.length ? entries.join(' ') : 'none'}`)
    .join('; ');
}
