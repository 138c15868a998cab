/**
 * homelab ingress through the doors: the table (one row per path, verdict first), its exit code, and
 * MCP stdio. What ingress_status answers is tested in process in test/ops/ingress/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, runCliProcess } from '../helpers/cli.js';
import { brokenScenario, type IngressJson } from '../helpers/ingress.js';
import { stdioClient } from '../helpers/mcp.js';
import { startSandboxEnv, type SandboxEnv } from '../helpers/sandbox.js';

describe('homelab ingress on the pi-homelab sandbox', () => {
  let s: SandboxEnv;
  beforeAll(async () => {
    s = await startSandboxEnv();
  });
  afterAll(async () => {
    await s?.sandbox.stop();
  });

  it('draws one row per path with endpoints and TLS, verdict first', async () => {
    const r = await runCliProcess(['ingress'], s.env);
    expect(r.code).toBe(2);
    expect(r.stdout.split('\n')[0]).toMatch(/^CRIT ingress: \d+ problems in \d+ ingresses, \d+ hosts; worst: Ingress /);
    expect(r.stdout).toMatch(/paperless\s+paperless-ngx\s+nginx\s+docs\.home\.example\.net\/\s+paperless-ngx:8000\s+0\/1\s+paperless-ngx-tls \(Ready \d+d\)/);
    expect(r.stdout).toMatch(
      /vaultwarden\s+vaultwarden\s+nginx\s+vault\.home\.example\.net\/\s+vaultwarden:80\s+1\/1\s+wildcard-home-example-net-tls \(not checked\)/,
    );
    expect(r.stdout).toContain(
      'TLS secret not checked: no Certificate manages it, and homelab reads no Secrets (list it in ingress.tlsSecrets to check it by name): vaultwarden/wildcard-home-example-net-tls',
    );
  });

  it('answers through MCP stdio, filtered to a namespace', async () => {
    const mcp = await stdioClient(s.env);
    try {
      const result = await mcp.client.callTool({ name: 'ingress_status', arguments: { namespace: 'vaultwarden' } });
      expect(result.isError).toBeFalsy();
      const out = result.structuredContent as unknown as IngressJson;
      expect(out.ingresses.map((i) => i.name)).toEqual(['vaultwarden']);
      expect(out.findings).toEqual([]);
      expect(out.ingresses[0]?.tls.map((t) => t.checkedBy)).toEqual(['none']);
    } finally {
      await mcp.close();
    }
  });
});

describe('homelab ingress with nothing to check', () => {
  it('says what it looked for and where, exit 0', async () => {
    const s = await startSandboxEnv({ scenarioData: { ...brokenScenario(), objects: [] } });
    try {
      const r = await runCli(['ingress'], s.env);
      expect(r.code).toBe(0);
      expect(r.stdout.trim()).toBe('OK no Ingresses in any namespace (networking.k8s.io/v1): nothing to check');
    } finally {
      await s.sandbox.stop();
    }
  });
});
