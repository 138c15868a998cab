import { z } from 'zod';
import { defineOp, type Verdict } from '../../core/op.js';
import { findingsSchema, sortFindings, summarizeStatus, summaryLineSchema, verdictOf, verdictSchema, type Finding } from '../shared/findings.js';
import { attemptCheck, briefCheckLine, checkStateSchema, outcomeFindings, rbacOf, type CheckLine, type CheckOutcome } from '../shared/check.js';
import { clip } from '../shared/bounded.js';
import { plural } from '../shared/format.js';
import { fix, fixSchema } from '../shared/fix.js';
import { DOCTOR_CHECKS, SERVICE_CHECKS } from '../checks.js';
import { compareText } from '../../core/compare.js';

/** Findings in an answer by default: what fits an assistant's budget beside every subsystem's line (the CLI shows more). */
export const DEFAULT_LIMIT = 3;
const MAX_LIMIT = 200;

const WORDS = DOCTOR_CHECKS.flatMap((c) => [c.name, ...(c.aliases ?? [])]) as [string, ...string[]];

/**
 * A subsystem's line in doctor's answer. With twenty-odd subsystems beside the findings, each says
 * only what it adds (issue 11's 8 KB a result): its state when not "checked", its count of problems
 * when there are some, and a line that does not repeat the name beside it.
 */
const subsystemSchema = z.object({
  name: z.string(),
  state: checkStateSchema.exclude(['checked']).optional().describe('Absent: checked'),
  verdict: verdictSchema,
  line: z.string().describe('What was looked at, how many problems, or why it could not check'),
  problems: z.number().int().optional().describe('Absent: none'),
});
type Subsystem = z.infer<typeof subsystemSchema>;

/** How much of a finding's message doctor repeats: the subsystem's own tool (each finding's fix, or narrow) has it whole. */
const MESSAGE_MAX = 120;

function subsystemOf(l: CheckLine): Subsystem {
  const line = l.line.startsWith(`${l.name}: `) ? l.line.slice(l.name.length + 2) : l.line;
  return {
    name: l.name,
    ...(l.state === 'checked' ? {} : { state: l.state }),
    verdict: l.verdict,
    line,
    ...(l.problems ? { problems: l.problems } : {}),
  };
}

const output = z.object({
  verdict: verdictSchema,
  summary: summaryLineSchema,
  subsystems: z.array(subsystemSchema).describe('One line per subsystem, in a fixed order, whatever its state'),
  findings: findingsSchema.describe('The worst findings first, at most limit of them'),
  findingsTotal: z.number().int(),
  truncated: z.boolean().describe('true when findings holds fewer than findingsTotal'),
  byReason: z.record(z.string(), z.number().int()).optional().describe('When truncated: every finding counted by reason, critical and most frequent first'),
  narrow: fixSchema.optional().describe('When truncated: the same call for the subsystem with the most findings, all of them'),
});
type Output = z.infer<typeof output>;

function counts(findings: readonly Finding[]): string {
  const crit = findings.filter((f) => f.severity === 'crit').length;
  const warn = findings.length - crit;
  return [crit && `${crit} critical`, warn && plural(warn, 'warning')].filter(Boolean).join(', ');
}

function summaryLine(verdict: Verdict, findings: readonly Finding[], lines: Output['subsystems']): string {
  const checked = lines.filter((l) => l.state === undefined).map((l) => l.name);
  const aside = (['not installed', 'not configured', 'could not check'] as const)
    .map((state) => ({ state, names: lines.filter((l) => l.state === state).map((l) => l.name) }))
    .filter((g) => g.names.length)
    .map((g) => `${g.state}: ${g.names.join(', ')}`);
  if (verdict === 'ok') return `healthy: ${plural(checked.length, 'subsystem')} checked, no problems${aside.length ? ` (${aside.join('; ')})` : ''}`;
  // The two worst by name; the findings beside it have them in full.
  const worst = findings.slice(0, 2).map((f) => `${f.kind.toLowerCase()} ${f.namespace ? `${f.namespace}/` : ''}${f.name} ${f.reason}`);
  return `${counts(findings)} in ${plural(checked.length, 'subsystem')}: ${worst.join('; ')}${findings.length > 2 ? '; …' : ''}`;
}

/** Reasons byReason names one by one; the rest are counted together, so a homelab with many kinds of trouble still fits. */
const REASONS_NAMED = 10;

/**
 * Every finding counted by reason: the reasons of critical findings first, then the most frequent,
 * at most REASONS_NAMED of them, and one entry "(N other reasons)" for the rest: the counts add up
 * to findingsTotal.
 */
function byReason(findings: readonly Finding[]): Record<string, number> {
  const tally = new Map<string, { count: number; crit: boolean }>();
  for (const f of findings) {
    const seen = tally.get(f.reason) ?? { count: 0, crit: false };
    tally.set(f.reason, { count: seen.count + 1, crit: seen.crit || f.severity === 'crit' });
  }
  const sorted = [...tally].sort(([a, x], [b, y]) => Number(y.crit) - Number(x.crit) || y.count - x.count || compareText(a, b));
  const named = sorted.length > REASONS_NAMED ? sorted.slice(0, REASONS_NAMED - 1) : sorted;
  const rest = sorted.slice(named.length);
  return Object.fromEntries([
    ...named.map(([reason, { count }]) => [reason, count] as const),
    ...(rest.length ? [[`(${rest.length} other reasons)`, rest.reduce((n, [, { count }]) => n + count, 0)] as const] : []),
  ]);
}

export default defineOp({
  name: 'doctor',
  title: 'Doctor: one verdict over everything',
  description:
    'Every subsystem at once: cluster (workloads, storage, Flux, certificates…), DNS, media, NAS, configured services. Returns a line each, the worst findings.',
  effect: 'read',
  input: z
    .object({
      only: z.array(z.enum(WORDS)).min(1).optional(),
      limit: z.number().int().min(1).max(MAX_LIMIT).default(DEFAULT_LIMIT).describe('Findings to return, worst first'),
    })
    .strict(),
  output,
  rbac: rbacOf(DOCTOR_CHECKS),
  timeoutMs: 90_000,
  async run(ctx, input): Promise<Output> {
    const wanted = input.only ? DOCTOR_CHECKS.filter((c) => input.only?.some((w) => w === c.name || (c.aliases ?? []).includes(w))) : DOCTOR_CHECKS;
    // The homelab's services (SERVICE_CHECKS) each have a line only when configured or asked for by name:
    // ten "not configured" lines would crowd out what is there.
    const outcomes: CheckOutcome[] = (await Promise.all(wanted.map((check) => attemptCheck(check, ctx, {})))).filter(
      (o) => input.only || o.report?.configured !== false || !SERVICE_CHECKS.some((c) => c.name === o.name),
    );
    // When nothing could be asked (cluster unreachable, no credentials) that is an error, not a verdict.
    if (outcomes.every((o) => o.error !== undefined)) throw outcomes[0]?.cause;
    // Each line counts its problems; the worst of them are in findings, said once.
    const subsystems = outcomes.map((o) => subsystemOf(briefCheckLine(o)));
    // One problem seen by two checks (a Certificate by its own check and by the ingress check's TLS) is said once.
    const all = sortFindings([
      ...new Map(outcomes.flatMap(outcomeFindings).map((f) => [JSON.stringify([f.kind, f.namespace, f.name, f.reason, f.message]), f])).values(),
    ]);
    const verdict = verdictOf(all);
    const shown = all.slice(0, input.limit).map((f) => ({ ...f, message: clip(f.message, MESSAGE_MAX) }));
    const truncated = shown.length < all.length;
    const most = [...subsystems].sort((a, b) => (b.problems ?? 0) - (a.problems ?? 0))[0];
    return {
      verdict,
      summary: summaryLine(verdict, all, subsystems),
      subsystems,
      findings: shown,
      findingsTotal: all.length,
      truncated,
      ...(truncated
        ? {
            byReason: byReason(all),
            ...(most ? { narrow: fix('doctor', { only: [most.name], limit: Math.min(MAX_LIMIT, Math.max(most.problems ?? 0, input.limit)) }) } : {}),
          }
        : {}),
    };
  },
  summarize: summarizeStatus,
});
