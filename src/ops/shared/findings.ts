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
 * wrong. Each status op (flux, certs, secrets, tailscale, backups) exports one, so health and the
 * op agree. A check that cannot tell (discovery failing, nothing readable) throws: health then
 * says "could not check", never "not installed".
 */
export interface SubsystemCheck {
  name: string;
  /** What the check reads; `homelab health` needs all of it. */
  rbac: readonly RbacRule[];
  check(ctx: OpContext): Promise<SubsystemResult>;
}

export interface SubsystemResult {
  /** false when the APIs are not installed (discovery said so): not an error. */
  served: boolean;
  /** "27 Kustomizations, 7 HelmReleases, 9 sources" — what was looked at. */
  scope: string;
  /**
   * Said instead of "all ok" when there was nothing to check ("no Certificates in any namespace"),
   * or instead of "not installed" to say what was looked for.
   */
  note?: string;
  /** Problems found, and kinds that could not be read. */
  findings: Finding[];
}

export const subsystemStateSchema = z.enum(['checked', 'not installed', 'could not check']);

export const subsystemSummarySchema = z.object({
  name: z.string(),
  state: subsystemStateSchema.describe('checked; not installed (discovery says the cluster does not serve it); could not check (see line)'),
  verdict: z.enum(['ok', 'warn', 'crit']),
  line: z.string().describe('One line: what was looked at and the worst finding'),
  problems: z.number().int(),
});
export type SubsystemSummary = z.infer<typeof subsystemSummarySchema>;

/** The one line for a subsystem: the worst finding named, or that all is well and what that covers. */
export function summarizeSubsystem(name: string, result: SubsystemResult): SubsystemSummary {
  const findings = sortFindings([...result.findings]);
  const verdict = verdictOf(findings);
  const worst = findings[0];
  const problems = worst
    ? `${findings.length} problem${findings.length === 1 ? '' : 's'} in ${result.scope}; worst: ${worst.kind} ${worst.namespace ? `${worst.namespace}/` : ''}${worst.name} ${worst.reason}: ${worst.message}`
    : undefined;
  if (!result.served) {
    return { name, state: 'not installed', verdict, line: `${name}: ${result.note ?? 'not installed'}${problems ? `; ${problems}` : ''}`, problems: findings.length };
  }
  const line = problems ?? (result.note ?? `${result.scope}, all ok`);
  return { name, state: 'checked', verdict, line: `${name}: ${line}`, problems: findings.length };
}

/** A subsystem whose check failed: its line says why, and it is a warning, never a green. */
export function subsystemCouldNotCheck(name: string, error: string): { summary: SubsystemSummary; finding: Finding } {
  return {
    summary: { name, state: 'could not check', verdict: 'warn', line: `${name}: could not check: ${error}`, problems: 1 },
    finding: { severity: 'warn', kind: 'Check', name, reason: 'CheckFailed', message: `could not check ${name}: ${error}` },
  };
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
