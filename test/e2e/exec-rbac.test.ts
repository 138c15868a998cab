/**
 * The origin cluster lost its exec tools to one missing verb, reported as "[object Object]".
 * Here a role without `get` on pods/exec makes an exec op fail with one line that names both verbs,
 * through the CLI and MCP alike.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import dnsQuery from '../../src/ops/dns/dns-query.js';
import type { PolicyRule } from '@homelab/sandbox';
import { runCli, runCliProcess } from '../helpers/cli.js';
import { stdioClient } from '../helpers/mcp.js';
import { startSandboxEnv, type SandboxEnv } from '../helpers/sandbox.js';

const EXPECTED = 'forbidden: needs `get` and `create` on pods/exec in namespace pihole (the exec upgrade needs both)';

/** dns_query's own rules, with one verb taken away from pods/exec. */
function rulesWithout(verb: 'get' | 'create'): PolicyRule[] {
  return dnsQuery.rbac.map((r) => ({
    apiGroups: [r.apiGroup],
    resources: [r.resource],
    verbs: r.resource === 'pods/exec' ? r.verbs.filter((v) => v !== verb) : [...r.verbs],
  }));
}

describe('an exec op under a role that lacks a pods/exec verb', () => {
  let noGet: SandboxEnv;
  beforeAll(async () => {
    noGet = await startSandboxEnv({ rbac: rulesWithout('get') });
  });
  afterAll(async () => {
    await noGet?.sandbox.stop();
  });

  it('says in one line which verbs are needed (CLI, exit 69)', async () => {
    const r = await runCliProcess(['dns', 'query', 'example.com'], noGet.env);
    expect(r.code).toBe(69);
    expect(r.stderr.split('\n')[0]).toBe(`Error: ${EXPECTED}`);
    expect(r.stderr).not.toContain('[object Object]');
    expect(r.stderr).not.toContain('Unexpected server response');
  });

  it('says the same over MCP, as a tool error', async () => {
    const mcp = await stdioClient(noGet.env);
    try {
      const result = await mcp.client.callTool({ name: 'dns_query', arguments: { name: 'example.com' } });
      expect(result.isError).toBe(true);
      expect((result.content as Array<{ text: string }>)[0]?.text.split('\n')[0]).toBe(EXPECTED);
    } finally {
      await mcp.close();
    }
  });

  it('also without create (Kubernetes 1.35+ checks both)', async () => {
    const noCreate = await startSandboxEnv({ rbac: rulesWithout('create') });
    try {
      const r = await runCli(['dns', 'query', 'example.com'], noCreate.env);
      expect(r.code).toBe(69);
      expect(r.stderr.split('\n')[0]).toBe(`Error: ${EXPECTED}`);
    } finally {
      await noCreate.sandbox.stop();
    }
  });
});
