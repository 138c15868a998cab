import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult, Tool } from '@modelcontextprotocol/sdk/types.js';
import { BIN } from './cli.js';

/**
 * What the MCP door's budget counts, measured as a client receives it (issue 11): the bytes of
 * tools/list as sent, and of each result its text content plus its structuredContent.
 * `npm run bench` and test/e2e/mcp-budget.test.ts share this.
 */

/**
 * Arguments for the tools that need some, naming what the sandbox homelab has (pi-homelab): a
 * crash-looping pod, an allow-listed deployment, a stuck HelmRelease, a node with the debug agent.
 * Every other tool is called without arguments.
 */
export const SANDBOX_ARGUMENTS: Record<string, Record<string, unknown>> = {
  pods_logs: { pod: 'paperless-ngx', namespace: 'paperless', previous: true },
  deployment_restart: { deployment: 'pihole/unbound' },
  flux_reconcile: { kind: 'helmrelease', name: 'jellyfin', namespace: 'jellyfin', withSource: true },
  flux_suspend: { kind: 'helmrelease', name: 'jellyfin', namespace: 'jellyfin' },
  flux_resume: { kind: 'helmrelease', name: 'jellyfin', namespace: 'jellyfin' },
  flux_heal: { name: 'immich', namespace: 'immich' },
  backups_trigger: { cronJob: 'backups/immich-db-backup' },
  secrets_refresh: { externalSecret: 'paperless/paperless-db' },
  jellyfin_fix: { title: 'Better Off Ted' },
  dns_query: { name: 'example.com' },
  dns_diagnose: { name: 'doubleclick.net' },
  net_curl: { url: 'https://jellyfin.home.example.net/health' },
  net_ping: { target: '192.168.1.51' },
  net_traceroute: { target: '192.168.1.51' },
  net_node: { node: 'pi-k3s' },
  net_iptables: { node: 'pi-k3s' },
  net_conntrack: { node: 'pi-k3s' },
  nas_touch: { path: '/volume1/video/TV/Show', create: true },
  why: { target: 'jellyfin' },
  k8s_get: { kind: 'pods' },
  k8s_describe: { kind: 'deploy', name: 'qbittorrent', namespace: 'media' },
  postgres_query: { sql: 'SELECT username, last_login FROM authentik_core_user ORDER BY last_login DESC NULLS LAST LIMIT 5' },
  arr_missing: { app: 'sonarr' },
  arr_search: { app: 'sonarr', id: 2 },
  arr_retry: { app: 'sonarr', id: '1000' },
};

/** The config changes that let the sandbox's writes above run (the defaults allow none of these). */
export const SANDBOX_ALLOW = { allow: { secretsRefresh: ['paperless/*'], backupsTrigger: ['backups/*'], arr: ['sonarr/*'] } };

export interface Measured {
  tool: string;
  bytes: number;
  isError: boolean;
  result: CallToolResult;
}

/** The bytes a result costs: its text content and its structuredContent, as sent. */
export function resultBytes(result: CallToolResult): number {
  const text = result.content.reduce((n, c) => n + (c.type === 'text' ? Buffer.byteLength(c.text) : Buffer.byteLength(JSON.stringify(c))), 0);
  return text + (result.structuredContent === undefined ? 0 : Buffer.byteLength(JSON.stringify(result.structuredContent)));
}

/**
 * The real SDK client on `homelab mcp serve --stdio`, which also validates every structuredContent
 * against its tool's outputSchema, with the size of the last tools/list answer as received. `bin`: another
 * build's bin/run.js (the bench's BENCH_BIN).
 */
export async function measuringClient(env: Record<string, string>, bin = BIN): Promise<{ client: Client; listBytes: () => number; close(): Promise<void> }> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [bin, 'mcp', 'serve', '--stdio'],
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', NO_COLOR: '1', ...env },
    stderr: 'ignore',
  });
  const client = new Client({ name: 'homelab-budget', version: '1.0.0' });
  await client.connect(transport);
  let listBytes = 0;
  const deliver = transport.onmessage;
  transport.onmessage = (message) => {
    const result = (message as { result?: { tools?: unknown } }).result;
    if (result?.tools) listBytes = Buffer.byteLength(JSON.stringify(result));
    deliver?.(message);
  };
  return { client, listBytes: () => listBytes, close: () => client.close() };
}

/** Calls each tool once: those that need arguments with `args` (a tool needing some without an entry is skipped). */
export async function callEvery(client: Client, tools: readonly Tool[], args: Record<string, Record<string, unknown>>): Promise<Measured[]> {
  const measured: Measured[] = [];
  for (const tool of tools) {
    const given = args[tool.name];
    if (!given && tool.inputSchema.required?.length) continue;
    const result = (await client.callTool({ name: tool.name, arguments: given ?? {} }, undefined, { timeout: 120_000 })) as CallToolResult;
    measured.push({ tool: tool.name, bytes: resultBytes(result), isError: Boolean(result.isError), result });
  }
  return measured;
}
