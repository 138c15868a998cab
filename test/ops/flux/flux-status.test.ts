import type { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type clusterHealth from '../../../src/ops/cluster/cluster-health.js';
import type fluxStatus from '../../../src/ops/flux/flux-status.js';
import { callOp, failure } from '../../helpers/ops.js';
import { startSandboxEnv, type SandboxEnv } from '../../helpers/sandbox.js';

/** What the ops answer: their own output schemas. */
type FluxStatus = z.output<typeof fluxStatus.output>;
type Health = z.output<typeof clusterHealth.output>;

describe('flux_status on the pi-homelab', () => {
  let s: SandboxEnv;
  beforeAll(async () => {
    s = await startSandboxEnv();
  });
  afterAll(async () => {
    await s?.sandbox.stop();
  });

  it('names the stuck immich release and the unauthorized ImageRepository, crit', async () => {
    const { output: out, summary } = await callOp<FluxStatus>(s, 'flux_status');
    expect(summary?.verdict).toBe('crit');
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
    const { output: out } = await callOp<FluxStatus>(s, 'flux_status');
    expect(out.apis).toEqual(
      expect.arrayContaining([
        { kind: 'Kustomization', version: 'v1' },
        { kind: 'HelmRelease', version: 'v2' },
        { kind: 'GitRepository', version: 'v1' },
        { kind: 'ImageRepository', version: 'v1' },
      ]),
    );
  });

  it('is part of cluster_health, which names both problems', async () => {
    const { output: out } = await callOp<Health>(s, 'cluster_health');
    expect(out.findings).toContainEqual(expect.objectContaining({ kind: 'HelmRelease', namespace: 'immich', name: 'immich', reason: 'RetriesExhausted' }));
    expect(out.findings).toContainEqual(
      expect.objectContaining({ kind: 'ImageRepository', namespace: 'tailscale', name: 'private-exit-node', reason: 'AuthenticationFailed' }),
    );
    const flux = out.subsystems.find((x) => x.name === 'flux');
    expect(flux?.verdict).toBe('crit');
    expect(flux?.line).toMatch(/^flux: 2 problems in 27 Kustomizations, 7 HelmReleases, .*worst: HelmRelease immich\/immich RetriesExhausted/);
  });

  it('is an error on a 503 from /apis, never "Flux is not installed"', async () => {
    // Was "OK Flux is not installed on this cluster", exit 0.
    const remove = s.sandbox.faults.add({ path: '/apis', status: 503 });
    try {
      const err = await failure(callOp(s, 'flux_status'));
      expect(err.kind).toBe('Upstream');
      expect(err.message).toMatch(
        /^cannot tell whether kustomize\.toolkit\.fluxcd\.io is installed: the Kubernetes API at \S+ answered GET \/apis with 503 Service Unavailable/,
      );
    } finally {
      remove();
    }
  });

  it('reads the kinds it can when one API group fails, and names the one it could not', async () => {
    const remove = s.sandbox.faults.add({ path: /^\/apis\/image\.toolkit\.fluxcd\.io\//, status: 503 });
    try {
      const { output: out, summary } = await callOp<FluxStatus>(s, 'flux_status');
      expect(summary?.verdict).toBe('crit');
      expect(out.installed).toBe(true);
      expect(out.objects.filter((o) => o.kind === 'HelmRelease')).toHaveLength(7);
      expect(out.objects.filter((o) => o.kind.startsWith('Image'))).toEqual([]);
      const image = out.apis.find((a) => a.kind === 'ImageRepository');
      expect(image?.version).toBeNull();
      expect(image?.error).toMatch(/answered GET \/apis\/image\.toolkit\.fluxcd\.io\/\S+ with 503/);
      expect(
        out.findings
          .filter((f) => f.kind === 'Check')
          .map((f) => `${f.severity} ${f.name} ${f.reason}`)
          .sort(),
      ).toEqual([
        'warn imagepolicies.image.toolkit.fluxcd.io ReadFailed',
        'warn imagerepositories.image.toolkit.fluxcd.io ReadFailed',
        'warn imageupdateautomations.image.toolkit.fluxcd.io ReadFailed',
      ]);
      expect(out.findings[0]).toMatchObject({ kind: 'HelmRelease', name: 'immich', reason: 'RetriesExhausted' });
    } finally {
      remove();
    }
  });
});

describe('flux_status with HelmReleases refused', () => {
  let limited: SandboxEnv;
  beforeAll(async () => {
    limited = await startSandboxEnv({
      rbac: [
        { apiGroups: ['kustomize.toolkit.fluxcd.io'], resources: ['kustomizations'], verbs: ['list'] },
        { apiGroups: ['source.toolkit.fluxcd.io'], resources: ['gitrepositories', 'helmrepositories', 'ocirepositories', 'buckets'], verbs: ['list'] },
        { apiGroups: ['image.toolkit.fluxcd.io'], resources: ['imagerepositories', 'imagepolicies', 'imageupdateautomations'], verbs: ['list'] },
      ],
    });
  });
  afterAll(async () => {
    await limited?.sandbox.stop();
  });

  it('reports the other kinds, warn, with a finding naming the verb', async () => {
    const { output: out, summary } = await callOp<FluxStatus>(limited, 'flux_status');
    expect(summary?.verdict).toBe('warn');
    expect(out.objects.filter((o) => o.kind === 'Kustomization')).toHaveLength(27);
    expect(out.findings.map((f) => `${f.severity} ${f.kind} ${f.name} ${f.reason}`).sort()).toEqual([
      'warn Check helmreleases.helm.toolkit.fluxcd.io Forbidden',
      'warn ImageRepository private-exit-node AuthenticationFailed',
    ]);
    expect(out.findings.find((f) => f.reason === 'Forbidden')?.message).toBe(
      'forbidden: needs `list` on helmreleases.helm.toolkit.fluxcd.io across the cluster',
    );
  });
});

describe('flux on a cluster without Flux', () => {
  let s: SandboxEnv;
  beforeAll(async () => {
    s = await startSandboxEnv({ scenario: 'no-flux' });
  });
  afterAll(async () => {
    await s?.sandbox.stop();
  });

  it('says Flux is not installed, ok, no error; health names it so; a reconcile is refused', async () => {
    const { output: out, summary } = await callOp<FluxStatus>(s, 'flux_status');
    expect(summary?.verdict).toBe('ok');
    expect(out).toMatchObject({ installed: false, verdict: 'ok', objects: [], findings: [] });
    expect(out.summary).toContain('Flux is not installed');
    // Health names it too, as not installed (it used to leave the line out).
    const health = (await callOp<Health>(s, 'cluster_health')).output;
    expect(health.subsystems.find((x) => x.name === 'flux')).toEqual({
      name: 'flux',
      state: 'not installed',
      verdict: 'ok',
      problems: 0,
      line: 'flux: Flux is not installed on this cluster (no toolkit.fluxcd.io APIs are served)',
    });
    const reconcile = await failure(callOp(s, 'flux_reconcile', { kind: 'kustomization', name: 'flux-system' }));
    expect(reconcile.kind).toBe('UserError');
    expect(reconcile.said).toContain('Kustomization is not served by this cluster');
  });
});

describe('flux_status suggests what helps (flux-sources)', () => {
  let s: SandboxEnv;
  beforeAll(async () => {
    s = await startSandboxEnv({ scenario: 'flux-sources' });
  });
  afterAll(async () => {
    await s?.sandbox.stop();
  });

  it('a failing object: reconcile it (with its source) once the cause is fixed; waiting on a dependency: look at the status; suspended: resume', async () => {
    const { findings } = (await callOp<FluxStatus>(s, 'flux_status')).output;
    const of = (name: string) => findings.find((f) => f.name === name);
    expect(of('broken')).toMatchObject({
      severity: 'crit',
      kind: 'Kustomization',
      reason: 'BuildFailed',
      message: expect.stringMatching(/^build fails: kustomize build failed: .*\. Fix the cause, then reconcile it with its source$/),
    });
    expect(of('broken')?.fix?.command).toBe('homelab flux reconcile kustomization broken -n flux-system --with-source');
    expect(of('private')).toMatchObject({
      severity: 'warn',
      kind: 'GitRepository',
      reason: 'GitOperationFailed',
      message: expect.stringMatching(/^cannot fetch: .*unable to authenticate.*\. Fix the cause, then reconcile it$/),
    });
    expect(of('private')?.fix?.command).toBe('homelab flux reconcile gitrepository private -n flux-system');
    expect(of('waiting')).toMatchObject({
      severity: 'crit',
      kind: 'HelmRelease',
      reason: 'DependencyNotReady',
      message: expect.stringContaining("waiting for a dependency: dependency 'apps/database' is not ready"),
    });
    expect(of('waiting')?.fix?.command).toBe('homelab flux status -n apps --kind helmrelease');
    expect(of('archive')).toMatchObject({ severity: 'warn', kind: 'Bucket', reason: 'Suspended' });
    expect(of('archive')?.fix?.command).toBe('homelab flux resume bucket archive -n flux-system');
    expect(findings).toHaveLength(4);
  });
});
