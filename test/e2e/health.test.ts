import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Scenario } from '@homelab/sandbox';
import { runCli } from '../helpers/cli.js';
import { stdioClient } from '../helpers/mcp.js';
import { startSandboxEnv, stoppedSandboxEnv, type SandboxEnv } from '../helpers/sandbox.js';

interface Finding { severity: string; kind: string; namespace?: string; name: string; reason: string; message: string }
interface HealthJson {
  verdict: string;
  summary: string;
  findings: Finding[];
  nodes: Array<{ name: string; ready: boolean; cpuPercent?: number; memoryPercent?: number; arch?: string }>;
  metrics: { available: boolean; note?: string };
  pods: { total: number; withProblems: number };
  events: Array<{ reason: string; lastSeen: string; object: string; message: string }>;
  checks: Array<{ name: string; ok: boolean }>;
  subsystems: Array<{ name: string; state: string; verdict: string; line: string; problems: number }>;
}
type ToolResult = { isError?: boolean; structuredContent?: unknown; content: unknown };
const text = (r: ToolResult) => (r.content as Array<{ text: string }>).map((c) => c.text).join('\n');

/** A tiny cluster with nothing wrong (its nightly backup ran), to prove the green path is earned, not assumed. */
function healthyScenario(withMetrics: boolean): Scenario {
  return {
    name: 'tiny',
    ...(withMetrics ? { metrics: {} } : {}),
    nodes: [{ name: 'mini-pc', roles: ['control-plane'], ip: '192.0.2.10', cpu: '4', memory: '16Gi', arch: 'amd64', usage: { cpu: '500m', memory: '4Gi' } }],
    namespaces: [{ name: 'web' }],
    workloads: [
      { kind: 'Deployment', name: 'site', namespace: 'web', replicas: 2, created: '-3d', containers: [{ name: 'nginx', image: 'nginx:1.27', usage: { cpu: '2m', memory: '12Mi' } }] },
      // A homelab without backups is not healthy: this one has a recent success.
      { kind: 'CronJob', name: 'site-backup', namespace: 'web', created: '-3d', schedule: '0 3 * * *', containers: [{ name: 'dump', image: 'restic/restic:0.17.3', args: ['backup', '/srv'] }], jobs: [{ started: '-20h', duration: '1m' }] },
    ],
  };
}

describe('homelab health against the pi-homelab sandbox', () => {
  let s: SandboxEnv;
  beforeAll(async () => { s = await startSandboxEnv(); });
  afterAll(async () => { await s?.sandbox.stop(); });

  it('finds the broken pods hiding under phase Running and says crit with exit 2', async () => {
    const r = await runCli(['health', '--json'], s.env);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(2);
    const out = JSON.parse(r.stdout) as HealthJson;
    expect(out.verdict).toBe('crit');
    const reasons = out.findings.map((f) => f.reason);
    expect(reasons).toEqual(expect.arrayContaining(['CrashLoopBackOff', 'ImagePullBackOff', 'Unschedulable', 'OOMKilled', 'NotReady']));
    const crash = out.findings.find((f) => f.reason === 'CrashLoopBackOff');
    expect(crash).toMatchObject({ severity: 'crit', kind: 'Pod' });
    expect(crash?.namespace).toBeTruthy();
    expect(crash?.message).toMatch(/keeps crashing \(\d+ restarts; last exit/);
    expect(out.findings.find((f) => f.reason === 'Unschedulable')?.message).toMatch(/cannot be scheduled: 0\/4 nodes are available/);
    // Completed Job pods are not problems.
    expect(out.findings.filter((f) => f.reason === 'Completed')).toEqual([]);
    expect(out.summary).toMatch(/critical/);
  });

  it('reports the four Pi nodes Ready with CPU and memory use from metrics.k8s.io', async () => {
    const out = JSON.parse((await runCli(['health', '--json'], s.env)).stdout) as HealthJson;
    expect(out.nodes.map((n) => n.name).sort()).toEqual(['pi-k3s', 'pi3-worker-2', 'pi5-worker-1', 'pi5-worker-2']);
    expect(out.nodes.every((n) => n.ready)).toBe(true);
    expect(out.metrics.available).toBe(true);
    for (const n of out.nodes) {
      expect(n.cpuPercent).toBeGreaterThanOrEqual(0);
      expect(n.memoryPercent).toBeGreaterThan(0);
    }
    expect(out.pods.total).toBeGreaterThanOrEqual(70);
    expect(out.checks.every((c) => c.ok)).toBe(true);
  });

  it('lists recent Warning events newest first', async () => {
    const out = JSON.parse((await runCli(['health', '--json'], s.env)).stdout) as HealthJson;
    expect(out.events.length).toBeGreaterThan(0);
    const times = out.events.map((e) => Date.parse(e.lastSeen));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    expect(out.events.map((e) => e.reason)).toContain('BackOff');
  });

  it('prints tables for people, with the verdict first', async () => {
    const r = await runCli(['health'], s.env);
    expect(r.code).toBe(2);
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
    expect(out.subsystems.map((x) => `${x.name} ${x.state}`)).toEqual(['flux checked', 'certificates checked']);
    // What was not run is absent, not zero.
    expect(out).not.toHaveProperty('nodes');
    expect(out).not.toHaveProperty('pods');
    expect(out).not.toHaveProperty('events');
    expect(out.findings.map((f) => f.kind)).toContain('HelmRelease');
    expect(out.findings.filter((f) => f.kind === 'Pod' || f.kind === 'CronJob')).toEqual([]);
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

  it('runs the ingress check only when asked, with its own line', async () => {
    const [all, ingress] = await Promise.all([runCli(['health', '--json'], s.env), runCli(['health', '--only', 'ingress', '--json'], s.env)]);
    expect((JSON.parse(all.stdout) as HealthJson).subsystems.map((x) => x.name)).toEqual(['flux', 'certificates', 'secrets', 'tailscale', 'backups']);
    const out = JSON.parse(ingress.stdout) as HealthJson;
    expect(out.checks).toEqual([{ name: 'ingress', ok: true }]);
    expect(out.subsystems).toEqual([expect.objectContaining({ name: 'ingress', state: 'checked', verdict: 'crit', line: expect.stringMatching(/^ingress: \d+ problems in \d+ ingresses, \d+ hosts; worst: Ingress /) })]);
    expect(out.findings).toContainEqual(expect.objectContaining({ kind: 'Ingress', namespace: 'paperless', reason: 'NoReadyEndpoints' }));
  });
});

describe('homelab health on other clusters', () => {
  it('is ok with exit 0 on a cluster with nothing wrong', async () => {
    const s = await startSandboxEnv({ scenarioData: healthyScenario(true) });
    try {
      const r = await runCli(['health', '--json'], s.env);
      const out = JSON.parse(r.stdout) as HealthJson;
      expect({ code: r.code, verdict: out.verdict, findings: out.findings }).toEqual({ code: 0, verdict: 'ok', findings: [] });
      expect(out.summary).toBe('healthy: 1 node ready, 3 pods, no problems found');
      // Every subsystem has its line: the ones not installed say so, none is dropped.
      expect(out.subsystems.map((x) => `${x.name} ${x.state} ${x.verdict}`)).toEqual([
        'flux not installed ok', 'certificates not installed ok', 'secrets not installed ok', 'tailscale not installed ok', 'backups checked ok',
      ]);
      expect(out.nodes[0]).toMatchObject({ name: 'mini-pc', cpuPercent: 13, memoryPercent: 25, arch: 'amd64' });
    } finally {
      await s.sandbox.stop();
    }
  });

  it('says metrics are not served and goes on when metrics-server is absent', async () => {
    const s = await startSandboxEnv({ scenarioData: healthyScenario(false) });
    try {
      const r = await runCli(['health', '--json'], s.env);
      const out = JSON.parse(r.stdout) as HealthJson;
      expect(r.code).toBe(0);
      expect(out.metrics).toEqual({ available: false, note: expect.stringContaining('metrics.k8s.io is not served') });
      expect(out.nodes[0]?.cpuPercent).toBeUndefined();
    } finally {
      await s.sandbox.stop();
    }
  });

  it('raises the verdict when a check cannot run instead of reporting healthy', async () => {
    // A role that may list nodes and pods but not events: the events check fails and says why.
    const s = await startSandboxEnv({
      scenarioData: healthyScenario(true),
      rbac: [
        { apiGroups: [''], resources: ['nodes', 'pods'], verbs: ['list'] },
        { apiGroups: ['metrics.k8s.io'], resources: ['nodes'], verbs: ['list'] },
      ],
    });
    try {
      const r = await runCli(['health', '--json'], s.env);
      const out = JSON.parse(r.stdout) as HealthJson;
      expect(r.code).toBe(1);
      expect(out.verdict).toBe('warn');
      expect(out.checks).toContainEqual({ name: 'events', ok: false, error: expect.stringContaining('needs `list` on events') });
      expect(out.findings).toContainEqual(expect.objectContaining({ kind: 'Check', name: 'events', reason: 'CheckFailed' }));
    } finally {
      await s.sandbox.stop();
    }
  });

  it('is crit when the cluster has no nodes', async () => {
    const s = await startSandboxEnv({ scenarioData: { name: 'empty', nodes: [] } });
    try {
      const r = await runCli(['health', '--json'], s.env);
      const out = JSON.parse(r.stdout) as HealthJson;
      expect(r.code).toBe(2);
      expect(out.findings).toContainEqual(expect.objectContaining({ severity: 'crit', reason: 'NoNodes' }));
    } finally {
      await s.sandbox.stop();
    }
  });

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

  it('says "could not check" for each subsystem and raises the verdict when discovery fails, never dropping them', async () => {
    // Was: the Flux, cert-manager, ESO (and Tailscale) lines silently left out, verdict ok, exit 0.
    const s = await startSandboxEnv({ scenarioData: healthyScenario(true), faults: [{ path: '/apis', status: 503 }] });
    try {
      const r = await runCli(['health', '--json'], s.env);
      const out = JSON.parse(r.stdout) as HealthJson;
      expect(r.code).toBe(1);
      expect(out.verdict).toBe('warn');
      expect(out.nodes.map((n) => n.name)).toEqual(['mini-pc']);
      const byName = Object.fromEntries(out.subsystems.map((x) => [x.name, x]));
      for (const [name, group] of [['flux', 'kustomize.toolkit.fluxcd.io'], ['certificates', 'cert-manager.io'], ['secrets', 'external-secrets.io'], ['tailscale', 'tailscale.com']]) {
        expect(byName[name as string]).toMatchObject({ state: 'could not check', verdict: 'warn' });
        expect(byName[name as string]?.line).toMatch(new RegExp(`^${name}: could not check: cannot tell whether ${(group as string).replace(/\./g, '\\.')} is installed: .* answered GET /apis with 503`));
      }
      expect(byName.backups).toMatchObject({ state: 'checked', verdict: 'ok' });
      expect(out.findings.filter((f) => f.reason === 'CheckFailed').map((f) => f.name)).toEqual(['certificates', 'flux', 'secrets', 'tailscale']);
      const table = await runCli(['health'], s.env);
      expect(table.stdout).toMatch(/^WARN certificates: could not check: cannot tell whether cert-manager\.io is installed/m);
    } finally {
      await s.sandbox.stop();
    }
  });

  it('puts a multi-line event on one row of the table, and keeps its whole text in --json', async () => {
    const scenario: Scenario = {
      ...healthyScenario(true),
      events: [{
        namespace: 'web', type: 'Warning', reason: 'FailedMount', first: '-5m',
        involved: { kind: 'Pod', workload: 'site', index: 0 },
        message: 'MountVolume.SetUp failed for volume "data":\n  mount failed: exit status 32\n\tOutput: mount.nfs: access denied',
      }],
    };
    const s = await startSandboxEnv({ scenarioData: scenario });
    try {
      const out = JSON.parse((await runCli(['health', '--json'], s.env)).stdout) as HealthJson;
      expect(out.events.map((e) => e.message)).toEqual(['MountVolume.SetUp failed for volume "data":\n  mount failed: exit status 32\n\tOutput: mount.nfs: access denied']);
      const table = (await runCli(['health'], s.env)).stdout.split('\n');
      const header = table.findIndex((l) => /^LAST SEEN\s+NAMESPACE\s+OBJECT\s+REASON\s+COUNT\s+MESSAGE$/.test(l));
      expect(header).toBeGreaterThan(0);
      expect(table[header + 1]).toMatch(/^\S+\s+web\s+Pod\/site-\S+\s+FailedMount\s+1\s+MountVolume\.SetUp failed for volume "data": mount failed: exit status 32 Output: mount\.nfs: access denied$/);
      expect(table.slice(header + 2).join('\n').trim()).toBe('');
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
