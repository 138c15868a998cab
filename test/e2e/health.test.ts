/**
 * homelab health through the doors: the tables (verdict first, one row per event), exit codes, --only
 * as the CLI parses it, errors on stderr, and a long-running MCP server that recovers. What
 * cluster_health answers is tested in process in test/ops/cluster/cluster-health.test.ts.
 */
import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, runCliProcess } from '../helpers/cli.js';
import { healthyScenario, multiLineEventScenario, type HealthJson } from '../helpers/health.js';
import { stdioClient } from '../helpers/mcp.js';
import { startSandboxEnv, stoppedSandboxEnv, type SandboxEnv } from '../helpers/sandbox.js';

type ToolResult = { isError?: boolean; structuredContent?: unknown; content: unknown };
const text = (r: ToolResult) => (r.content as Array<{ text: string }>).map((c) => c.text).join('\n');

describe('homelab health against the pi-homelab sandbox', () => {
  let s: SandboxEnv;
  beforeAll(async () => {
    s = await startSandboxEnv();
  });
  afterAll(async () => {
    await s?.sandbox.stop();
  });

  it('prints tables for people, with the verdict first, and exits 2 for crit', async () => {
    const r = await runCliProcess(['health'], s.env);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('');
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(/^CRIT \d+ critical/);
    expect(r.stdout).toMatch(/NODE\s+STATUS\s+ROLES\s+VERSION\s+ARCH\s+CPU\s+MEMORY/);
    expect(r.stdout).toMatch(/pi-k3s\s+Ready\s+control-plane/);
    expect(r.stdout).toMatch(/crit\s+Pod\s+\S+\s+\S+\s+CrashLoopBackOff/);
    expect(r.stdout).toContain('Warning events');
    expect(r.stdout).not.toContain('\u001b['); // NO_COLOR and a pipe: no escape codes
  });

  it('runs only the checks --only names, as --only flux,certs or repeated, and the same over MCP', async () => {
    const [r, repeated, table] = await Promise.all([
      runCli(['health', '--only', 'flux,certs', '--json'], s.env),
      runCli(['health', '--only', 'certificates', '--only', 'flux', '--json'], s.env),
      runCli(['health', '--only', 'flux,certs'], s.env),
    ]);
    const out = JSON.parse(r.stdout) as HealthJson;
    expect(out.checks.map((c) => c.name)).toEqual(['flux', 'certificates']);
    expect(r.code).toBe(out.verdict === 'crit' ? 2 : out.verdict === 'warn' ? 1 : 0);
    expect((JSON.parse(repeated.stdout) as HealthJson).checks.map((c) => c.name)).toEqual(['flux', 'certificates']);
    expect(table.stdout).toMatch(/^CRIT flux: \d+ problems/m);
    expect(table.stdout).not.toMatch(/^NODE\s+STATUS/m);
    expect(table.stdout).not.toMatch(/^Pods: /m);

    const mcp = await stdioClient(s.env);
    try {
      const viaMcp = (await mcp.client.callTool({ name: 'cluster_health', arguments: { only: ['certs', 'flux'] } })) as ToolResult;
      expect(viaMcp.isError).toBeFalsy();
      const structured = viaMcp.structuredContent as HealthJson;
      expect(structured.checks.map((c) => c.name)).toEqual(['flux', 'certificates']);
      expect(structured.findings).toEqual(out.findings);
      const unknown = (await mcp.client.callTool({ name: 'cluster_health', arguments: { only: ['fluxx'] } })) as ToolResult;
      expect(unknown.isError).toBe(true);
      expect(text(unknown)).toMatch(/^invalid input for cluster_health: only\[0\]: Invalid option: expected one of "nodes"\|"pods"/);
    } finally {
      await mcp.close();
    }
  });

  it('refuses a check it does not know, naming the ones it does (exit 64)', async () => {
    const r = await runCli(['health', '--only', 'flux,nope'], s.env);
    expect(r.code).toBe(64);
    expect(r.stderr).toMatch(/^Error: Expected --only=nope to be one of: nodes, pods, events, flux, certificates, certs, secrets, tailscale, backups, ingress/);
    expect(r.stdout).toBe('');
  });
});

describe('homelab health on other clusters', () => {
  it('fails with a clear error and exit 69 when the cluster cannot be reached', async () => {
    const gone = await stoppedSandboxEnv({ scenarioData: healthyScenario(true) });
    try {
      const r = await runCli(['health'], gone.env);
      expect(r.code).toBe(69);
      expect(r.stderr).toMatch(/^Error: cannot reach the Kubernetes API at https:\/\/127\.0\.0\.1:\d+: connection refused/);
      expect(r.stdout).toBe('');
    } finally {
      gone.remove();
    }
  });

  it('prints "could not check" as a line of its own when discovery fails, exit 1', async () => {
    const s = await startSandboxEnv({ scenarioData: healthyScenario(true), faults: [{ path: '/apis', status: 503 }] });
    try {
      const table = await runCli(['health'], s.env);
      expect(table.code).toBe(1);
      expect(table.stdout).toMatch(/^WARN certificates: could not check: cannot tell whether cert-manager\.io is installed/m);
    } finally {
      await s.sandbox.stop();
    }
  });

  it('puts a multi-line event on one row of the table, exit 0', async () => {
    const s = await startSandboxEnv({ scenarioData: multiLineEventScenario() });
    try {
      const r = await runCli(['health'], s.env);
      expect(r.code).toBe(0);
      const table = r.stdout.split('\n');
      const header = table.findIndex((l) => /^LAST SEEN\s+NAMESPACE\s+OBJECT\s+REASON\s+COUNT\s+MESSAGE$/.test(l));
      expect(header).toBeGreaterThan(0);
      expect(table[header + 1]).toMatch(
        /^\S+\s+web\s+Pod\/site-\S+\s+FailedMount\s+1\s+MountVolume\.SetUp failed for volume "data": mount failed: exit status 32 Output: mount\.nfs: access denied$/,
      );
      expect(
        table
          .slice(header + 2)
          .join('\n')
          .trim(),
      ).toBe('');
    } finally {
      await s.sandbox.stop();
    }
  });
});

describe('a long-running MCP server', () => {
  it('sees discovery fail, says so, and recovers when the API does: nothing of the failure is cached', async () => {
    const s = await startSandboxEnv();
    const mcp = await stdioClient(s.env);
    try {
      const remove = s.sandbox.faults.add({ path: '/apis/cert-manager.io/v1', status: 503 });
      const failing = (await mcp.client.callTool({ name: 'certs_status', arguments: {} })) as ToolResult;
      expect(failing.isError).toBe(true);
      expect(text(failing)).toMatch(/^cannot tell whether cert-manager\.io\/v1 serves certificates: .* 503 Service Unavailable/);
      const health = (await mcp.client.callTool({ name: 'cluster_health', arguments: {} })) as ToolResult;
      const subsystems = (health.structuredContent as HealthJson).subsystems;
      expect(subsystems.find((x) => x.name === 'certificates')).toMatchObject({ state: 'could not check', verdict: 'warn' });

      remove();
      const recovered = (await mcp.client.callTool({ name: 'certs_status', arguments: { namespace: 'immich' } })) as ToolResult;
      expect(recovered.isError).toBeFalsy();
      expect(recovered.structuredContent).toMatchObject({ installed: true, version: 'v1', certificates: [expect.objectContaining({ name: 'immich-tls' })] });
    } finally {
      await mcp.close();
      await s.sandbox.stop();
    }
  });

  it('reads a kubeconfig that could not be loaded again on the next call', async () => {
    const s = await startSandboxEnv({ scenarioData: healthyScenario(false) });
    const later = join(s.sandbox.dir, 'kubeconfig-later');
    const mcp = await stdioClient({ HOMELAB_CONFIG: s.env.HOMELAB_CONFIG ?? '' }, ['--kubeconfig', later]);
    try {
      const missing = (await mcp.client.callTool({ name: 'cluster_health', arguments: {} })) as ToolResult;
      expect(missing.isError).toBe(true);
      expect(text(missing)).toContain(`the kubeconfig ${later} does not exist`);
      await copyFile(s.sandbox.kubeconfigPath, later);
      const loaded = (await mcp.client.callTool({ name: 'cluster_health', arguments: {} })) as ToolResult;
      expect(loaded.isError).toBeFalsy();
      expect((loaded.structuredContent as HealthJson).nodes.map((n) => n.name)).toEqual(['mini-pc']);
    } finally {
      await mcp.close();
      await s.sandbox.stop();
    }
  });
});
