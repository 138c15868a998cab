/**
 * homelab certs through the doors: the tables (verdict first, failing issuance), exit codes, a
 * discovery failure on stderr with its hint and nothing on stdout, and MCP stdio. What certs_status
 * answers is tested in process in test/ops/certs/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAILING_DISCOVERY, troubleScenario, type CertsJson } from '../helpers/certs.js';
import { runCli, runCliProcess } from '../helpers/cli.js';
import { stdioClient } from '../helpers/mcp.js';
import { startSandboxEnv, type SandboxEnv } from '../helpers/sandbox.js';

describe('homelab certs on the pi-homelab sandbox', () => {
  let s: SandboxEnv;
  beforeAll(async () => {
    s = await startSandboxEnv();
  });
  afterAll(async () => {
    await s?.sandbox.stop();
  });

  it('draws a table with the verdict first, and exits with it', async () => {
    const [table, json] = await Promise.all([runCliProcess(['certs'], s.env), runCli(['certs', '--json'], s.env)]);
    expect(table.stderr).toBe('');
    const { verdict } = JSON.parse(json.stdout) as CertsJson;
    expect(table.code).toBe({ ok: 0, warn: 1, crit: 2 }[verdict]);
    expect(json.code).toBe(table.code);
    const lines = table.stdout.split('\n');
    expect(lines[0]).toMatch(/^(WARN|CRIT) certificates: \d+ problems? in \d+ certificates/);
    expect(table.stdout).toMatch(/NAMESPACE\s+NAME\s+READY\s+EXPIRES\s+DAYS LEFT/);
    expect(table.stdout).toMatch(/immich\s+immich-tls\s+True/);
    expect(table.stdout).toMatch(/warn\s+Certificate\s+immich\s+immich-tls\s+ExpiresSoon/);
  });

  it('answers the same through MCP stdio, with the verdict in text and the certificates in structuredContent', async () => {
    const mcp = await stdioClient(s.env);
    try {
      const result = await mcp.client.callTool({ name: 'certs_status', arguments: { namespace: 'immich' } });
      expect(result.isError).toBeFalsy();
      const out = result.structuredContent as unknown as CertsJson;
      expect(out.certificates.map((c) => c.name)).toEqual(['immich-tls']);
      expect(out.findings.map((f) => `${f.reason} ${f.namespace}/${f.name}`)).toContain('ExpiresSoon immich/immich-tls');
      const text = (result.content as Array<{ type: string; text: string }>).map((c) => c.text).join('\n');
      expect(text).toMatch(/immich-tls ExpiresSoon/);
    } finally {
      await mcp.close();
    }
  });
});

describe('homelab certs when things go wrong', () => {
  let s: SandboxEnv;
  beforeAll(async () => {
    s = await startSandboxEnv({ scenarioData: troubleScenario() });
  });
  afterAll(async () => {
    await s?.sandbox.stop();
  });

  it('prints the worst problem first and the failing issuance, exit 2', async () => {
    const table = await runCli(['certs'], s.env);
    expect(table.code).toBe(2);
    expect(table.stdout.split('\n')[0]).toMatch(
      /^CRIT certificates: 4 problems in 4 certificates; worst: Certificate web\/missing NotReady: Ready=False \(DoesNotExist\)/,
    );
    expect(table.stdout).toContain('Failing issuance:');
    expect(table.stdout).toMatch(/Challenge\s+media\s+jellyfin-5-123-9\s+jellyfin\s+pending/);
  });

  it('says a discovery failure on stderr with its hint, exit 69 and nothing on stdout, never "not installed"', async () => {
    const c = FAILING_DISCOVERY[0];
    if (!c) throw new Error('no discovery failure to try');
    const remove = s.sandbox.faults.add(c.fault);
    try {
      const r = await runCli(['certs', '--json'], s.env);
      expect(r.code).toBe(69);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(c.says);
      expect(r.stderr).not.toContain('not installed:');
      expect(r.stderr).toContain('Hint: discovery is failing, so this is not "not installed"');
    } finally {
      remove();
    }
  });
});

describe('homelab certs without certificates to check', () => {
  it('says cert-manager is not installed, and what it looked for when there are no Certificates, exit 0', async () => {
    const [bare, empty] = await Promise.all([
      startSandboxEnv({ scenarioData: { ...troubleScenario(), apiResources: [], objects: [] } }),
      startSandboxEnv({ scenarioData: { ...troubleScenario(), objects: [] } }),
    ]);
    try {
      const [notInstalled, none] = await Promise.all([runCli(['certs'], bare.env), runCli(['certs'], empty.env)]);
      expect(notInstalled.code).toBe(0);
      expect(notInstalled.stdout).toMatch(/^OK cert-manager is not installed/);
      expect(none.code).toBe(0);
      expect(none.stdout.split('\n')[0]).toBe('OK no Certificates in any namespace (cert-manager.io/v1 is served): nothing to check');
    } finally {
      await Promise.all([bare.sandbox.stop(), empty.sandbox.stop()]);
    }
  });
});
