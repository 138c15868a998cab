/**
 * The MCP client configurations `homelab mcp config` writes: where each client keeps its servers and
 * in what shape. Sources: Claude Desktop (modelcontextprotocol.io quickstart: claude_desktop_config.json,
 * `mcpServers`, command/args/env; macOS ~/Library/Application Support/Claude, Windows %APPDATA%\Claude;
 * Linux builds use ~/.config/Claude; local servers only, remote ones are added in its Connectors UI),
 * Claude Code (docs "MCP": project .mcp.json, `mcpServers`, `type: stdio|http`, `${VAR}` expanded in
 * command, args, env, url and headers), Cursor (docs "MCP": ~/.cursor/mcp.json, `mcpServers`, command or
 * url + headers, `${env:NAME}`), VS Code (docs "MCP configuration reference": .vscode/mcp.json,
 * `servers`, `type: stdio|http`, predefined variables such as `${env:NAME}`).
 */
import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { UserError } from '../../core/errors.js';

export const CLIENTS = ['claude-desktop', 'claude-code', 'cursor', 'vscode'] as const;
export type McpClient = (typeof CLIENTS)[number];

/**
 * Node's options for a server that runs for hours: V8's young generation capped at 8 MiB a semi-space
 * (by default it grows to 16 with the first large call and keeps them). Each call allocates in a burst
 * (a 1,500-pod list is ~25 MiB of short-lived objects); with the cap the server's peak RSS after 21
 * cluster_health calls is ~16 MiB lower (bench: ~115 → ~99 MiB on Node 20, ~131 → ~117 on Node 22) and a
 * call costs the same. `mcp config` starts the server with them; deploy/base/deployment.yaml sets them
 * in NODE_OPTIONS (test/deploy.test.ts holds the two together).
 */
export const SERVER_NODE_OPTIONS: readonly string[] = ['--max-semi-space-size=8'];

/** How to start the local server: absolute paths, so the client's own PATH and working directory do not matter. */
export interface LocalServer {
  kind: 'stdio';
  command: string;
  args: string[];
  env: Record<string, string>;
}

/** A server already running elsewhere (`mcp serve --http`), reached with the API key from an environment variable. */
export interface RemoteServer {
  kind: 'http';
  url: string;
  keyEnv: string;
}

export type ServerSpec = LocalServer | RemoteServer;

export interface ClientFile {
  file: string;
  /** The key holding the servers: `mcpServers`, or `servers` for VS Code. */
  root: 'mcpServers' | 'servers';
}

/** Where each client reads its servers; the project-scoped ones relative to `cwd`. */
export function clientFile(client: McpClient, env: NodeJS.ProcessEnv, cwd: string, platform: NodeJS.Platform = process.platform): ClientFile {
  const home = env.HOME || os.homedir();
  switch (client) {
    case 'claude-desktop': {
      const dir =
        platform === 'darwin'
          ? path.join(home, 'Library', 'Application Support', 'Claude')
          : platform === 'win32'
            ? path.join(env.APPDATA || path.join(home, 'AppData', 'Roaming'), 'Claude')
            : path.join(env.XDG_CONFIG_HOME || path.join(home, '.config'), 'Claude');
      return { file: path.join(dir, 'claude_desktop_config.json'), root: 'mcpServers' };
    }
    case 'claude-code':
      return { file: path.join(cwd, '.mcp.json'), root: 'mcpServers' };
    case 'cursor':
      return { file: path.join(home, '.cursor', 'mcp.json'), root: 'mcpServers' };
    case 'vscode':
      return { file: path.join(cwd, '.vscode', 'mcp.json'), root: 'servers' };
  }
}

/** The server's entry in the client's file. */
export function serverEntry(client: McpClient, spec: ServerSpec): Record<string, unknown> {
  if (spec.kind === 'stdio') {
    const env = Object.keys(spec.env).length ? { env: spec.env } : {};
    const base = { command: spec.command, args: spec.args, ...env };
    return client === 'claude-code' || client === 'vscode' ? { type: 'stdio', ...base } : base;
  }
  // Each client's own syntax for "the value of this environment variable", so the key is never written down.
  const ref = client === 'claude-code' ? `\${${spec.keyEnv}}` : `\${env:${spec.keyEnv}}`;
  const remote = { url: spec.url, headers: { Authorization: `Bearer ${ref}` } };
  switch (client) {
    case 'claude-desktop':
      throw new UserError('Claude Desktop starts only local servers from its config file; a remote server is added in Settings → Connectors', {
        hint: 'use the local server (homelab mcp config claude-desktop, without --http), or configure claude-code, cursor or vscode for --http',
      });
    case 'cursor':
      return remote;
    case 'claude-code':
    case 'vscode':
      return { type: 'http', ...remote };
  }
}

/** The whole file as it would be with only our server in it: what is printed without --write. */
export function alone(target: ClientFile, name: string, entry: Record<string, unknown>): Record<string, unknown> {
  return { [target.root]: { [name]: entry } };
}

export interface WriteResult {
  /** The copy of the file as it was, or undefined when there was no file. */
  backup: string | undefined;
  /** An entry of that name was there and is replaced. */
  replaced: boolean;
}

/**
 * Merges our entry into the client's file: every other key and server is kept, an entry of the same
 * name is replaced. The file as it was is copied aside first; the new one is written to a temporary
 * file and renamed over it, so a crash leaves the old file or the new one, never half of one. A file
 * that is not a JSON object (comments included: VS Code allows them) is refused and left alone.
 */
export async function mergeInto(target: ClientFile, name: string, entry: Record<string, unknown>, now: Date): Promise<WriteResult> {
  let before: string | undefined;
  try {
    before = await readFile(target.file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new UserError(`cannot read ${target.file}: ${(err as Error).message}`);
  }
  let doc: Record<string, unknown> = {};
  if (before !== undefined && before.trim() !== '') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(before);
    } catch (err) {
      throw new UserError(`${target.file} is not plain JSON (${(err as Error).message}); nothing was written`, {
        hint: 'remove its comments or trailing commas, or add the entry by hand: run the same command without --write to print it',
      });
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new UserError(`${target.file} is not a JSON object; nothing was written`);
    doc = parsed as Record<string, unknown>;
  }
  const servers = doc[target.root] ?? {};
  if (typeof servers !== 'object' || servers === null || Array.isArray(servers))
    throw new UserError(`${target.file}: "${target.root}" is not an object; nothing was written`);
  const replaced = Object.hasOwn(servers, name);
  const merged = { ...doc, [target.root]: { ...(servers as Record<string, unknown>), [name]: entry } };

  await mkdir(path.dirname(target.file), { recursive: true });
  let backup: string | undefined;
  let mode = 0o600;
  if (before !== undefined) {
    mode = (await stat(target.file)).mode & 0o777;
    backup = `${target.file}.${now
      .toISOString()
      .replace(/[-:]/g, '')
      .replace(/\.\d+Z$/, 'Z')}.bak`;
    await copyFile(target.file, backup);
  }
  const temp = `${target.file}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(temp, `${JSON.stringify(merged, null, 2)}\n`, { mode });
  await rename(temp, target.file);
  return { backup, replaced };
}
