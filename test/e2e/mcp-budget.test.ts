import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { generateScenario } from '@homelab/sandbox';
import { RESULT_BUDGET_BYTES, TOOLS_LIST_BUDGET_BYTES } from '../../src/adapters/mcp/tools.js';
import { SANDBOX_ALLOW, SANDBOX_ARGUMENTS, callEvery, measuringClient, type Measured } from '../helpers/budget.js';
import { configWith } from '../helpers/config.js';
import { startSandboxEnv, type SandboxEnv } from '../helpers/sandbox.js';

interface Cut {
  shown: number;
  total: number;
  by: Record<string, number>;
  narrow: string;
}
interface Health {
  verdict: string;
  summary: string;
  findings: Array<{ severity: string; kind: string; namespace?: string; name: string; reason: string; fix?: { tool: string } }>;
  nodes: unknown[];
  events: unknown[];
  pods: { total: number; withProblems: number };
  truncated: boolean;
  cut?: Record<string, Cut>;
}

const over = (measured: Measured[]) => measured.filter((m) => m.bytes > RESULT_BUDGET_BYTES).map((m) => `${m.tool}: ${m.bytes} bytes`);

describe('the MCP door keeps its token budget on the sandbox homelab', () => {
  let s: SandboxEnv;
  let mcp: Awaited<ReturnType<typeof measuringClient>>;
  let tools: Tool[];
  beforeAll(async () => {
    s = await startSandboxEnv();
    mcp = await measuringClient({ ...s.env, HOMELAB_CONFIG: await configWith(s.sandbox, 'budget', SANDBOX_ALLOW) });
    tools = (await mcp.client.listTools()).tools;
  });
  afterAll(async () => {
    await mcp?.close();
    await s?.sandbox.stop();
  });

  it(`lists every tool in at most ${TOOLS_LIST_BUDGET_BYTES} bytes, each with a title, both schemas and its annotations`, () => {
    expect(tools.length).toBeGreaterThanOrEqual(32);
    expect(mcp.listBytes()).toBeGreaterThan(10_000);
    expect(mcp.listBytes()).toBeLessThanOrEqual(TOOLS_LIST_BUDGET_BYTES);
    for (const tool of tools) {
      expect(tool.title, tool.name).toBeTruthy();
      expect(tool.inputSchema.type, tool.name).toBe('object');
      expect(tool.outputSchema?.type, tool.name).toBe('object');
      expect(Object.keys(tool.outputSchema?.properties ?? {}).length, tool.name).toBeGreaterThan(0);
      expect(tool.annotations?.readOnlyHint, tool.name).toBeTypeOf('boolean');
      expect(tool.annotations?.openWorldHint, tool.name).toBeTypeOf('boolean');
      if (!tool.annotations?.readOnlyHint) expect(tool.annotations?.destructiveHint, tool.name).toBeTypeOf('boolean');
    }
    // net_curl fetches what a user names (within the allow-list): the open world.
    expect(tools.find((t) => t.name === 'net_curl')?.annotations?.openWorldHint).toBe(true);
  });

  it(`answers every tool within ${RESULT_BUDGET_BYTES} bytes (text and structuredContent), each validated by the SDK client against its outputSchema`, async () => {
    // callTool throws when structuredContent does not match the tool's outputSchema.
    const measured = await callEvery(mcp.client, tools, SANDBOX_ARGUMENTS);
    expect(measured.map((m) => m.tool).sort()).toEqual(tools.map((t) => t.name).sort());
    expect(over(measured)).toEqual([]);
    // Every listed tool answers with data, not an error (the NAS's are not listed: the sandbox has none).
    expect(measured.filter((m) => m.isError).map((m) => m.tool)).toEqual([]);
  }, 300_000);

  it('keeps the newest lines of a log within its bytes: 3 KiB unless asked', async () => {
    const pod = s.sandbox.store.list('pods', 'paperless').find((p) => p.metadata.name?.startsWith('paperless-ngx-'));
    const start = Date.now() - 3600_000;
    const lines = Array.from({ length: 200 }, (_, i) => ({ time: new Date(start + i * 1000), text: `line ${i + 1}: ${'x'.repeat(40)}` }));
    s.sandbox.logs.set('paperless', pod?.metadata.name ?? '', 'paperless-ngx', true, lines);
    type Logs = { lines: string[]; truncated: boolean };
    const read = async (maxBytes?: number) =>
      (await mcp.client.callTool({ name: 'pods_logs', arguments: { ...SANDBOX_ARGUMENTS.pods_logs, ...(maxBytes ? { maxBytes } : {}) } }))
        .structuredContent as Logs;
    const full = await read(1_000_000);
    expect(full).toMatchObject({ truncated: false, lines: lines.map((l) => l.text) });
    for (const [maxBytes, bound] of [
      [1024, 1024],
      [undefined, 3 * 1024],
    ] as const) {
      const cut = await read(maxBytes);
      expect(cut.truncated).toBe(true);
      expect(Buffer.byteLength(`${cut.lines.join('\n')}\n`)).toBeLessThanOrEqual(bound);
      expect(Buffer.byteLength(`${cut.lines.join('\n')}\n`)).toBeGreaterThan(bound - 60);
      // The end of a log says what happened last.
      expect(cut.lines.at(-1)).toBe('line 200: ' + 'x'.repeat(40));
      expect(cut.lines).toEqual(full.lines.slice(full.lines.length - cut.lines.length));
    }
  });
});

describe('the MCP door keeps its token budget on 1,500 pods, 400 of them crash-looping', () => {
  let s: SandboxEnv;
  let mcp: Awaited<ReturnType<typeof measuringClient>>;
  let tools: Tool[];
  beforeAll(async () => {
    s = await startSandboxEnv({ scenarioData: generateScenario({ pods: 1500, failingPods: 400, nodes: 20, namespaces: 40 }) });
    mcp = await measuringClient(s.env);
    tools = (await mcp.client.listTools()).tools;
  }, 60_000);
  afterAll(async () => {
    await mcp?.close();
    await s?.sandbox.stop();
  });

  it(`answers every tool that needs no arguments within ${RESULT_BUDGET_BYTES} bytes, and a crash-looping pod's logs`, async () => {
    const failing = s.sandbox.store
      .list('pods')
      .find(
        (p) =>
          (p.status as { containerStatuses?: Array<{ state?: { waiting?: { reason?: string } } }> }).containerStatuses?.[0]?.state?.waiting?.reason ===
          'CrashLoopBackOff',
      );
    expect(failing).toBeDefined();
    const logs = { pods_logs: { pod: failing?.metadata.name, namespace: failing?.metadata.namespace, previous: true } };
    const measured = await callEvery(mcp.client, tools, logs);
    expect(measured.map((m) => m.tool)).toEqual(expect.arrayContaining(['cluster_health', 'flux_status', 'certs_status', 'pods_logs']));
    expect(over(measured)).toEqual([]);
  }, 300_000);

  it('names the worst findings and the totals in cluster_health, and says how to narrow the rest', async () => {
    const result = await mcp.client.callTool({ name: 'cluster_health', arguments: {} });
    const health = result.structuredContent as Health;
    expect(health.verdict).toBe('crit');
    expect(health.summary).toMatch(/^400 critical, 1 warning: pod /);
    expect(health.pods).toMatchObject({ total: 1500, withProblems: 400 });
    expect(health.findings.length).toBeGreaterThanOrEqual(3);
    expect(health.findings.every((f) => f.severity === 'crit' && f.reason === 'CrashLoopBackOff' && f.fix?.tool === 'pods_logs')).toBe(true);
    expect(health.truncated).toBe(true);
    expect(health.cut?.findings).toEqual({
      shown: health.findings.length,
      total: 401,
      by: { CrashLoopBackOff: 400, NoBackups: 1 },
      narrow: expect.stringMatching(/^namespace \(most: team-\d+ \d+/),
    });
    expect(health.cut?.nodes).toMatchObject({ total: 20, by: { Ready: 20 } });
    expect(health.cut?.events).toMatchObject({ total: 400, by: { BackOff: 400 } });

    // The namespace the hint names narrows the list to it; limit shows more, still within its maximum.
    const namespace = /most: (team-\d+) (\d+)/.exec(health.cut?.findings?.narrow ?? '');
    const there = (await mcp.client.callTool({ name: 'cluster_health', arguments: { namespace: namespace?.[1], limit: 100 } })).structuredContent as Health;
    expect(there.findings).toHaveLength(Number(namespace?.[2]));
    expect(there.findings.every((f) => f.namespace === namespace?.[1])).toBe(true);
    expect(there.cut?.findings).toBeUndefined();
    const backups = (await mcp.client.callTool({ name: 'cluster_health', arguments: { reason: 'NoBackups' } })).structuredContent as Health;
    expect(backups.findings.map((f) => f.reason)).toEqual(['NoBackups']);
  });
});
