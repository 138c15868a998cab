import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, ROOT } from '../helpers/cli.js';
import { stdioClient } from '../helpers/mcp.js';
import { startSandboxEnv, type SandboxEnv } from '../helpers/sandbox.js';
import { configWith } from '../helpers/config.js';
import { shellWords } from '../helpers/shell.js';

interface Tool {
  name: string;
  effect: 'read' | 'write';
  inputSchema: { required?: string[]; properties?: { limit?: { maximum?: number } } };
}
interface Fix {
  tool: string;
  input: Record<string, unknown>;
  command: string;
}

/** Every fix anywhere in a result (findings of any op, nested or not). */
function fixesIn(value: unknown, found: Fix[] = []): Fix[] {
  if (Array.isArray(value)) for (const item of value) fixesIn(item, found);
  else if (value && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    const candidate = record.fix as Partial<Fix> | undefined;
    if (candidate && typeof candidate.command === 'string' && typeof candidate.tool === 'string') found.push(candidate as Fix);
    for (const child of Object.values(record)) fixesIn(child, found);
  }
  return found;
}

describe('every fix a finding suggests runs as printed', () => {
  let s: SandboxEnv;
  let tools: Tool[];
  let fixes: Fix[];
  /** The sandbox's config with every write allow-listed: each suggested write must then reach its confirmation. */
  let allowAll: Record<string, string>;
  beforeAll(async () => {
    s = await startSandboxEnv();
    const all = ['*/*'];
    allowAll = {
      ...s.env,
      HOMELAB_CONFIG: await configWith(s.sandbox, 'fixes', { allow: { restart: all, flux: all, secretsRefresh: all, backupsTrigger: all, arr: all } }),
    };
    tools = JSON.parse(await readFile(`${ROOT}dist/mcp-tools.json`, 'utf8')) as Tool[];
    // Every read tool that needs no argument, on the whole sandbox homelab: what an owner looks at,
    // every row of it (an assistant gets the worst few unless it asks for more with limit).
    const mcp = await stdioClient(s.env);
    try {
      const all: Fix[] = [];
      for (const tool of tools.filter((t) => t.effect === 'read' && !t.inputSchema.required?.length)) {
        const limit = tool.inputSchema.properties?.limit?.maximum;
        const result = (await mcp.client.callTool({ name: tool.name, arguments: limit ? { limit } : {} })) as { structuredContent?: unknown };
        fixesIn(result.structuredContent, all);
      }
      // why, followed from every host the sandbox's Ingresses serve.
      const ingress = (await mcp.client.callTool({ name: 'ingress_status', arguments: {} })) as {
        structuredContent?: { ingresses: Array<{ hosts: string[] }> };
      };
      for (const host of ingress.structuredContent?.ingresses.flatMap((i) => i.hosts) ?? []) {
        const result = (await mcp.client.callTool({ name: 'why', arguments: { target: host } })) as { structuredContent?: unknown };
        fixesIn(result.structuredContent, all);
      }
      fixes = [...new Map(all.map((f) => [f.command, f])).values()];
    } finally {
      await mcp.close();
    }
  }, 120_000);
  afterAll(async () => {
    await s?.sandbox.stop();
  });

  it("finds fixes to check (a release stuck after its retries ran out, a crash-looping pod, a stale gravity, why's…)", () => {
    expect(fixes.map((f) => f.tool)).toEqual(expect.arrayContaining(['flux_heal', 'pods_logs', 'flux_reconcile', 'certs_status']));
  });

  it('runs each on the CLI exactly as printed: a read answers, a write stops only at the confirmation', async () => {
    for (const f of fixes) {
      const argv = shellWords(f.command);
      expect(argv[0], f.command).toBe('homelab');
      const r = await runCli(argv.slice(1), allowAll);
      const effect = tools.find((t) => t.name === f.tool)?.effect;
      if (effect === 'read') {
        expect([0, 1, 2], `${f.command}: ${r.stderr}`).toContain(r.code);
      } else if (r.code === 0) {
        expect(r.stdout, f.command).toMatch(/dry run/i);
      } else {
        expect(r.code, `${f.command}: ${r.stderr}`).toBe(64);
        expect(r.stderr, f.command).toContain('refusing to change the cluster without confirmation');
      }
    }
  }, 120_000);

  it('calls each over MCP with its input: valid input (a read-only server refuses writes only for being writes)', async () => {
    const mcp = await stdioClient(s.env, ['--read-only']);
    try {
      for (const f of fixes) {
        const result = (await mcp.client.callTool({ name: f.tool, arguments: f.input })) as { isError?: boolean; content: Array<{ text: string }> };
        const effect = tools.find((t) => t.name === f.tool)?.effect;
        if (effect === 'read') expect(result.isError, `${f.tool}: ${result.content[0]?.text}`).not.toBe(true);
        else expect(result.content[0]?.text, f.tool).toContain('read-only mode');
      }
    } finally {
      await mcp.close();
    }
  }, 120_000);
});
