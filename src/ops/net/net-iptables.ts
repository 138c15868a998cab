import { z } from 'zod';
import { defineOp } from '../../core/op.js';
import { NotFound, Upstream } from '../../core/errors.js';
import { objectNameSchema } from '../../core/schemas.js';
import { execRbac, requireSuccess, runIn } from '../shared/exec.js';
import { NODE_RBAC, agentOnNode } from '../shared/debug-agent.js';
import { ParseError } from './parse-ip.js';
import { IPTABLES_TABLES, iptablesTableSchema, parseIptablesSave } from './parse-iptables.js';
import { plural } from '../shared/format.js';
import { summaryLineSchema } from '../shared/findings.js';
import { countBy, limitSchema, topCounts, truncation, truncationShape, type ListCut } from '../shared/bounded.js';
import type { IptablesTable } from './parse-iptables.js';

/** Rules an assistant gets when it does not say: a node with kube-proxy has thousands. */
const DEFAULT_RULES = 10;
const MAX_RULES = 20_000;

/**
 * The first `limit` rules, in iptables-save order, and the chains they are in. When rules are cut,
 * only chains with a rule shown stay (and built-in ones whose policy is not ACCEPT: a DROP policy
 * matters with no rule at all); the rest are counted, by table, with the chains that have the most.
 */
function cutRules(tables: IptablesTable[], limit: number, narrowed: boolean): { tables: IptablesTable[]; cut: Record<string, ListCut | undefined> } {
  const all = tables.flatMap((t) => t.chains.flatMap((c) => c.rules.map(() => ({ table: t.name, chain: c.name }))));
  if (all.length <= limit) return { tables, cut: {} };
  let left = limit;
  const shown = tables
    .map((t) => ({
      ...t,
      chains: t.chains
        .map((c) => {
          const rules = c.rules.slice(0, Math.max(0, left));
          left -= rules.length;
          return { ...c, rules };
        })
        .filter((c) => c.rules.length || (c.builtin && c.policy !== 'ACCEPT') || narrowed),
    }))
    .filter((t) => t.chains.length);
  const busiest = topCounts(countBy(all, (r) => r.chain));
  const narrow = `table, chain (most rules: ${busiest}), limit`;
  const chainsAll = tables.flatMap((t) => t.chains.map((c) => ({ table: t.name, chain: c.name })));
  const chainsShown = shown.reduce((n, t) => n + t.chains.length, 0);
  return {
    tables: shown,
    cut: {
      rules: { shown: limit, total: all.length, by: countBy(all, (r) => r.table), narrow },
      chains: chainsShown < chainsAll.length ? { shown: chainsShown, total: chainsAll.length, by: countBy(chainsAll, (c) => c.table), narrow } : undefined,
    },
  };
}

/** What iptables accepts as a chain name (it allows at most 28 characters). */
export const chainNameSchema = z
  .string()
  .regex(/^[A-Za-z0-9_.-]{1,28}$/, 'must be an iptables chain name (letters, digits, "_", "." and "-", at most 28 characters)')
  .refine((s) => !s.startsWith('-'), 'must not start with "-"');

export default defineOp({
  name: 'net_iptables',
  title: 'iptables rules of a node',
  description:
    "From the node's debug agent (ipv6: ip6tables): tables, chains with policy and counters, rules. Use it to see what kube-proxy, flannel or Tailscale did.",
  effect: 'read',
  input: z
    .object({
      node: objectNameSchema,
      table: z.enum(IPTABLES_TABLES).optional(),
      chain: chainNameSchema.optional().describe('e.g. KUBE-SERVICES'),
      ipv6: z.boolean().default(false),
      limit: limitSchema(DEFAULT_RULES, MAX_RULES).describe(`Rules to list (default ${DEFAULT_RULES}; CLI: all)`),
    })
    .strict(),
  output: z.object({
    summary: summaryLineSchema,
    node: z.string(),
    agentPod: z.string().describe('The debug agent pod the command ran in (namespace/name)'),
    family: z.enum(['ipv4', 'ipv6']),
    command: z.array(z.string()).describe('The argv that ran in the agent'),
    tables: z.array(iptablesTableSchema),
    chains: z.number().int().describe('Chains in the table(s) asked'),
    rules: z.number().int().describe('Rules in the table(s) asked'),
    ...truncationShape,
  }),
  rbac: [...execRbac('debugAgent'), NODE_RBAC],
  timeoutMs: 30_000,
  args: ['node'],
  async run(ctx, input) {
    const target = await agentOnNode(ctx, input.node);
    const program = input.ipv6 ? 'ip6tables-save' : 'iptables-save';
    const command = input.table ? [program, '-t', input.table] : [program];
    const result = requireSuccess(await runIn(ctx, target, command, { maxBytes: 8 * 1024 * 1024 }), program, target);
    if (result.truncated.stdout) throw new Upstream(`${program} in the ${target.label} printed more than 8 MiB; narrow it with --table`);
    let tables;
    try {
      tables = parseIptablesSave(result.stdout);
    } catch (err) {
      if (err instanceof ParseError) throw new Upstream(`cannot read the output of ${program} in the ${target.label}: ${err.message}`);
      throw err;
    }
    if (input.table) tables = tables.filter((t) => t.name === input.table);
    if (input.chain) {
      const all = tables;
      tables = tables.map((t) => ({ ...t, chains: t.chains.filter((c) => c.name === input.chain) })).filter((t) => t.chains.length);
      if (!tables.length) {
        const names = [...new Set(all.flatMap((t) => t.chains.map((c) => c.name)))].sort();
        throw new NotFound(`there is no chain ${input.chain} in ${input.table ? `the ${input.table} table` : 'any table'} of ${program} on ${input.node}`, {
          hint: names.length ? `chains: ${names.join(', ')}` : 'no chains at all: is iptables in use on this node?',
        });
      }
    }
    const chains = tables.reduce((n, t) => n + t.chains.length, 0);
    const rules = tables.reduce((n, t) => n + t.chains.reduce((m, c) => m + c.rules.length, 0), 0);
    const where = `${input.node}${input.ipv6 ? ' (IPv6)' : ''}`;
    const summary = input.chain
      ? `${input.chain} on ${where}: ${tables
          .map((t) => {
            const n = t.chains[0]?.rules.length ?? 0;
            return `${n ? plural(n, 'rule') : 'empty'} in ${t.name}`;
          })
          .join(', ')}`
      : `${where}: ${plural(tables.length, 'table')} (${tables.map((t) => t.name).join(', ') || 'none'}), ${chains} chains, ${rules} rules`;
    const shown = cutRules(tables, input.limit ?? DEFAULT_RULES, Boolean(input.chain));
    return {
      summary,
      node: input.node,
      agentPod: `${target.namespace}/${target.pod}`,
      family: input.ipv6 ? 'ipv6' : 'ipv4',
      command,
      tables: shown.tables,
      chains,
      rules,
      ...truncation(shown.cut),
    } as const;
  },
  summarize: (out) => ({ verdict: 'ok', line: out.summary }),
});
