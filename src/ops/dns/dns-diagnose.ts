import { z } from 'zod';
import { defineOp, type OpContext, type Verdict } from '../../core/op.js';
import { describeError } from '../../core/errors.js';
import { dnsNameSchema } from '../../core/schemas.js';
import { execRbac, type ExecTarget } from '../shared/exec.js';
import { findAnyAgent } from '../shared/debug-agent.js';
import {
  RECORD_TYPES,
  digAnswerSchema,
  findDnsPods,
  listDnsServices,
  piholeClientEndpoint,
  piholeTarget,
  runDig,
  unboundEndpoints,
  type DigAnswer,
  type RecordType,
} from './dig.js';
import { describeAnswer } from './dns-query.js';
import { commandLine } from '../shared/fix.js';
import { summarizeStatus, summaryLineSchema, verdictSchema } from '../shared/findings.js';

const HOPS = ['client', 'pihole', 'unbound', 'dnssec'] as const;
type HopId = (typeof HOPS)[number];

const hopSchema = z.object({
  hop: z
    .enum(HOPS)
    .describe(
      'client: a node (the debug agent) asking Pi-hole as LAN clients do; pihole: Pi-hole in its own pod; unbound: each Unbound instance asked from the Pi-hole pod; dnssec: Unbound with +dnssec, and +cd to tell a validation failure apart',
    ),
  label: z.string().describe('What was asked, from where'),
  from: z.string().optional().describe('NAMESPACE/POD dig ran in'),
  server: z.string().optional().describe('The address asked'),
  state: z.enum(['ok', 'warn', 'fail', 'skipped']),
  note: z.string().describe('The finding for this hop, in one line'),
  result: digAnswerSchema.optional(),
});
type Hop = z.infer<typeof hopSchema>;

const output = z.object({
  name: z.string(),
  type: z.enum(RECORD_TYPES),
  verdict: verdictSchema,
  failingHop: z.enum(HOPS).optional().describe('The first hop that fails, when one does'),
  conclusion: z.string().describe('Which hop fails and what that usually means'),
  hops: z.array(hopSchema).describe('Every hop asked, in chain order: client, pihole, unbound (each instance), dnssec'),
  summary: summaryLineSchema,
});
type Output = z.infer<typeof output>;

type Answer = DigAnswer & { exitCode: number };
/** dig ran and asked (exit 0, or 9 when nobody answered); other exits mean the probe itself could not run. */
const ran = (a: Answer | undefined): boolean => a !== undefined && (a.exitCode === 0 || a.exitCode === 9);
const resolves = (a: DigAnswer | undefined): boolean => Boolean(a?.reached && a.status === 'NOERROR' && a.answers.length);
const sinkholed = (a: DigAnswer): boolean =>
  resolves(a) && a.answers.filter((r) => r.type === 'A' || r.type === 'AAAA').every((r) => r.data === '0.0.0.0' || r.data === '::');

interface Probe {
  hop: HopId;
  label: string;
  from?: string;
  server?: string;
  result?: Answer;
  skipped?: string;
}

async function probe(
  ctx: OpContext,
  hop: HopId,
  label: string,
  target: ExecTarget,
  server: string,
  name: string,
  type: RecordType,
  options: { dnssec?: boolean; cd?: boolean } = {},
): Promise<Probe> {
  const from = `${target.namespace}/${target.pod}`;
  try {
    return { hop, label, from, server, result: await runDig(ctx, target, server, name, type, options) };
  } catch (err) {
    if (ctx.signal.aborted) throw err;
    return {
      hop,
      label,
      from,
      server,
      result: { reached: false, flags: [], authenticated: false, answers: [], authority: [], exitCode: -1, error: describeError(err) },
    };
  }
}

interface Verdicts {
  verdict: Verdict;
  failingHop?: HopId;
  conclusion: string;
}

/** The chain read from the answers: the first hop that fails, and what that usually means. */
export function judge(name: string, client: Probe | undefined, pihole: Probe, unbound: Probe[], dnssec: { plain?: Probe; cd?: Probe }): Verdicts {
  const ph = pihole.result as Answer;
  const ubs = unbound.map((u) => u.result as Answer);
  const anyUbResolves = ubs.some(resolves);
  const ub = ubs.find((u) => u.reached) ?? ubs[0];
  if (!ran(ph)) return { verdict: 'crit', conclusion: `dig could not run in the Pi-hole pod, so nothing was checked: ${ph.error ?? ''}` };
  if (!ph.reached)
    return { verdict: 'crit', failingHop: 'pihole', conclusion: `Pi-hole does not answer in its own pod (${ph.error ?? 'no answer'}): is pihole-FTL running?` };
  const cr = ran(client?.result) ? client?.result : undefined;
  if (client && cr && !cr.reached) {
    return {
      verdict: 'crit',
      failingHop: 'client',
      conclusion: `Pi-hole answers in its pod but not at ${client.server ?? '?'} from the node: its Service, port 53 or a network policy stands between clients and Pi-hole`,
    };
  }
  if (sinkholed(ph)) {
    return {
      verdict: 'warn',
      failingHop: 'pihole',
      conclusion: `Pi-hole blocks ${name} (answers ${ph.answers[0]?.data ?? '0.0.0.0'})${anyUbResolves ? ' while Unbound resolves it' : ''}: it is on a blocklist; ${commandLine('dns_allowlist', {})} shows the exceptions`,
    };
  }
  if (ph.status === 'NXDOMAIN' && anyUbResolves) {
    return {
      verdict: 'warn',
      failingHop: 'pihole',
      conclusion: 'Pi-hole answers NXDOMAIN while Unbound resolves it: blocked (NXDOMAIN blocking mode) or a local record / conditional forward shadows it?',
    };
  }
  const unreached = unbound.filter((u) => !u.result?.reached);
  if (unreached.length) {
    const which = unreached.map((u) => u.label).join(', ');
    if (unreached.length === unbound.length)
      return { verdict: 'crit', failingHop: 'unbound', conclusion: `Unbound does not answer (${which}): Pi-hole has no working upstream` };
    return {
      verdict: 'warn',
      failingHop: 'unbound',
      conclusion: `${unreached.length} of ${unbound.length} Unbound addresses do not answer (${which}); the others do`,
    };
  }
  if (ub && (ub.status === 'SERVFAIL' || ub.status === 'REFUSED')) {
    if (resolves(dnssec.cd?.result)) {
      return {
        verdict: 'crit',
        failingHop: 'dnssec',
        conclusion: `Unbound ${ub.status}, and ${name} resolves with DNSSEC checking disabled (+cd): DNSSEC validation fails (bogus or expired signatures upstream, or a wrong clock)${ub.ede ? ` [EDE ${ub.ede}]` : ''}`,
      };
    }
    return {
      verdict: 'crit',
      failingHop: 'unbound',
      conclusion: `Unbound ${ub.status}: an upstream/DNSSEC problem (the authoritative servers fail, the root is unreachable, or validation fails)${ub.ede ? ` [EDE ${ub.ede}]` : ''}`,
    };
  }
  if (resolves(ph) && ph.flags.includes('aa') && ub?.status === 'NXDOMAIN') {
    return { verdict: 'ok', conclusion: `answered by Pi-hole's local DNS records (aa); Unbound does not know ${name}, as expected for a local name` };
  }
  if (ph.status === 'NXDOMAIN' && (!ub || ub.status === 'NXDOMAIN')) {
    return {
      verdict: 'warn',
      conclusion: `${name} does not exist: ${ub ? 'Unbound, recursing from the root, says NXDOMAIN too' : 'Pi-hole says NXDOMAIN'}: a typo, or a record that is missing at its authoritative server`,
    };
  }
  if (!resolves(ph) && anyUbResolves) {
    return {
      verdict: 'crit',
      failingHop: 'pihole',
      conclusion: `Pi-hole ${ph.status ?? 'fails'} while Unbound resolves it: Pi-hole's upstream setting, rate limiting or its cache`,
    };
  }
  if (!resolves(ph)) {
    return {
      verdict: ph.status === 'NOERROR' ? 'warn' : 'crit',
      failingHop: ph.status === 'NOERROR' ? undefined : 'pihole',
      conclusion: `Pi-hole answers ${ph.status ?? '?'}${ph.status === 'NOERROR' ? ' with no records of this type' : ''}`,
    };
  }
  if (client && cr && cr.status !== ph.status) {
    return {
      verdict: 'warn',
      failingHop: 'client',
      conclusion: `clients get ${cr.status ?? '?'} where Pi-hole's own pod gets ${ph.status ?? '?'}: another DNS server answers at ${client.server ?? '?'}?`,
    };
  }
  const validated = dnssec.plain?.result?.authenticated;
  return { verdict: 'ok', conclusion: `${name} resolves through the whole chain${validated ? ', DNSSEC-validated by Unbound' : ''}` };
}

function hopOf(p: Probe, failingHop: HopId | undefined, note: string): Hop {
  const state: Hop['state'] = p.skipped
    ? 'skipped'
    : !p.result?.reached
      ? 'fail'
      : failingHop === p.hop
        ? 'fail'
        : p.result.status === 'NOERROR' && p.result.answers.length
          ? 'ok'
          : 'warn';
  return { hop: p.hop, label: p.label, from: p.from, server: p.server, state, note, result: p.result };
}

export default defineOp({
  name: 'dns_diagnose',
  title: 'Diagnose a DNS name hop by hop',
  description:
    "Asks every hop: node to Pi-hole, Pi-hole's pod, each Unbound, Unbound without DNSSEC. Use it when a name fails. Returns each hop, the first failing.",
  effect: 'read',
  input: z
    .object({
      name: dnsNameSchema.describe('A DNS name, e.g. jellyfin.home.example.net'),
      type: z.enum(RECORD_TYPES).default('A'),
    })
    .strict(),
  output,
  rbac: [...execRbac('dns', 'debugAgent'), { apiGroup: '', resource: 'services', verbs: ['list'] }],
  timeoutMs: 30_000,
  args: ['name'],
  async run(ctx, input): Promise<Output> {
    const { name, type } = input;
    const [pods, services, agent] = await Promise.all([findDnsPods(ctx), listDnsServices(ctx, ctx.config.dns.namespace), findAnyAgent(ctx)]);
    const target = piholeTarget(pods);
    const unbound = unboundEndpoints(pods, services);
    const clientEp = piholeClientEndpoint(pods, services);
    const dnssecServer = unbound[0];

    const [client, pihole, dnssecPlain, dnssecCd, ...unboundProbes] = await Promise.all([
      'missing' in agent || !clientEp
        ? Promise.resolve<Probe>({
            hop: 'client',
            label: 'a node asking Pi-hole',
            skipped: 'missing' in agent ? `skipped: ${agent.missing}` : 'skipped: Pi-hole has no address clients use',
          })
        : probe(ctx, 'client', `${agent.label} → ${clientEp.label}`, agent, clientEp.address, name, type),
      probe(ctx, 'pihole', 'Pi-hole in its own pod (127.0.0.1)', target, '127.0.0.1', name, type),
      dnssecServer
        ? probe(ctx, 'dnssec', `${dnssecServer.label} with +dnssec`, target, dnssecServer.address, name, type, { dnssec: true })
        : Promise.resolve(undefined),
      dnssecServer
        ? probe(ctx, 'dnssec', `${dnssecServer.label} with +dnssec +cd`, target, dnssecServer.address, name, type, { dnssec: true, cd: true })
        : Promise.resolve(undefined),
      ...unbound.map((u) => probe(ctx, 'unbound', u.label, target, u.address, name, type)),
    ]);

    const { verdict, failingHop, conclusion } = judge(name, client.skipped ? undefined : client, pihole, unboundProbes, { plain: dnssecPlain, cd: dnssecCd });
    const hops: Hop[] = [];
    if (client.skipped) hops.push({ hop: 'client', label: client.label, state: 'skipped', note: client.skipped });
    else if (!ran(client.result))
      hops.push({
        hop: 'client',
        label: client.label,
        from: client.from,
        server: client.server,
        state: 'skipped',
        note: `could not run: ${client.result?.error ?? ''}`,
        result: client.result,
      });
    else hops.push(hopOf(client, failingHop, describeAnswer(client.result as Answer, type)));
    hops.push(hopOf(pihole, failingHop, describeAnswer(pihole.result as Answer, type)));
    for (const u of unboundProbes) hops.push(hopOf(u, failingHop, describeAnswer(u.result as Answer, type)));
    if (!unbound.length)
      hops.push({
        hop: 'unbound',
        label: `Unbound in ${pods.namespace}`,
        state: 'skipped',
        note: `skipped: no Unbound Service or ready pod in namespace ${pods.namespace}`,
      });
    if (dnssecPlain?.result) {
      const plain = dnssecPlain.result;
      const cd = dnssecCd?.result;
      const note = !plain.reached
        ? `no answer: ${plain.error ?? ''}`
        : plain.authenticated
          ? 'signed and validated: Unbound sets ad'
          : plain.status === 'SERVFAIL' && resolves(cd)
            ? `bogus: SERVFAIL when validating, ${cd?.answers[0]?.data ?? 'an answer'} with checking disabled (+cd)`
            : plain.status === 'NOERROR' || plain.status === 'NXDOMAIN'
              ? `not validated (no ad): the zone is unsigned or Unbound does not validate (${plain.status})`
              : `${plain.status ?? '?'} with checking disabled too: not a DNSSEC problem`;
      const state: Hop['state'] = failingHop === 'dnssec' || !plain.reached ? 'fail' : plain.authenticated ? 'ok' : 'warn';
      hops.push({ hop: 'dnssec', label: dnssecPlain.label, from: dnssecPlain.from, server: dnssecPlain.server, state, note, result: plain });
    }
    const where = failingHop ? `fails at ${failingHop}: ` : '';
    return { name, type, verdict, failingHop, conclusion, hops, summary: `${name} ${type} ${where}${conclusion}` };
  },
  summarize: summarizeStatus,
});
