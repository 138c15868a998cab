import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { spawnCli, runCli } from '../helpers/cli.js';
import { configWith } from '../helpers/config.js';
import { stdioClient } from '../helpers/mcp.js';
import { startSandboxEnv, type SandboxEnv } from '../helpers/sandbox.js';
import { shellWords } from '../helpers/shell.js';

interface Finding { severity: string; kind: string; namespace?: string; name: string; reason: string; message: string; fix?: { tool: string; input: Record<string, unknown>; command: string } }
interface FluxStatus {
  verdict: string;
  installed: boolean;
  summary: string;
  apis: Array<{ kind: string; version: string | null; error?: string }>;
  objects: Array<{ kind: string; namespace: string; name: string; ready: string; suspended: boolean; failingFor?: string }>;
  findings: Finding[];
}
interface Reconciled { kind: string; namespace: string; name: string; requestedAt?: string; waited: boolean; ready: string; message?: string; sources?: Reconciled[] }
interface Stored { metadata: { annotations?: Record<string, string> }; spec: { suspend?: boolean }; status: { lastHandledReconcileAt?: string; conditions?: Array<{ type: string; status: string }> } }

const HR = 'helmreleases.helm.toolkit.fluxcd.io';
const HELMREPO = 'helmrepositories.source.toolkit.fluxcd.io';
const HELMCHART = 'helmcharts.source.toolkit.fluxcd.io';
const REQUESTED_AT = 'reconcile.fluxcd.io/requestedAt';

/** The command a partly-done write says finishes the job (its hint), as argv. */
function finishCommand(stderr: string): string[] {
  const line = /finish with: (homelab [^\n]+)/.exec(stderr)?.[1];
  if (!line) throw new Error(`no "finish with" command in: ${stderr}`);
  return shellWords(line.trim());
}

const json = <T>(stdout: string) => JSON.parse(stdout) as T;

describe('homelab flux status', () => {
  let s: SandboxEnv;
  beforeAll(async () => { s = await startSandboxEnv(); });
  afterAll(async () => { await s?.sandbox.stop(); });

  it('names the stuck immich release and the unauthorized ImageRepository, crit with exit 2', async () => {
    const r = await runCli(['flux', 'status', '--json'], s.env);
    expect(r.code).toBe(2);
    const out = json<FluxStatus>(r.stdout);
    expect(out.installed).toBe(true);
    expect(out.objects.filter((o) => o.kind === 'Kustomization')).toHaveLength(27);
    expect(out.objects.filter((o) => o.kind === 'HelmRelease')).toHaveLength(7);
    const immich = out.findings.find((f) => f.kind === 'HelmRelease' && f.name === 'immich');
    expect(immich).toMatchObject({ severity: 'crit', namespace: 'immich', reason: 'RetriesExhausted' });
    expect(immich?.message).toContain('context deadline exceeded');
    expect(immich?.message).toContain('failing for 16d');
    // The suggestion is data (tool, input, command); the command is the one `flux heal` parses (test/e2e/fixes.test.ts runs it).
    expect(immich?.fix).toEqual({ tool: 'flux_heal', input: { name: 'immich', namespace: 'immich' }, command: 'homelab flux heal immich -n immich' });
    const image = out.findings.find((f) => f.kind === 'ImageRepository');
    expect(image).toMatchObject({ severity: 'warn', namespace: 'tailscale', name: 'private-exit-node', reason: 'AuthenticationFailed' });
    expect(image?.message).toContain('UNAUTHORIZED: authentication required');
    expect(image?.message).toContain('no spec.secretRef');
    expect(out.findings).toHaveLength(2);
  });

  it('reads the versions the cluster serves, from discovery', async () => {
    const out = json<FluxStatus>((await runCli(['flux', 'status', '--json'], s.env)).stdout);
    expect(out.apis).toEqual(expect.arrayContaining([
      { kind: 'Kustomization', version: 'v1' },
      { kind: 'HelmRelease', version: 'v2' },
      { kind: 'GitRepository', version: 'v1' },
      { kind: 'ImageRepository', version: 'v1' },
    ]));
  });

  it('prints a table with the failing release and how long it has failed', async () => {
    const r = await runCli(['flux', 'status', '--kind', 'helmrelease'], s.env);
    expect(r.code).toBe(2);
    expect(r.stdout.split('\n')[0]).toMatch(/^CRIT 1 problem in 7 HelmReleases; worst: HelmRelease immich\/immich RetriesExhausted/);
    expect(r.stdout).toMatch(/HelmRelease\s+immich\s+immich\s+NotReady\s+\S+\s+16d/);
  });

  it('is part of homelab health, which names both problems', async () => {
    const r = await runCli(['health', '--json'], s.env);
    const out = json<{ findings: Finding[]; subsystems: Array<{ name: string; verdict: string; line: string }> }>(r.stdout);
    expect(out.findings).toContainEqual(expect.objectContaining({ kind: 'HelmRelease', namespace: 'immich', name: 'immich', reason: 'RetriesExhausted' }));
    expect(out.findings).toContainEqual(expect.objectContaining({ kind: 'ImageRepository', namespace: 'tailscale', name: 'private-exit-node', reason: 'AuthenticationFailed' }));
    const flux = out.subsystems.find((x) => x.name === 'flux');
    expect(flux?.verdict).toBe('crit');
    expect(flux?.line).toMatch(/^flux: 2 problems in 27 Kustomizations, 7 HelmReleases, .*worst: HelmRelease immich\/immich RetriesExhausted/);
    const table = await runCli(['health'], s.env);
    expect(table.stdout).toMatch(/^CRIT flux: 2 problems/m);
  });
});

describe('homelab flux status when discovery or a list fails', () => {
  let s: SandboxEnv;
  beforeAll(async () => { s = await startSandboxEnv(); });
  afterAll(async () => { await s?.sandbox.stop(); });

  it('is an error on a 503 from /apis, never "Flux is not installed"', async () => {
    // Was "OK Flux is not installed on this cluster", exit 0.
    const remove = s.sandbox.faults.add({ path: '/apis', status: 503 });
    try {
      const r = await runCli(['flux', 'status'], s.env);
      expect(r.code).toBe(69);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/^Error: cannot tell whether kustomize\.toolkit\.fluxcd\.io is installed: the Kubernetes API at \S+ answered GET \/apis with 503 Service Unavailable/);
    } finally {
      remove();
    }
  });

  it('reads the kinds it can when one API group fails, and names the one it could not', async () => {
    const remove = s.sandbox.faults.add({ path: /^\/apis\/image\.toolkit\.fluxcd\.io\//, status: 503 });
    try {
      const r = await runCli(['flux', 'status', '--json'], s.env);
      expect(r.code).toBe(2);
      const out = json<FluxStatus>(r.stdout);
      expect(out.installed).toBe(true);
      expect(out.objects.filter((o) => o.kind === 'HelmRelease')).toHaveLength(7);
      expect(out.objects.filter((o) => o.kind.startsWith('Image'))).toEqual([]);
      const image = out.apis.find((a) => a.kind === 'ImageRepository');
      expect(image?.version).toBeNull();
      expect(image?.error).toMatch(/answered GET \/apis\/image\.toolkit\.fluxcd\.io\/\S+ with 503/);
      expect(out.findings.filter((f) => f.kind === 'Check').map((f) => `${f.severity} ${f.name} ${f.reason}`).sort()).toEqual([
        'warn imagepolicies.image.toolkit.fluxcd.io ReadFailed',
        'warn imagerepositories.image.toolkit.fluxcd.io ReadFailed',
        'warn imageupdateautomations.image.toolkit.fluxcd.io ReadFailed',
      ]);
      expect(out.findings[0]).toMatchObject({ kind: 'HelmRelease', name: 'immich', reason: 'RetriesExhausted' });
      const table = await runCli(['flux', 'status'], s.env);
      expect(table.stdout).not.toMatch(/not served here: .*ImageRepository/);
    } finally {
      remove();
    }
  });

  it('reports the other kinds when HelmReleases are refused, with a finding naming the verb', async () => {
    const limited = await startSandboxEnv({
      rbac: [
        { apiGroups: ['kustomize.toolkit.fluxcd.io'], resources: ['kustomizations'], verbs: ['list'] },
        { apiGroups: ['source.toolkit.fluxcd.io'], resources: ['gitrepositories', 'helmrepositories', 'ocirepositories', 'buckets'], verbs: ['list'] },
        { apiGroups: ['image.toolkit.fluxcd.io'], resources: ['imagerepositories', 'imagepolicies', 'imageupdateautomations'], verbs: ['list'] },
      ],
    });
    try {
      const r = await runCli(['flux', 'status', '--json'], limited.env);
      expect(r.code).toBe(1);
      const out = json<FluxStatus>(r.stdout);
      expect(out.objects.filter((o) => o.kind === 'Kustomization')).toHaveLength(27);
      expect(out.findings.map((f) => `${f.severity} ${f.kind} ${f.name} ${f.reason}`).sort()).toEqual([
        'warn Check helmreleases.helm.toolkit.fluxcd.io Forbidden',
        'warn ImageRepository private-exit-node AuthenticationFailed',
      ]);
      expect(out.findings.find((f) => f.reason === 'Forbidden')?.message).toBe('forbidden: needs `list` on helmreleases.helm.toolkit.fluxcd.io across the cluster');
    } finally {
      await limited.sandbox.stop();
    }
  });
});

describe('homelab flux on a cluster without Flux', () => {
  it('says Flux is not installed, exit 0, no error', async () => {
    const s = await startSandboxEnv({ scenario: 'no-flux' });
    try {
      const r = await runCli(['flux', 'status', '--json'], s.env);
      expect(r.code).toBe(0);
      const out = json<FluxStatus>(r.stdout);
      expect(out).toMatchObject({ installed: false, verdict: 'ok', objects: [], findings: [] });
      expect(out.summary).toContain('Flux is not installed');
      // Health names it too, as not installed (it used to leave the line out).
      const health = json<{ subsystems: Array<{ name: string; state: string; verdict: string; line: string }> }>((await runCli(['health', '--json'], s.env)).stdout);
      expect(health.subsystems.find((x) => x.name === 'flux')).toEqual({
        name: 'flux', state: 'not installed', verdict: 'ok', problems: 0, line: 'flux: Flux is not installed on this cluster (no toolkit.fluxcd.io APIs are served)',
      });
      const reconcile = await runCli(['flux', 'reconcile', 'kustomization', 'flux-system', '--yes'], s.env);
      expect(reconcile.code).toBe(64);
      expect(reconcile.stderr).toContain('Kustomization is not served by this cluster');
    } finally {
      await s.sandbox.stop();
    }
  });
});

describe('homelab flux reconcile, suspend and resume', () => {
  let s: SandboxEnv;
  beforeAll(async () => { s = await startSandboxEnv(); });
  afterAll(async () => { await s?.sandbox.stop(); });
  const stored = (resource: string, ns: string, name: string) => s.sandbox.store.get(resource, ns, name) as unknown as Stored;

  it('annotates, waits until the controller handled the request, and reports Ready', async () => {
    const r = await runCli(['flux', 'reconcile', 'kustomization', 'apps', '--yes', '--json'], s.env);
    expect(r.code).toBe(0);
    const out = json<Reconciled>(r.stdout);
    expect(out).toMatchObject({ kind: 'Kustomization', namespace: 'flux-system', name: 'apps', waited: true, ready: 'True' });
    const obj = stored('kustomizations.kustomize.toolkit.fluxcd.io', 'flux-system', 'apps');
    expect(obj.metadata.annotations?.['reconcile.fluxcd.io/requestedAt']).toBe(out.requestedAt);
    expect(obj.status.lastHandledReconcileAt).toBe(out.requestedAt);
    expect(r.stderr).toContain('waiting for Kustomization flux-system/apps');
  });

  it('reconciles the source first with --with-source', async () => {
    const r = await runCli(['flux', 'reconcile', 'kustomization', 'apps', '--with-source', '--yes', '--json'], s.env);
    expect(r.code).toBe(0);
    const out = json<Reconciled>(r.stdout);
    expect(out.sources).toEqual([expect.objectContaining({ kind: 'GitRepository', namespace: 'flux-system', name: 'flux-system', ready: 'True', waited: true })]);
    expect(stored('gitrepositories.source.toolkit.fluxcd.io', 'flux-system', 'flux-system').status.lastHandledReconcileAt).toBe(out.sources?.[0]?.requestedAt);
  });

  it('reconciles a HelmRelease with its HelmRepository and the HelmChart built from it (spec.chart is a string on a HelmChart)', async () => {
    const r = await runCli(['flux', 'reconcile', 'helmrelease', 'jellyfin', '-n', 'jellyfin', '--with-source', '--yes', '--json'], s.env);
    expect(r.code, r.stderr).toBe(0);
    const out = json<Reconciled>(r.stdout);
    expect(out).toMatchObject({ kind: 'HelmRelease', namespace: 'jellyfin', name: 'jellyfin', waited: true, ready: 'True' });
    expect(out.sources).toEqual([
      expect.objectContaining({ kind: 'HelmRepository', namespace: 'flux-system', name: 'jellyfin', waited: true, ready: 'True' }),
      expect.objectContaining({ kind: 'HelmChart', namespace: 'flux-system', name: 'jellyfin-jellyfin', waited: true, ready: 'True' }),
    ]);
    expect(stored(HELMREPO, 'flux-system', 'jellyfin').status.lastHandledReconcileAt).toBe(out.sources?.[0]?.requestedAt);
    expect(stored(HELMCHART, 'flux-system', 'jellyfin-jellyfin').status.lastHandledReconcileAt).toBe(out.sources?.[1]?.requestedAt);
    const table = await runCli(['flux', 'reconcile', 'helmrelease', 'jellyfin', '-n', 'jellyfin', '--with-source', '--yes'], s.env);
    expect(table.stdout).toMatch(/✔ HelmRepository flux-system\/jellyfin ready.*\n✔ HelmChart flux-system\/jellyfin-jellyfin ready.*\n✔ HelmRelease jellyfin\/jellyfin ready/);
  });

  it('with --no-wait only sends the requests, to the sources too', async () => {
    const r = await runCli(['flux', 'reconcile', 'helmrelease', 'cert-manager', '-n', 'cert-manager', '--with-source', '--no-wait', '--yes', '--json'], s.env);
    expect(r.code, r.stderr).toBe(0);
    const out = json<Reconciled>(r.stdout);
    expect(out.waited).toBe(false);
    expect(out.sources?.map((x) => [x.kind, x.name, x.waited])).toEqual([['HelmRepository', 'jetstack', false], ['HelmChart', 'cert-manager-cert-manager', false]]);
    expect(stored(HELMREPO, 'flux-system', 'jetstack').metadata.annotations?.[REQUESTED_AT]).toBe(out.sources?.[0]?.requestedAt);
    expect(stored(HELMCHART, 'flux-system', 'cert-manager-cert-manager').metadata.annotations?.[REQUESTED_AT]).toBe(out.sources?.[1]?.requestedAt);
    expect(stored(HR, 'cert-manager', 'cert-manager').metadata.annotations?.[REQUESTED_AT]).toBe(out.requestedAt);
    expect(r.stderr).not.toContain('waiting for');
  });

  it('reports a reconcile that ends in failure as crit (exit 2), with the controller\'s message', async () => {
    const r = await runCli(['flux', 'reconcile', 'imagerepository', 'private-exit-node', '-n', 'tailscale', '--yes'], s.env);
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/✗ ImageRepository tailscale\/private-exit-node failed: .*UNAUTHORIZED/);
  });

  it('sends the request without waiting with --no-wait', async () => {
    const out = json<Reconciled>((await runCli(['flux', 'reconcile', 'helmrelease', 'jellyfin', '-n', 'jellyfin', '--no-wait', '--yes', '--json'], s.env)).stdout);
    expect(out.waited).toBe(false);
    expect(stored('helmreleases.helm.toolkit.fluxcd.io', 'jellyfin', 'jellyfin').metadata.annotations?.['reconcile.fluxcd.io/requestedAt']).toBe(out.requestedAt);
  });

  it('suspends, refuses to reconcile while suspended, reports it in status, and resumes', async () => {
    const suspend = await runCli(['flux', 'suspend', 'helmrelease', 'uptime-kuma', '-n', 'uptime-kuma', '--yes'], s.env);
    expect(suspend.code).toBe(0);
    expect(stored('helmreleases.helm.toolkit.fluxcd.io', 'uptime-kuma', 'uptime-kuma').spec.suspend).toBe(true);
    const refused = await runCli(['flux', 'reconcile', 'helmrelease', 'uptime-kuma', '-n', 'uptime-kuma', '--yes'], s.env);
    expect(refused.code).toBe(64);
    expect(refused.stderr).toContain('HelmRelease uptime-kuma/uptime-kuma is suspended');
    expect(refused.stderr).toContain('homelab flux resume helmrelease uptime-kuma -n uptime-kuma');
    const status = json<FluxStatus>((await runCli(['flux', 'status', '--json'], s.env)).stdout);
    expect(status.findings).toContainEqual(expect.objectContaining({ name: 'uptime-kuma', reason: 'Suspended', severity: 'warn' }));
    const resume = await runCli(['flux', 'resume', 'helmrelease', 'uptime-kuma', '-n', 'uptime-kuma', '--yes', '--json'], s.env);
    expect(resume.code).toBe(0);
    expect(json<Reconciled & { wasSuspended: boolean }>(resume.stdout)).toMatchObject({ wasSuspended: true, ready: 'True', waited: true });
    expect(stored('helmreleases.helm.toolkit.fluxcd.io', 'uptime-kuma', 'uptime-kuma').spec.suspend).toBe(false);
  });

  it('asks for --yes off a terminal, and refuses bad kinds and names', async () => {
    expect((await runCli(['flux', 'reconcile', 'kustomization', 'apps'], s.env)).code).toBe(64);
    const kind = await runCli(['flux', 'reconcile', 'deployment', 'apps', '--yes'], s.env);
    expect(kind.code).toBe(64);
    expect(kind.stderr).toContain('KIND');
    const name = await runCli(['flux', 'reconcile', 'kustomization', 'Apps;rm', '--yes'], s.env);
    expect(name.code).toBe(64);
    const missing = await runCli(['flux', 'reconcile', 'kustomization', 'nope', '--yes'], s.env);
    expect(missing.code).toBe(66);
    expect(missing.stderr).toContain('kustomizations "nope" not found in namespace flux-system');
  });

  it('refuses writes in read-only mode and outside the flux allow-list', async () => {
    const readOnly = await configWith(s.sandbox, 'ro', { readOnly: true });
    expect((await runCli(['flux', 'reconcile', 'kustomization', 'apps', '--yes', '--config', readOnly], s.env)).code).toBe(77);
    const narrow = await configWith(s.sandbox, 'narrow', { allow: { flux: ['flux-system/*'] } });
    const denied = await runCli(['flux', 'suspend', 'helmrelease', 'jellyfin', '-n', 'jellyfin', '--yes', '--config', narrow], s.env);
    expect(denied.code).toBe(77);
    expect(denied.stderr).toContain('jellyfin/jellyfin is not in the allow-list for flux (allowed: flux-system/*)');
    expect((await runCli(['flux', 'reconcile', 'kustomization', 'apps', '--no-wait', '--yes', '--config', narrow], s.env)).code).toBe(0);
  });

  it('checks every object --with-source would annotate against allow.flux before the first write', async () => {
    const annotations = () => [stored(HELMREPO, 'flux-system', 'jellyfin'), stored(HELMCHART, 'flux-system', 'jellyfin-jellyfin'), stored(HR, 'jellyfin', 'jellyfin')].map((o) => o.metadata.annotations?.[REQUESTED_AT]);
    const before = annotations();
    const jellyfinOnly = await configWith(s.sandbox, 'jellyfin-only', { allow: { flux: ['jellyfin/*'] } });
    const denied = await runCli(['flux', 'reconcile', 'helmrelease', 'jellyfin', '-n', 'jellyfin', '--with-source', '--yes', '--config', jellyfinOnly], s.env);
    expect(denied.code).toBe(77);
    expect(denied.stderr).toContain('flux-system/jellyfin is not in the allow-list for flux (allowed: jellyfin/*)');
    expect(annotations()).toEqual(before);
    // Without --with-source only the release itself is touched, which the list admits.
    expect((await runCli(['flux', 'reconcile', 'helmrelease', 'jellyfin', '-n', 'jellyfin', '--no-wait', '--yes', '--config', jellyfinOnly], s.env)).code).toBe(0);
    // The chart's HelmRepository admitted but not the HelmChart: still nothing is written.
    const noChart = await configWith(s.sandbox, 'no-chart', { allow: { flux: ['jellyfin/*', 'flux-system/jellyfin'] } });
    const before2 = annotations();
    const denied2 = await runCli(['flux', 'reconcile', 'helmrelease', 'jellyfin', '-n', 'jellyfin', '--with-source', '--yes', '--config', noChart], s.env);
    expect(denied2.code).toBe(77);
    expect(denied2.stderr).toContain('flux-system/jellyfin-jellyfin is not in the allow-list for flux');
    expect(annotations()).toEqual(before2);
    const both = await configWith(s.sandbox, 'both', { allow: { flux: ['jellyfin/*', 'flux-system/*'] } });
    expect((await runCli(['flux', 'reconcile', 'helmrelease', 'jellyfin', '-n', 'jellyfin', '--with-source', '--no-wait', '--yes', '--config', both], s.env)).code).toBe(0);
  });
});

describe('homelab flux heal', () => {
  let s: SandboxEnv;
  beforeAll(async () => { s = await startSandboxEnv(); });
  afterAll(async () => { await s?.sandbox.stop(); });
  const release = () => s.sandbox.store.get('helmreleases.helm.toolkit.fluxcd.io', 'immich', 'immich') as unknown as Stored;

  it('shows what it would do without --yes, and changes nothing', async () => {
    const before = JSON.stringify(release());
    const r = await runCli(['flux', 'heal', 'immich', '-n', 'immich'], s.env);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('HelmRelease immich/immich is stuck (failing for 16d)');
    expect(r.stdout).toMatch(/Would:\n {2}1\. suspend HelmRelease immich\/immich\n {2}2\. resume it/);
    expect(r.stdout).toContain('Dry run: nothing changed');
    expect(JSON.stringify(release())).toBe(before);
  });

  it('refuses a release that is not stuck', async () => {
    const r = await runCli(['flux', 'heal', 'jellyfin', '-n', 'jellyfin', '--yes'], s.env);
    expect(r.code).toBe(64);
    expect(r.stderr).toContain('HelmRelease jellyfin/jellyfin is not stuck (Ready=True');
  });

  it('heals the stuck release over MCP (suspend, resume, wait) and says what it did', async () => {
    const mcp = await stdioClient(s.env);
    try {
      const result = await mcp.client.callTool({ name: 'flux_heal', arguments: { name: 'immich', namespace: 'immich' } });
      expect(result.isError).toBeFalsy();
      const out = result.structuredContent as { dryRun: boolean; done: string[]; result?: { ready: string; message?: string } };
      expect(out.dryRun).toBe(false);
      expect(out.done[0]).toBe('suspend HelmRelease immich/immich');
      expect(out.result?.ready).toBe('True');
      expect(release().spec.suspend).toBe(false);
      expect(release().status.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
      expect(mcp.stderr()).toContain('"op":"flux_heal"');
    } finally {
      await mcp.close();
    }
    const status = json<FluxStatus>((await runCli(['flux', 'status', '--kind', 'helmrelease', '--json'], s.env)).stdout);
    expect(status.findings).toEqual([]);
  });
});

describe('homelab flux heal when the resume fails', () => {
  let s: SandboxEnv;
  beforeEach(async () => {
    s = await startSandboxEnv({ delays: { flux: 50 } });
    // The first PATCH (suspend) goes through, the second (resume) is refused by the API server.
    s.sandbox.faults.add({ method: 'PATCH', path: '/apis/helm.toolkit.fluxcd.io/v2/namespaces/immich/helmreleases/immich', nth: 2, times: 1, status: 503, message: 'etcdserver: request timed out' });
  });
  afterEach(async () => { await s?.sandbox.stop(); });
  const release = () => s.sandbox.store.get(HR, 'immich', 'immich') as unknown as Stored;

  it('says the release is left suspended and prints the command that finishes the job, which works as printed', async () => {
    const r = await runCli(['flux', 'heal', 'immich', '-n', 'immich', '--yes'], s.env);
    expect(r.code).toBe(69);
    expect(r.stderr).toContain('etcdserver: request timed out');
    expect(r.stderr).toContain('HelmRelease immich/immich is left suspended: heal suspended it, then resuming it failed');
    expect(release().spec.suspend).toBe(true);
    const finish = finishCommand(r.stderr);
    expect(finish).toEqual(['homelab', 'flux', 'resume', 'helmrelease', 'immich', '-n', 'immich']);
    const done = await runCli([...finish.slice(1), '--yes', '--json'], s.env);
    expect(done.code, done.stderr).toBe(0);
    expect(json<Reconciled>(done.stdout)).toMatchObject({ kind: 'HelmRelease', ready: 'True', waited: true });
    expect(release().spec.suspend).toBe(false);
  });

  it('over MCP the tool error carries the same state and command, and the resume it names finishes the job', async () => {
    const mcp = await stdioClient(s.env);
    try {
      const failed = await mcp.client.callTool({ name: 'flux_heal', arguments: { name: 'immich', namespace: 'immich' } });
      expect(failed.isError).toBe(true);
      const text = (failed.content as Array<{ text: string }>)[0]?.text ?? '';
      expect(text).toContain('is left suspended');
      expect(text).toContain('finish with: homelab flux resume helmrelease immich -n immich');
      expect(release().spec.suspend).toBe(true);
      const resumed = await mcp.client.callTool({ name: 'flux_resume', arguments: { kind: 'helmrelease', name: 'immich', namespace: 'immich' } });
      expect(resumed.isError).toBeFalsy();
      expect(resumed.structuredContent).toMatchObject({ wasSuspended: true, ready: 'True' });
      expect(release().spec.suspend).toBe(false);
      expect(mcp.stderr()).toMatch(/"op":"flux_heal".*"outcome":"error"/);
    } finally {
      await mcp.close();
    }
  });
});

describe('homelab flux heal cancelled half-way (Ctrl-C)', () => {
  let s: SandboxEnv;
  beforeEach(async () => {
    s = await startSandboxEnv({ delays: { flux: 50 } });
    // The resume PATCH hangs (an API server that does not answer), so Ctrl-C lands between the two writes.
    s.sandbox.faults.add({ method: 'PATCH', path: '/apis/helm.toolkit.fluxcd.io/v2/namespaces/immich/helmreleases/immich', nth: 2, times: 1, delayMs: 60_000 });
  });
  afterEach(async () => { await s?.sandbox.stop(); });

  it('says the release is left suspended and how to finish, exits 130, and the audit log has it', async () => {
    const auditFile = join(s.sandbox.dir, 'audit.log');
    const config = await configWith(s.sandbox, 'audited', { audit: { file: auditFile } });
    const child = spawnCli(['flux', 'heal', 'immich', '-n', 'immich', '--yes', '--config', config], s.env);
    let stderr = '';
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    await new Promise<void>((resolve) => {
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        if (stderr.includes('resuming')) resolve();
      });
    });
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(stderr).toContain('cancelling');
    expect(stderr).toContain('HelmRelease immich/immich is left suspended');
    expect(finishCommand(stderr)).toEqual(['homelab', 'flux', 'resume', 'helmrelease', 'immich', '-n', 'immich']);
    expect((s.sandbox.store.get(HR, 'immich', 'immich') as unknown as Stored).spec.suspend).toBe(true);
    const audit = (await readFile(auditFile, 'utf8')).trim().split('\n').map((line) => JSON.parse(line) as { op: string; outcome: string; error: string });
    expect(audit).toEqual([expect.objectContaining({ op: 'flux_heal', outcome: 'error', error: expect.stringContaining('is left suspended') })]);
  });
});
