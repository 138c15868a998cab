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

/** What iptables accepts as a chain name (it allows at most 28 characters). */
export const chainNameSchema = z
  .string()
  .regex(/^[A-Za-z0-9_.-]{1,28}$/, 'must be an iptables chain name (letters, digits, "_", "." and "-", at most 28 characters)')
  .refine((s) => !s.startsWith('-'), 'must not start with "-"');

export default defineOp({
  name: 'net_iptables',
  title: 'iptables rules of a node',
  description:
    'The packet filter of one node, from `iptables-save` (or `ip6tables-save` with ipv6) run by the debug agent on ' +
    'it: tables → chains (built-in policy and its packet/byte counters, or user-defined) → rules (as iptables-save ' +
    'prints them, with the target and the comment). Narrow it with table (filter, nat, mangle, raw) and chain ' +
    '(e.g. KUBE-SERVICES, FLANNEL-POSTRTG); a chain with no rules is shown as empty. Use it to see what kube-proxy, ' +
    'flannel or Tailscale did to a node\'s traffic.',
  effect: 'read',
  input: z
    .object({
      node: objectNameSchema.describe('Node name, as `kubectl get nodes` lists it'),
      table: z.enum(IPTABLES_TABLES).optional().describe('Only this table (default: all)'),
      chain: chainNameSchema.optional().describe('Only this chain, e.g. KUBE-SERVICES'),
      ipv6: z.boolean().default(false).describe('The IPv6 rules (ip6tables-save) instead of IPv4'),
    })
    .strict(),
  output: z.object({
    summary: summaryLineSchema,
    node: z.string(),
    agentPod: z.string().describe('The debug agent pod the command ran in (namespace/name)'),
    family: z.enum(['ipv4', 'ipv6']),
    command: z.array(z.string()).describe('The argv that ran in the agent'),
    tables: z.array(iptablesTableSchema),
    chains: z.number().int().describe('Chains shown'),
    rules: z.number().int().describe('Rules shown'),
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
      ? `${input.chain} on ${where}: ${tables.map((t) => { const n = t.chains[0]?.rules.length ?? 0; return `${n ? plural(n, 'rule') : 'empty'} in ${t.name}`; }).join(', ')}`
      : `${where}: ${plural(tables.length, 'table')} (${tables.map((t) => t.name).join(', ') || 'none'}), ${chains} chains, ${rules} rules`;
    return { summary, node: input.node, agentPod: `${target.namespace}/${target.pod}`, family: input.ipv6 ? 'ipv6' : 'ipv4', command, tables, chains, rules } as const;
  },
  summarize: (out) => ({ verdict: 'ok', line: out.summary }),
});
