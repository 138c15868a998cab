/**
 * Parser for `iptables-save` / `ip6tables-save` output: tables → chains (policy, counters) →
 * rules. A chain declared with no rules is an empty chain, not a missing one.
 */
import { z } from 'zod';
import { ParseError } from './parse-ip.js';

export const IPTABLES_TABLES = ['filter', 'nat', 'mangle', 'raw'] as const;

export const iptablesRuleSchema = z.object({
  number: z.number().int().describe('Position in the chain, from 1 (as `iptables -L --line-numbers` counts)'),
  text: z.string().describe('The rule as iptables-save prints it, without "-A CHAIN"'),
  target: z.string().optional().describe('-j target (ACCEPT, DROP, a chain …) or -g chain'),
  goto: z.boolean().optional().describe('true when the target is reached with -g (goto) rather than -j'),
  comment: z.string().optional().describe('The -m comment text, when there is one'),
  packets: z.number().optional().describe('Only when the output carries per-rule counters (iptables-save -c)'),
  bytes: z.number().optional(),
});
export type IptablesRule = z.infer<typeof iptablesRuleSchema>;

export const iptablesChainSchema = z.object({
  name: z.string(),
  builtin: z.boolean().describe('A built-in chain (INPUT, FORWARD …) with a policy, rather than a user-defined one'),
  policy: z.string().optional().describe('ACCEPT or DROP for built-in chains'),
  packets: z.number().describe('Packets counted by the policy (built-in chains)'),
  bytes: z.number(),
  rules: z.array(iptablesRuleSchema),
});
export type IptablesChain = z.infer<typeof iptablesChainSchema>;

export const iptablesTableSchema = z.object({
  name: z.string().describe('filter, nat, mangle, raw or security'),
  chains: z.array(iptablesChainSchema),
});
export type IptablesTable = z.infer<typeof iptablesTableSchema>;

/** Splits a rule the way iptables-save quotes it: double quotes group, backslash escapes. */
export function tokenize(line: string): string[] {
  const tokens: string[] = [];
  let current = '';
  let inToken = false;
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i] as string;
    if (quoted) {
      if (ch === '\\' && i + 1 < line.length) current += line[++i];
      else if (ch === '"') quoted = false;
      else current += ch;
    } else if (ch === '"') {
      quoted = true;
      inToken = true;
    } else if (/\s/.test(ch)) {
      if (inToken) tokens.push(current);
      current = '';
      inToken = false;
    } else {
      current += ch;
      inToken = true;
    }
  }
  if (inToken) tokens.push(current);
  return tokens;
}

function ruleFrom(text: string, number: number, counters?: { packets: number; bytes: number }): IptablesRule {
  const tokens = tokenize(text);
  const rule: IptablesRule = { number, text };
  for (let i = 0; i < tokens.length - 1; i++) {
    const t = tokens[i];
    if (t === '-j' || t === '--jump') rule.target = tokens[i + 1];
    else if (t === '-g' || t === '--goto') {
      rule.target = tokens[i + 1];
      rule.goto = true;
    } else if (t === '--comment' && rule.comment === undefined) rule.comment = tokens[i + 1];
  }
  if (counters) Object.assign(rule, counters);
  return rule;
}

const CHAIN_LINE = /^:(\S+) (\S+) \[(\d+):(\d+)\]$/;
const RULE_LINE = /^(?:\[(\d+):(\d+)\] )?-A (\S+)(?: (.*))?$/;

/** All tables in the output, in the order printed. Throws on a line it cannot place. */
export function parseIptablesSave(text: string): IptablesTable[] {
  const tables: IptablesTable[] = [];
  let table: IptablesTable | undefined;
  let chains = new Map<string, IptablesChain>();
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.trimEnd();
    if (line === '' || line.startsWith('#')) continue;
    if (line.startsWith('*')) {
      table = { name: line.slice(1), chains: [] };
      chains = new Map();
      tables.push(table);
      continue;
    }
    if (!table) throw new ParseError(`line ${i + 1}: "${line.slice(0, 60)}" before any *table`);
    if (line === 'COMMIT') {
      table = undefined;
      continue;
    }
    const chain = CHAIN_LINE.exec(line);
    if (chain) {
      const [, name, policy, packets, bytes] = chain as unknown as [string, string, string, string, string];
      const c: IptablesChain = {
        name,
        builtin: policy !== '-',
        policy: policy === '-' ? undefined : policy,
        packets: Number(packets),
        bytes: Number(bytes),
        rules: [],
      };
      chains.set(name, c);
      table.chains.push(c);
      continue;
    }
    const rule = RULE_LINE.exec(line);
    if (rule) {
      const [, packets, bytes, name, rest] = rule;
      let c = chains.get(name as string);
      if (!c) {
        // iptables-save always declares a chain before its rules; be lenient if one did not.
        c = { name: name as string, builtin: false, packets: 0, bytes: 0, rules: [] };
        chains.set(c.name, c);
        table.chains.push(c);
      }
      c.rules.push(ruleFrom(rest ?? '', c.rules.length + 1, packets !== undefined ? { packets: Number(packets), bytes: Number(bytes) } : undefined));
      continue;
    }
    throw new ParseError(`line ${i + 1}: cannot read "${line.slice(0, 60)}"`);
  }
  return tables;
}
