import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import type { Scenario } from '@homelab/sandbox';
import { runCli, runCliProcess } from '../helpers/cli.js';
import { stdioClient } from '../helpers/mcp.js';
import { configWith } from '../helpers/config.js';
import { startSandboxEnv, type SandboxEnv } from '../helpers/sandbox.js';
import { shellWords } from '../helpers/shell.js';
import type doctor from '../../src/ops/doctor/doctor.js';

/** What `homelab doctor --json` prints and the tool returns: the op's own output. */
type DoctorJson = z.output<typeof doctor.output>;
type Line = DoctorJson['subsystems'][number];
type ToolResult = { isError?: boolean; structuredContent?: unknown; content: Array<{ type: string; text: string }> };

// The homelab's services (uptime, Authentik, PostgreSQL, Rancher, the *arr stack) follow the NAS.
const SERVICES = ['uptime', 'authentik', 'postgres', 'rancher', 'sonarr', 'radarr', 'prowlarr', 'bazarr', 'sabnzbd', 'qbittorrent'];
const SUBSYSTEMS = [
  'nodes',
  'pods',
  'flux',
  'certificates',
  'secrets',
  'tailscale',
  'backups',
  'ingress',
  'storage',
  'workloads',
  'dns',
  'media',
  'nas',
  ...SERVICES,
];
const BUDGET = 8 * 1024;
const resultBytes = (r: ToolResult) => Buffer.byteLength(r.content.map((c) => c.text).join('')) + Buffer.byteLength(JSON.stringify(r.structuredContent));
const line = (out: DoctorJson, name: string) => out.subsystems.find((s) => s.name === name);

/** One node, one app and a backup that ran last night: a cluster with nothing wrong and none of the add-ons or home services. */
function plainCluster(): Scenario {
  return {
    name: 'plain',
    nodes: [{ name: 'mini-pc', roles: ['control-plane'], ip: '192.0.2.10', cpu: '4', memory: '16Gi', arch: 'amd64' }],
    namespaces: [{ name: 'web' }],
    workloads: [
      { kind: 'Deployment', name: 'site', namespace: 'web', replicas: 2, created: '-3d', containers: [{ name: 'nginx', image: 'nginx:1.27' }] },
      {
        kind: 'CronJob',
        name: 'site-backup',
        namespace: 'web',
        created: '-3d',
        schedule: '0 3 * * *',
        containers: [{ name: 'dump', image: 'restic/restic:0.17.3' }],
        jobs: [{ started: '-20h', duration: '1m' }],
      },
    ],
  };
}

describe('homelab doctor on the pi-homelab sandbox', () => {
  let s: SandboxEnv;
  let out: DoctorJson;
  beforeAll(async () => {
    s = await startSandboxEnv();
    const r = await runCliProcess(['doctor', '--limit', '8', '--json'], s.env);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(2);
    out = JSON.parse(r.stdout) as DoctorJson;
  });
  afterAll(async () => {
    await s?.sandbox.stop();
  });

  it('gives every subsystem one short line, in order, with its state: checked (said by no state), or not configured (no nas: in the config)', () => {
    expect(out.subsystems.map((l) => l.name)).toEqual(SUBSYSTEMS);
    expect(line(out, 'nodes')).toEqual({ name: 'nodes', verdict: 'ok', line: '4 nodes, all ok' });
    expect(line(out, 'pods')).toEqual({
      name: 'pods',
      verdict: 'crit',
      line: expect.stringMatching(/^\d+ problems in \d+ pods$/),
      problems: expect.any(Number),
    });
    expect(line(out, 'dns')).toMatchObject({ line: expect.stringMatching(/^\d+ problems? in 2 DNS pods, Pi-hole, AdGuard$/) });
    expect(line(out, 'media')).toMatchObject({ line: expect.stringMatching(/in Jellyfin and Immich$/) });
    expect([line(out, 'dns')?.state, line(out, 'media')?.state]).toEqual([undefined, undefined]);
    expect(line(out, 'nas')).toEqual({ name: 'nas', state: 'not configured', verdict: 'ok', line: 'no nas: section in the config' });
    // Storage and workloads are subsystems too: the sandbox's Pending claim and its stuck rollout.
    expect(line(out, 'storage')).toMatchObject({ verdict: 'warn', line: expect.stringMatching(/^\d+ problems in \d+ claims, /) });
    expect(line(out, 'workloads')).toMatchObject({ verdict: 'crit', line: expect.stringMatching(/^\d+ problems in \d+ Deployments, /) });
    expect(out.findings.map((f) => `${f.kind} ${f.namespace}/${f.name} ${f.reason}`)).toContain('Deployment media/qbittorrent ProgressDeadlineExceeded');
    expect(out.summary).toMatch(
      /^\d+ critical, \d+ warnings in 22 subsystems: cronjob paperless\/paperless-export Stale; deployment media\/qbittorrent ProgressDeadlineExceeded; …$/,
    );
  });

  it('lists the worst findings first, each once (a Certificate seen by two checks is said once), cut to the limit and saying so', () => {
    expect(out.findings).toHaveLength(8);
    const severities = out.findings.map((f) => f.severity);
    expect(severities).toEqual([...severities].sort((a, b) => (a === b ? 0 : a === 'crit' ? -1 : 1)));
    expect(out.findingsTotal).toBe(out.subsystems.reduce((n, l) => n + (l.problems ?? 0), 0) - 1);
    expect(out.truncated).toBe(true);
    const keys = out.findings.map((f) => `${f.kind} ${f.namespace}/${f.name} ${f.reason}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(Object.values(out.byReason ?? {}).reduce((a, b) => a + b, 0)).toBe(out.findingsTotal);
    expect(out.byReason).toMatchObject({ CrashLoopBackOff: 1, RetriesExhausted: 1, ImagePullBackOff: 1 });
    expect(out.findings.find((f) => f.reason === 'RetriesExhausted')?.fix?.command).toBe('homelab flux heal immich -n immich');
  });

  it('says how to see the rest, and that command runs as printed and shows all of that subsystem', async () => {
    const most = [...out.subsystems].sort((a, b) => (b.problems ?? 0) - (a.problems ?? 0))[0] as Line;
    expect(out.narrow).toMatchObject({ tool: 'doctor', input: { only: [most.name] } });
    const r = await runCli([...shellWords(out.narrow?.command ?? '').slice(1), '--json'], s.env);
    const narrowed = JSON.parse(r.stdout) as DoctorJson;
    expect(narrowed.subsystems.map((l) => l.name)).toEqual([most.name]);
    expect(narrowed.findings).toHaveLength(most.problems ?? 0);
    expect(narrowed.truncated).toBe(false);
    expect(narrowed.narrow).toBeUndefined();
  });

  it('shows a person one line per subsystem, then every finding (a terminal takes up to 20) with its fix (exit 2)', async () => {
    const r = await runCli(['doctor'], s.env);
    expect(r.code).toBe(2);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(/^CRIT \d+ critical, \d+ warnings in 22 subsystems/);
    expect(lines).toEqual(
      expect.arrayContaining([
        'OK nodes: 4 nodes, all ok',
        '--   nas: no nas: section in the config',
        expect.stringMatching(/^CRIT pods: \d+ problems in \d+ pods$/),
      ]),
    );
    const header = lines.findIndex((l) => /^SEVERITY\s+KIND\s+NAMESPACE\s+NAME\s+REASON\s+MESSAGE$/.test(l));
    // A terminal shows up to 20 (the sandbox, with its home services, has more: said with how to see the rest).
    expect(out.findingsTotal).toBeGreaterThan(20);
    expect(lines.slice(header + 1).findIndex((l) => l === '')).toBe(20);
    expect(r.stdout).toContain('  homelab flux heal immich -n immich  # HelmRelease immich/immich RetriesExhausted');
    expect(r.stdout).toMatch(new RegExp(`\\n20 of ${out.findingsTotal} findings shown, worst first; more: homelab doctor --only \\S+ --limit \\d+\\n`));
    const cut = await runCli(['doctor', '--limit', '8'], s.env);
    expect(cut.stdout).toMatch(new RegExp(`\\n8 of ${out.findingsTotal} findings shown, worst first; more: homelab doctor --only \\S+ --limit \\d+\\n`));
  });

  it('runs only the subsystems asked for (--only, with the words health takes: certs)', async () => {
    const r = await runCli(['doctor', '--only', 'certs,dns', '--json'], s.env);
    const narrowed = JSON.parse(r.stdout) as DoctorJson;
    expect(narrowed.subsystems.map((l) => l.name)).toEqual(['certificates', 'dns']);
    expect(r.code).toBe(1);
  });

  it('answers over MCP with the same verdict and lines, within the 8 KB budget', async () => {
    const mcp = await stdioClient(s.env);
    try {
      const result = (await mcp.client.callTool({ name: 'doctor', arguments: {} })) as ToolResult;
      expect(result.isError).not.toBe(true);
      const structured = result.structuredContent as DoctorJson;
      expect(structured.verdict).toBe('crit');
      expect(structured.subsystems.map((l) => l.name)).toEqual(SUBSYSTEMS);
      // An assistant gets the three worst (their messages cut to 120 characters), the count of all of them by reason, and the call that shows the rest.
      expect(structured.findings).toHaveLength(3);
      expect(structured.findings.every((f) => f.message.length <= 120)).toBe(true);
      expect(structured).toMatchObject({ truncated: true, findingsTotal: out.findingsTotal, byReason: out.byReason });
      expect(result.content[0]?.text).toMatch(/^CRIT: \d+ critical/);
      expect(resultBytes(result)).toBeLessThanOrEqual(BUDGET);
    } finally {
      await mcp.close();
    }
  });
});

describe('homelab doctor on a cluster with none of the add-ons or home services', () => {
  let s: SandboxEnv;
  beforeAll(async () => {
    s = await startSandboxEnv({ scenarioData: plainCluster() });
  });
  afterAll(async () => {
    await s?.sandbox.stop();
  });

  it('is healthy (exit 0): what is not installed or not configured is said, never a problem', async () => {
    const r = await runCli(['doctor', '--json'], s.env);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as DoctorJson;
    expect(out.verdict).toBe('ok');
    expect(Object.fromEntries(out.subsystems.map((l) => [l.name, l.state ?? 'checked']))).toEqual({
      nodes: 'checked',
      pods: 'checked',
      flux: 'not installed',
      certificates: 'not installed',
      secrets: 'not installed',
      tailscale: 'not installed',
      backups: 'checked',
      ingress: 'checked',
      storage: 'checked',
      workloads: 'checked',
      dns: 'not configured',
      media: 'not configured',
      nas: 'not configured',
    });
    expect(line(out, 'dns')?.line).toBe('no Pi-hole or AdGuard in the config (services.pihole, services.adguard) and no DNS pods in namespace pihole');
    expect(out.summary).toBe(
      `healthy: 6 subsystems checked, no problems (not installed: flux, certificates, secrets, tailscale; not configured: dns, media, nas)`,
    );
    expect(out.findings).toEqual([]);
    expect(out.truncated).toBe(false);
  });

  it('says which home service it could not ask and why (a warning, exit 1), and checks the rest', async () => {
    const configFile = await configWith(s.sandbox, 'jellyfin-down', {
      services: { jellyfin: { url: 'http://127.0.0.1:9', apiKey: { env: 'JELLYFIN_KEY' }, timeoutMs: 2000 } },
    });
    const r = await runCli(['doctor', '--config', configFile, '--json'], { ...s.env, JELLYFIN_KEY: 'not-a-real-key' });
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as DoctorJson;
    expect(line(out, 'media')).toMatchObject({
      state: 'could not check',
      verdict: 'warn',
      line: expect.stringMatching(/^could not check: .*127\.0\.0\.1:9/),
    });
    expect(line(out, 'nodes')).toMatchObject({ verdict: 'ok', line: '1 node, all ok' });
    expect(line(out, 'nodes')?.state).toBeUndefined();
  });
});
