import { z } from 'zod';
import { VERDICTS, type Summary, type Verdict } from '../../core/op.js';
import { fixSchema } from './fix.js';
import { plural } from './format.js';
import { clip } from './bounded.js';
import { compareText } from '../../core/compare.js';

/** The answer's verdict: ok (exit 0), warn (1), crit (2). */
export const verdictSchema = z.enum(VERDICTS);

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

/** The line and the findings every status answer carries beside its verdict. */
export const summaryLineSchema = z.string().describe('One line a person reads first');
export const findingsSchema = z.array(findingSchema).describe('Every problem found, crit first; what could not be read is a warning');

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
      RANK[b.severity] - RANK[a.severity] || compareText(a.kind, b.kind) || compareText(a.namespace ?? '', b.namespace ?? '') || compareText(a.name, b.name),
  );
}

/** "HelmRelease immich/immich RetriesExhausted: …": a finding in one line. */
export function describeFinding(f: Finding): string {
  return `${f.kind} ${f.namespace ? `${f.namespace}/` : ''}${f.name} ${f.reason}: ${f.message}`;
}

/** How much of the worst finding's message a summary line repeats: the findings carry it whole. */
const LINE_MESSAGE_MAX = 80;

/** "2 problems in 27 Kustomizations, …; worst: …", or undefined when there are none (findings sorted, worst first). */
export function problemsLine(findings: readonly Finding[], scope: string): string | undefined {
  const worst = findings[0];
  return worst
    ? `${plural(findings.length, 'problem')} in ${scope}; worst: ${describeFinding({ ...worst, message: clip(worst.message, LINE_MESSAGE_MAX) })}`
    : undefined;
}

/** The summarize of every op whose output carries its verdict and summary line. */
export function summarizeStatus(out: { verdict: Verdict; summary: string }): Summary {
  return { verdict: out.verdict, line: out.summary };
}
