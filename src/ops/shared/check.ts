import { z } from 'zod';
import { describeError } from '../../core/errors.js';
import type { OpContext, RbacRule } from '../../core/op.js';
import type { Verdict } from '../../core/op.js';
import { problemsLine, verdictOf, verdictSchema, type Finding } from './findings.js';
import { plural } from './format.js';

/**
 * A check: one look at one part of the homelab (nodes, pods, Flux, certificates, …) that turns
 * what it reads into findings. Its status op (`homelab certs`) runs it and shapes the output;
 * `homelab health` runs any set of them and gives each one line; the `doctor`/`why` work walks
 * the same checks. A new subsystem is one check file, listed in src/ops/checks.ts.
 *
 * A check that cannot tell at all (discovery failing, nothing readable) throws: its callers then
 * say "could not check", never "not installed". A kind it cannot read is a finding in its report
 * (see Reads), and the rest is still checked.
 */
export interface Check<P extends object = object, D = unknown> {
  /** How health names it (its line, `--only`), and the name of its finding when it could not run. */
  name: string;
  /** Other words `--only` takes for it (the command's word: certs for certificates). */
  aliases?: readonly string[];
  /** What it looks at, in a few words (for `health --only`'s help). */
  about: string;
  /** What it reads; an op that runs it needs all of it. */
  rbac: readonly RbacRule[];
  /** `params` narrow it (a namespace, thresholds); `{}` checks everything with the defaults. */
  run(ctx: OpContext, params: P): Promise<CheckReport<D>>;
}

/** A check as registries and health hold it: its parameters and data types erased. */
export type AnyCheck = Check<object, unknown>;

/** What a check looked at, or what it is about: a Kubernetes object (kind, namespace, name). */
export const objectRefSchema = z.object({
  kind: z.string(),
  namespace: z.string().optional(),
  name: z.string(),
});
export type ObjectRef = z.infer<typeof objectRefSchema>;

/** A report names at most this many of the objects it read; `lookedTotal` counts them all. */
export const MAX_LOOKED = 200;

export interface CheckReport<D = unknown> {
  /** false when discovery says the cluster does not serve what it checks: not installed, not an error. */
  installed: boolean;
  /** false when the config names none of what it checks (a home service without a `services:` entry): not an error. */
  configured?: boolean;
  /** What was looked at, in words: "27 Kustomizations, 7 HelmReleases, 9 sources". */
  scope: string;
  /**
   * Said instead of "all ok" when there was nothing to check ("no Certificates in any namespace"),
   * or instead of "not installed" to say what was looked for.
   */
  note?: string;
  /** Problems found, and kinds that could not be read; crit first. */
  findings: Finding[];
  /** What the whole check is about, when it is one thing: the namespace it was narrowed to, the operator's namespace. */
  subject?: ObjectRef;
  /** The objects it read, in the order read (at most MAX_LOOKED). */
  looked: ObjectRef[];
  lookedTotal: number;
  /** What its status op shows beyond the findings: the certificates, the Flux objects, the nodes. */
  data: D;
}

/** A check's run: its report, or why it could not run. */
export type CheckOutcome<D = unknown> =
  { name: string; report: CheckReport<D>; error?: undefined; cause?: undefined } | { name: string; report?: undefined; error: string; cause: unknown };

/** Runs a check; one that fails becomes an outcome that says why (the op being cancelled goes on up). */
export async function attemptCheck<P extends object, D>(check: Check<P, D>, ctx: OpContext, params: P): Promise<CheckOutcome<D>> {
  try {
    return { name: check.name, report: await check.run(ctx, params) };
  } catch (err) {
    if (ctx.signal.aborted) throw err;
    return { name: check.name, error: describeError(err), cause: err };
  }
}

/** The finding of a check that could not run: a warning, never a silent green. */
export function couldNotCheck(name: string, error: string): Finding {
  return { severity: 'warn', kind: 'Check', name, reason: 'CheckFailed', message: `could not check ${name}: ${error}` };
}

export const checkStateSchema = z.enum(['checked', 'not installed', 'not configured', 'could not check']);

/** One line per check, as health shows it. */
export const checkLineSchema = z.object({
  name: z.string(),
  state: checkStateSchema.describe(
    'checked; not installed (discovery says the cluster does not serve it); not configured (the config names none of it); could not check (see line)',
  ),
  verdict: verdictSchema,
  line: z.string().describe('One line: what was looked at and the worst finding'),
  problems: z.number().int(),
});
export type CheckLine = z.infer<typeof checkLineSchema>;

/** A check's findings as health counts them: its report's, or the one saying it could not run. */
export function outcomeFindings(outcome: CheckOutcome): Finding[] {
  return outcome.report ? outcome.report.findings : [couldNotCheck(outcome.name, outcome.error)];
}

/** The one line for a check: the worst finding named, or that all is well and what that covers, or why it could not check. */
export function checkLine(outcome: CheckOutcome): CheckLine {
  return lineOf(outcome, false);
}

/**
 * The line for a check beside its findings and its state: how many problems, not the worst one
 * again, and "not installed" without what was looked for (the check's own status command says it).
 */
export function briefCheckLine(outcome: CheckOutcome): CheckLine {
  return lineOf(outcome, true);
}

function lineOf(outcome: CheckOutcome, brief: boolean): CheckLine {
  const { name, report } = outcome;
  if (!report) return { name, state: 'could not check', verdict: 'warn', line: `${name}: could not check: ${outcome.error}`, problems: 1 };
  const verdict = verdictOf(report.findings);
  const problems =
    brief && report.findings.length ? `${plural(report.findings.length, 'problem')} in ${report.scope}` : problemsLine(report.findings, report.scope);
  const count = report.findings.length;
  if (report.configured === false) {
    return { name, state: 'not configured', verdict, line: `${name}: ${report.note ?? 'not configured'}${problems ? `; ${problems}` : ''}`, problems: count };
  }
  if (!report.installed) {
    return {
      name,
      state: 'not installed',
      verdict,
      line: `${name}: ${(brief ? undefined : report.note) ?? 'not installed'}${problems ? `; ${problems}` : ''}`,
      problems: count,
    };
  }
  return { name, state: 'checked', verdict, line: `${name}: ${problems ?? report.note ?? `${report.scope}, all ok`}`, problems: count };
}

/**
 * A status op's verdict, summary line and findings from its check's report. The line follows one
 * rule for each op: not installed says what was looked for; problems name the worst (after `name:`
 * when given); nothing to check says what was looked for; else `ok`, the op's own words for all
 * being well; `also` is said after any of them.
 */
export function checkStatus(
  report: CheckReport,
  words: { name?: string; ok: string; also?: string },
): { verdict: Verdict; summary: string; findings: Finding[] } {
  const problems = problemsLine(report.findings, report.scope);
  const line =
    !report.installed && !problems
      ? (report.note ?? 'not installed')
      : problems
        ? words.name
          ? `${words.name}: ${problems}`
          : problems
        : (report.note ?? words.ok);
  return { verdict: verdictOf(report.findings), summary: words.also ? `${line}; ${words.also}` : line, findings: report.findings };
}

/** The RBAC of several checks, each rule once (health needs what every check it may run reads). */
export function rbacOf(checks: readonly AnyCheck[]): RbacRule[] {
  return mergeRbac(...checks.map((c) => c.rbac));
}

/** Rule lists as one, each (group, resource, namespaces) once with the union of its verbs. */
export function mergeRbac(...lists: ReadonlyArray<readonly RbacRule[]>): RbacRule[] {
  const rules = new Map<string, RbacRule>();
  for (const rule of lists.flat()) {
    const key = `${rule.apiGroup}\u0000${rule.resource}\u0000${(rule.inNamespacesOf ?? []).join(',')}`;
    const seen = rules.get(key);
    rules.set(key, seen ? { ...seen, verbs: [...new Set([...seen.verbs, ...rule.verbs])] } : rule);
  }
  return [...rules.values()];
}
