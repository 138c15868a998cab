import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, runCli } from '../helpers/cli.js';
import { configWith } from '../helpers/config.js';
import { startSandboxEnv, type SandboxEnv } from '../helpers/sandbox.js';
import { shellWords } from '../helpers/shell.js';

interface Reconciled { kind: string; namespace: string; name: string; requestedAt?: string; waited: boolean; ready: string; message?: string; sources: Reconciled[] }
interface Stored { metadata: { annotations?: Record<string, string> }; spec: { suspend?: boolean }; status: { lastHandledReconcileAt?: string } }
interface Finding { severity: string; kind: string; namespace: string; name: string; reason: string; message: string; fix?: { tool: string; input: Record<string, unknown>; command: string } }

const REQUESTED_AT = 'reconcile.fluxcd.io/requestedAt';
const RESOURCE: Record<string, string> = {
  Kustomization: 'kustomizations.kustomize.toolkit.fluxcd.io',
  HelmRelease: 'helmreleases.helm.toolkit.fluxcd.io',
  GitRepository: 'gitrepositories.source.toolkit.fluxcd.io',
  HelmRepository: 'helmrepositories.source.toolkit.fluxcd.io',
  HelmChart: 'helmcharts.source.toolkit.fluxcd.io',
  OCIRepository: 'ocirepositories.source.toolkit.fluxcd.io',
  Bucket: 'buckets.source.toolkit.fluxcd.io',
  ImageUpdateAutomation: 'imageupdateautomations.image.toolkit.fluxcd.io',
};
const json = <T>(stdout: string) => JSON.parse(stdout) as T;

/** kind, name, -n namespace, and the sources `--with-source` reconciles first, deepest first (flux CLI order). */
const CASES: Array<{ args: [string, string, string]; sources: string[] }> = [
  { args: ['kustomization', 'apps-git', 'flux-system'], sources: ['GitRepository flux-system/flux-system'] },
  { args: ['kustomization', 'apps-oci', 'flux-system'], sources: ['OCIRepository flux-system/manifests'] },
  { args: ['kustomization', 'apps-bucket', 'flux-system'], sources: ['Bucket flux-system/manifests'] },
  { args: ['kustomization', 'tenant', 'apps'], sources: ['GitRepository flux-system/tenant'] },
  { args: ['helmrelease', 'podinfo', 'apps'], sources: ['HelmRepository flux-system/podinfo', 'HelmChart flux-system/apps-podinfo'] },
  { args: ['helmrelease', 'podinfo-oci', 'apps'], sources: ['HelmRepository flux-system/podinfo-oci', 'HelmChart flux-system/apps-podinfo-oci'] },
  { args: ['helmrelease', 'from-git', 'apps'], sources: ['GitRepository flux-system/charts', 'HelmChart flux-system/apps-from-git'] },
  { args: ['helmrelease', 'from-bucket', 'apps'], sources: ['Bucket flux-system/charts', 'HelmChart flux-system/apps-from-bucket'] },
  { args: ['helmrelease', 'oci-chartref', 'apps'], sources: ['OCIRepository flux-system/podinfo-chart'] },
  { args: ['helmrelease', 'chartref-helmchart', 'apps'], sources: ['HelmRepository flux-system/podinfo', 'HelmChart flux-system/shared-podinfo'] },
  { args: ['helmchart', 'shared-podinfo', 'flux-system'], sources: ['HelmRepository flux-system/podinfo'] },
  { args: ['imageupdateautomation', 'auto', 'flux-system'], sources: ['GitRepository flux-system/flux-system'] },
  { args: ['gitrepository', 'charts', 'flux-system'], sources: [] },
];

describe('homelab flux reconcile --with-source, for every kind of source', () => {
  let s: SandboxEnv;
  beforeAll(async () => { s = await startSandboxEnv({ scenario: 'flux-sources', delays: { flux: 30 } }); });
  afterAll(async () => { await s?.sandbox.stop(); });
  const stored = (kind: string, ns: string, name: string) => s.sandbox.store.get(RESOURCE[kind] as string, ns, name) as unknown as Stored;

  it.each(CASES.map((c) => ({ ...c, title: `${c.args[0]} ${c.args[1]} -n ${c.args[2]}: ${c.sources.join(', ') || 'no source'}` })))('$title', async ({ args: [kind, name, namespace], sources }) => {
    const r = await runCli(['flux', 'reconcile', kind, name, '-n', namespace, '--with-source', '--yes', '--json'], s.env);
    expect(r.code, r.stderr).toBe(0);
    const out = json<Reconciled>(r.stdout);
    expect(out).toMatchObject({ namespace, name, waited: true, ready: 'True' });
    expect(out.sources.map((x) => `${x.kind} ${x.namespace}/${x.name}`)).toEqual(sources);
    for (const source of out.sources) {
      const object = stored(source.kind, source.namespace, source.name);
      if (source.kind === 'HelmRepository' && source.name === 'podinfo-oci') {
        // Static: source-controller never reconciles an OCI HelmRepository, so it is left alone.
        expect(source).toMatchObject({ waited: false, message: expect.stringContaining('static') });
        expect(source.requestedAt).toBeUndefined();
        expect(object.metadata.annotations?.[REQUESTED_AT]).toBeUndefined();
      } else {
        expect(source).toMatchObject({ waited: true, ready: 'True' });
        expect(object.status.lastHandledReconcileAt).toBe(source.requestedAt);
      }
    }
    expect(stored(out.kind, namespace, name).status.lastHandledReconcileAt).toBe(out.requestedAt);
  });

  it('is crit when a source fails, though the object itself reconciled from what it had', async () => {
    const r = await runCli(['flux', 'reconcile', 'kustomization', 'private-apps', '--with-source', '--yes'], s.env);
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/✗ GitRepository flux-system\/private failed: .*unable to authenticate/);
    expect(r.stdout).toMatch(/✔ Kustomization flux-system\/private-apps ready/);
  });

  it('refuses, before any write, when a source it would annotate is suspended (the HelmChart, after the GitRepository)', async () => {
    expect((await runCli(['flux', 'suspend', 'helmchart', 'apps-from-git', '--yes'], s.env)).code).toBe(0);
    const annotations = () => [stored('GitRepository', 'flux-system', 'charts'), stored('HelmChart', 'flux-system', 'apps-from-git'), stored('HelmRelease', 'apps', 'from-git')].map((o) => o.metadata.annotations?.[REQUESTED_AT]);
    const before = annotations();
    const r = await runCli(['flux', 'reconcile', 'helmrelease', 'from-git', '-n', 'apps', '--with-source', '--yes'], s.env);
    expect(r.code).toBe(64);
    expect(r.stderr).toContain('HelmChart flux-system/apps-from-git is suspended');
    expect(r.stderr).toContain('homelab flux resume helmchart apps-from-git -n flux-system');
    expect(annotations()).toEqual(before);
    expect((await runCli(['flux', 'resume', 'helmchart', 'apps-from-git', '--yes'], s.env)).code).toBe(0);
  });

  it('refuses a source kind it does not reconcile (ExternalArtifact), before any write, and says how to reconcile the object alone', async () => {
    const before = stored('Kustomization', 'flux-system', 'generated').metadata.annotations?.[REQUESTED_AT];
    const r = await runCli(['flux', 'reconcile', 'kustomization', 'generated', '--with-source', '--yes'], s.env);
    expect(r.code).toBe(64);
    expect(r.stderr).toContain('Kustomization flux-system/generated is built from ExternalArtifact flux-system/generated, which homelab does not reconcile');
    expect(r.stderr).toContain('homelab flux reconcile kustomization generated -n flux-system');
    expect(stored('Kustomization', 'flux-system', 'generated').metadata.annotations?.[REQUESTED_AT]).toBe(before);
  });

  it('checks a source in another namespace against allow.flux', async () => {
    const appsOnly = await configWith(s.sandbox, 'apps-only', { allow: { flux: ['apps/*'] } });
    const r = await runCli(['flux', 'reconcile', 'kustomization', 'tenant', '-n', 'apps', '--with-source', '--yes', '--config', appsOnly], s.env);
    expect(r.code).toBe(77);
    expect(r.stderr).toContain('flux-system/tenant is not in the allow-list for flux (allowed: apps/*)');
  });

  it('says what was done and how to finish when the object fails after its source was reconciled', async () => {
    s.sandbox.faults.add({ method: 'PATCH', path: '/apis/kustomize.toolkit.fluxcd.io/v1/namespaces/flux-system/kustomizations/apps-oci', times: 1, status: 500, message: 'Internal error occurred: resource quota evaluation timed out' });
    const source = stored('OCIRepository', 'flux-system', 'manifests').status.lastHandledReconcileAt;
    const r = await runCli(['flux', 'reconcile', 'kustomization', 'apps-oci', '--with-source', '--yes'], s.env);
    expect(r.code).toBe(69);
    expect(r.stderr).toContain('resource quota evaluation timed out');
    expect(r.stderr).toContain('Its sources were reconciled first (OCIRepository flux-system/manifests); Kustomization flux-system/apps-oci itself was not annotated');
    expect(stored('OCIRepository', 'flux-system', 'manifests').status.lastHandledReconcileAt).not.toBe(source);
    const finish = shellWords(/finish with: (homelab [^\n]+)/.exec(r.stderr)?.[1]?.trim() ?? '');
    expect(finish).toEqual(['homelab', 'flux', 'reconcile', 'kustomization', 'apps-oci', '-n', 'flux-system']);
    const done = await runCli([...finish.slice(1), '--yes', '--json'], s.env);
    expect(done.code, done.stderr).toBe(0);
    expect(json<Reconciled>(done.stdout)).toMatchObject({ name: 'apps-oci', waited: true, ready: 'True', sources: [] });
  });
});

describe('homelab flux status suggests what helps, as commands that run as printed', () => {
  let s: SandboxEnv;
  beforeAll(async () => { s = await startSandboxEnv({ scenario: 'flux-sources' }); });
  afterAll(async () => { await s?.sandbox.stop(); });

  it('a failing object: reconcile it (with its source) once the cause is fixed; waiting on a dependency: look at the status; suspended: resume', async () => {
    const r = await runCli(['flux', 'status', '--json'], s.env);
    const findings = json<{ findings: Finding[] }>(r.stdout).findings;
    const of = (name: string) => findings.find((f) => f.name === name);
    expect(of('broken')).toMatchObject({ severity: 'crit', kind: 'Kustomization', reason: 'BuildFailed', message: expect.stringMatching(/^build fails: kustomize build failed: .*\. Fix the cause, then reconcile it with its source$/) });
    expect(of('broken')?.fix?.command).toBe('homelab flux reconcile kustomization broken -n flux-system --with-source');
    expect(of('private')).toMatchObject({ severity: 'warn', kind: 'GitRepository', reason: 'GitOperationFailed', message: expect.stringMatching(/^cannot fetch: .*unable to authenticate.*\. Fix the cause, then reconcile it$/) });
    expect(of('private')?.fix?.command).toBe('homelab flux reconcile gitrepository private -n flux-system');
    expect(of('waiting')).toMatchObject({ severity: 'crit', kind: 'HelmRelease', reason: 'DependencyNotReady', message: expect.stringContaining("waiting for a dependency: dependency 'apps/database' is not ready") });
    expect(of('waiting')?.fix?.command).toBe('homelab flux status -n apps --kind helmrelease');
    expect(of('archive')).toMatchObject({ severity: 'warn', kind: 'Bucket', reason: 'Suspended' });
    expect(of('archive')?.fix?.command).toBe('homelab flux resume bucket archive -n flux-system');
    expect(findings).toHaveLength(4);
  });

  it('runs each suggested command exactly as printed: a read answers, a write stops only at the confirmation', async () => {
    const tools = JSON.parse(await readFile(`${ROOT}dist/mcp-tools.json`, 'utf8')) as Array<{ name: string; effect: string }>;
    const findings = json<{ findings: Finding[] }>((await runCli(['flux', 'status', '--json'], s.env)).stdout).findings;
    const fixes = findings.flatMap((f) => (f.fix ? [f.fix] : []));
    expect(fixes).toHaveLength(4);
    for (const f of fixes) {
      const argv = shellWords(f.command);
      const r = await runCli(argv.slice(1), s.env);
      if (tools.find((t) => t.name === f.tool)?.effect === 'read') {
        expect([0, 1, 2], `${f.command}: ${r.stderr}`).toContain(r.code);
      } else {
        expect(r.code, `${f.command}: ${r.stderr}`).toBe(64);
        expect(r.stderr, f.command).toContain('refusing to change the cluster without confirmation');
      }
    }
    // And the resume of the suspended Bucket does what it says.
    const resume = await runCli([...shellWords(findings.find((f) => f.name === 'archive')?.fix?.command ?? '').slice(1), '--yes', '--no-wait'], s.env);
    expect(resume.code, resume.stderr).toBe(0);
    expect((s.sandbox.store.get(RESOURCE.Bucket as string, 'flux-system', 'archive') as unknown as Stored).spec.suspend).toBe(false);
  });
});
