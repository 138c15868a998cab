import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { healthyScenario, multiLineEventScenario, MULTI_LINE_MESSAGE, type HealthJson } from '../../helpers/health.js';
import { callOp } from '../../helpers/ops.js';
import { startSandboxEnv, type SandboxEnv } from '../../helpers/sandbox.js';

const health = (s: SandboxEnv, input: Record<string, unknown> = {}) => callOp<HealthJson>(s, 'cluster_health', input);

describe('cluster_health against the pi-homelab sandbox', () => {
  let s: SandboxEnv;
  let out: HealthJson;
  let verdict: string | undefined;
  let log: string[];
  beforeAll(async () => {
    s = await startSandboxEnv();
    const whole = await health(s);
    ({ output: out, log } = whole);
    verdict = whole.summary?.verdict;
  });
  afterAll(async () => {
    await s?.sandbox.stop();
  });

  it('finds the broken pods hiding under phase Running and says crit, with nothing to warn about on its way', () => {
    expect(log).toEqual([]);
    expect(verdict).toBe('crit');
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

  it('reports the four Pi nodes Ready with CPU and memory use from metrics.k8s.io', () => {
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

  it('lists recent Warning events newest first', () => {
    expect(out.events.length).toBeGreaterThan(0);
    const times = out.events.map((e) => Date.parse(e.lastSeen));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    expect(out.events.map((e) => e.reason)).toContain('BackOff');
  });

  it('runs only the checks `only` names, in its own order; what was not run is absent, not zero', async () => {
    const { output: only, summary } = await health(s, { only: ['flux', 'certs'] });
    expect(only.checks.map((c) => c.name)).toEqual(['flux', 'certificates']);
    expect(only.subsystems.map((x) => `${x.name} ${x.state}`)).toEqual(['flux checked', 'certificates checked']);
    expect(only).not.toHaveProperty('nodes');
    expect(only).not.toHaveProperty('pods');
    expect(only).not.toHaveProperty('events');
    expect(only.findings.map((f) => f.kind)).toContain('HelmRelease');
    expect(only.findings.filter((f) => f.kind === 'Pod' || f.kind === 'CronJob')).toEqual([]);
    expect(summary?.verdict).toBe(only.verdict);
  });

  it('runs the ingress check only when asked, with its own line', async () => {
    expect(out.subsystems.map((x) => x.name)).toEqual(['flux', 'certificates', 'secrets', 'tailscale', 'backups']);
    const { output: ingress } = await health(s, { only: ['ingress'] });
    expect(ingress.checks).toEqual([{ name: 'ingress', ok: true }]);
    expect(ingress.subsystems).toEqual([
      expect.objectContaining({
        name: 'ingress',
        state: 'checked',
        verdict: 'crit',
        line: expect.stringMatching(/^ingress: \d+ problems in \d+ ingresses, \d+ hosts; worst: Ingress /),
      }),
    ]);
    expect(ingress.findings).toContainEqual(expect.objectContaining({ kind: 'Ingress', namespace: 'paperless', reason: 'NoReadyEndpoints' }));
  });
});

describe('cluster_health on a tiny cluster with nothing wrong', () => {
  let s: SandboxEnv;
  beforeAll(async () => {
    s = await startSandboxEnv({ scenarioData: healthyScenario(true) });
  });
  afterAll(async () => {
    await s?.sandbox.stop();
  });

  it("is ok: the green path is earned, with every subsystem's line", async () => {
    const { output: out, summary } = await health(s);
    expect({ verdict: summary?.verdict, outVerdict: out.verdict, findings: out.findings }).toEqual({ verdict: 'ok', outVerdict: 'ok', findings: [] });
    expect(out.summary).toBe('healthy: 1 node ready, 3 pods, no problems found');
    // Every subsystem has its line: the ones not installed say so, none is dropped.
    expect(out.subsystems.map((x) => `${x.name} ${x.state} ${x.verdict}`)).toEqual([
      'flux not installed ok',
      'certificates not installed ok',
      'secrets not installed ok',
      'tailscale not installed ok',
      'backups checked ok',
    ]);
    expect(out.nodes[0]).toMatchObject({ name: 'mini-pc', cpuPercent: 13, memoryPercent: 25, arch: 'amd64' });
  });

  it('says "could not check" for each subsystem and raises the verdict when discovery fails, never dropping them', async () => {
    // Was: the Flux, cert-manager, ESO (and Tailscale) lines silently left out, verdict ok, exit 0.
    const remove = s.sandbox.faults.add({ path: '/apis', status: 503 });
    try {
      const { output: out, summary } = await health(s);
      expect(summary?.verdict).toBe('warn');
      expect(out.verdict).toBe('warn');
      expect(out.nodes.map((n) => n.name)).toEqual(['mini-pc']);
      const byName = Object.fromEntries(out.subsystems.map((x) => [x.name, x]));
      for (const [name, group] of [
        ['flux', 'kustomize.toolkit.fluxcd.io'],
        ['certificates', 'cert-manager.io'],
        ['secrets', 'external-secrets.io'],
        ['tailscale', 'tailscale.com'],
      ]) {
        expect(byName[name as string]).toMatchObject({ state: 'could not check', verdict: 'warn' });
        expect(byName[name as string]?.line).toMatch(
          new RegExp(`^${name}: could not check: cannot tell whether ${(group as string).replace(/\./g, '\\.')} is installed: .* answered GET /apis with 503`),
        );
      }
      expect(byName.backups).toMatchObject({ state: 'checked', verdict: 'ok' });
      expect(out.findings.filter((f) => f.reason === 'CheckFailed').map((f) => f.name)).toEqual(['certificates', 'flux', 'secrets', 'tailscale']);
    } finally {
      remove();
    }
  });
});

describe('cluster_health on other clusters', () => {
  it('says metrics are not served and goes on when metrics-server is absent', async () => {
    const s = await startSandboxEnv({ scenarioData: healthyScenario(false) });
    try {
      const { output: out, summary } = await health(s);
      expect(summary?.verdict).toBe('ok');
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
      const { output: out, summary } = await health(s);
      expect(summary?.verdict).toBe('warn');
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
      const { output: out, summary } = await health(s);
      expect(summary?.verdict).toBe('crit');
      expect(out.findings).toContainEqual(expect.objectContaining({ severity: 'crit', reason: 'NoNodes' }));
    } finally {
      await s.sandbox.stop();
    }
  });

  it('keeps the whole text of a multi-line event', async () => {
    const s = await startSandboxEnv({ scenarioData: multiLineEventScenario() });
    try {
      expect((await health(s)).output.events.map((e) => e.message)).toEqual([MULTI_LINE_MESSAGE]);
    } finally {
      await s.sandbox.stop();
    }
  });
});
