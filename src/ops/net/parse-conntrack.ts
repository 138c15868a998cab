/**
 * Parser for `conntrack -L` (conntrack-tools' default text format), one flow per line:
 *   tcp 6 431999 ESTABLISHED src=… dst=… sport=… dport=… src=… dst=… sport=… dport=… [ASSURED] mark=0 use=1
 * The first src/dst/ports are the original direction, the second the reply (NAT shows here).
 */
import { BlockList, isIP } from 'node:net';
import { z } from 'zod';

export const tupleSchema = z.object({
  src: z.string(),
  dst: z.string(),
  sport: z.number().int().optional(),
  dport: z.number().int().optional(),
  icmpType: z.number().int().optional().describe('ICMP type (8 = echo request, 0 = echo reply)'),
  icmpCode: z.number().int().optional(),
  icmpId: z.number().int().optional(),
});
export type Tuple = z.infer<typeof tupleSchema>;

export const conntrackEntrySchema = z.object({
  protocol: z.string().describe('tcp, udp, icmp, icmpv6, sctp …'),
  protocolNumber: z.number().int(),
  timeout: z.number().int().describe('Seconds until the entry expires'),
  state: z.string().optional().describe('TCP state (ESTABLISHED, TIME_WAIT, SYN_SENT …); absent for udp and icmp'),
  src: z.string().describe('Original direction: who started it'),
  dst: z.string(),
  sport: z.number().int().optional(),
  dport: z.number().int().optional(),
  icmpType: z.number().int().optional(),
  icmpCode: z.number().int().optional(),
  icmpId: z.number().int().optional(),
  reply: tupleSchema.optional().describe('Reply direction: differs from the original swapped when NAT (DNAT to a pod, masquerade) applied'),
  flags: z.array(z.string()).describe('ASSURED (seen both ways), UNREPLIED, OFFLOAD …'),
  mark: z.string().optional(),
  zone: z.number().int().optional(),
  use: z.number().int().optional(),
});
export type ConntrackEntry = z.infer<typeof conntrackEntrySchema>;

const KEY_VALUE = /^([a-z_]+)=(.*)$/;

/** One line of `conntrack -L`; undefined for a line that is not a flow. */
export function parseConntrackLine(line: string): ConntrackEntry | undefined {
  const tokens = line.trim().split(/\s+/);
  if (tokens.length < 4) return undefined;
  // `-o extended` prefixes the layer-3 family: "ipv4 2 tcp 6 …".
  if ((tokens[0] === 'ipv4' || tokens[0] === 'ipv6') && /^\d+$/.test(tokens[1] ?? '')) tokens.splice(0, 2);
  const [protocol, protoNum, timeout] = tokens;
  if (!protocol || !/^\d+$/.test(protoNum ?? '') || !/^\d+$/.test(timeout ?? '')) return undefined;
  const entry: Partial<ConntrackEntry> & { flags: string[] } = { protocol, protocolNumber: Number(protoNum), timeout: Number(timeout), flags: [] };
  const tuples: Array<Partial<Tuple>> = [];
  let tuple: Partial<Tuple> | undefined;
  for (const token of tokens.slice(3)) {
    if (token.startsWith('[') && token.endsWith(']')) {
      entry.flags.push(token.slice(1, -1));
      continue;
    }
    const kv = KEY_VALUE.exec(token);
    if (!kv) {
      if (/^[A-Z_]+$/.test(token) && entry.state === undefined && !tuples.length) entry.state = token;
      continue;
    }
    const [, key, value] = kv as unknown as [string, string, string];
    if (key === 'src') {
      tuple = {};
      tuples.push(tuple);
      tuple.src = value;
      continue;
    }
    if (!tuple) continue;
    switch (key) {
      case 'dst':
        tuple.dst = value;
        break;
      case 'sport':
        tuple.sport = Number(value);
        break;
      case 'dport':
        tuple.dport = Number(value);
        break;
      case 'type':
        tuple.icmpType = Number(value);
        break;
      case 'code':
        tuple.icmpCode = Number(value);
        break;
      case 'id':
        tuple.icmpId = Number(value);
        break;
      case 'mark':
        entry.mark = value;
        break;
      case 'zone':
        entry.zone = Number(value);
        break;
      case 'use':
        entry.use = Number(value);
        break;
      default:
        break;
    }
  }
  const [original, reply] = tuples;
  if (!original?.src || !original.dst) return undefined;
  return { ...(entry as ConntrackEntry), ...(original as Tuple), reply: reply?.src && reply.dst ? (reply as Tuple) : undefined };
}

/** `conntrack v1.4.8 (conntrack-tools): 7 flow entries have been shown.` (on stderr). */
export function parseConntrackSummary(stderr: string): number | undefined {
  const m = /(\d+) flow entries have been shown/.exec(stderr);
  return m ? Number(m[1]) : undefined;
}

/** A test for "this address is in that IP or CIDR" (IPv4 and IPv6). */
export function cidrMatcher(cidr: string): (ip: string) => boolean {
  const [base = '', bits] = cidr.split('/');
  const family = isIP(base) === 6 ? 'ipv6' : 'ipv4';
  const list = new BlockList();
  if (bits === undefined) list.addAddress(base, family);
  else list.addSubnet(base, Number(bits), family);
  return (ip) => {
    const f = isIP(ip);
    return f !== 0 && list.check(ip, f === 6 ? 'ipv6' : 'ipv4');
  };
}
