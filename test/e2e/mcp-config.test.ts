/**
 * `homelab mcp config CLIENT`: the entry that starts (or reaches) homelab's MCP server from Claude
 * Desktop, Claude Code, Cursor or VS Code, printed or merged into the client's file. Each test has its
 * own HOME and working directory; the entry written is then started as the client would start it.
 */
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { BIN, runCliInProcess, runCliProcess, type CliResult } from '../helpers/cli.js';
import { httpClient, startHttpServer } from '../helpers/mcp.js';
import { startSandboxEnv, type SandboxEnv } from '../helpers/sandbox.js';
import { SERVER_NODE_OPTIONS } from '../../src/adapters/mcp/client-config.js';

interface StdioEntry {
  type?: string;
  command: string;
  args: string[];
  env?: Record<string, string>;
}

/**
 * The CLI with its own HOME and working directory and a bare environment (no TMPDIR), as a person in a
 * fresh account would run it; in a process of its own with runCliProcess.
 */
function config(args: string[], home: string, cwd: string, env: Record<string, string>, run = runCliInProcess): Promise<CliResult> {
  return run(['mcp', 'config', ...args], { HOME: home, TMPDIR: undefined, ...env }, { cwd });
}

/** Starts an entry as a client does: its command and args, its env over a bare one (HOME and PATH, as Claude Desktop gives). */
async function connect(entry: StdioEntry, home: string): Promise<Client> {
  const client = new Client({ name: 'config-test', version: '1.0.0' });
  await client.connect(
    new StdioClientTransport({ command: entry.command, args: entry.args, env: { HOME: home, PATH: '/usr/bin:/bin', ...entry.env }, stderr: 'ignore' }),
  );
  return client;
}

const json = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as Record<string, Record<string, unknown>>;

describe('homelab mcp config', () => {
  let s: SandboxEnv;
  let home: string;
  let cwd: string;
  beforeAll(async () => {
    s = await startSandboxEnv();
  });
  afterAll(async () => {
    await s?.sandbox.stop();
  });
  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), 'hl-config-home-'));
    cwd = mkdtempSync(join(tmpdir(), 'hl-config-cwd-'));
  });
  afterEach(() => {
    rmSync(home, { recursive: true, force: true });
    rmSync(cwd, { recursive: true, force: true });
  });

  it('prints a read-only entry with absolute paths, and says where it goes', async () => {
    const r = await config(['claude-desktop'], home, cwd, s.env, runCliProcess);
    expect(r.code).toBe(0);
    const entry = (JSON.parse(r.stdout) as { mcpServers: { homelab: StdioEntry } }).mcpServers.homelab;
    expect(entry.command).toBe(process.execPath);
    // Node's options for a long-running server first, then the script and the server's own flags.
    expect(entry.args).toEqual([...SERVER_NODE_OPTIONS, BIN, 'mcp', 'serve', '--stdio', '--read-only', '--config', s.env.HOMELAB_CONFIG]);
    expect(r.stderr).toContain(`Goes into ${home}/.config/Claude/claude_desktop_config.json under "mcpServers"`);
    expect(readdirSync(home)).toEqual([]);
  });

  it("merges into Claude Desktop's file, keeping its other servers and settings and a copy of the old file; the entry starts a working server", async () => {
    const dir = join(home, '.config', 'Claude');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'claude_desktop_config.json');
    const before = `${JSON.stringify({ globalShortcut: 'Ctrl+Space', mcpServers: { other: { command: 'npx', args: ['other-server'] } } }, null, 2)}\n`;
    writeFileSync(file, before);
    const r = await config(['claude-desktop', '--write'], home, cwd, s.env);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(
      /^Added "homelab" in .*claude_desktop_config\.json \(the file as it was: .*\.bak\), read-only\.\nNext: quit and reopen Claude Desktop\.\n$/,
    );
    const after = json(file);
    expect(after.globalShortcut).toBe('Ctrl+Space');
    expect(after.mcpServers?.other).toEqual({ command: 'npx', args: ['other-server'] });
    const backups = readdirSync(dir).filter((f) => f.endsWith('.bak'));
    expect(backups).toHaveLength(1);
    expect(readFileSync(join(dir, backups[0] as string), 'utf8')).toBe(before);

    const client = await connect(after.mcpServers?.homelab as StdioEntry, home);
    try {
      const { tools } = await client.listTools();
      expect(tools.length).toBeGreaterThan(10);
      expect(tools.every((t) => t.annotations?.readOnlyHint === true)).toBe(true);
      const health = await client.callTool({ name: 'cluster_health', arguments: {} });
      expect(health.structuredContent).toMatchObject({ verdict: 'crit' });
    } finally {
      await client.close();
    }

    // Again: the entry is replaced, the others stay.
    const again = await config(['claude-desktop', '--write', '--allow-writes'], home, cwd, s.env);
    expect(again.stderr).toMatch(/^Replaced "homelab"/);
    expect(json(file).mcpServers?.other).toEqual({ command: 'npx', args: ['other-server'] });
    expect((json(file).mcpServers?.homelab as StdioEntry).args).not.toContain('--read-only');
  });

  it("writes Claude Code's project file, which starts a server that offers writes when asked to", async () => {
    const r = await config(['claude-code', '--write', '--allow-writes'], home, cwd, s.env);
    expect(r.code).toBe(0);
    const file = join(cwd, '.mcp.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const entry = json(file).mcpServers?.homelab as StdioEntry;
    expect(entry.type).toBe('stdio');
    const client = await connect(entry, home);
    try {
      expect((await client.listTools()).tools.map((t) => t.name)).toContain('deployment_restart');
    } finally {
      await client.close();
    }
  });

  it('points Cursor at a running HTTP server with the key from the environment, never the key itself', async () => {
    const key = 'cursor-config-test-key-0123456789';
    const server = await startHttpServer({ ...s.env, HOMELAB_API_KEY: key });
    try {
      const r = await config(['cursor', '--http', server.url, '--key-env', 'HOMELAB_KEY', '--write'], home, cwd, { ...s.env, HOMELAB_KEY: key });
      expect(r.code).toBe(0);
      const text = readFileSync(join(home, '.cursor', 'mcp.json'), 'utf8');
      expect(text).not.toContain(key);
      const entry = (JSON.parse(text) as { mcpServers: { homelab: { url: string; headers: Record<string, string> } } }).mcpServers.homelab;
      expect(entry).toEqual({ url: server.url, headers: { Authorization: 'Bearer ${env:HOMELAB_KEY}' } });
      // What Cursor does with it: the variable's value in the header.
      const client = await httpClient(entry.url, { Authorization: (entry.headers.Authorization ?? '').replace('${env:HOMELAB_KEY}', key) });
      try {
        expect((await client.listTools()).tools.length).toBeGreaterThan(10);
      } finally {
        await client.close();
      }
    } finally {
      await server.stop();
    }
  });

  it('refuses a VS Code file it cannot parse (comments), and leaves it as it was', async () => {
    mkdirSync(join(cwd, '.vscode'));
    const file = join(cwd, '.vscode', 'mcp.json');
    const before = '{\n  // my servers\n  "servers": {}\n}\n';
    writeFileSync(file, before);
    const r = await config(['vscode', '--write'], home, cwd, s.env);
    expect(r.code).toBe(64);
    expect(r.stderr).toContain('mcp.json is not plain JSON');
    expect(r.stderr).toContain('nothing was written');
    expect(readFileSync(file, 'utf8')).toBe(before);
    expect(readdirSync(join(cwd, '.vscode'))).toEqual(['mcp.json']);
    const printed = await config(['vscode'], home, cwd, s.env);
    expect((JSON.parse(printed.stdout) as { servers: { homelab: StdioEntry } }).servers.homelab.type).toBe('stdio');
  });

  it('says why Claude Desktop cannot take --http, and refuses a context the kubeconfig lacks', async () => {
    const remote = await config(['claude-desktop', '--http', 'https://homelab.example.lan/mcp'], home, cwd, s.env);
    expect(remote.code).toBe(64);
    expect(remote.stderr).toContain('Claude Desktop starts only local servers from its config file');
    const context = await config(['cursor', '--context', 'office'], home, cwd, { KUBECONFIG: s.env.KUBECONFIG as string });
    expect(context.code).toBe(64);
    expect(context.stderr).toContain('--context: the kubeconfig has no context named "office" (it has: homelab-sandbox)');
    const ok = await config(['cursor'], home, cwd, { KUBECONFIG: s.env.KUBECONFIG as string });
    expect((JSON.parse(ok.stdout) as { mcpServers: { homelab: StdioEntry } }).mcpServers.homelab.args).toEqual(
      expect.arrayContaining(['--kubeconfig', s.env.KUBECONFIG]),
    );
  });
});
