/**
 * Flux objects from a scenario's compact `flux:` section, shaped as the Flux 2.9 controllers write
 * them (kustomize.toolkit.fluxcd.io/v1 Kustomizations, helm.toolkit.fluxcd.io/v2 HelmReleases),
 * and the HelmChart the helm-controller creates for every HelmRelease with `spec.chart` (also for
 * HelmReleases written in full under `objects:`). Sources (GitRepository, HelmRepository,
 * OCIRepository) and the odd, failing objects are written in full in the scenario.
 */
import { at, ts, type Ctx } from './expand-context.js';
import { hex, uidFor } from './ids.js';
import type { FluxHelmReleaseSpec, FluxKustomizationSpec } from './scenario.js';
import { parseDuration, rfc3339Nano } from './time.js';
import { isRecord, type KubeObject } from '../apiserver/types.js';

const rec = (v: unknown): Record<string, unknown> => (isRecord(v) ? v : {});
const FINALIZERS = ['finalizers.fluxcd.io'];
const SOURCE_URL = 'http://source-controller.flux-system.svc.cluster.local.';

/** the artifact revision of a source object in the expanded objects (e.g. main@sha1:<40 hex>) */
function sourceArtifact(ctx: Ctx, kind: string, ns: string, name: string): Record<string, unknown> {
  const o = ctx.objects.find((x) => x.kind === kind && x.metadata.namespace === ns && x.metadata.name === name);
  return rec(rec(o?.status).artifact);
}
function sourceRevision(ctx: Ctx, kind: string, ns: string, name: string): string | undefined {
  const rev = sourceArtifact(ctx, kind, ns, name).revision;
  return typeof rev === 'string' ? rev : undefined;
}

function splitRef(ref: string, defaultKind: string): { kind: string; name: string } {
  const i = ref.indexOf('/');
  return i < 0 ? { kind: defaultKind, name: ref } : { kind: ref.slice(0, i), name: ref.slice(i + 1) };
}

function ready(status: 'True' | 'False', reason: string, message: string, when: Date, generation = 1): Record<string, unknown> {
  return { lastTransitionTime: ts(when), message, observedGeneration: generation, reason, status, type: 'Ready' };
}

function kustomization(ctx: Ctx, k: FluxKustomizationSpec): KubeObject {
  const created = at(ctx, k.created, new Date(ctx.now.getTime() - 300 * 86400_000));
  const src = splitRef(k.source, 'GitRepository');
  const revision = sourceRevision(ctx, src.kind, k.namespace, src.name);
  if (!revision) throw new Error(`scenario: Kustomization ${k.namespace}/${k.name} names source ${src.kind}/${src.name} which has no status.artifact.revision`);
  const applied = at(ctx, k.applied, new Date(ctx.now.getTime() - 9 * 86400_000));
  const interval = parseDuration(k.interval) ?? 600_000;
  const lastRun = new Date(ctx.now.getTime() - Math.floor(ctx.rnd(`ks/${k.name}`) * interval));
  const fetched = Date.parse(String(sourceArtifact(ctx, src.kind, k.namespace, src.name).lastUpdateTime ?? '')) || applied.getTime();
  const firstReconciled = new Date(Math.min(lastRun.getTime(), Math.max(applied.getTime(), fetched + 1000 + Math.floor(ctx.rnd(`ksf/${k.name}`) * 60_000))));
  const spec: Record<string, unknown> = {};
  if (k.sops) spec.decryption = { provider: 'sops', secretRef: { name: 'sops-age' } };
  if (k.dependsOn) spec.dependsOn = k.dependsOn.map((name) => ({ name }));
  Object.assign(spec, { force: false, interval: k.interval, path: k.path, prune: k.prune });
  if (k.retryInterval) spec.retryInterval = k.retryInterval;
  spec.sourceRef = { kind: src.kind, name: src.name };
  if (k.targetNamespace) spec.targetNamespace = k.targetNamespace;
  if (k.timeout) spec.timeout = k.timeout;
  if (k.wait !== undefined) spec.wait = k.wait;
  const annotations: Record<string, string> = {};
  const status: Record<string, unknown> = {
    conditions: [ready('True', 'ReconciliationSucceeded', `Applied revision: ${revision}`, applied)],
    history: [
      {
        digest: `sha256:${hex(`ks-inv/${k.namespace}/${k.name}/${revision}`, 64)}`,
        firstReconciled: ts(firstReconciled),
        lastReconciled: ts(lastRun),
        lastReconciledDuration: `${(0.4 + ctx.rnd(`ksd/${k.name}`) * 3).toFixed(9).replace(/0+$/, '')}s`,
        lastReconciledStatus: 'ReconciliationSucceeded',
        metadata: { revision },
        totalReconciliations: Math.max(1, Math.floor((lastRun.getTime() - firstReconciled.getTime()) / interval) + 1),
      },
    ],
    inventory: { entries: (k.inventory ?? []).map((id) => ({ id, v: 'v1' })) },
    lastAppliedRevision: revision,
    lastAttemptedRevision: revision,
    observedGeneration: 1,
  };
  if (k.lastHandledReconcileAt) {
    const v = rfc3339Nano(at(ctx, k.lastHandledReconcileAt, ctx.now), Math.floor(ctx.rnd(`lh/${k.name}`) * 1_000_000));
    annotations['reconcile.fluxcd.io/requestedAt'] = v;
    status.lastHandledReconcileAt = v;
  }
  return {
    apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
    kind: 'Kustomization',
    metadata: {
      name: k.name,
      namespace: k.namespace,
      uid: uidFor(`ks/${k.namespace}/${k.name}`),
      creationTimestamp: ts(created),
      generation: 1,
      finalizers: FINALIZERS,
      labels: { 'kustomize.toolkit.fluxcd.io/name': 'flux-system', 'kustomize.toolkit.fluxcd.io/namespace': 'flux-system' },
      ...(Object.keys(annotations).length ? { annotations } : {}),
    },
    spec,
    status,
  };
}

/** the Kustomization that applies a namespace's manifests: apps-<ns> or <ns> when the scenario has one */
function owningKustomization(ctx: Ctx, ns: string): string {
  const names = new Set((ctx.scenario.flux?.kustomizations ?? []).map((k) => k.name));
  return [`apps-${ns}`, ns].find((n) => names.has(n)) ?? 'flux-system';
}

/** the Helm release's name and chart as helm-controller's messages spell them */
export function releaseMessage(action: 'install' | 'upgrade', ns: string, name: string, release: number, chart: string, version: string): string {
  return `Helm ${action} succeeded for release ${ns}/${name}.v${release} with chart ${chart}@${version}`;
}

function helmRelease(ctx: Ctx, h: FluxHelmReleaseSpec): KubeObject {
  const created = at(ctx, h.created, new Date(ctx.now.getTime() - 200 * 86400_000));
  const deployed = at(ctx, h.deployed, created);
  const src = splitRef(h.repo, 'HelmRepository');
  const spec: Record<string, unknown> = {
    chart: {
      spec: {
        chart: h.chart,
        reconcileStrategy: 'ChartVersion',
        sourceRef: { kind: src.kind, name: src.name, namespace: h.sourceNamespace },
        version: h.version,
      },
    },
    interval: h.interval,
  };
  if (h.timeout) spec.timeout = h.timeout;
  if (h.retries !== undefined) {
    spec.install = { remediation: { retries: h.retries } };
    spec.upgrade = { cleanupOnFail: true, remediation: { retries: h.retries } };
  }
  if (h.values) spec.values = h.values;
  const action = h.release > 1 ? 'upgrade' : 'install';
  const reason = action === 'upgrade' ? 'UpgradeSucceeded' : 'InstallSucceeded';
  const msg = releaseMessage(action, h.namespace, h.name, h.release, h.chart, h.version);
  const configDigest = `sha256:${hex(`values/${h.namespace}/${h.name}/${JSON.stringify(h.values ?? {})}`, 64)}`;
  const status: Record<string, unknown> = {
    conditions: [ready('True', reason, msg, deployed), { ...ready('True', reason, msg, deployed), type: 'Released' }],
    helmChart: `${h.sourceNamespace}/${h.namespace}-${h.name}`,
    history: [
      {
        ...(h.appVersion ? { appVersion: h.appVersion } : {}),
        chartName: h.chart,
        chartVersion: h.version,
        configDigest,
        digest: `sha256:${hex(`release/${h.namespace}/${h.name}/${h.release}`, 64)}`,
        firstDeployed: ts(created),
        lastDeployed: ts(deployed),
        name: h.name,
        namespace: h.namespace,
        status: 'deployed',
        version: h.release,
      },
    ],
    lastAttemptedConfigDigest: configDigest,
    lastAttemptedGeneration: 1,
    lastAttemptedReleaseAction: action,
    lastAttemptedRevision: h.version,
    observedGeneration: 1,
    storageNamespace: h.namespace,
  };
  const annotations: Record<string, string> = {};
  if (h.lastHandledReconcileAt) {
    const v = rfc3339Nano(at(ctx, h.lastHandledReconcileAt, ctx.now), Math.floor(ctx.rnd(`lh/${h.name}`) * 1_000_000));
    annotations['reconcile.fluxcd.io/requestedAt'] = v;
    status.lastHandledReconcileAt = v;
  }
  return {
    apiVersion: 'helm.toolkit.fluxcd.io/v2',
    kind: 'HelmRelease',
    metadata: {
      name: h.name,
      namespace: h.namespace,
      uid: uidFor(`hr/${h.namespace}/${h.name}`),
      creationTimestamp: ts(created),
      generation: 1,
      finalizers: FINALIZERS,
      labels: { 'kustomize.toolkit.fluxcd.io/name': owningKustomization(ctx, h.namespace), 'kustomize.toolkit.fluxcd.io/namespace': 'flux-system' },
      ...(Object.keys(annotations).length ? { annotations } : {}),
    },
    spec,
    status,
  };
}

/** the HelmChart helm-controller keeps for a HelmRelease's spec.chart template */
function helmChartFor(ctx: Ctx, hr: KubeObject): KubeObject | undefined {
  const tpl = rec(rec(rec(hr.spec).chart).spec);
  if (typeof tpl.chart !== 'string') return undefined;
  const hrNs = hr.metadata.namespace ?? 'default';
  const srcRef = rec(tpl.sourceRef);
  const ns = typeof srcRef.namespace === 'string' ? srcRef.namespace : hrNs;
  const name = `${hrNs}-${hr.metadata.name ?? ''}`;
  const history = Array.isArray(rec(hr.status).history) ? (rec(hr.status).history as unknown[]).filter(isRecord) : [];
  const version = typeof tpl.version === 'string' && !/[*^~<>x]/.test(tpl.version) ? tpl.version : String(history[0]?.chartVersion ?? '0.1.0');
  const created = new Date(Date.parse(hr.metadata.creationTimestamp ?? '') || ctx.now.getTime() - 86400_000);
  const pulled = new Date(Math.max(created.getTime(), ctx.now.getTime() - 9 * 86400_000));
  // a chart from a HelmRepository is pulled; one from a GitRepository or Bucket is a path, packaged
  const fromRepository = String(srcRef.kind ?? 'HelmRepository') === 'HelmRepository';
  const chartName = tpl.chart.split('/').filter(Boolean).pop() ?? tpl.chart;
  const file = `${chartName}-${version}.tgz`;
  const message = fromRepository ? `pulled '${tpl.chart}' chart with version '${version}'` : `packaged '${chartName}' chart with version '${version}'`;
  const reason = fromRepository ? 'ChartPullSucceeded' : 'ChartPackageSucceeded';
  return {
    apiVersion: 'source.toolkit.fluxcd.io/v1',
    kind: 'HelmChart',
    metadata: { name, namespace: ns, uid: uidFor(`hc/${ns}/${name}`), creationTimestamp: ts(created), generation: 1, finalizers: FINALIZERS },
    spec: {
      chart: tpl.chart,
      interval: typeof tpl.interval === 'string' ? tpl.interval : String(rec(hr.spec).interval ?? '5m'),
      reconcileStrategy: typeof tpl.reconcileStrategy === 'string' ? tpl.reconcileStrategy : 'ChartVersion',
      sourceRef: { kind: String(srcRef.kind ?? 'HelmRepository'), name: String(srcRef.name ?? '') },
      version: String(tpl.version ?? '*'),
    },
    status: {
      artifact: {
        digest: `sha256:${hex(`chart/${tpl.chart}/${version}`, 64)}`,
        lastUpdateTime: ts(pulled),
        path: `helmchart/${ns}/${name}/${file}`,
        revision: version,
        size: 20_000 + Math.floor(ctx.rnd(`chartsize/${name}`) * 60_000),
        url: `${SOURCE_URL}/helmchart/${ns}/${name}/${file}`,
      },
      conditions: [
        ready('True', reason, message, pulled),
        { lastTransitionTime: ts(pulled), message, observedGeneration: 1, reason, status: 'True', type: 'ArtifactInStorage' },
      ],
      observedChartName: chartName,
      observedGeneration: 1,
      observedSourceArtifactRevision: sourceRevision(ctx, String(srcRef.kind ?? 'HelmRepository'), ns, String(srcRef.name ?? '')) ?? '',
      url: `${SOURCE_URL}/helmchart/${ns}/${name}/latest.tar.gz`,
    },
  };
}

export function expandFlux(ctx: Ctx): void {
  const f = ctx.scenario.flux;
  for (const k of f?.kustomizations ?? []) ctx.objects.push(kustomization(ctx, k));
  for (const h of f?.helmReleases ?? []) ctx.objects.push(helmRelease(ctx, h));
}

/** after all objects exist: a HelmChart for each HelmRelease unless the scenario wrote one */
export function expandHelmCharts(ctx: Ctx): void {
  for (const hr of ctx.objects.filter((o) => o.kind === 'HelmRelease')) {
    const hc = helmChartFor(ctx, hr);
    if (!hc) continue;
    if (ctx.objects.some((o) => o.kind === 'HelmChart' && o.metadata.namespace === hc.metadata.namespace && o.metadata.name === hc.metadata.name)) continue;
    ctx.objects.push(hc);
  }
}
