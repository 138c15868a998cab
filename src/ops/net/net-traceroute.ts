import { isIP } from 'node:net';
import { z } from 'zod';
import { defineOp } from '../../core/op.js';
import { Upstream } from '../../core/errors.js';
import { hostSchema, objectNameSchema } from '../../core/schemas.js';
import { execRbac, runIn } from '../shared/exec.js';
import { NODE_RBAC } from '../shared/debug-agent.js';
import { TARGET_RBAC, requireAllowedTarget } from '../shared/targets.js';
import { probeFrom } from './net-curl.js';
import { summarizeStatus, summaryLineSchema, verdictSchema } from '../shared/findings.js';

export interface TraceHop {
  ttl: number;
  host?: string;
  ip?: string;
  /** One per probe; null where the probe timed out (`*`). */
  rttsMs: Array<number | null>;
  timeouts: number;
  /** Other routers that answered probes of this TTL (load-balanced paths). */
  others?: Array<{ host?: string; ip: string }>;
  /** traceroute's annotations: !H host unreachable, !N network unreachable, !X prohibited, ... */
  flags?: string[];
}

export interface Trace {
  destination?: string;
  address?: string;
  maxHops?: number;
  hops: TraceHop[];
}

/** Parses Linux traceroute (and busybox) output, with or without -n, `*` timeouts and !H-style flags. */
export function parseTraceroute(stdout: string): Trace {
  const trace: Trace = { hops: [] };
  for (const line of stdout.split('\n')) {
    const head = /^traceroute to (\S+) \(([^)]+)\), (\d+) hops max/.exec(line);
    if (head) {
      trace.destination = head[1];
      trace.address = head[2];
      trace.maxHops = Number(head[3]);
      continue;
    }
    const m = /^\s*(\d+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const hop: TraceHop = { ttl: Number(m[1]), rttsMs: [], timeouts: 0 };
    const tokens = (m[2] as string).trim().split(/\s+/);
    const responders: Array<{ host?: string; ip: string }> = [];
    for (let i = 0; i < tokens.length; i++) {
      const t = tokens[i] as string;
      const next = tokens[i + 1];
      if (t === '*') {
        hop.rttsMs.push(null);
        hop.timeouts++;
      } else if (/^[\d.]+$/.test(t) && next === 'ms') {
        hop.rttsMs.push(Number(t));
        i++;
      } else if (/^!\S*$/.test(t)) {
        (hop.flags ??= []).push(t);
      } else if (next && /^\(.+\)$/.test(next)) {
        responders.push({ host: t, ip: next.slice(1, -1) });
        i++;
      } else if (isIP(t)) {
        responders.push({ ip: t });
      }
    }
    const [first, ...others] = responders;
    if (first) {
      hop.ip = first.ip;
      if (first.host && first.host !== first.ip) hop.host = first.host;
    }
    if (others.length) hop.others = others;
    trace.hops.push(hop);
  }
  return trace;
}

const hopSchema = z.object({
  ttl: z.number().int(),
  host: z.string().optional().describe('Reverse name of the router, when it has one'),
  ip: z.string().optional().describe('Absent when every probe timed out'),
  rttsMs: z.array(z.number().nullable()).describe('One round trip per probe; null for a timeout (*)'),
  timeouts: z.number().int(),
  others: z
    .array(z.object({ host: z.string().optional(), ip: z.string() }))
    .optional()
    .describe('Other routers answering at this TTL'),
  flags: z.array(z.string()).optional().describe('!H host / !N network unreachable, !X administratively prohibited'),
});

const output = z.object({
  target: z.string(),
  address: z.string().optional().describe('The address traceroute resolved the target to'),
  admittedAs: z.string(),
  from: z.string(),
  pod: z.string(),
  reached: z.boolean().describe('The last hop is the target'),
  hops: z.array(hopSchema),
  exitCode: z.number().int(),
  verdict: verdictSchema.describe('ok: reached; warn: not reached within the hops'),
  summary: summaryLineSchema,
});
type Output = z.infer<typeof output>;

export default defineOp({
  name: 'net_traceroute',
  title: 'Traceroute from a node',
  description:
    "From a node's debug agent (at most 30 hops) to a host net_ping allows. Use it to see where traffic stops. Returns the hops and whether it got there.",
  effect: 'read',
  // It sends traffic to a host the caller names, inside the homelab or (net.allowTargets) beyond it.
  hints: { openWorld: true },
  input: z
    .object({
      target: hostSchema.describe('IP address or host name'),
      fromNode: objectNameSchema.optional(),
      maxHops: z.number().int().min(1).max(30).default(20),
    })
    .strict(),
  output,
  rbac: [...execRbac('debugAgent'), NODE_RBAC, ...TARGET_RBAC.host],
  timeoutMs: 75_000,
  args: ['target'],
  async run(ctx, input): Promise<Output> {
    const { why: admittedAs, address } = await requireAllowedTarget(ctx, input.target, 'host', 'net traceroute');
    const target = await probeFrom(ctx, input.fromNode);
    // Linux traceroute sends probes in parallel; 3 probes of 1 s per hop bound even an all-* path.
    const result = await runIn(ctx, target, ['traceroute', '-m', String(input.maxHops), '-w', '1', '-q', '3', '--', address], {
      timeoutMs: 70_000,
      maxBytes: 128 * 1024,
    });
    const trace = parseTraceroute(result.stdout);
    if (!trace.hops.length && result.exitCode !== 0) {
      throw new Upstream(
        `traceroute failed in the ${target.label} (exit ${result.exitCode}): ${(result.stderr.trim() || result.stdout.trim()).split('\n')[0] ?? ''}`,
      );
    }
    const last = trace.hops.at(-1);
    const resolved = trace.address ?? (isIP(address) ? address : undefined);
    const reached = Boolean(last?.ip && (last.ip === resolved || last.others?.some((o) => o.ip === resolved)));
    const answered = trace.hops.filter((h) => h.ip).length;
    return {
      target: input.target,
      address: resolved,
      admittedAs,
      from: target.label,
      pod: `${target.namespace}/${target.pod}`,
      reached,
      hops: trace.hops,
      exitCode: result.exitCode,
      verdict: reached ? 'ok' : 'warn',
      summary: `${input.target} from the ${target.label}: ${reached ? `reached in ${trace.hops.length} hops` : `not reached within ${trace.hops.length} hops`}${last?.rttsMs.some((r) => r !== null) && reached ? ` (${Math.min(...last.rttsMs.filter((r): r is number => r !== null))} ms)` : ''}, ${trace.hops.length - answered} silent`,
    };
  },
  summarize: summarizeStatus,
});
