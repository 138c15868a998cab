/**
 * Scripted exec: what commands run in the sandbox's pods answer. Plain data, first match wins.
 *
 * A rule selects pods (namespace, exact `pod` or `podPrefix`, `node`, `container`) and commands
 * (exact `argv`, `argvPrefix`, or `argvRegex` matched against the argv joined by single spaces),
 * and answers with stdout, stderr, an exit code and an optional delay. `echoStdin` makes the
 * command behave like `cat`: stdin is echoed to stdout as it arrives and the command ends at
 * stdin EOF (which only v5 can signal). In stdout/stderr, `{{nodeName}}`, `{{nodeIP}}`,
 * `{{podName}}`, `{{podIP}}` and `{{namespace}}` are replaced by the pod's values, `{{args}}` by
 * the command's arguments (after the program) joined by spaces, as dig echoes them, and `{{NAME}}`
 * by what the argvRegex's named group `(?<NAME>…)` matched (one rule answers for many names).
 *
 * A command no rule answers fails the way containerd fails a missing executable, unless some rule
 * for the pod names the same program: then stderr says which rule is missing and the exit code is 2.
 */
import path from 'node:path';
import { z } from 'zod';
import { isRecord, type KubeObject } from '../apiserver/types.js';
import { deepFreeze, parsedOnce } from '../scenario/parse-once.js';

export const execRuleSchema = z
  .strictObject({
    namespace: z.string().optional(),
    pod: z.string().optional(),
    podPrefix: z.string().optional(),
    /** the pod's spec.nodeName */
    node: z.string().optional(),
    container: z.string().optional(),
    argv: z.array(z.string()).min(1).optional(),
    argvPrefix: z.array(z.string()).min(1).optional(),
    argvRegex: z.string().optional(),
    stdout: z.string().default(''),
    stderr: z.string().default(''),
    exitCode: z.number().int().min(0).max(255).default(0),
    delayMs: z.number().int().nonnegative().default(0),
    echoStdin: z.boolean().default(false),
    /** a note for people reading the data (ignored) */
    about: z.string().optional(),
  })
  .refine((r) => [r.argv, r.argvPrefix, r.argvRegex].filter((x) => x !== undefined).length <= 1, {
    message: 'a rule has at most one of argv, argvPrefix, argvRegex',
  })
  .refine((r) => !(r.pod && r.podPrefix), { message: 'a rule has pod or podPrefix, not both' });

export type ExecRule = z.input<typeof execRuleSchema>;
export type ParsedExecRule = z.output<typeof execRuleSchema>;

/** The `exec:` key of a scenario: inline rules and files of rules (relative to the scenarios dir). */
export const execScenarioSchema = z.strictObject({
  files: z.array(z.string()).default([]),
  rules: z.array(execRuleSchema).default([]),
});
export type ExecScenario = z.input<typeof execScenarioSchema>;

const fileSchema = z.strictObject({ rules: z.array(execRuleSchema) });

function formatIssues(source: string, error: z.ZodError): string {
  const lines = error.issues.map(
    (i) =>
      `  ${
        i.path
          .map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`))
          .join('')
          .replace(/^\./, '') || '(top)'
      }: ${i.message}`,
  );
  return `invalid exec rules ${source}:\n${lines.join('\n')}`;
}

export function parseExecRules(data: unknown, source: string): ParsedExecRule[] {
  const r = fileSchema.safeParse(data);
  if (!r.success) throw new Error(formatIssues(source, r.error));
  return r.data.rules;
}

const ruleFile = parsedOnce(async (text, file) => {
  const { parse } = await import('yaml');
  return deepFreeze(parseExecRules(parse(text), file));
});

/** The rules of a file, parsed once per process (read-only). */
export function loadExecRuleFile(file: string): Promise<readonly ParsedExecRule[]> {
  return ruleFile(file, () => new Error(`exec rules file not found: ${file}`));
}

/** Rules in order: the caller's first (tests override), then the scenario's inline rules, then its files. */
export async function collectRules(section: ExecScenario | undefined, extra: ExecRule[] | undefined, scenariosDir: string): Promise<ParsedExecRule[]> {
  const out: ParsedExecRule[] = [];
  if (extra) out.push(...parseExecRules({ rules: extra }, '(sandbox options)'));
  if (section) {
    const parsed = execScenarioSchema.parse(section);
    out.push(...parsed.rules);
    for (const f of parsed.files) out.push(...(await loadExecRuleFile(path.isAbsolute(f) ? f : path.join(scenariosDir, f))));
  }
  return out;
}

export interface ExecCall {
  pod: KubeObject;
  container: string;
  argv: string[];
}

function podMatches(rule: ParsedExecRule, call: ExecCall): boolean {
  const m = call.pod.metadata;
  if (rule.namespace !== undefined && rule.namespace !== m.namespace) return false;
  if (rule.pod !== undefined && rule.pod !== m.name) return false;
  if (rule.podPrefix !== undefined && !(m.name ?? '').startsWith(rule.podPrefix)) return false;
  if (rule.container !== undefined && rule.container !== call.container) return false;
  if (rule.node !== undefined) {
    const spec = isRecord(call.pod.spec) ? call.pod.spec : {};
    if (spec.nodeName !== rule.node) return false;
  }
  return true;
}

const regexCache = new Map<string, RegExp>();
function regex(source: string): RegExp {
  let re = regexCache.get(source);
  if (!re) {
    re = new RegExp(source);
    regexCache.set(source, re);
  }
  return re;
}

function argvMatches(rule: ParsedExecRule, argv: string[]): boolean {
  if (rule.argv) return rule.argv.length === argv.length && rule.argv.every((a, i) => a === argv[i]);
  if (rule.argvPrefix) return rule.argvPrefix.length <= argv.length && rule.argvPrefix.every((a, i) => a === argv[i]);
  if (rule.argvRegex !== undefined) return regex(rule.argvRegex).test(argv.join(' '));
  return true;
}

/** The program a rule answers for, when it says (for the "no scripted answer" message). */
function programOf(rule: ParsedExecRule): string | undefined {
  if (rule.argv) return rule.argv[0];
  if (rule.argvPrefix) return rule.argvPrefix[0];
  const m = rule.argvRegex !== undefined ? /^\^([A-Za-z0-9_./-]+)(?:\\s|\s|\(|$)/.exec(rule.argvRegex) : null;
  return m?.[1];
}

export type ExecAnswer = { kind: 'rule'; rule: ParsedExecRule } | { kind: 'unscripted'; stderr: string; exitCode: number } | { kind: 'not-found' };

export function answer(rules: readonly ParsedExecRule[], call: ExecCall): ExecAnswer {
  const forPod = rules.filter((r) => podMatches(r, call));
  const rule = forPod.find((r) => argvMatches(r, call.argv));
  if (rule) return { kind: 'rule', rule };
  const program = call.argv[0];
  if (program !== undefined && forPod.some((r) => programOf(r) === program)) {
    const m = call.pod.metadata;
    return {
      kind: 'unscripted',
      exitCode: 2,
      stderr: `homelab sandbox: no scripted answer for ${JSON.stringify(call.argv)} in pod ${m.namespace ?? ''}/${m.name ?? ''} (container ${call.container}); add an exec rule for it\n`,
    };
  }
  return { kind: 'not-found' };
}

/** What the named groups of a rule's argvRegex matched in the command. */
export function groupsOf(rule: ParsedExecRule, argv: string[]): Record<string, string> {
  if (rule.argvRegex === undefined) return {};
  const groups = regex(rule.argvRegex).exec(argv.join(' '))?.groups ?? {};
  return Object.fromEntries(Object.entries(groups).filter((e): e is [string, string] => e[1] !== undefined));
}

/** {{nodeName}} and friends, from the pod; {{NAME}} from the argvRegex's named groups */
export function fill(text: string, pod: KubeObject, container: string, argv?: string[], groups: Record<string, string> = {}): string {
  if (!text.includes('{{')) return text;
  const spec = isRecord(pod.spec) ? pod.spec : {};
  const status = isRecord(pod.status) ? pod.status : {};
  const values: Record<string, string> = {
    nodeName: typeof spec.nodeName === 'string' ? spec.nodeName : '',
    nodeIP: typeof status.hostIP === 'string' ? status.hostIP : '',
    podIP: typeof status.podIP === 'string' ? status.podIP : '',
    podName: pod.metadata.name ?? '',
    namespace: pod.metadata.namespace ?? '',
    container,
  };
  if (argv) values.args = argv.slice(1).join(' ');
  Object.assign(values, groups);
  return text.replace(/\{\{(\w+)\}\}/g, (whole, key: string) => values[key] ?? whole);
}
