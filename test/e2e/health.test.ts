import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Scenario } from '../../src/sandbox/scenario.js';
import { runCli } from '../helpers/cli.js';
import { startSandboxEnv, type SandboxEnv } from '../helpers/sandbox.js';

interface Finding { severity: string; kind: string; namespace?: string; name: string; reason: string; message: string }
interface HealthJson {
  verdict: string;
  summary: string;
  findings: Finding[];
  nodes: Array<{ name: string; ready: boolean; cpuPercent?: number; memoryPercent?: number; arch?: string }>;
  metrics: { available: boolean; note?: string };
  pods: { total: number; withProblems: number };
  events: Array<{ reason: string; lastSeen: string; object: string }>;
  checks: Array<{ name: string; ok: boolean }>;
}

/** A tiny cluster with nothing wrong, to prove the green path is earned, not assumed. */
function healthyScenario(withMetrics: boolean): Scenario {
  return {
    name: 'tiny',
    ...(withMetrics ? { metrics: {} } : {}),
    nodes: [{ name: 'mini-pc', roles: ['control-plane'], ip: '192.0.2.10', cpu: '4', memory: '16Gi', arch: 'amd64', usage: { cpu: '500m', memory: '4Gi' } }],
    namespaces: [{ name: 'web' }],
    workloads: [{ kind: 'Deployment', name: 'site', namespace: 'web', replicas: 2, created: '-3d', containers: [{ name: 'nginx', image: 'nginx:1.27', usage: { cpu: '2m', memory: '12Mi' } }] }],
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
});

describe('homelab health on other clusters', () => {
  it('is ok with exit 0 on a cluster with nothing wrong', async () => {
    const s = await startSandboxEnv({ scenarioData: healthyScenario(true) });
    try {
      const r = await runCli(['health', '--json'], s.env);
      const out = JSON.parse(r.stdout) as HealthJson;
      expect({ code: r.code, verdict: out.verdict, findings: out.findings }).toEqual({ code: 0, verdict: 'ok', findings: [] });
      expect(out.summary).toBe('healthy: 1 node ready, 2 pods, no problems found');
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
    const s = await startSandboxEnv({ scenarioData: healthyScenario(true) });
    await s.sandbox.stop();
    const r = await runCli(['health'], s.env);
    expect(r.code).toBe(69);
    expect(r.stderr).toMatch(/^Error: cannot reach the Kubernetes API at https:\/\/127\.0\.0\.1:\d+: connection refused/);
    expect(r.stdout).toBe('');
  });
});
