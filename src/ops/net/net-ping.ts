import { z } from 'zod';
import { defineOp, type OpContext, type Verdict } from '../../core/op.js';
import { describeError } from '../../core/errors.js';
import { hostSchema, objectNameSchema } from '../../core/schemas.js';
import { execRbac, runIn, type ExecTarget } from '../shared/exec.js';
import { NODE_RBAC } from '../shared/debug-agent.js';
import { TARGET_RBAC, requireAllowedTarget } from '../shared/targets.js';
import { probeFrom } from './net-curl.js';
import { summarizeStatus, summaryLineSchema, verdictSchema } from '../shared/findings.js';

export interface PingStats {
  address?: string;
  sent: number;
  received: number;
  lossPercent: number;
  rttMs?: { min: number; avg: number; max: number; mdev?: number };
  error?: string;
}

/** Parses iputils (and busybox) ping output: the resolved address, the statistics, the rtt line. */
export function parsePing(stdout: string, stderr = ''): PingStats {
  const address = /^PING \S+ \(([^)]+)\)/m.exec(stdout)?.[1];
  const stats = /(\d+) packets transmitted, (\d+) (?:packets )?received,(?: \+\d+ errors,)?(?: \+\d+ duplicates,)? ([\d.]+)% packet loss/.exec(stdout);
  const rtt = /(?:rtt|round-trip) min\/avg\/max(?:\/mdev)? = ([\d.]+)\/([\d.]+)\/([\d.]+)(?:\/([\d.]+))? ms/.exec(stdout);
  const out: PingStats = {
    address,
    sent: stats ? Number(stats[1]) : 0,
    received: stats ? Number(stats[2]) : 0,
    lossPercent: stats ? Number(stats[3]) : 100,
  };
  if (rtt) out.rttMs = { min: Number(rtt[1]), avg: Number(rtt[2]), max: Number(rtt[3]), ...(rtt[4] ? { mdev: Number(rtt[4]) } : {}) };
  if (!stats) out.error = (stderr.trim() || stdout.trim()).split('\n')[0] || 'ping printed no statistics';
  return out;
}

export interface TcpCheck {
  /** open: the handshake completed; closed: nc says the connection failed; unchecked: nc itself did not do its job. */
  state: 'open' | 'closed' | 'unchecked';
  message: string;
}

/** How netcat words a connection that was tried and failed (netcat-openbsd, -traditional, ncat, busybox). */
const CONNECT_FAILED = /connect to .* failed|connection refused|timed out|no route to host|network is unreachable|host is unreachable/i;

/**
 * netcat -z -v: "Connection to H P port [tcp/x] succeeded!" (exit 0) or "nc: connect to H port P
 * (tcp) failed: Connection refused" (exit 1). Only nc's own words for a failed connection make a
 * port "closed"; anything else (a usage error from an nc without -z, a name that does not
 * resolve, an exit code nc does not use) means the check did not run, and says so.
 */
export function parseNc(exitCode: number, stdout: string, stderr: string): TcpCheck {
  const lines = `${stderr}\n${stdout}`
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  if (exitCode === 0) return { state: 'open', message: (lines.find((l) => /succeeded|open|connected/i.test(l)) ?? 'connected').replace(/^nc: /, '') };
  const failed = exitCode === 1 ? lines.find((l) => CONNECT_FAILED.test(l)) : undefined;
  if (failed) return { state: 'closed', message: failed.replace(/^nc: /, '') };
  return { state: 'unchecked', message: `nc exited ${exitCode}${lines[0] ? `: ${lines[0]}` : ' without a word'}` };
}

/** The TCP check; an exec that fails (no nc in the image, the pod went away) is a check that did not run, not a closed port. */
async function checkTcp(ctx: OpContext, target: ExecTarget, address: string, port: number, wait: number): Promise<TcpCheck & { port: number }> {
  try {
    // netcat-openbsd reads `--`, but hosts are validated (no leading "-") so the plain form every nc accepts is used.
    const nc = await runIn(ctx, target, ['nc', '-z', '-v', '-w', String(wait), address, String(port)], { timeoutMs: (wait + 5) * 1000, maxBytes: 16 * 1024 });
    return { port, ...parseNc(nc.exitCode, nc.stdout, nc.stderr) };
  } catch (err) {
    if (ctx.signal.aborted) throw err;
    return { port, state: 'unchecked', message: `nc could not run in the ${target.label}: ${describeError(err)}` };
  }
}

const output = z.object({
  target: z.string(),
  admittedAs: z.string().describe('Why the target policy admits it, e.g. "node pi-k3s", "net.allowTargets"'),
  from: z.string().describe('Where the probe ran: the debug agent on NODE'),
  pod: z.string(),
  icmp: z.object({
    address: z.string().optional().describe('The address ping resolved the target to'),
    sent: z.number().int(),
    received: z.number().int(),
    lossPercent: z.number(),
    rttMs: z.object({ min: z.number(), avg: z.number(), max: z.number(), mdev: z.number().optional() }).optional().describe('Round-trip times of the replies'),
    exitCode: z.number().int().describe("ping's exit: 0 replies came, 1 none came, 2 an error (e.g. unknown host)"),
    error: z.string().optional(),
  }),
  tcp: z
    .object({
      port: z.number().int(),
      state: z
        .enum(['open', 'closed', 'unchecked'])
        .describe(
          'open: the TCP handshake completed (nc -z); closed: nc tried and the connection failed; unchecked: nc could not run or did not say (not installed, no -z, a name it could not resolve)',
        ),
      message: z.string().describe('What nc said, or why the check did not run'),
    })
    .optional()
    .describe('With --port: a TCP connect check'),
  verdict: verdictSchema.describe('ok: all replies (and the port open); warn: some loss, or the port could not be checked; crit: no reply, or the port closed'),
  summary: summaryLineSchema,
});
type Output = z.infer<typeof output>;

export default defineOp({
  name: 'net_ping',
  title: 'Ping a host from a node',
  description:
    "From a node's debug agent; with port, a TCP connect too. Only Ingress hosts, Services, nodes and net.allowTargets. Returns loss, round trips, port state.",
  effect: 'read',
  // It sends traffic to a host the caller names, inside the homelab or (net.allowTargets) beyond it.
  hints: { openWorld: true },
  input: z
    .object({
      target: hostSchema.describe('IP address or host name'),
      fromNode: objectNameSchema.optional(),
      port: z.number().int().min(1).max(65535).optional().describe('Also try a TCP connect to this port'),
      count: z.number().int().min(1).max(10).default(3),
      wait: z.number().int().min(1).max(10).default(2).describe('Seconds per reply or TCP connect'),
    })
    .strict(),
  output,
  rbac: [...execRbac('debugAgent'), NODE_RBAC, ...TARGET_RBAC.host],
  timeoutMs: 45_000,
  args: ['target'],
  async run(ctx, input): Promise<Output> {
    const { why: admittedAs, address } = await requireAllowedTarget(ctx, input.target, 'host', 'net ping');
    const target = await probeFrom(ctx, input.fromNode);
    const boundMs = (input.count + input.wait + 5) * 1000;
    const [ping, tcp] = await Promise.all([
      runIn(ctx, target, ['ping', '-c', String(input.count), '-W', String(input.wait), '--', address], { timeoutMs: boundMs, maxBytes: 64 * 1024 }),
      input.port === undefined ? Promise.resolve(undefined) : checkTcp(ctx, target, address, input.port, input.wait),
    ]);
    const stats = parsePing(ping.stdout, ping.stderr);
    const icmp = { ...stats, exitCode: ping.exitCode, ...(ping.exitCode > 1 && !stats.error ? { error: ping.stderr.trim().split('\n')[0] } : {}) };
    const verdict: Verdict = icmp.received === 0 || tcp?.state === 'closed' ? 'crit' : icmp.lossPercent > 0 || tcp?.state === 'unchecked' ? 'warn' : 'ok';
    const icmpLine =
      icmp.error && !icmp.sent
        ? `ping failed: ${icmp.error}`
        : `${icmp.received}/${icmp.sent} replies (${icmp.lossPercent}% loss)${icmp.rttMs ? `, rtt ${icmp.rttMs.min}/${icmp.rttMs.avg}/${icmp.rttMs.max} ms` : ''}`;
    const tcpLine = !tcp
      ? ''
      : tcp.state === 'open'
        ? `; TCP ${tcp.port} open`
        : tcp.state === 'closed'
          ? `; TCP ${tcp.port} closed (${tcp.message})`
          : `; could not check TCP ${tcp.port}: ${tcp.message}`;
    return {
      target: input.target,
      admittedAs,
      from: target.label,
      pod: `${target.namespace}/${target.pod}`,
      icmp,
      tcp,
      verdict,
      summary: `${input.target}${icmp.address && icmp.address !== input.target ? ` (${icmp.address})` : ''} from the ${target.label}: ${icmpLine}${tcpLine}`,
    };
  },
  summarize: summarizeStatus,
});
