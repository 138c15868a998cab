import { z } from 'zod';
import { defineOp, type OpContext, type RbacRule } from '../../core/op.js';
import { namespaceSchema } from '../../core/schemas.js';
import { findingSchema, sortFindings, verdictOf, type Finding, type SubsystemCheck } from '../shared/findings.js';
import { Reads, resourceName } from '../shared/reads.js';
import { FLUX_KINDS, fluxKindSchema, servedVersion, type FluxKind } from './kinds.js';
import { fluxFindings, fluxObjectSchema, fluxObjectSummarySchema, summarizeFluxObject, type FluxObjectSummary } from './objects.js';

const STATUS_KINDS = FLUX_KINDS.filter((k) => k.inStatus);

/** list on every Flux kind status reads; health needs the same. */
export const fluxStatusRbac: RbacRule[] = STATUS_KINDS.map((k) => ({ apiGroup: k.group, resource: k.resource, verbs: ['list'] }));

interface FluxScan {
  apis: Array<{ kind: string; version: string | null; error?: string }>;
  objects: FluxObjectSummary[];
  findings: Finding[];
}

/**
 * Reads every served Flux kind (optionally one namespace or kind) page by page. A kind whose
 * discovery or list fails is a finding and the others are still read; when none can be read the
 * error is thrown: failing discovery is never "Flux is not installed".
 */
async function scanFlux(ctx: OpContext, filter: { namespace?: string; kind?: string } = {}): Promise<FluxScan> {
  const kinds = STATUS_KINDS.filter((k) => !filter.kind || k.key === filter.kind);
  const reads = new Reads(ctx);
  const versions = await Promise.all(kinds.map((k) => reads.discover(`${k.group} (${k.kind})`, { group: k.group, resource: k.resource }, () => servedVersion(ctx, k))));
  const now = ctx.now();
  const objects: FluxObjectSummary[] = [];
  const findings: Finding[] = [];
  await Promise.all(
    kinds.map(async (kind: FluxKind, i) => {
      const version = versions[i];
      if (!version) return;
      const ref = { group: kind.group, version, resource: kind.resource, namespace: filter.namespace };
      await reads.list({ ref, kind: kind.kind, schema: fluxObjectSchema }, (obj) => {
        const summary = summarizeFluxObject(kind, obj, now);
        objects.push(summary);
        findings.push(...fluxFindings(kind, obj, summary, now));
      });
    }),
  );
  const problems = reads.finish();
  const failed = new Map(problems.filter((p) => p.kind === 'Check').map((p) => [p.name, p.message]));
  const order = new Map(STATUS_KINDS.map((k, i) => [k.kind, i]));
  objects.sort((a, b) => (order.get(a.kind) ?? 0) - (order.get(b.kind) ?? 0) || a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name));
  const apis = kinds.map((k, i) => {
    const error = failed.get(resourceName(k));
    return { kind: k.kind, version: versions[i] ?? null, ...(error ? { error } : {}) };
  });
  return { apis, objects, findings: sortFindings([...findings, ...problems]) };
}

/** "27 Kustomizations, 7 HelmReleases, 9 sources, 6 image objects" */
function scope(objects: FluxObjectSummary[]): string {
  const count = (pred: (o: FluxObjectSummary) => boolean) => objects.filter(pred).length;
  const sources = new Set(FLUX_KINDS.filter((k) => k.source).map((k) => k.kind));
  const parts = [
    [count((o) => o.kind === 'Kustomization'), 'Kustomization'],
    [count((o) => o.kind === 'HelmRelease'), 'HelmRelease'],
    [count((o) => sources.has(o.kind)), 'source'],
    [count((o) => o.kind.startsWith('Image')), 'image object'],
  ] as const;
  return parts.filter(([n]) => n > 0).map(([n, what]) => `${n} ${what}${n === 1 ? '' : 's'}`).join(', ') || 'no Flux objects';
}

const NOT_INSTALLED = 'Flux is not installed on this cluster (no toolkit.fluxcd.io APIs are served)';

/** Installed when any Flux kind is served, or could not be asked about (then it is a finding, not "not installed"). */
function installed(scan: FluxScan): boolean {
  return scan.apis.some((a) => a.version || a.error);
}

/** What was looked for, when nothing was found. */
function nothingToCheck(scan: FluxScan, namespace?: string): string | undefined {
  if (scan.objects.length) return undefined;
  const served = scan.apis.filter((a) => a.version).map((a) => a.kind);
  return `no Flux objects ${namespace ? `in namespace ${namespace}` : 'in any namespace'} (looked for ${served.join(', ') || 'nothing that is served'}): nothing to check`;
}

export const fluxCheck: SubsystemCheck = {
  rbac: fluxStatusRbac,
  name: 'flux',
  async check(ctx) {
    const scan = await scanFlux(ctx);
    return { served: installed(scan), scope: scope(scan.objects), findings: scan.findings, note: installed(scan) ? nothingToCheck(scan) : NOT_INSTALLED };
  },
};

const output = z.object({
  verdict: z.enum(['ok', 'warn', 'crit']),
  summary: z.string(),
  installed: z.boolean().describe('false when no Flux API is served: Flux is not installed'),
  apis: z.array(
    z.object({
      kind: z.string(),
      version: z.string().nullable().describe('Served version read; null when not served, or when it could not be read (see error)'),
      error: z.string().optional().describe('Why this kind could not be read (discovery or list failed, 403); also a finding'),
    }),
  ),
  objects: z.array(fluxObjectSummarySchema),
  findings: z.array(findingSchema),
});

export default defineOp({
  name: 'flux_status',
  title: 'Flux GitOps status',
  description:
    'Every Flux object: Kustomizations, HelmReleases, sources (GitRepository, HelmRepository, OCIRepository, Bucket) and ' +
    'image automation (ImageRepository, ImagePolicy, ImageUpdateAutomation), with Ready, reason, message, revision, ' +
    'suspended and how long each has been failing. Flags what needs action: a HelmRelease stuck after its retries ran out, ' +
    'a Kustomization whose build fails, a source that cannot fetch, an ImageRepository that cannot authenticate. ' +
    'API versions come from discovery; a cluster without Flux says so. Verdict ok/warn/crit as health.',
  effect: 'read',
  input: z
    .object({
      namespace: namespaceSchema.optional().describe('Only this namespace (default: all)'),
      kind: fluxKindSchema(STATUS_KINDS.map((k) => k.key) as [string, ...string[]]).optional().describe('Only this kind (or its short name: hr, ks, …)'),
    })
    .strict(),
  output,
  rbac: fluxStatusRbac,
  timeoutMs: 60_000,
  async run(ctx, input) {
    const scan = await scanFlux(ctx, input);
    const isInstalled = installed(scan);
    const verdict = verdictOf(scan.findings);
    const worst = scan.findings[0];
    const summary = !isInstalled
      ? NOT_INSTALLED
      : worst
        ? `${scan.findings.length} problem${scan.findings.length === 1 ? '' : 's'} in ${scope(scan.objects)}; worst: ${worst.kind} ${worst.namespace ? `${worst.namespace}/` : ''}${worst.name} ${worst.reason}`
        : (nothingToCheck(scan, input.namespace) ?? `${scope(scan.objects)}: all ready`);
    return { verdict, summary, installed: isInstalled, ...scan };
  },
  summarize: (out) => ({ verdict: out.verdict, line: out.summary }),
});
