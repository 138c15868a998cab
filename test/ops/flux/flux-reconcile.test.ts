import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/cli.js';
import { configWith } from '../../helpers/config.js';
import { callOp, failure } from '../../helpers/ops.js';
import { startSandboxEnv, type SandboxEnv } from '../../helpers/sandbox.js';
import { shellWords } from '../../helpers/shell.js';

interface Reconciled {
  kind: string;
  namespace: string;
  name: string;
  requestedAt?: string;
  waited: boolean;
  ready: string;
  message?: string;
  sources: Reconciled[];
}
interface Stored {
  metadata: { annotations?: Record<string, string> };
  spec: { suspend?: boolean };
  status: { lastHandledReconcileAt?: string };
}

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

describe('flux_reconcile on the pi-homelab', () => {
  let s: SandboxEnv;
  beforeAll(async () => {
    // Flux's controllers answer a request after 30 ms (300 by default): the waits are what is tested, not their length.
    s = await startSandboxEnv({ delays: { flux: 30 } });
  });
  beforeEach(() => {
    s.sandbox.reset();
  });
  afterAll(async () => {
    await s?.sandbox.stop();
  });
  const stored = (kind: string, ns: string, name: string) => s.sandbox.store.get(RESOURCE[kind] as string, ns, name) as unknown as Stored;
  const reconcile = (input: Record<string, unknown>, config?: string) => callOp<Reconciled>(s, 'flux_reconcile', input, { config });

  it('annotates, waits until the controller handled the request, and reports Ready', async () => {
    const { output: out, summary, log } = await reconcile({ kind: 'kustomization', name: 'apps' });
    expect(summary?.verdict).toBe('ok');
    expect(out).toMatchObject({ kind: 'Kustomization', namespace: 'flux-system', name: 'apps', waited: true, ready: 'True' });
    const obj = stored('Kustomization', 'flux-system', 'apps');
    expect(obj.metadata.annotations?.[REQUESTED_AT]).toBe(out.requestedAt);
    expect(obj.status.lastHandledReconcileAt).toBe(out.requestedAt);
    expect(log.join('\n')).toContain('waiting for Kustomization flux-system/apps');
  });

  it('reconciles the source first with withSource', async () => {
    const { output: out, summary } = await reconcile({ kind: 'kustomization', name: 'apps', withSource: true });
    expect(summary?.verdict).toBe('ok');
    expect(out.sources).toEqual([
      expect.objectContaining({ kind: 'GitRepository', namespace: 'flux-system', name: 'flux-system', ready: 'True', waited: true }),
    ]);
    expect(stored('GitRepository', 'flux-system', 'flux-system').status.lastHandledReconcileAt).toBe(out.sources[0]?.requestedAt);
  });

  it('reconciles a HelmRelease with its HelmRepository and the HelmChart built from it (spec.chart is a string on a HelmChart)', async () => {
    const { output: out, summary } = await reconcile({ kind: 'helmrelease', name: 'jellyfin', namespace: 'jellyfin', withSource: true });
    expect(summary?.verdict).toBe('ok');
    expect(out).toMatchObject({ kind: 'HelmRelease', namespace: 'jellyfin', name: 'jellyfin', waited: true, ready: 'True' });
    expect(out.sources).toEqual([
      expect.objectContaining({ kind: 'HelmRepository', namespace: 'flux-system', name: 'jellyfin', waited: true, ready: 'True' }),
      expect.objectContaining({ kind: 'HelmChart', namespace: 'flux-system', name: 'jellyfin-jellyfin', waited: true, ready: 'True' }),
    ]);
    expect(stored('HelmRepository', 'flux-system', 'jellyfin').status.lastHandledReconcileAt).toBe(out.sources[0]?.requestedAt);
    expect(stored('HelmChart', 'flux-system', 'jellyfin-jellyfin').status.lastHandledReconcileAt).toBe(out.sources[1]?.requestedAt);
  });

  it('without waiting only sends the requests, to the sources too', async () => {
    const {
      output: out,
      summary,
      log,
    } = await reconcile({ kind: 'helmrelease', name: 'cert-manager', namespace: 'cert-manager', withSource: true, wait: false });
    expect(summary?.verdict).toBe('ok');
    expect(out.waited).toBe(false);
    expect(out.sources.map((x) => [x.kind, x.name, x.waited])).toEqual([
      ['HelmRepository', 'jetstack', false],
      ['HelmChart', 'cert-manager-cert-manager', false],
    ]);
    expect(stored('HelmRepository', 'flux-system', 'jetstack').metadata.annotations?.[REQUESTED_AT]).toBe(out.sources[0]?.requestedAt);
    expect(stored('HelmChart', 'flux-system', 'cert-manager-cert-manager').metadata.annotations?.[REQUESTED_AT]).toBe(out.sources[1]?.requestedAt);
    expect(stored('HelmRelease', 'cert-manager', 'cert-manager').metadata.annotations?.[REQUESTED_AT]).toBe(out.requestedAt);
    expect(log.join('\n')).not.toContain('waiting for');
  });

  it('sends the request without waiting', async () => {
    const { output: out } = await reconcile({ kind: 'helmrelease', name: 'jellyfin', namespace: 'jellyfin', wait: false });
    expect(out.waited).toBe(false);
    expect(stored('HelmRelease', 'jellyfin', 'jellyfin').metadata.annotations?.[REQUESTED_AT]).toBe(out.requestedAt);
  });

  it('says an object that does not exist is not found', async () => {
    const missing = await failure(reconcile({ kind: 'kustomization', name: 'nope' }));
    expect(missing.kind).toBe('NotFound');
    expect(missing.said).toContain('kustomizations "nope" not found in namespace flux-system');
  });

  it('refuses writes in read-only mode and outside the flux allow-list', async () => {
    const readOnly = await configWith(s.sandbox, 'ro', { readOnly: true });
    expect((await failure(reconcile({ kind: 'kustomization', name: 'apps' }, readOnly))).kind).toBe('PolicyDenied');
    const narrow = await configWith(s.sandbox, 'narrow', { allow: { flux: ['flux-system/*'] } });
    const denied = await failure(callOp(s, 'flux_suspend', { kind: 'helmrelease', name: 'jellyfin', namespace: 'jellyfin' }, { config: narrow }));
    expect(denied.kind).toBe('PolicyDenied');
    expect(denied.said).toContain('jellyfin/jellyfin is not in the allow-list for flux (allowed: flux-system/*)');
    expect((await reconcile({ kind: 'kustomization', name: 'apps', wait: false }, narrow)).summary?.verdict).toBe('ok');
  });

  it('checks every object withSource would annotate against allow.flux before the first write', async () => {
    const annotations = () =>
      [
        stored('HelmRepository', 'flux-system', 'jellyfin'),
        stored('HelmChart', 'flux-system', 'jellyfin-jellyfin'),
        stored('HelmRelease', 'jellyfin', 'jellyfin'),
      ].map((o) => o.metadata.annotations?.[REQUESTED_AT]);
    const before = annotations();
    const jellyfinOnly = await configWith(s.sandbox, 'jellyfin-only', { allow: { flux: ['jellyfin/*'] } });
    const denied = await failure(reconcile({ kind: 'helmrelease', name: 'jellyfin', namespace: 'jellyfin', withSource: true }, jellyfinOnly));
    expect(denied.kind).toBe('PolicyDenied');
    expect(denied.said).toContain('flux-system/jellyfin is not in the allow-list for flux (allowed: jellyfin/*)');
    expect(annotations()).toEqual(before);
    // Without withSource only the release itself is touched, which the list admits.
    expect((await reconcile({ kind: 'helmrelease', name: 'jellyfin', namespace: 'jellyfin', wait: false }, jellyfinOnly)).summary?.verdict).toBe('ok');
    // The chart's HelmRepository admitted but not the HelmChart: still nothing is written.
    const noChart = await configWith(s.sandbox, 'no-chart', { allow: { flux: ['jellyfin/*', 'flux-system/jellyfin'] } });
    const before2 = annotations();
    const denied2 = await failure(reconcile({ kind: 'helmrelease', name: 'jellyfin', namespace: 'jellyfin', withSource: true }, noChart));
    expect(denied2.kind).toBe('PolicyDenied');
    expect(denied2.said).toContain('flux-system/jellyfin-jellyfin is not in the allow-list for flux');
    expect(annotations()).toEqual(before2);
    const both = await configWith(s.sandbox, 'both', { allow: { flux: ['jellyfin/*', 'flux-system/*'] } });
    expect((await reconcile({ kind: 'helmrelease', name: 'jellyfin', namespace: 'jellyfin', withSource: true, wait: false }, both)).summary?.verdict).toBe(
      'ok',
    );
  });
});

/** kind, name, namespace, and the sources withSource reconciles first, deepest first (flux CLI order). */
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

describe('flux_reconcile withSource, for every kind of source', () => {
  let s: SandboxEnv;
  beforeAll(async () => {
    s = await startSandboxEnv({ scenario: 'flux-sources', delays: { flux: 30 } });
  });
  beforeEach(() => {
    s.sandbox.reset();
  });
  afterAll(async () => {
    await s?.sandbox.stop();
  });
  const stored = (kind: string, ns: string, name: string) => s.sandbox.store.get(RESOURCE[kind] as string, ns, name) as unknown as Stored;
  const reconcile = (input: Record<string, unknown>, config?: string) => callOp<Reconciled>(s, 'flux_reconcile', { withSource: true, ...input }, { config });

  it.each(CASES.map((c) => ({ ...c, title: `${c.args[0]} ${c.args[1]} -n ${c.args[2]}: ${c.sources.join(', ') || 'no source'}` })))(
    '$title',
    async ({ args: [kind, name, namespace], sources }) => {
      const { output: out, summary } = await reconcile({ kind, name, namespace });
      expect(summary?.verdict).toBe('ok');
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
    },
  );

  it('refuses, before any write, when a source it would annotate is suspended (the HelmChart, after the GitRepository)', async () => {
    expect((await callOp(s, 'flux_suspend', { kind: 'helmchart', name: 'apps-from-git' })).output).toMatchObject({ suspended: true });
    const annotations = () =>
      [stored('GitRepository', 'flux-system', 'charts'), stored('HelmChart', 'flux-system', 'apps-from-git'), stored('HelmRelease', 'apps', 'from-git')].map(
        (o) => o.metadata.annotations?.[REQUESTED_AT],
      );
    const before = annotations();
    const err = await failure(reconcile({ kind: 'helmrelease', name: 'from-git', namespace: 'apps' }));
    expect(err.kind).toBe('UserError');
    expect(err.said).toContain('HelmChart flux-system/apps-from-git is suspended');
    expect(err.said).toContain('homelab flux resume helmchart apps-from-git -n flux-system');
    expect(annotations()).toEqual(before);
  });

  it('refuses a source kind it does not reconcile (ExternalArtifact), before any write, and says how to reconcile the object alone', async () => {
    const before = stored('Kustomization', 'flux-system', 'generated').metadata.annotations?.[REQUESTED_AT];
    const err = await failure(reconcile({ kind: 'kustomization', name: 'generated' }));
    expect(err.kind).toBe('UserError');
    expect(err.said).toContain('Kustomization flux-system/generated is built from ExternalArtifact flux-system/generated, which homelab does not reconcile');
    expect(err.said).toContain('homelab flux reconcile kustomization generated -n flux-system');
    expect(stored('Kustomization', 'flux-system', 'generated').metadata.annotations?.[REQUESTED_AT]).toBe(before);
  });

  it('checks a source in another namespace against allow.flux', async () => {
    const appsOnly = await configWith(s.sandbox, 'apps-only', { allow: { flux: ['apps/*'] } });
    const err = await failure(reconcile({ kind: 'kustomization', name: 'tenant', namespace: 'apps' }, appsOnly));
    expect(err.kind).toBe('PolicyDenied');
    expect(err.said).toContain('flux-system/tenant is not in the allow-list for flux (allowed: apps/*)');
  });

  it('says what was done and how to finish when the object fails after its source was reconciled; the command it prints finishes the job', async () => {
    s.sandbox.faults.add({
      method: 'PATCH',
      path: '/apis/kustomize.toolkit.fluxcd.io/v1/namespaces/flux-system/kustomizations/apps-oci',
      times: 1,
      status: 500,
      message: 'Internal error occurred: resource quota evaluation timed out',
    });
    const source = stored('OCIRepository', 'flux-system', 'manifests').status.lastHandledReconcileAt;
    const err = await failure(reconcile({ kind: 'kustomization', name: 'apps-oci' }));
    expect(err.kind).toBe('Upstream');
    expect(err.said).toContain('resource quota evaluation timed out');
    expect(err.said).toContain(
      'Its sources were reconciled first (OCIRepository flux-system/manifests); Kustomization flux-system/apps-oci itself was not annotated',
    );
    expect(stored('OCIRepository', 'flux-system', 'manifests').status.lastHandledReconcileAt).not.toBe(source);
    const finish = shellWords(/finish with: (homelab [^\n]+)/.exec(err.said)?.[1]?.trim() ?? '');
    expect(finish).toEqual(['homelab', 'flux', 'reconcile', 'kustomization', 'apps-oci', '-n', 'flux-system']);
    // As printed, on the CLI.
    const done = await runCli([...finish.slice(1), '--yes', '--json'], s.env);
    expect(done.code, done.stderr).toBe(0);
    expect(JSON.parse(done.stdout) as Reconciled).toMatchObject({ name: 'apps-oci', waited: true, ready: 'True', sources: [] });
  });
});
