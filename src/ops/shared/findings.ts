import { z } from 'zod';
import type { OpContext, RbacRule, Verdict } from '../../core/op.js';
import { fixSchema } from './fix.js';

export const severitySchema = z.enum(['warn', 'crit']);

/** A problem found in the cluster: data in the answer, never an exception. */
export const findingSchema = z.object({
  severity: severitySchema,
  kind: z.string().describe('Kubernetes kind of the object, e.g. Pod, Node; "Check" for a check that could not run'),
  namespace: z.string().optional(),
  name: z.string(),
  reason: z.string().describe('Short machine-friendly reason, e.g. CrashLoopBackOff, NotReady, Unschedulable'),
  message: z.string().describe('What a person needs to know, in one line'),
  fix: fixSchema.optional().describe('What fixes or explains it'),
});
export type Finding = z.infer<typeof findingSchema>;

/** One small check over the cluster, in the manner of k8sgpt's analyzers. */
export interface HealthCheck<T> {
  name: string;
  run(ctx: OpContext): Promise<{ findings: Finding[]; data: T }>;
}

/**
 * A subsystem's verdict for `homelab health`: whether the cluster serves it at all, and what is
 * wrong. Each status op (flux, certs, secrets, backups) exports one, so health and the op agree.
 */
export interface SubsystemCheck {
  name: string;
  /** What the check reads; `homelab health` needs all of it. */
  rbac: readonly RbacRule[];
  check(ctx: OpContext): Promise<SubsystemResult>;
}

export interface SubsystemResult {
  /** false when the APIs are not installed: not an error, and not a finding. */
  served: boolean;
  /** "27 Kustomizations, 7 HelmReleases, 9 sources" — what was looked at. */
  scope: string;
  findings: Finding[];
}

export const subsystemSummarySchema = z.object({
  name: z.string(),
  served: z.boolean(),
  verdict: z.enum(['ok', 'warn', 'crit']),
  line: z.string().describe('One line: what was looked at and the worst finding'),
  problems: z.number().int(),
});
export type SubsystemSummary = z.infer<typeof subsystemSummarySchema>;

/** The one line for a subsystem: the worst finding named, or that all is well. */
export function summarizeSubsystem(name: string, result: SubsystemResult): SubsystemSummary {
  if (!result.served) return { name, served: false, verdict: 'ok', line: `${name}: not installed`, problems: 0 };
  const findings = sortFindings([...result.findings]);
  const verdict = verdictOf(findings);
  const worst = findings[0];
  const line = worst
    ? `${name}: ${findings.length} problem${findings.length === 1 ? '' : 's'} in ${result.scope}; worst: ${worst.kind} ${worst.namespace ? `${worst.namespace}/` : ''}${worst.name} ${worst.reason}: ${worst.message}`
    : `${name}: ${result.scope}, all ok`;
  return { name, served: true, verdict, line, problems: findings.length };
}

const RANK: Record<Verdict, number> = { ok: 0, warn: 1, crit: 2 };

export function worstVerdict(verdicts: Iterable<Verdict>): Verdict {
  let worst: Verdict = 'ok';
  for (const v of verdicts) if (RANK[v] > RANK[worst]) worst = v;
  return worst;
}

export function verdictOf(findings: readonly Finding[]): Verdict {
  return worstVerdict(findings.map((f) => f.severity));
}

/** crit first, then by kind/namespace/name, so the same cluster prints the same way. */
export function sortFindings(findings: Finding[]): Finding[] {
  return findings.sort(
    (a, b) =>
      RANK[b.severity] - RANK[a.severity] ||
      a.kind.localeCompare(b.kind) ||
      (a.namespace ?? '').localeCompare(b.namespace ?? '') ||
      a.name.localeCompare(b.name),
  );
}
