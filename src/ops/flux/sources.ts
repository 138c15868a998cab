import { z } from 'zod';
import type { OpContext } from '../../core/op.js';
import { UserError } from '../../core/errors.js';
import { parseObject } from '../shared/k8s.js';
import { commandLine } from '../shared/fix.js';
import { FLUX_KINDS } from './kinds.js';
import type { FluxObject } from './objects.js';
import { describeTarget, resolveTarget, type FluxTarget } from './request.js';

/*
 * What each kind is built from, as the upstream CRDs (OpenAPI schemas in config/crd/bases) spell
 * it. Strict on the fields followed, loose on everything else.
 */

/**
 * Kustomization: kustomize-controller kustomize.toolkit.fluxcd.io_kustomizations.yaml v1 (same in
 * v1beta2), api/v1 CrossNamespaceSourceReference: `spec.sourceRef` required, with kind (enum
 * OCIRepository | GitRepository | Bucket | ExternalArtifact) and name required, namespace optional
 * (defaults to the Kustomization's).
 */
const kustomizationSpec = z.looseObject({
  sourceRef: z.looseObject({ kind: z.string(), name: z.string(), namespace: z.string().optional() }),
});

/**
 * HelmRelease: helm-controller helm.toolkit.fluxcd.io_helmreleases.yaml v2 (same in v2beta2; v2beta1
 * has only `chart`). Either `spec.chart` {spec: {chart: string, sourceRef: {name required, kind
 * HelmRepository | GitRepository | Bucket, namespace}}} from which helm-controller makes the
 * HelmChart `<namespace>-<name>` in the sourceRef's namespace, or `spec.chartRef` {kind (enum
 * OCIRepository | HelmChart, ExternalArtifact in newer releases) and name required, namespace
 * optional}.
 */
const helmReleaseSpec = z.looseObject({
  chart: z
    .looseObject({
      spec: z.looseObject({ sourceRef: z.looseObject({ kind: z.string().optional(), name: z.string(), namespace: z.string().optional() }) }),
    })
    .optional(),
  chartRef: z.looseObject({ kind: z.string(), name: z.string(), namespace: z.string().optional() }).optional(),
});

/**
 * HelmChart: source-controller source.toolkit.fluxcd.io_helmcharts.yaml v1 (same in v1beta2):
 * `spec.chart` is a string (the chart's name or path); `spec.sourceRef` is a
 * LocalHelmChartSourceReference, kind (enum HelmRepository | GitRepository | Bucket) and name
 * required, no namespace: the source is in the HelmChart's own namespace.
 */
const helmChartSpec = z.looseObject({
  sourceRef: z.looseObject({ kind: z.string(), name: z.string() }),
});

/**
 * ImageUpdateAutomation: image-automation-controller image.toolkit.fluxcd.io_imageupdateautomations.yaml
 * v1 (same in v1beta2), api/v1 CrossNamespaceSourceReference: `spec.sourceRef` required, kind
 * defaults to (and may only be) GitRepository, name required, namespace optional.
 */
const imageUpdateSpec = z.looseObject({
  sourceRef: z.looseObject({ kind: z.string().default('GitRepository'), name: z.string(), namespace: z.string().optional() }),
});

interface SourceRef {
  kind: string;
  name: string;
  namespace: string;
}

function specOf<S extends z.ZodType>(schema: S, target: FluxTarget, object: FluxObject): z.output<S> {
  return parseObject(schema, object.spec, `${describeTarget(target)} spec`);
}

/** The sources an object is built from directly, as `flux reconcile --with-source` follows them. */
export function directSources(target: FluxTarget, object: FluxObject): SourceRef[] {
  const ns = target.ref.namespace ?? 'flux-system';
  switch (target.kind.kind) {
    case 'Kustomization': {
      const { sourceRef } = specOf(kustomizationSpec, target, object);
      return [{ kind: sourceRef.kind, name: sourceRef.name, namespace: sourceRef.namespace ?? ns }];
    }
    case 'HelmRelease': {
      const { chart, chartRef } = specOf(helmReleaseSpec, target, object);
      if (chartRef) return [{ kind: chartRef.kind, name: chartRef.name, namespace: chartRef.namespace ?? ns }];
      if (chart) return [{ kind: 'HelmChart', name: `${ns}-${target.name}`, namespace: chart.spec.sourceRef.namespace ?? ns }];
      return [];
    }
    case 'HelmChart': {
      const { sourceRef } = specOf(helmChartSpec, target, object);
      return [{ kind: sourceRef.kind, name: sourceRef.name, namespace: ns }];
    }
    case 'ImageUpdateAutomation': {
      const { sourceRef } = specOf(imageUpdateSpec, target, object);
      return [{ kind: sourceRef.kind, name: sourceRef.name, namespace: sourceRef.namespace ?? ns }];
    }
    default:
      return [];
  }
}

/** One source a reconcile --with-source reaches: annotated, or passed over when it is static. */
export interface SourceStep {
  target: FluxTarget;
  object: FluxObject;
  /** Why it is not annotated (an OCI HelmRepository is never reconciled by source-controller). */
  static?: string;
}

/**
 * Every source behind an object, deepest first (a HelmRelease's HelmRepository, then the HelmChart
 * built from it), each read from the cluster: the whole set is known before anything is written.
 */
export async function sourceChain(ctx: OpContext, root: FluxTarget, rootObject: FluxObject): Promise<SourceStep[]> {
  const steps: SourceStep[] = [];
  const seen = new Set<string>([describeTarget(root)]);
  const visit = async (target: FluxTarget, object: FluxObject): Promise<void> => {
    for (const ref of directSources(target, object)) {
      const kind = FLUX_KINDS.find((k) => k.kind === ref.kind && k.source);
      if (!kind) {
        throw new UserError(`${describeTarget(target)} is built from ${ref.kind} ${ref.namespace}/${ref.name}, which homelab does not reconcile`, {
          hint: `reconcile ${describeTarget(root)} without its source: ${commandLine('flux_reconcile', { kind: root.kind.key, name: root.name, namespace: root.ref.namespace ?? 'flux-system' })}`,
        });
      }
      const source = await resolveTarget(ctx, kind.key, ref.namespace, ref.name);
      const key = describeTarget(source.target);
      if (seen.has(key)) continue;
      seen.add(key);
      await visit(source.target, source.object);
      const isStatic = kind.kind === 'HelmRepository' && source.object.spec.type === 'oci';
      steps.push({ ...source, ...(isStatic ? { static: 'OCI HelmRepository: static, source-controller does not reconcile it' } : {}) });
    }
  };
  await visit(root, rootObject);
  return steps;
}
