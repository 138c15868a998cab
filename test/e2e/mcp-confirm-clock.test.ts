/**
 * A confirmation token expires: the MCP HTTP door served in process with a clock the test moves
 * (the runtime's `now`, which the tokens read), called by the real SDK client over HTTP.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { createRuntime, type Runtime } from '../../src/adapters/runtime.js';
import { serveHttp } from '../../src/adapters/mcp/http.js';
import { createMcpServer } from '../../src/adapters/mcp/server.js';
import { Confirmations } from '../../src/adapters/mcp/confirmations.js';
import { toolEntry } from '../../src/adapters/mcp/tools.js';
import { MCP_LIMITS, MCP_RATE_LIMIT } from '../../src/core/config.js';
import type { AuditRecord } from '../../src/core/run-op.js';
import { ops } from '../../src/ops/registry.js';
import { httpClient } from '../helpers/mcp.js';
import { startSandboxEnv, type SandboxEnv } from '../helpers/sandbox.js';

const quiet = { progress: () => {}, warn: () => {}, debug: () => {} };
const TTL_MS = 5 * 60_000;

describe('a confirmation token expires (a clock the test moves)', () => {
  let s: SandboxEnv;
  let runtime: Runtime;
  let http: Awaited<ReturnType<typeof serveHttp>>;
  let client: Client;
  let skew = 0;
  const audit: AuditRecord[] = [];
  beforeAll(async () => {
    s = await startSandboxEnv();
    runtime = await createRuntime({ configFile: s.sandbox.configPath, env: { KUBECONFIG: s.sandbox.kubeconfigPath }, log: quiet });
    const now = () => new Date(Date.now() + skew);
    const context = { ...runtime.context, now };
    const confirmations = new Confirmations({ ttlMs: TTL_MS, now });
    const tools = ops.map((op) => toolEntry(op, `in-process/${op.name}`));
    http = await serveHttp({
      host: '127.0.0.1',
      port: 0,
      keys: undefined,
      allowedHosts: [],
      allowedOrigins: [],
      limits: { maxConcurrentCalls: MCP_LIMITS.maxConcurrentCalls, maxQueuedCalls: MCP_LIMITS.maxQueuedCalls, maxBatch: MCP_LIMITS.maxBatch, idleMs: 10_000 },
      rateLimit: MCP_RATE_LIMIT,
      writeTools: new Set(ops.filter((op) => op.effect === 'write').map((op) => op.name)),
      audit: (record) => audit.push(record),
      ready: () => Promise.resolve(),
      now,
      newServer: (runCall, request) =>
        createMcpServer({
          tools,
          loadOp: async (tool) => ops.find((op) => op.name === tool.name) ?? Promise.reject(new Error(`no op ${tool.name}`)),
          context,
          readOnly: false,
          version: 'test',
          audit: (record) => audit.push(record),
          caller: request.caller.name,
          confirmations,
          runCall,
        }),
      log: quiet,
    });
    client = await httpClient(http.url, {});
  });
  afterAll(async () => {
    await client?.close();
    await http?.close();
    await runtime?.close();
    await s?.sandbox.stop();
  });

  const restartedAt = (name: string) =>
    (s.sandbox.store.get('deployments', name, name) as unknown as { spec: { template: { metadata?: { annotations?: Record<string, string> } } } }).spec.template
      .metadata?.annotations?.['kubectl.kubernetes.io/restartedAt'];
  const planToken = async (deployment: string) => {
    const result = await client.callTool({ name: 'deployment_restart', arguments: { deployment, wait: false } });
    return (result.structuredContent as { confirmation: { token: string; expiresAt: string } }).confirmation;
  };
  const apply = (deployment: string, token: string) =>
    client.callTool({ name: 'deployment_restart', arguments: { deployment, wait: false, confirmationToken: token } });

  it('is refused once its time is up, says when it expired, and changes nothing', async () => {
    skew = 0;
    const { token, expiresAt } = await planToken('homepage/homepage');
    skew = TTL_MS + 1_000;
    const late = await apply('homepage/homepage', token);
    expect(late.isError).toBe(true);
    expect((late.content as Array<{ text: string }>)[0]?.text).toContain(
      `this confirmation token expired at ${expiresAt} (tokens last 300s): nothing was changed`,
    );
    expect(restartedAt('homepage')).toBeUndefined();
    expect(audit.at(-1)).toMatchObject({ op: 'deployment_restart', phase: 'confirmation', outcome: 'refused', confirmation: 'expired', caller: 'local' });
  });

  it('is accepted until then', async () => {
    skew = 0;
    const { token } = await planToken('homepage/homepage');
    skew = TTL_MS - 1_000;
    const inTime = await apply('homepage/homepage', token);
    expect(inTime.isError, JSON.stringify(inTime.content)).toBeFalsy();
    expect(restartedAt('homepage')).toBeTruthy();
  });
});
