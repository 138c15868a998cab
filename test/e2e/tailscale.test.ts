/**
 * homelab tailscale through the doors: the table and its exit code, a discovery failure on stderr,
 * and MCP stdio. What tailscale_status answers is tested in process in test/ops/tailscale/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, runCliProcess } from '../helpers/cli.js';
import { stdioClient } from '../helpers/mcp.js';
import { startSandboxEnv, type SandboxEnv } from '../helpers/sandbox.js';
import type { TailscaleJson } from '../helpers/tailscale.js';

describe('homelab tailscale on the pi-homelab sandbox', () => {
  let s: SandboxEnv;
  beforeAll(async () => {
    s = await startSandboxEnv();
  });
  afterAll(async () => {
    await s?.sandbox.stop();
  });

  it('prints the Connectors with routes and IPs, and the kinds this operator does not serve; exits with the verdict', async () => {
    const [table, json] = await Promise.all([runCliProcess(['tailscale'], s.env), runCli(['tailscale', '--json'], s.env)]);
    expect(table.stderr).toBe('');
    expect(table.code).toBe({ ok: 0, warn: 1, crit: 2 }[(JSON.parse(json.stdout) as TailscaleJson).verdict]);
    expect(table.stdout.split('\n')[0]).toMatch(/^(OK|WARN|CRIT) /);
    expect(table.stdout).toMatch(/Connector\s+exit-node\s+ConnectorCreated\s+pi-exit-node\s+192\.168\.1\.0\/24\s+yes\s+100\./);
    expect(table.stdout).toMatch(/not served by this operator version: .*Tailnet/);
  });

  it('answers through MCP stdio', async () => {
    const mcp = await stdioClient(s.env);
    try {
      const result = await mcp.client.callTool({ name: 'tailscale_status', arguments: {} });
      expect(result.isError).toBeFalsy();
      const out = result.structuredContent as unknown as TailscaleJson;
      expect(out.resources.map((x) => `${x.kind}/${x.name}`)).toEqual(expect.arrayContaining(['Connector/exit-node', 'ProxyClass/default']));
    } finally {
      await mcp.close();
    }
  });

  it('says on stderr that it cannot tell, exit 69, when discovery fails', async () => {
    const remove = s.sandbox.faults.add({ path: '/apis', status: 503 });
    try {
      const r = await runCli(['tailscale'], s.env);
      expect(r.code).toBe(69);
      expect(r.stderr).toMatch(/^Error: cannot tell whether tailscale\.com is installed: .* answered GET \/apis with 503/);
    } finally {
      remove();
    }
  });
});
