import { z } from 'zod';
import { limitSchema, truncation, truncationShape } from '../shared/bounded.js';
import { defineOp } from '../../core/op.js';
import { ipOrCidrSchema, objectNameSchema } from '../../core/schemas.js';
import { execRbac, requireSuccess, runIn } from '../shared/exec.js';
import { NODE_RBAC, agentOnNode } from '../shared/debug-agent.js';
import { cidrMatcher, conntrackEntrySchema, parseConntrackLine, parseConntrackSummary, type ConntrackEntry } from './parse-conntrack.js';
import { summaryLineSchema } from '../shared/findings.js';

/** Entries an assistant gets when it does not say; the CLI shows more. */
const DEFAULT_LIMIT = 10;
export const CLI_LIMIT = 100;
const MAX_LIMIT = 5000;
/** A busy node's table (65k flows at ~200 bytes) fits; beyond this the count is a lower bound. */
const MAX_BYTES = 16 * 1024 * 1024;

export default defineOp({
  name: 'net_conntrack',
  title: 'Conntrack table of a node',
  description: '`conntrack -L` on a node: protocol, state, original and reply tuples, flags. Use it to see if Service traffic reaches a pod or gets no reply.',
  effect: 'read',
  input: z
    .object({
      node: objectNameSchema,
      src: ipOrCidrSchema.optional().describe('IP or CIDR the flow came from'),
      dst: ipOrCidrSchema.optional().describe('IP or CIDR the flow went to'),
      limit: limitSchema(DEFAULT_LIMIT, MAX_LIMIT, CLI_LIMIT),
    })
    .strict(),
  output: z.object({
    summary: summaryLineSchema,
    node: z.string(),
    agentPod: z.string().describe('The debug agent pod the command ran in (namespace/name)'),
    filter: z.object({ src: z.string().optional(), dst: z.string().optional() }),
    scanned: z.number().int().describe('Flows read from conntrack -L, before filtering'),
    reported: z.number().int().optional().describe('What conntrack itself says it printed (its summary line on stderr)'),
    total: z.number().int().describe('Flows matching the filter, counted before the limit'),
    shown: z.number().int().describe('Entries in this answer (at most limit)'),
    outputCapped: z.boolean().describe('conntrack printed more than the agent reads; counts are then lower bounds'),
    byProtocol: z.record(z.string(), z.number().int()).describe('Matching flows per protocol'),
    entries: z.array(conntrackEntrySchema),
    ...truncationShape,
  }),
  rbac: [...execRbac('debugAgent'), NODE_RBAC],
  timeoutMs: 45_000,
  args: ['node'],
  async run(ctx, input) {
    const target = await agentOnNode(ctx, input.node);
    const result = requireSuccess(await runIn(ctx, target, ['conntrack', '-L'], { maxBytes: MAX_BYTES, timeoutMs: 30_000 }), 'conntrack -L', target);
    const fromSrc = input.src ? cidrMatcher(input.src) : undefined;
    const toDst = input.dst ? cidrMatcher(input.dst) : undefined;
    const limit = input.limit ?? DEFAULT_LIMIT;
    const entries: ConntrackEntry[] = [];
    const byProtocol: Record<string, number> = {};
    let scanned = 0;
    let total = 0;
    const lines = result.stdout.split('\n');
    // A capped output ends mid-line: that last piece is not a flow.
    if (result.truncated.stdout) lines.pop();
    for (const line of lines) {
      const entry = parseConntrackLine(line);
      if (!entry) continue;
      scanned++;
      if (fromSrc && !fromSrc(entry.src)) continue;
      if (toDst && !toDst(entry.dst)) continue;
      total++;
      byProtocol[entry.protocol] = (byProtocol[entry.protocol] ?? 0) + 1;
      if (entries.length < limit) entries.push(entry);
    }
    const shown = entries.length;
    const filtered = [input.src && `from ${input.src}`, input.dst && `to ${input.dst}`].filter(Boolean).join(' ');
    const protocols = Object.entries(byProtocol)
      .sort((a, b) => b[1] - a[1])
      .map(([p, n]) => `${n} ${p}`)
      .join(', ');
    const summary =
      `${input.node}: ${total}${result.truncated.stdout ? '+' : ''} flow${total === 1 ? '' : 's'}${filtered ? ` ${filtered}` : ''}` +
      `${filtered ? ` (of ${scanned})` : ''}${protocols ? `: ${protocols}` : ''}${total > shown ? `; showing the first ${shown}` : ''}`;
    return {
      summary,
      node: input.node,
      agentPod: `${target.namespace}/${target.pod}`,
      filter: { src: input.src, dst: input.dst },
      scanned,
      reported: parseConntrackSummary(result.stderr),
      total,
      shown,
      outputCapped: result.truncated.stdout,
      byProtocol,
      entries,
      ...truncation({ entries: total > shown ? { shown, total, by: byProtocol, narrow: 'src, dst (an IP or CIDR), limit' } : undefined }),
    };
  },
  summarize: (out) => ({ verdict: 'ok', line: out.summary }),
});
