/**
 * Parsers for iproute2's JSON output (`ip -j addr`, `ip -j route`, `ip -j rule`), as the debug
 * agent prints it on a node. Unknown fields are ignored; a field iproute2 leaves out stays absent.
 */
import { z } from 'zod';

const addrInfoSchema = z.looseObject({
  family: z.string(),
  local: z.string().optional(),
  prefixlen: z.number().int().optional(),
  scope: z.string().optional(),
  broadcast: z.string().optional(),
  label: z.string().optional(),
  dynamic: z.boolean().optional(),
});

const linkJsonSchema = z.looseObject({
  ifindex: z.number().int(),
  ifname: z.string(),
  flags: z.array(z.string()).default([]),
  mtu: z.number().int().optional(),
  operstate: z.string().optional(),
  link_type: z.string().optional(),
  address: z.string().optional(),
  master: z.string().optional(),
  addr_info: z.array(z.looseObject({})).default([]),
});

const routeJsonSchema = z.looseObject({
  type: z.string().optional(),
  dst: z.string(),
  gateway: z.string().optional(),
  dev: z.string().optional(),
  protocol: z.string().optional(),
  scope: z.string().optional(),
  prefsrc: z.string().optional(),
  metric: z.number().optional(),
  table: z.string().optional(),
  flags: z.array(z.string()).default([]),
});

const ruleJsonSchema = z.looseObject({
  priority: z.number().int(),
  not: z.null().optional(),
  src: z.string().optional(),
  srclen: z.number().int().optional(),
  dst: z.string().optional(),
  dstlen: z.number().int().optional(),
  iif: z.string().optional(),
  oif: z.string().optional(),
  fwmark: z.string().optional(),
  table: z.string().optional(),
  action: z.string().optional(),
});

export const addressSchema = z.object({
  family: z.enum(['inet', 'inet6']).describe('inet = IPv4, inet6 = IPv6'),
  address: z.string(),
  prefixLength: z.number().int(),
  cidr: z.string().describe('address/prefix, e.g. 192.168.1.50/24'),
  scope: z.string().optional().describe('global, link or host'),
});

export const linkSchema = z.object({
  index: z.number().int(),
  name: z.string().describe('Interface name, e.g. eth0, cni0, flannel.1, tailscale0'),
  state: z.string().describe('Operational state as the kernel reports it: UP, DOWN, UNKNOWN (normal for lo and tunnels), LOWERLAYERDOWN'),
  up: z.boolean().describe('Administratively up (the UP flag) with a carrier (not DOWN/LOWERLAYERDOWN)'),
  flags: z.array(z.string()),
  mtu: z.number().int().optional(),
  type: z.string().optional().describe('Link type: ether, loopback, none (tunnels)'),
  mac: z.string().optional(),
  master: z.string().optional().describe('The bridge or bond this link is enslaved to'),
  addresses: z.array(addressSchema),
});
export type Link = z.infer<typeof linkSchema>;

export const routeSchema = z.object({
  dst: z.string().describe('"default" or a prefix like 10.42.0.0/24'),
  gateway: z.string().optional(),
  dev: z.string().optional(),
  protocol: z.string().optional().describe('Who added it: kernel, dhcp, static, boot'),
  scope: z.string().optional(),
  prefsrc: z.string().optional().describe('Preferred source address'),
  metric: z.number().optional(),
  type: z.string().optional().describe('unicast unless stated: blackhole, unreachable, local …'),
  flags: z.array(z.string()),
});
export type Route = z.infer<typeof routeSchema>;

export const ruleSchema = z.object({
  priority: z.number().int(),
  selector: z.string().describe('What the rule matches, as `ip rule` prints it: "from all fwmark 0x80000/0xff0000"'),
  table: z.string().optional().describe('The routing table it looks up'),
  action: z.string().optional().describe('An action other than a table lookup: unreachable, prohibit, blackhole'),
});
export type Rule = z.infer<typeof ruleSchema>;

export class ParseError extends Error {}

function parseJsonArray(text: string, what: string): unknown[] {
  const trimmed = text.trim();
  if (trimmed === '') return [];
  let data: unknown;
  try {
    data = JSON.parse(trimmed);
  } catch {
    throw new ParseError(`${what}: not JSON (got "${trimmed.slice(0, 60)}")`);
  }
  if (!Array.isArray(data)) throw new ParseError(`${what}: expected a JSON array`);
  return data;
}

/** `ip -j addr show`: links with their addresses. */
export function parseIpAddr(text: string): Link[] {
  return parseJsonArray(text, 'ip -j addr').map((raw, i) => {
    const r = linkJsonSchema.safeParse(raw);
    if (!r.success) throw new ParseError(`ip -j addr: entry ${i} is not a link: ${r.error.issues[0]?.message ?? ''}`);
    const l = r.data;
    const state = l.operstate ?? 'UNKNOWN';
    const addresses = l.addr_info.flatMap((a): Link['addresses'] => {
      const info = addrInfoSchema.safeParse(a);
      if (!info.success || (info.data.family !== 'inet' && info.data.family !== 'inet6') || !info.data.local) return [];
      const family = info.data.family;
      const prefixLength = info.data.prefixlen ?? (family === 'inet' ? 32 : 128);
      return [{ family, address: info.data.local, prefixLength, cidr: `${info.data.local}/${prefixLength}`, scope: info.data.scope }];
    });
    return {
      index: l.ifindex,
      name: l.ifname,
      state,
      up: l.flags.includes('UP') && state !== 'DOWN' && state !== 'LOWERLAYERDOWN' && !l.flags.includes('NO-CARRIER'),
      flags: l.flags,
      mtu: l.mtu,
      type: l.link_type,
      mac: l.address,
      master: l.master,
      addresses,
    };
  });
}

/** `ip -j route show`: the main table. */
export function parseIpRoute(text: string): Route[] {
  return parseJsonArray(text, 'ip -j route').map((raw, i) => {
    const r = routeJsonSchema.safeParse(raw);
    if (!r.success) throw new ParseError(`ip -j route: entry ${i} is not a route: ${r.error.issues[0]?.message ?? ''}`);
    const { dst, gateway, dev, protocol, scope, prefsrc, metric, type, flags } = r.data;
    return { dst, gateway, dev, protocol, scope, prefsrc, metric, type, flags };
  });
}

/** `ip -j rule show`: policy routing rules, in priority order. */
export function parseIpRule(text: string): Rule[] {
  return parseJsonArray(text, 'ip -j rule').map((raw, i) => {
    const r = ruleJsonSchema.safeParse(raw);
    if (!r.success) throw new ParseError(`ip -j rule: entry ${i} is not a rule: ${r.error.issues[0]?.message ?? ''}`);
    const x = r.data;
    const parts: string[] = [];
    if ('not' in x) parts.push('not');
    parts.push(`from ${x.src ?? 'all'}${x.srclen !== undefined ? `/${x.srclen}` : ''}`);
    if (x.dst) parts.push(`to ${x.dst}${x.dstlen !== undefined ? `/${x.dstlen}` : ''}`);
    if (x.fwmark) parts.push(`fwmark ${x.fwmark}`);
    if (x.iif) parts.push(`iif ${x.iif}`);
    if (x.oif) parts.push(`oif ${x.oif}`);
    return { priority: x.priority, selector: parts.join(' '), table: x.table, action: x.action };
  });
}
