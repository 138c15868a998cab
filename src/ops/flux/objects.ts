import { z } from 'zod';
import { formatAge } from '../../core/schemas.js';
import type { Finding } from '../shared/findings.js';
import { fix, type Fix } from '../shared/fix.js';
import { conditionSchema, metadataSchema, ageMs } from '../shared/k8s.js';
import { conditionStatusSchema, conditionStatus, findCondition as condition } from '../shared/conditions.js';
import { RECONCILABLE, type FluxKind } from './kinds.js';

/** A field shown to people but never acted on: a shape the CRD did not promise reads as absent. */
function shown<T extends z.ZodType>(schema: T) {
  return schema.optional().catch(undefined);
}

/**
 * The fields every Flux kind shares, which status, reconcile, suspend, resume and heal act on, and
 * the kind-specific ones status only shows. Checked against the upstream CRDs' OpenAPI schemas
 * (config/crd/bases in each controller repository):
 * - every kind: `spec.suspend` boolean; `status.conditions` []metav1.Condition (type, status
 *   required); `status.observedGeneration` int64 (-1 by default on the image kinds);
 *   `status.lastHandledReconcileAt` string (fluxcd/pkg/apis/meta ReconcileRequestStatus).
 * - helm.toolkit.fluxcd.io_helmreleases.yaml v2 (helm-controller v1.x; also v2beta2/v2beta1):
 *   `status.history[]` snapshots {chartVersion, status, ...}; `upgradeFailures`/`installFailures`
 *   int64; `lastAttemptedRevision` string; v2beta1 also `lastAppliedRevision`.
 * - kustomize.toolkit.fluxcd.io_kustomizations.yaml v1: `lastAppliedRevision`/`lastAttemptedRevision`.
 * - source.toolkit.fluxcd.io_{gitrepositories,helmrepositories,ocirepositories,buckets,helmcharts}.yaml
 *   v1: `status.artifact.revision`; helmrepositories `spec.type` enum default|oci.
 * - image.toolkit.fluxcd.io_imagerepositories.yaml v1: `spec.secretRef` {name};
 *   `status.lastScanResult` {tagCount (required), latestTags, scanTime, revision}.
 * - image.toolkit.fluxcd.io_imagepolicies.yaml v1: `status.latestRef` {name, tag, digest};
 *   v1beta2: `status.latestImage` string.
 * - image.toolkit.fluxcd.io_imageupdateautomations.yaml v1: `status.lastPushCommit` string.
 * What a write follows (sourceRef, chart, chartRef) is parsed per kind in sources.ts. `spec.chart`
 * is an object on a HelmRelease and a string on a HelmChart, so no shared schema may name it.
 */
export const fluxObjectSchema = z.looseObject({
  metadata: metadataSchema,
  spec: z
    .looseObject({
      suspend: z.boolean().optional(),
      type: shown(z.string()),
      secretRef: shown(z.looseObject({ name: z.string() })),
    })
    .default({}),
  status: z
    .looseObject({
      observedGeneration: z.number().optional(),
      conditions: z.array(conditionSchema).optional(),
      lastHandledReconcileAt: z.string().optional(),
      lastAppliedRevision: shown(z.string()),
      lastAttemptedRevision: shown(z.string()),
      artifact: shown(z.looseObject({ revision: z.string().optional() })),
      history: shown(z.array(z.looseObject({ chartVersion: z.string().optional(), status: z.string().optional() }))),
      upgradeFailures: shown(z.number()),
      installFailures: shown(z.number()),
      lastScanResult: shown(z.looseObject({ tagCount: z.number().optional(), latestTags: z.array(z.string()).optional() })),
      latestRef: shown(z.looseObject({ tag: z.string().optional(), name: z.string().optional() })),
      latestImage: shown(z.string()),
      lastPushCommit: shown(z.string()),
    })
    .default({}),
});
export type FluxObject = z.infer<typeof fluxObjectSchema>;

export const fluxObjectSummarySchema = z.object({
  kind: z.string(),
  namespace: z.string(),
  name: z.string(),
  ready: conditionStatusSchema.describe('The Ready condition; Unknown while reconciling or not yet reported'),
  reason: z.string().optional(),
  message: z.string().optional(),
  revision: z.string().optional().describe('Applied revision, chart version, artifact, tags or latest image'),
  suspended: z.boolean(),
  failingSince: z.string().optional().describe('When Ready turned False (RFC3339)'),
  failingFor: z.string().optional().describe('How long it has been failing, e.g. 16d'),
});
export type FluxObjectSummary = z.infer<typeof fluxObjectSummarySchema>;

const STUCK_MESSAGE = /(upgrade|install) retries exhausted/i;
/** Kinds whose failure means workloads are not what Git says: crit. Sources and images: warn. */
const DEPLOYING = new Set(['Kustomization', 'HelmRelease']);
/** Reconciling longer than this is worth a look. */
const SLOW_RECONCILE_MS = 10 * 60_000;
const MAX_MESSAGE = 400;

function revisionOf(obj: FluxObject): string | undefined {
  const s = obj.status;
  if (s.lastAppliedRevision) return s.lastAppliedRevision;
  if (s.history?.[0]?.chartVersion) return s.history[0].chartVersion;
  if (s.artifact?.revision) return s.artifact.revision;
  if (s.latestRef?.tag) return s.latestRef.tag;
  if (s.latestImage) return s.latestImage;
  if (s.lastScanResult?.tagCount !== undefined) return `${s.lastScanResult.tagCount} tags`;
  if (s.lastPushCommit) return s.lastPushCommit.slice(0, 12);
  return s.lastAttemptedRevision;
}

function clip(text: string | undefined): string | undefined {
  if (!text) return text;
  const one = text.replace(/\s+/g, ' ').trim();
  return one.length > MAX_MESSAGE ? `${one.slice(0, MAX_MESSAGE - 1)}…` : one;
}

export function summarizeFluxObject(kind: FluxKind, obj: FluxObject, now: Date): FluxObjectSummary {
  // An OCI HelmRepository is static: source-controller never reconciles it, so it has no Ready.
  if (kind.kind === 'HelmRepository' && obj.spec.type === 'oci' && !condition(obj, 'Ready')) {
    const base = { kind: kind.kind, namespace: obj.metadata.namespace ?? '', name: obj.metadata.name };
    return { ...base, ready: 'True', reason: 'Static', message: 'OCI Helm repository: static, not reconciled', suspended: obj.spec.suspend === true };
  }
  const ready = condition(obj, 'Ready');
  const state = conditionStatus(obj, 'Ready');
  const failingMs = state === 'False' ? ageMs(now, ready?.lastTransitionTime) : undefined;
  return {
    kind: kind.kind,
    namespace: obj.metadata.namespace ?? '',
    name: obj.metadata.name,
    ready: state,
    reason: ready?.reason,
    message: clip(ready?.message),
    revision: revisionOf(obj),
    suspended: obj.spec.suspend === true,
    failingSince: failingMs !== undefined ? ready?.lastTransitionTime : undefined,
    failingFor: failingMs !== undefined ? formatAge(failingMs / 1000) : undefined,
  };
}

/**
 * A HelmRelease that helm-controller has given up on: current controllers say Stalled with
 * RetriesExceeded, older ones wrote "upgrade/install retries exhausted" into Ready's message.
 * Only a change, a reset or a suspend/resume makes it try again.
 */
export function stuckReason(obj: FluxObject): string | undefined {
  const ready = condition(obj, 'Ready');
  if (ready?.status !== 'False') return undefined;
  const stalled = condition(obj, 'Stalled');
  if (stalled?.status === 'True' && stalled.reason === 'RetriesExceeded') return stalled.message ?? 'retries exhausted';
  if (STUCK_MESSAGE.test(ready.message ?? '')) return ready.message;
  return undefined;
}

/** The last Helm failure behind a stuck release (e.g. "context deadline exceeded"), from Released. */
function lastHelmFailure(obj: FluxObject): string | undefined {
  const released = condition(obj, 'Released');
  return released?.status === 'False' ? released.message : undefined;
}

/** Kinds reconciled after what they are built from (`flux reconcile --with-source`). */
const BUILT_FROM_SOURCE = new Set(['Kustomization', 'HelmRelease', 'ImageUpdateAutomation']);

function reconcilable(kind: FluxKind): boolean {
  return (RECONCILABLE as readonly string[]).includes(kind.key);
}

/** Reconcile it, with its source where it has one: what helps once the cause is fixed (new commit, credentials). */
function reconcileFix(kind: FluxKind, summary: FluxObjectSummary): Fix | undefined {
  if (!reconcilable(kind)) return undefined;
  return fix('flux_reconcile', { kind: kind.key, name: summary.name, namespace: summary.namespace, withSource: BUILT_FROM_SOURCE.has(kind.kind) || undefined });
}

/** What an operator must act on for one Flux object; [] when it is fine. */
export function fluxFindings(kind: FluxKind, obj: FluxObject, summary: FluxObjectSummary, now: Date): Finding[] {
  const base = { kind: kind.kind, namespace: summary.namespace, name: summary.name };
  const since = summary.failingFor ? ` (failing for ${summary.failingFor})` : '';
  if (summary.suspended) {
    return [
      {
        ...base,
        severity: 'warn',
        reason: 'Suspended',
        message: 'suspended: changes in Git are not applied until it is resumed',
        fix: fix('flux_resume', { kind: kind.key, name: summary.name, namespace: summary.namespace }),
      },
    ];
  }
  if (summary.ready === 'False') {
    const stuck = kind.kind === 'HelmRelease' ? stuckReason(obj) : undefined;
    if (stuck) {
      const cause = lastHelmFailure(obj);
      const detail = cause && !stuck.includes(cause) ? `${clip(stuck)}; last failure: ${clip(cause)}` : clip(stuck);
      return [
        {
          ...base,
          severity: 'crit',
          reason: 'RetriesExhausted',
          message: `stuck, helm-controller gave up: ${detail}${since}. Fix the cause, then heal it`,
          fix: fix('flux_heal', { name: summary.name, namespace: summary.namespace }),
        },
      ];
    }
    if (kind.kind === 'ImageRepository' && /unauthori[sz]ed|authentication required|denied/i.test(summary.message ?? '')) {
      const creds = obj.spec.secretRef
        ? `spec.secretRef ${obj.spec.secretRef.name} does not hold working credentials for the registry`
        : 'it has no spec.secretRef: the registry needs credentials and none are configured';
      return [
        {
          ...base,
          severity: 'warn',
          reason: 'AuthenticationFailed',
          message: `cannot scan the registry: ${summary.message}${since}; ${creds}. Fix the credentials, then reconcile it`,
          fix: reconcileFix(kind, summary),
        },
      ];
    }
    const severity = DEPLOYING.has(kind.kind) ? 'crit' : 'warn';
    if (summary.reason === 'DependencyNotReady') {
      // Reconciling it changes nothing: the dependency is what to look at.
      return [
        {
          ...base,
          severity,
          reason: summary.reason,
          message: `waiting for a dependency: ${summary.message ?? 'no message'}${since}`,
          fix: fix('flux_status', { namespace: summary.namespace, kind: kind.key }),
        },
      ];
    }
    const what = kind.source ? 'cannot fetch' : kind.kind === 'Kustomization' && summary.reason === 'BuildFailed' ? 'build fails' : 'failing';
    const then = reconcilable(kind) ? `. Fix the cause, then reconcile it${BUILT_FROM_SOURCE.has(kind.kind) ? ' with its source' : ''}` : '';
    return [
      {
        ...base,
        severity,
        reason: summary.reason ?? 'NotReady',
        message: `${what}: ${summary.message ?? 'no message'}${since}${then}`,
        fix: reconcileFix(kind, summary),
      },
    ];
  }
  if (summary.ready === 'Unknown') {
    const reconciling = condition(obj, 'Reconciling');
    const age = ageMs(now, reconciling?.lastTransitionTime ?? condition(obj, 'Ready')?.lastTransitionTime);
    if (age !== undefined && age > SLOW_RECONCILE_MS) {
      return [
        {
          ...base,
          severity: 'warn',
          reason: 'Reconciling',
          message: `still reconciling after ${formatAge(age / 1000)}: ${reconciling?.message ?? summary.message ?? ''}`.trim(),
        },
      ];
    }
  }
  return [];
}
