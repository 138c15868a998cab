import { isIP } from 'node:net';
import { z } from 'zod';
import { defineOp, type Verdict } from '../../core/op.js';
import { Upstream } from '../../core/errors.js';
import { dnsNameSchema } from '../../core/schemas.js';
import { execRbac } from '../shared/exec.js';
import { TARGET_RBAC, requireAllowedTarget } from '../shared/targets.js';
import { RECORD_TYPES, digAnswerSchema, findDnsPods, listDnsServices, piholeTarget, runDig, unboundEndpoints, type DigAnswer } from './dig.js';
import { commandLine } from '../shared/fix.js';
import { summarizeStatus, summaryLineSchema, verdictSchema } from '../shared/findings.js';

const serverSchema = z
  .string()
  .refine((s) => s === 'pihole' || s === 'unbound' || isIP(s) !== 0, 'must be pihole, unbound or an IP address')
  .default('pihole')
  .describe("pihole, unbound, or an allowed DNS server's IP");

const output = z.object({
  name: z.string(),
  type: z.enum(RECORD_TYPES),
  server: z.object({
    requested: z.string().describe('pihole, unbound or the IP given'),
    address: z.string().describe('The address dig asked'),
    label: z.string().describe('What that address is, for people'),
  }),
  from: z.string().describe('The pod dig ran in: NAMESPACE/POD'),
  result: digAnswerSchema,
  verdict: verdictSchema.describe('ok: answers; warn: NXDOMAIN or no records of this type; crit: SERVFAIL, REFUSED or no server reached'),
  summary: summaryLineSchema,
});
type Output = z.infer<typeof output>;

export function verdictOfAnswer(a: DigAnswer): Verdict {
  if (!a.reached) return 'crit';
  if (a.status === 'NOERROR') return a.answers.length ? 'ok' : 'warn';
  if (a.status === 'NXDOMAIN') return 'warn';
  return 'crit';
}

/** "NOERROR: 192.168.1.50 (300s), ad" — one answer in a line. */
export function describeAnswer(a: DigAnswer, type?: string): string {
  if (!a.reached) return `no answer: ${a.error ?? 'no servers could be reached'}`;
  const records = a.answers.filter((r) => !type || r.type === type || r.type === 'CNAME');
  const shown = records.slice(0, 4).map((r) => (r.type === type || !type ? r.data : `${r.type} ${r.data}`));
  const data = records.length
    ? `: ${shown.join(', ')}${records.length > 4 ? `, … (${records.length})` : ''}`
    : a.status === 'NOERROR'
      ? ': no records of this type'
      : '';
  const extras = [a.authenticated ? 'DNSSEC-validated (ad)' : '', a.ede ? `EDE ${a.ede}` : '', a.queryTimeMs !== undefined ? `${a.queryTimeMs} ms` : ''].filter(
    Boolean,
  );
  return `${a.status ?? '?'}${data}${extras.length ? ` (${extras.join(', ')})` : ''}`;
}

export default defineOp({
  name: 'dns_query',
  title: 'Look a name up from Pi-hole',
  description:
    'dig against pihole, unbound or a cluster DNS server. Returns status (NOERROR, NXDOMAIN, SERVFAIL...), flags (ad: DNSSEC-validated), records, query time.',
  effect: 'read',
  input: z
    .object({
      name: dnsNameSchema.describe('A DNS name, e.g. _dmarc.example.com'),
      type: z.enum(RECORD_TYPES).default('A'),
      server: serverSchema,
      dnssec: z.boolean().default(false).describe('Also ask for RRSIGs (dig +dnssec)'),
    })
    .strict(),
  output,
  rbac: [...execRbac('dns'), ...TARGET_RBAC.dns],
  timeoutMs: 20_000,
  args: ['name'],
  async run(ctx, input): Promise<Output> {
    // A server the caller chose passes the one target policy before any pod is asked anything.
    const chosen =
      input.server === 'pihole' || input.server === 'unbound' ? undefined : await requireAllowedTarget(ctx, input.server, 'dns', 'dns query --server');
    const pods = await findDnsPods(ctx);
    const target = piholeTarget(pods);
    let address: string;
    let label: string;
    if (chosen) {
      address = chosen.address;
      label = `${address} (${chosen.why})`;
    } else if (input.server === 'unbound') {
      const endpoint = unboundEndpoints(pods, await listDnsServices(ctx, pods.namespace))[0];
      if (!endpoint) {
        throw new Upstream(`no Unbound Service or ready Unbound pod in namespace ${pods.namespace}`, {
          hint: `${commandLine('dns_status', {})} shows the DNS pods; pass --server IP to ask another resolver`,
        });
      }
      address = endpoint.address;
      label = endpoint.label;
    } else {
      address = '127.0.0.1';
      label = 'Pi-hole (its resolver, 127.0.0.1 in its pod)';
    }
    const result = await runDig(ctx, target, address, input.name, input.type, { dnssec: input.dnssec });
    const verdict = verdictOfAnswer(result);
    return {
      name: input.name,
      type: input.type,
      server: { requested: input.server, address, label },
      from: `${target.namespace}/${target.pod}`,
      result,
      verdict,
      summary: `${input.name} ${input.type} from ${label}: ${describeAnswer(result, input.type)}`,
    };
  },
  summarize: summarizeStatus,
});
