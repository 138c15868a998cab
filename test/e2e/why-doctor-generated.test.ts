/**
 * why and doctor on a cluster the tests did not write by hand: @homelab/sandbox's generateScenario
 * (1,500 pods), with 400 of its pods set crash-looping and one Service's selector changed through the
 * API while it runs. Which app is broken is read from the generated data, never named here.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateScenario, type Scenario } from '@homelab/sandbox';
import { runCli, runCliProcess } from '../helpers/cli.js';
import { stdioClient } from '../helpers/mcp.js';
import { startSandboxEnv, type SandboxEnv } from '../helpers/sandbox.js';
import { api } from '../sandbox/helpers.js';

interface Link {
  kind: string;
  namespace?: string;
  name: string;
  state: string;
  detail: string;
  explainedBy?: string;
  evidence?: string[];
  fix?: { tool: string; command: string };
}
interface WhyJson {
  verdict: string;
  summary: string;
  firstBroken?: number;
  links: Link[];
  resolved: { kind: string; namespace?: string; name: string };
}
interface DoctorJson {
  verdict: string;
  subsystems: Array<{ name: string; state?: string; line: string; problems?: number }>;
  findings: unknown[];
  findingsTotal: number;
  truncated: boolean;
  byReason?: Record<string, number>;
  narrow?: { command: string };
}
type ToolResult = { isError?: boolean; structuredContent?: unknown; content: Array<{ type: string; text: string }> };
type Workload = NonNullable<Scenario['workloads']>[number];

const PODS = 1500;
const FAILING = 400;
const BUDGET = 8 * 1024;
const resultBytes = (r: ToolResult) => Buffer.byteLength(r.content.map((c) => c.text).join('')) + Buffer.byteLength(JSON.stringify(r.structuredContent));
const firstOf = (w: WhyJson) => (w.firstBroken === undefined ? undefined : w.links[w.firstBroken]);

/** The generated cluster, with the pods of its first Service-fronted apps crash-looping until FAILING pods do. */
function generated(): { scenario: Scenario; crashing: Workload; healthy: Workload[] } {
  const scenario = generateScenario({ pods: PODS });
  const workloads = scenario.workloads ?? [];
  let failing = 0;
  const crashed: Workload[] = [];
  for (const w of workloads.filter((x) => x.service)) {
    const replicas = Math.min(w.replicas ?? 1, FAILING - failing);
    if (replicas <= 0) break;
    const container = w.containers[0]?.name ?? 'app';
    w.pods = Array.from({ length: replicas }, () => ({
      containers: {
        [container]: {
          restarts: 12,
          waiting: { reason: 'CrashLoopBackOff' },
          lastTerminated: { reason: 'Error', exitCode: 1, startedAt: '-3m', finishedAt: '-2m50s' },
          previousLogs: ['starting', 'panic: open /etc/app/config.yaml: no such file or directory'],
        },
      },
    }));
    failing += replicas;
    crashed.push(w);
  }
  const healthy = workloads.filter((w) => w.service && !w.pods);
  return { scenario, crashing: crashed[0] as Workload, healthy };
}

describe(`why and doctor on a generated ${PODS}-pod cluster with ${FAILING} crash-looping pods`, () => {
  let s: SandboxEnv;
  let crashing: Workload;
  let healthy: Workload[];
  beforeAll(async () => {
    const g = generated();
    crashing = g.crashing;
    healthy = g.healthy;
    s = await startSandboxEnv({ scenarioData: g.scenario });
  }, 120_000);
  afterAll(async () => {
    await s?.sandbox.stop();
  });

  it('why: a crash-looping app is broken at its pods, with their last log lines and the command that shows more', async () => {
    const r = await runCliProcess(['why', `svc/${crashing.name}`, '-n', crashing.namespace, '--json'], s.env);
    expect(r.code).toBe(2);
    const out = JSON.parse(r.stdout) as WhyJson;
    const first = firstOf(out);
    expect(first).toMatchObject({ kind: 'Pod', namespace: crashing.namespace, state: 'crit' });
    expect(first?.detail).toMatch(
      /^0\/\d+ pods ready; CrashLoopBackOff: container app keeps crashing \(12 restarts; last exit 1 Error\)$|^not ready; CrashLoopBackOff/,
    );
    expect(first?.evidence).toContain('last log (previous): panic: open /etc/app/config.yaml: no such file or directory');
    expect(first?.fix?.tool).toBe('pods_logs');
    expect(out.links.find((l) => l.kind === 'Service')).toMatchObject({ name: crashing.name, state: 'crit', explainedBy: expect.stringMatching(/^Pod /) });
  });

  it('why: an app found by its bare name among 1,500 pods is fine all the way down (exit 0)', async () => {
    const app = healthy[0] as Workload;
    const r = await runCli(['why', app.name, '--json'], s.env);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as WhyJson;
    expect(out.resolved).toEqual({ kind: 'Service', namespace: app.namespace, name: app.name });
    expect(out.links.map((l) => l.kind)).toEqual(['Service', 'Pod', 'Deployment']);
  });

  it("why: a Service whose selector was changed through the API is broken at the Service, the pods' real labels as evidence", async () => {
    const app = healthy[1] as Workload;
    const patched = await api(s.sandbox, 'PATCH', `/api/v1/namespaces/${app.namespace}/services/${app.name}`, {
      contentType: 'application/merge-patch+json',
      body: { spec: { selector: { 'app.kubernetes.io/name': `${app.name}-v2` } } },
    });
    expect(patched.status).toBe(200);
    const r = await runCli(['why', `${app.name}`, '-n', app.namespace, '--json'], s.env);
    expect(r.code).toBe(2);
    const first = firstOf(JSON.parse(r.stdout) as WhyJson);
    expect(first).toMatchObject({ kind: 'Service', name: app.name, state: 'crit', detail: expect.stringContaining(`matches no pod in ${app.namespace}`) });
    expect(first?.evidence).toContain(`Deployment ${app.name} labels its pods app.kubernetes.io/name=${app.name},app.kubernetes.io/instance=${app.name}`);
  });

  it('doctor: every subsystem a line, the worst findings within the limit, all of them counted by reason', async () => {
    const r = await runCli(['doctor', '--json'], s.env);
    expect(r.code).toBe(2);
    const out = JSON.parse(r.stdout) as DoctorJson;
    // A checked subsystem has no state; its line does not repeat its name.
    expect(out.subsystems.find((l) => l.name === 'pods')).toEqual({
      name: 'pods',
      verdict: 'crit',
      line: `${FAILING} problems in ${PODS} pods`,
      problems: FAILING,
    });
    expect(out.subsystems.find((l) => l.name === 'flux')).toMatchObject({ state: 'not installed', line: 'not installed' });
    expect(out.subsystems.find((l) => l.name === 'nas')?.state).toBe('not configured');
    expect(out.findings).toHaveLength(20);
    expect(out.findingsTotal).toBeGreaterThanOrEqual(FAILING);
    expect(out.truncated).toBe(true);
    expect(out.byReason?.CrashLoopBackOff).toBe(FAILING);
    expect(out.narrow?.command).toBe('homelab doctor --only pods --limit 200');
  });

  it('over MCP both answer within the 8 KB budget', async () => {
    const mcp = await stdioClient(s.env);
    try {
      const doctor = (await mcp.client.callTool({ name: 'doctor', arguments: {} })) as ToolResult;
      expect(doctor.isError).not.toBe(true);
      expect(resultBytes(doctor)).toBeLessThanOrEqual(BUDGET);
      const why = (await mcp.client.callTool({ name: 'why', arguments: { target: `svc/${crashing.name}`, namespace: crashing.namespace } })) as ToolResult;
      expect(why.isError).not.toBe(true);
      expect(firstOf(why.structuredContent as WhyJson)?.kind).toBe('Pod');
      expect(resultBytes(why)).toBeLessThanOrEqual(BUDGET);
    } finally {
      await mcp.close();
    }
  });
});
