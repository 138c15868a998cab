import { z } from 'zod';
import type { OpContext, Verdict } from '../../../core/op.js';

export const severitySchema = z.enum(['warn', 'crit']);

/** A problem found in the cluster: data in the answer, never an exception. */
export const findingSchema = z.object({
  severity: severitySchema,
  kind: z.string().describe('Kubernetes kind of the object, e.g. Pod, Node; "Check" for a check that could not run'),
  namespace: z.string().optional(),
  name: z.string(),
  reason: z.string().describe('Short machine-friendly reason, e.g. CrashLoopBackOff, NotReady, Unschedulable'),
  message: z.string().describe('What a person needs to know, in one line'),
});
export type Finding = z.infer<typeof findingSchema>;

/** One small check over the cluster, in the manner of k8sgpt's analyzers. */
export interface HealthCheck<T> {
  name: string;
  run(ctx: OpContext): Promise<{ findings: Finding[]; data: T }>;
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
