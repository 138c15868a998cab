import { describe, expect, it } from 'vitest';
import { fluxKind } from '../../../src/ops/flux/kinds.js';
import { fluxFindings, fluxObjectSchema, summarizeFluxObject } from '../../../src/ops/flux/objects.js';
import { directSources } from '../../../src/ops/flux/sources.js';

/*
 * One object of each Flux kind, written from the upstream CRDs' OpenAPI schemas (config/crd/bases
 * of fluxcd/{kustomize,helm,source,image-reflector,image-automation}-controller), not from the
 * sandbox: every field the schema has that the ops do not need is filled in too, in the shape the
 * CRD gives it, so a schema that is stricter than the CRD fails here.
 */
const NOW = new Date('2025-06-01T12:00:00Z');
const ready = { type: 'Ready', status: 'True', reason: 'Succeeded', message: 'ok', lastTransitionTime: '2025-05-30T12:00:00Z', observedGeneration: 2 };
const artifact = (revision: string) => ({
  digest: 'sha256:0c4e7a1b9d2f3e5a6b8c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a',
  lastUpdateTime: '2025-05-30T12:00:00Z',
  metadata: { 'org.opencontainers.image.revision': 'main@sha1:abc' },
  path: 'x/y/z.tar.gz',
  revision,
  size: 1234,
  url: 'http://source-controller./x/y/z.tar.gz',
});
const meta = (name: string, namespace = 'flux-system') => ({
  name,
  namespace,
  generation: 2,
  uid: '5b0c',
  resourceVersion: '9',
  finalizers: ['finalizers.fluxcd.io'],
});

const EXAMPLES = {
  // kustomize.toolkit.fluxcd.io_kustomizations.yaml v1
  Kustomization: {
    apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
    kind: 'Kustomization',
    metadata: meta('apps'),
    spec: {
      interval: '10m',
      path: './apps',
      prune: true,
      wait: true,
      timeout: '5m',
      force: false,
      targetNamespace: 'apps',
      sourceRef: { apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'OCIRepository', name: 'manifests', namespace: 'sources' },
      dependsOn: [{ name: 'infra', readyExpr: 'self.status.conditions.exists(c, c.type == "Ready")' }],
      decryption: { provider: 'sops', secretRef: { name: 'sops-age' } },
      postBuild: { substitute: { cluster: 'pi' }, substituteFrom: [{ kind: 'ConfigMap', name: 'vars', optional: true }] },
      healthCheckExprs: [{ apiVersion: 'v1', kind: 'Pod', current: 'true' }],
      patches: [{ patch: '- op: add', target: { kind: 'Deployment' } }],
    },
    status: {
      conditions: [ready],
      observedGeneration: 2,
      lastHandledReconcileAt: '2025-05-30T11:59:00Z',
      lastAppliedRevision: 'latest@sha256:9a7f',
      lastAttemptedRevision: 'latest@sha256:9a7f',
      lastAppliedOriginRevision: 'main@sha1:3f9c',
      history: [
        {
          digest: 'sha256:aa',
          firstReconciled: '2025-05-01T00:00:00Z',
          lastReconciled: '2025-05-30T12:00:00Z',
          lastReconciledDuration: '1.2s',
          lastReconciledStatus: 'ReconciliationSucceeded',
          totalReconciliations: 42,
          metadata: { revision: 'latest@sha256:9a7f' },
        },
      ],
      inventory: { entries: [{ id: 'apps_web_apps_Deployment', v: 'v1' }] },
    },
  },
  // helm.toolkit.fluxcd.io_helmreleases.yaml v2, spec.chart (a HelmChart template)
  HelmRelease: {
    apiVersion: 'helm.toolkit.fluxcd.io/v2',
    kind: 'HelmRelease',
    metadata: meta('podinfo', 'apps'),
    spec: {
      interval: '30m',
      releaseName: 'podinfo',
      timeout: '5m',
      driftDetection: { mode: 'enabled', ignore: [{ paths: ['/spec/replicas'] }] },
      chart: {
        metadata: { labels: { team: 'a' } },
        spec: {
          chart: 'podinfo',
          version: '6.x',
          interval: '10m',
          reconcileStrategy: 'ChartVersion',
          valuesFiles: ['values.yaml'],
          ignoreMissingValuesFiles: true,
          sourceRef: { apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'HelmRepository', name: 'podinfo', namespace: 'sources' },
          verify: { provider: 'cosign', secretRef: { name: 'cosign-pub' } },
        },
      },
      install: { remediation: { retries: 3 }, strategy: { name: 'RetryOnFailure', retryInterval: '5m' } },
      upgrade: { remediation: { retries: -1, remediateLastFailure: true } },
      values: { replicaCount: 2 },
      valuesFrom: [{ kind: 'Secret', name: 'podinfo-values', valuesKey: 'values.yaml' }],
    },
    status: {
      conditions: [
        ready,
        { type: 'Released', status: 'True', reason: 'UpgradeSucceeded', message: 'Helm upgrade succeeded', lastTransitionTime: '2025-05-30T12:00:00Z' },
      ],
      observedGeneration: 2,
      lastHandledReconcileAt: 'a',
      lastHandledForceAt: 'a',
      lastHandledResetAt: 'a',
      history: [
        {
          apiVersion: 'v2',
          name: 'podinfo',
          namespace: 'apps',
          version: 5,
          status: 'deployed',
          chartName: 'podinfo',
          chartVersion: '6.7.1',
          appVersion: '6.7.1',
          configDigest: 'sha256:cc',
          digest: 'sha256:dd',
          firstDeployed: '2025-01-01T00:00:00Z',
          lastDeployed: '2025-05-30T12:00:00Z',
          ociDigest: 'sha256:ee',
          testHooks: {},
        },
      ],
      failures: 0,
      installFailures: 0,
      upgradeFailures: 0,
      helmChart: 'sources/apps-podinfo',
      storageNamespace: 'apps',
      lastAttemptedRevision: '6.7.1',
      lastAttemptedRevisionDigest: 'sha256:ee',
      lastAttemptedConfigDigest: 'sha256:cc',
      lastAttemptedGeneration: 2,
      lastAttemptedReleaseAction: 'upgrade',
      lastAttemptedReleaseActionDuration: '12s',
      observedPostRenderersDigest: 'sha256:ff',
      inventory: { entries: [{ id: 'apps_podinfo_apps_Deployment', v: 'v1' }] },
    },
  },
  // source.toolkit.fluxcd.io_helmcharts.yaml v1: spec.chart is a string
  HelmChart: {
    apiVersion: 'source.toolkit.fluxcd.io/v1',
    kind: 'HelmChart',
    metadata: meta('apps-podinfo', 'sources'),
    spec: {
      chart: 'podinfo',
      version: '6.x',
      interval: '10m',
      reconcileStrategy: 'ChartVersion',
      valuesFiles: ['values.yaml'],
      ignoreMissingValuesFiles: false,
      suspend: false,
      sourceRef: { apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'HelmRepository', name: 'podinfo' },
      verify: {
        provider: 'cosign',
        matchOIDCIdentity: [{ issuer: '^https://token.actions.githubusercontent.com$', subject: '^https://github.com/stefanprodan/podinfo.*$' }],
      },
    },
    status: {
      conditions: [ready],
      observedGeneration: 2,
      artifact: artifact('6.7.1'),
      observedChartName: 'podinfo',
      observedSourceArtifactRevision: 'sha256:29a2',
      observedValuesFiles: ['values.yaml'],
      url: 'http://x/latest.tar.gz',
      lastHandledReconcileAt: 'a',
    },
  },
  // source.toolkit.fluxcd.io_gitrepositories.yaml v1
  GitRepository: {
    apiVersion: 'source.toolkit.fluxcd.io/v1',
    kind: 'GitRepository',
    metadata: meta('flux-system'),
    spec: {
      url: 'ssh://git@github.com/o/r',
      interval: '1m',
      timeout: '60s',
      ref: { branch: 'main', name: 'refs/heads/main' },
      secretRef: { name: 'flux-system' },
      verify: { mode: 'HEAD', secretRef: { name: 'pgp' } },
      include: [{ repository: { name: 'other' }, fromPath: 'a', toPath: 'b' }],
      ignore: '/*\n!/apps',
      sparseCheckout: ['apps'],
      provider: 'generic',
    },
    status: {
      conditions: [ready],
      observedGeneration: 2,
      artifact: artifact('main@sha1:3f9c1e7a'),
      includedArtifacts: [artifact('main@sha1:0000')],
      observedIgnore: '/*',
      sourceVerificationMode: 'HEAD',
    },
  },
  // source.toolkit.fluxcd.io_helmrepositories.yaml v1, type oci: static, no status
  HelmRepository: {
    apiVersion: 'source.toolkit.fluxcd.io/v1',
    kind: 'HelmRepository',
    metadata: meta('bitnami'),
    spec: {
      url: 'oci://registry-1.docker.io/bitnamicharts',
      type: 'oci',
      provider: 'generic',
      interval: '1h',
      insecure: false,
      passCredentials: false,
      certSecretRef: { name: 'ca' },
    },
    status: { observedGeneration: -1 },
  },
  // source.toolkit.fluxcd.io_ocirepositories.yaml v1
  OCIRepository: {
    apiVersion: 'source.toolkit.fluxcd.io/v1',
    kind: 'OCIRepository',
    metadata: meta('manifests', 'sources'),
    spec: {
      url: 'oci://ghcr.io/o/manifests',
      ref: { semver: '>=1.0.0', semverFilter: '.*-rc.*' },
      layerSelector: { mediaType: 'application/vnd.cncf.helm.chart.content.v1.tar+gzip', operation: 'copy' },
      interval: '5m',
      provider: 'aws',
      verify: { provider: 'notation', secretRef: { name: 'trust' } },
    },
    status: {
      conditions: [ready],
      observedGeneration: 2,
      artifact: artifact('1.2.0@sha256:9a7f'),
      observedLayerSelector: { mediaType: 'x', operation: 'copy' },
      url: 'http://x',
    },
  },
  // source.toolkit.fluxcd.io_buckets.yaml v1
  Bucket: {
    apiVersion: 'source.toolkit.fluxcd.io/v1',
    kind: 'Bucket',
    metadata: meta('manifests'),
    spec: {
      bucketName: 'manifests',
      endpoint: 's3.amazonaws.com',
      region: 'eu-west-1',
      provider: 'aws',
      interval: '5m',
      prefix: 'apps/',
      sts: { provider: 'aws', endpoint: 'https://sts.amazonaws.com' },
      secretRef: { name: 'minio' },
    },
    status: { conditions: [ready], observedGeneration: 2, artifact: artifact('sha256:9f60'), observedIgnore: '' },
  },
  // image.toolkit.fluxcd.io_imagerepositories.yaml v1
  ImageRepository: {
    apiVersion: 'image.toolkit.fluxcd.io/v1',
    kind: 'ImageRepository',
    metadata: meta('podinfo'),
    spec: {
      image: 'ghcr.io/stefanprodan/podinfo',
      interval: '6h',
      provider: 'generic',
      secretRef: { name: 'ghcr' },
      exclusionList: ['^.*\\.sig$'],
      accessFrom: { namespaceSelectors: [{ matchLabels: { a: 'b' } }] },
    },
    status: {
      conditions: [{ ...ready, status: 'False', reason: 'ReadOperationFailed', message: 'scan failed: UNAUTHORIZED: authentication required' }],
      observedGeneration: 2,
      canonicalImageName: 'ghcr.io/stefanprodan/podinfo',
      observedExclusionList: ['^.*\\.sig$'],
      lastScanResult: { revision: '3330212298', scanTime: '2025-05-30T12:00:00Z', tagCount: 148, latestTags: ['6.7.1', '6.7.0'] },
    },
  },
  // image.toolkit.fluxcd.io_imagepolicies.yaml v1
  ImagePolicy: {
    apiVersion: 'image.toolkit.fluxcd.io/v1',
    kind: 'ImagePolicy',
    metadata: meta('podinfo'),
    spec: {
      imageRepositoryRef: { name: 'podinfo', namespace: 'flux-system' },
      policy: { semver: { range: '>=6.0.0' } },
      digestReflectionPolicy: 'IfNotPresent',
      filterTags: { pattern: '^(?P<v>.*)$', extract: '$v' },
    },
    status: {
      conditions: [ready],
      observedGeneration: 2,
      latestRef: { name: 'ghcr.io/stefanprodan/podinfo', tag: '6.7.1', digest: 'sha256:aa' },
      observedPreviousRef: { name: 'ghcr.io/stefanprodan/podinfo', tag: '6.7.0' },
    },
  },
  // image.toolkit.fluxcd.io_imageupdateautomations.yaml v1: sourceRef.kind defaults to GitRepository
  ImageUpdateAutomation: {
    apiVersion: 'image.toolkit.fluxcd.io/v1',
    kind: 'ImageUpdateAutomation',
    metadata: meta('auto'),
    spec: {
      interval: '30m',
      sourceRef: { kind: 'GitRepository', name: 'flux-system', namespace: 'sources' },
      git: {
        checkout: { ref: { branch: 'main' } },
        commit: { author: { name: 'bot', email: 'bot@x' }, signingKey: { secretRef: { name: 'k' } } },
        push: { branch: 'auto', options: { 'merge_request.create': '' } },
      },
      update: { path: './apps', strategy: 'Setters' },
      policySelector: { matchLabels: { app: 'x' } },
    },
    status: {
      conditions: [ready],
      observedGeneration: 2,
      lastAutomationRunTime: '2025-05-30T12:00:00Z',
      lastPushCommit: '3f9c1e7a52b04d6e8a1f',
      lastPushTime: '2025-05-30T12:00:00Z',
      observedPolicies: { podinfo: { name: 'ghcr.io/x', tag: '1.0.0' } },
      observedSourceRevision: 'main@sha1:3f9c',
    },
  },
} as const;

const parse = (kind: keyof typeof EXAMPLES) => fluxObjectSchema.parse(EXAMPLES[kind]);
const targetOf = (kind: keyof typeof EXAMPLES) => {
  const { metadata } = EXAMPLES[kind];
  const k = fluxKind(kind);
  return { kind: k, ref: { group: k.group, version: 'v1', resource: k.resource, namespace: metadata.namespace }, name: metadata.name };
};

describe('Flux objects shaped as the upstream CRDs say', () => {
  it.each(Object.keys(EXAMPLES) as Array<keyof typeof EXAMPLES>)('%s parses, summarizes and is checked without error', (kind) => {
    const object = parse(kind);
    const summary = summarizeFluxObject(fluxKind(kind), object, NOW);
    expect(summary).toMatchObject({ kind, name: EXAMPLES[kind].metadata.name, suspended: false });
    expect(() => fluxFindings(fluxKind(kind), object, summary, NOW)).not.toThrow();
  });

  it('reads the revision each kind reports', () => {
    const revision = (kind: keyof typeof EXAMPLES) => summarizeFluxObject(fluxKind(kind), parse(kind), NOW).revision;
    expect(revision('Kustomization')).toBe('latest@sha256:9a7f');
    expect(revision('HelmRelease')).toBe('6.7.1');
    expect(revision('HelmChart')).toBe('6.7.1');
    expect(revision('GitRepository')).toBe('main@sha1:3f9c1e7a');
    expect(revision('ImagePolicy')).toBe('6.7.1');
    expect(revision('ImageUpdateAutomation')).toBe('3f9c1e7a52b0');
    expect(summarizeFluxObject(fluxKind('HelmRepository'), parse('HelmRepository'), NOW)).toMatchObject({ ready: 'True', reason: 'Static' });
  });

  it('finds what each kind is built from, as `flux reconcile --with-source` follows it', () => {
    const sources = (kind: keyof typeof EXAMPLES) => directSources(targetOf(kind), parse(kind));
    expect(sources('Kustomization')).toEqual([{ kind: 'OCIRepository', name: 'manifests', namespace: 'sources' }]);
    // helm-controller names the HelmChart <release namespace>-<release name>, in the chart source's namespace
    expect(sources('HelmRelease')).toEqual([{ kind: 'HelmChart', name: 'apps-podinfo', namespace: 'sources' }]);
    // a HelmChart's sourceRef has no namespace: its own
    expect(sources('HelmChart')).toEqual([{ kind: 'HelmRepository', name: 'podinfo', namespace: 'sources' }]);
    expect(sources('ImageUpdateAutomation')).toEqual([{ kind: 'GitRepository', name: 'flux-system', namespace: 'sources' }]);
    for (const kind of ['GitRepository', 'HelmRepository', 'OCIRepository', 'Bucket', 'ImageRepository', 'ImagePolicy'] as const)
      expect(sources(kind)).toEqual([]);
  });

  it("follows chartRef, defaulting its namespace to the release's", () => {
    const release = { ...EXAMPLES.HelmRelease, spec: { interval: '30m', chartRef: { kind: 'OCIRepository', name: 'podinfo' } } };
    expect(directSources(targetOf('HelmRelease'), fluxObjectSchema.parse(release))).toEqual([{ kind: 'OCIRepository', name: 'podinfo', namespace: 'apps' }]);
  });

  it('reads older served versions: HelmRelease v2beta1 (lastAppliedRevision, no history), ImagePolicy v1beta2 (latestImage)', () => {
    const v2beta1 = {
      apiVersion: 'helm.toolkit.fluxcd.io/v2beta1',
      kind: 'HelmRelease',
      metadata: meta('old', 'apps'),
      spec: { interval: '5m', chart: { spec: { chart: 'old', sourceRef: { kind: 'HelmRepository', name: 'repo' } } } },
      status: {
        conditions: [{ type: 'Ready', status: 'False', reason: 'UpgradeFailed', message: 'upgrade retries exhausted' }],
        lastAppliedRevision: '1.2.3',
        lastAttemptedRevision: '1.2.4',
        failures: 4,
        upgradeFailures: 4,
        helmChart: 'apps/apps-old',
      },
    };
    const old = fluxObjectSchema.parse(v2beta1);
    expect(summarizeFluxObject(fluxKind('HelmRelease'), old, NOW)).toMatchObject({ ready: 'False', revision: '1.2.3' });
    expect(directSources({ ...targetOf('HelmRelease'), name: 'old' }, old)).toEqual([{ kind: 'HelmChart', name: 'apps-old', namespace: 'apps' }]);
    const policy = {
      apiVersion: 'image.toolkit.fluxcd.io/v1beta2',
      kind: 'ImagePolicy',
      metadata: meta('p'),
      spec: { imageRepositoryRef: { name: 'r' }, policy: { alphabetical: { order: 'asc' } } },
      status: { conditions: [ready], latestImage: 'ghcr.io/x:1.0.0' },
    };
    expect(summarizeFluxObject(fluxKind('ImagePolicy'), fluxObjectSchema.parse(policy), NOW).revision).toBe('ghcr.io/x:1.0.0');
  });

  it('a field only shown, in a shape the CRD did not promise, reads as absent instead of failing the whole check', () => {
    const odd = { ...EXAMPLES.ImageRepository, status: { ...EXAMPLES.ImageRepository.status, lastScanResult: 'n/a', latestRef: ['x'] } };
    const object = fluxObjectSchema.parse(odd);
    expect(object.status.lastScanResult).toBeUndefined();
    expect(summarizeFluxObject(fluxKind('ImageRepository'), object, NOW).ready).toBe('False');
  });

  it('a reference a write follows is strict: a Kustomization without a sourceRef is an error naming the field', () => {
    const object = fluxObjectSchema.parse({ ...EXAMPLES.Kustomization, spec: { interval: '10m', path: './' } });
    expect(() => directSources(targetOf('Kustomization'), object)).toThrow(/unexpected Kustomization flux-system\/apps spec from the API: sourceRef/);
  });
});
