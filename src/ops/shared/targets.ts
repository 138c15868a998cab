import { BlockList, SocketAddress, isIP } from 'node:net';
import { z } from 'zod';
import type { OpContext, RbacRule } from '../../core/op.js';
import { PolicyDenied } from '../../core/errors.js';
import { listAll } from '../../core/ports/kube.js';

/**
 * The one target policy of homelab: where an op may make the cluster (a pod) send traffic to an
 * address a caller chose. Pods run with host networking or inside the home network, so an open
 * "reach any address" would let anyone who can call homelab probe the LAN, the router's admin page
 * or a cloud metadata endpoint. Every such op asks this module before any pod does anything:
 * net_curl, net_ping, net_traceroute and dns_query --server today; HTTP checks tomorrow.
 *
 * What the cluster's own addresses are depends on the use:
 * - `http` (curl, HTTP checks): the hosts of the Ingresses (spec.rules[].host, spec.tls[].hosts;
 *   `*.example.net` admits one label under it) and the Services (NAME.NS.svc[.cluster.local] and
 *   their ClusterIPs). Not the nodes: an HTTP request to a node reaches the kubelet and every other
 *   host port. Not ExternalName Services: their names alias a host outside the cluster.
 * - `host` (ping, traceroute): the same, plus the nodes' addresses (checking a node answers is
 *   what these are for).
 * - `dns` (dig @SERVER): the DNS servers of the cluster: every Service with a port 53 (ClusterIPs,
 *   load-balancer and external IPs: the address LAN clients use for Pi-hole), the pods those
 *   Services select (kube-dns/CoreDNS, Unbound), and the pods of the DNS namespace (Pi-hole often
 *   has no Service on 53). Asking any other host would only turn dig into a packet cannon.
 * Plus, for every use, config `net.allowTargets`: host names (exact, or `*.domain`) and IPs or CIDRs.
 *
 * Link-local addresses (169.254.0.0/16, fe80::/10; cloud metadata answers at 169.254.169.254) and
 * the AWS IPv6 metadata address fd00:ec2::254 are refused even when a Service, a node or a wide
 * CIDR such as 0.0.0.0/0 would admit them: only an `net.allowTargets` entry naming the address
 * itself, or a CIDR inside the link-local range, admits one (e.g. NodeLocal DNSCache's 169.254.20.10).
 * IPv4-mapped IPv6 (::ffff:169.254.169.254) is judged as the IPv4 address it is.
 */

export type TargetUse = 'http' | 'host' | 'dns';

/** What reading the cluster's own addresses needs, per use. */
export const TARGET_RBAC: Record<TargetUse, readonly RbacRule[]> = {
  http: [
    { apiGroup: 'networking.k8s.io', resource: 'ingresses', verbs: ['list'] },
    { apiGroup: '', resource: 'services', verbs: ['list'] },
  ],
  host: [
    { apiGroup: 'networking.k8s.io', resource: 'ingresses', verbs: ['list'] },
    { apiGroup: '', resource: 'services', verbs: ['list'] },
    { apiGroup: '', resource: 'nodes', verbs: ['list'] },
  ],
  dns: [
    { apiGroup: '', resource: 'services', verbs: ['list'] },
    { apiGroup: '', resource: 'pods', verbs: ['list'] },
  ],
};

/** What the policy says about one host: admitted and why ("Ingress jellyfin/jellyfin"), or refused and why. */
export type TargetDecision =
  | { allowed: true; why: string; /** What to hand the tool: an IP in its one spelling (the address judged), a name as given. */ address: string }
  | { allowed: false; reason: string; hint: string };

export interface TargetPolicy {
  use: TargetUse;
  check(host: string): TargetDecision;
}

// ---------------------------------------------------------------- the objects read (core/v1, networking.k8s.io/v1)

const meta = z.looseObject({ name: z.string(), namespace: z.string().optional() });
const ingressSchema = z.looseObject({
  metadata: meta,
  spec: z
    .looseObject({
      rules: z.array(z.looseObject({ host: z.string().optional() })).nullish(),
      tls: z.array(z.looseObject({ hosts: z.array(z.string()).nullish() })).nullish(),
    })
    .default({}),
});
const serviceSchema = z.looseObject({
  metadata: meta,
  spec: z
    .looseObject({
      type: z.string().optional(),
      clusterIP: z.string().optional(),
      clusterIPs: z.array(z.string()).nullish(),
      externalIPs: z.array(z.string()).nullish(),
      selector: z.record(z.string(), z.string()).nullish(),
      ports: z.array(z.looseObject({ port: z.number() })).nullish(),
    })
    .default({}),
  status: z
    .looseObject({
      loadBalancer: z.looseObject({ ingress: z.array(z.looseObject({ ip: z.string().optional(), hostname: z.string().optional() })).nullish() }).optional(),
    })
    .default({}),
});
const nodeSchema = z.looseObject({
  metadata: meta,
  status: z.looseObject({ addresses: z.array(z.looseObject({ address: z.string(), type: z.string().optional() })).nullish() }).default({}),
});
const podSchema = z.looseObject({
  metadata: meta,
  status: z
    .looseObject({ phase: z.string().optional(), podIP: z.string().optional(), podIPs: z.array(z.looseObject({ ip: z.string() })).nullish() })
    .default({}),
});
export type IngressSource = z.infer<typeof ingressSchema>;
export type ServiceSource = z.infer<typeof serviceSchema>;
export type NodeSource = z.infer<typeof nodeSchema>;
export type PodSource = z.infer<typeof podSchema>;

/** Objects of a kind that parse; one malformed object does not hide the others. */
function parseEach<T extends z.ZodType>(schema: T, raws: unknown[]): Array<z.output<T>> {
  const out: Array<z.output<T>> = [];
  for (const raw of raws) {
    const parsed = schema.safeParse(raw);
    if (parsed.success) out.push(parsed.data);
  }
  return out;
}

// ---------------------------------------------------------------- addresses

/** Lower case without the root dot; IPv6 without brackets. */
export function normalizeHost(host: string): string {
  return host
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1')
    .replace(/\.$/, '');
}

/**
 * One spelling per address: IPv6 compressed and lower case, an IPv4-mapped IPv6 as its IPv4, a
 * zone (%eth0) dropped. Undefined for anything that is not an IP.
 */
export function canonicalIp(text: string): string | undefined {
  const bare = normalizeHost(text).replace(/%.*$/, '');
  const family = isIP(bare);
  if (family === 4) return bare;
  if (family !== 6) return numericIpv4(bare);
  const v6 = new SocketAddress({ address: bare, family: 'ipv6' }).address;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(v6);
  return mapped ? mapped[1] : v6;
}

/**
 * "2852039166", "0xa9fea9fe", "0251.0376.0251.0376", "169.254.43518": host names to a regex, but
 * ping, curl and every inet_aton read them as IPv4 (here 169.254.169.254); the URL standard's IPv4
 * parser reads them the same way, so the policy judges the address the tool will reach.
 */
function numericIpv4(host: string): string | undefined {
  if (!/^[0-9a-fx.]+$/.test(host) || !/[0-9]/.test(host)) return undefined;
  try {
    const parsed = new URL(`http://${host}/`).hostname;
    return isIP(parsed) === 4 ? parsed : undefined;
  } catch {
    return undefined;
  }
}

const familyOf = (ip: string): 'ipv4' | 'ipv6' => (isIP(ip) === 4 ? 'ipv4' : 'ipv6');

/** Ranges no cluster object and no wide CIDR admits (see the module comment). */
const GUARDED: Array<{ net: string; bits: number; what: string }> = [
  { net: '169.254.0.0', bits: 16, what: 'a link-local address (cloud metadata endpoints answer at 169.254.169.254)' },
  { net: 'fe80::', bits: 10, what: 'an IPv6 link-local address' },
  { net: 'fd00:ec2::254', bits: 128, what: 'the AWS IPv6 metadata address' },
];

const GUARDED_LISTS = GUARDED.map((g) => {
  const list = new BlockList();
  list.addSubnet(g.net, g.bits, familyOf(g.net));
  return { ...g, family: familyOf(g.net), list };
});

function guardedRange(ip: string): { bits: number; what: string } | undefined {
  return GUARDED_LISTS.find((g) => g.family === familyOf(ip) && g.list.check(ip, g.family));
}

/**
 * What a resolved address is when no cluster object or wide CIDR may admit it (link-local, cloud
 * metadata), or undefined: for checks that resolve names themselves (uptime), so a name that
 * resolves there is refused like the address would be.
 */
export function guardedAddress(address: string): string | undefined {
  const ip = canonicalIp(address);
  return ip ? guardedRange(ip)?.what : undefined;
}

/** An allowTargets entry as an IP/CIDR: its network and prefix, or undefined when it is a host name. */
function parseCidr(entry: string): { ip: string; bits: number } | undefined | 'invalid' {
  const [rawIp, bits, extra] = entry.split('/');
  const ip = rawIp ? canonicalIp(rawIp) : undefined;
  if (!ip) return entry.includes('/') ? 'invalid' : undefined;
  const max = isIP(ip) === 4 ? 32 : 128;
  if (extra !== undefined) return 'invalid';
  if (bits === undefined) return { ip, bits: max };
  if (!/^\d+$/.test(bits) || Number(bits) > max) return 'invalid';
  return { ip, bits: Number(bits) };
}

// ---------------------------------------------------------------- the policy

export interface TargetSources {
  ingresses?: IngressSource[];
  services?: ServiceSource[];
  nodes?: NodeSource[];
  /** For `dns`: the pods behind DNS Services and those of the DNS namespace, each with why it counts. */
  dnsPods?: Array<{ pod: PodSource; why: string }>;
}

/** Whether a Service answers DNS: it has a port 53. */
export function servesDns(service: ServiceSource): boolean {
  return (service.spec.ports ?? []).some((p) => p.port === 53);
}

/** The policy from objects already read: pure, so every op (and a test) builds it the same way. */
export function buildTargetPolicy(
  use: TargetUse,
  sources: TargetSources,
  allowTargets: readonly string[],
  warn: (message: string) => void = () => undefined,
): TargetPolicy {
  const hosts = new Map<string, string>();
  const wildcards = new Map<string, string>();
  const ips = new Map<string, string>();
  const cidrs = new BlockList();
  /** Entries that name a guarded address itself (or a CIDR inside a guarded range). */
  const guardedAllowed = new BlockList();

  const admitName = (host: string, why: string) => {
    const h = normalizeHost(host);
    if (!h) return;
    const ip = canonicalIp(h);
    if (ip) {
      if (!ips.has(ip)) ips.set(ip, why);
      return;
    }
    if (h.startsWith('*.')) {
      if (!wildcards.has(h.slice(2))) wildcards.set(h.slice(2), why);
      return;
    }
    if (!hosts.has(h)) hosts.set(h, why);
  };

  if (use !== 'dns') {
    for (const ing of sources.ingresses ?? []) {
      const why = `Ingress ${ing.metadata.namespace ?? ''}/${ing.metadata.name}`;
      for (const rule of ing.spec.rules ?? []) if (rule.host) admitName(rule.host, why);
      for (const tls of ing.spec.tls ?? []) for (const host of tls.hosts ?? []) admitName(host, why);
    }
    for (const svc of sources.services ?? []) {
      const { name, namespace } = svc.metadata;
      if (!namespace || svc.spec.type === 'ExternalName') continue;
      const why = `Service ${namespace}/${name}`;
      admitName(`${name}.${namespace}.svc`, why);
      admitName(`${name}.${namespace}.svc.cluster.local`, why);
      for (const ip of [svc.spec.clusterIP, ...(svc.spec.clusterIPs ?? [])]) if (ip && isIP(ip)) admitName(ip, why);
    }
  } else {
    for (const svc of sources.services ?? []) {
      const { name, namespace } = svc.metadata;
      if (!namespace || svc.spec.type === 'ExternalName' || !servesDns(svc)) continue;
      const why = `DNS Service ${namespace}/${name}`;
      const addresses = [
        svc.spec.clusterIP,
        ...(svc.spec.clusterIPs ?? []),
        ...(svc.spec.externalIPs ?? []),
        ...(svc.status.loadBalancer?.ingress ?? []).map((i) => i.ip),
      ];
      for (const ip of addresses) if (ip && isIP(ip)) admitName(ip, why);
    }
    for (const { pod, why } of sources.dnsPods ?? []) {
      for (const ip of [pod.status.podIP, ...(pod.status.podIPs ?? []).map((p) => p.ip)]) if (ip && isIP(ip)) admitName(ip, why);
    }
  }
  if (use === 'host') {
    for (const node of sources.nodes ?? []) {
      for (const a of node.status.addresses ?? []) admitName(a.address, `node ${node.metadata.name}`);
    }
  }
  for (const entry of allowTargets) {
    const cidr = parseCidr(entry.trim());
    if (cidr === 'invalid') {
      warn(`net.allowTargets: "${entry}" is neither a host name nor an IP/CIDR; ignored`);
      continue;
    }
    if (!cidr) {
      admitName(entry, 'net.allowTargets');
      continue;
    }
    const type = familyOf(cidr.ip);
    cidrs.addSubnet(cidr.ip, cidr.bits, type);
    const range = guardedRange(cidr.ip);
    if (range && cidr.bits >= range.bits) guardedAllowed.addSubnet(cidr.ip, cidr.bits, type);
    if (cidr.bits === (type === 'ipv4' ? 32 : 128)) ips.set(cidr.ip, 'net.allowTargets');
  }

  const scope = {
    http: 'an Ingress host, a Service name (NAME.NS.svc) or a ClusterIP of this cluster',
    host: 'an Ingress host, a Service name or ClusterIP, or a node address of this cluster',
    dns: 'a DNS server of this cluster (a Service with port 53, a pod behind one, or a pod of the DNS namespace)',
  }[use];
  const allowList = allowTargets.length ? allowTargets.join(', ') : 'empty';

  return {
    use,
    check(host: string): TargetDecision {
      const h = normalizeHost(host);
      const ip = canonicalIp(h);
      if (ip) {
        const range = guardedRange(ip);
        if (range) {
          if (guardedAllowed.check(ip, familyOf(ip))) return { allowed: true, why: 'net.allowTargets (named explicitly)', address: ip };
          return {
            allowed: false,
            reason: `${h} is ${range.what}: refused even where a Service, a node or a wider CIDR would admit it`,
            hint: `only if you mean it (e.g. NodeLocal DNSCache at 169.254.20.10), add "${ip}" itself under net.allowTargets in the config file`,
          };
        }
        const why = ips.get(ip) ?? (cidrs.check(ip, familyOf(ip)) ? 'net.allowTargets (CIDR)' : undefined);
        if (why) return { allowed: true, why, address: ip };
      } else {
        const exact = hosts.get(h);
        if (exact) return { allowed: true, why: exact, address: host.trim() };
        const dot = h.indexOf('.');
        const wildcard = dot > 0 ? wildcards.get(h.slice(dot + 1)) : undefined;
        if (wildcard) return { allowed: true, why: wildcard, address: host.trim() };
      }
      const example = ip && isIP(ip) === 4 ? `${ip.split('.').slice(0, 3).join('.')}.0/24` : '192.168.1.0/24';
      return {
        allowed: false,
        reason: `it is not ${scope}, nor in net.allowTargets (${allowList})`,
        hint: `to allow it, add "${ip ?? h}"${ip ? ` (or a CIDR such as ${example})` : ' (or *.its-domain)'} under net.allowTargets in the config file`,
      };
    },
  };
}

/** Reads what `use` needs from the cluster and builds the policy: load once, check many hosts. */
export async function loadTargetPolicy(ctx: OpContext, use: TargetUse): Promise<TargetPolicy> {
  const list = (group: string, resource: string, namespace?: string, labelSelector?: string) =>
    listAll(ctx.kube, { group, version: 'v1', resource, namespace }, labelSelector ? { labelSelector } : undefined);
  if (use === 'dns') {
    const dnsNamespace = ctx.config.dns.namespace;
    const [rawServices, nsPods] = await Promise.all([list('', 'services'), list('', 'pods', dnsNamespace)]);
    const services = parseEach(serviceSchema, rawServices);
    const dnsServices = services.filter((s) => servesDns(s) && s.metadata.namespace && s.spec.selector && Object.keys(s.spec.selector).length);
    const behind = await Promise.all(
      dnsServices.map(async (s) => {
        const selector = Object.entries(s.spec.selector ?? {})
          .map(([k, v]) => `${k}=${v}`)
          .join(',');
        const pods = parseEach(podSchema, await list('', 'pods', s.metadata.namespace, selector));
        return pods.map((pod) => ({
          pod,
          why: `pod ${s.metadata.namespace ?? ''}/${pod.metadata.name} behind DNS Service ${s.metadata.namespace ?? ''}/${s.metadata.name}`,
        }));
      }),
    );
    const running = (p: PodSource) => p.status.phase === 'Running';
    const dnsPods = [
      ...behind.flat().filter((x) => running(x.pod)),
      ...parseEach(podSchema, nsPods)
        .filter(running)
        .map((pod) => ({ pod, why: `pod ${dnsNamespace}/${pod.metadata.name} (the DNS namespace)` })),
    ];
    return buildTargetPolicy(use, { services, dnsPods }, ctx.config.net.allowTargets, (m) => ctx.log.warn(m));
  }
  const [ingresses, services, nodes] = await Promise.all([
    list('networking.k8s.io', 'ingresses'),
    list('', 'services'),
    use === 'host' ? list('', 'nodes') : Promise.resolve([]),
  ]);
  return buildTargetPolicy(
    use,
    { ingresses: parseEach(ingressSchema, ingresses), services: parseEach(serviceSchema, services), nodes: parseEach(nodeSchema, nodes) },
    ctx.config.net.allowTargets,
    (m) => ctx.log.warn(m),
  );
}

/**
 * Refuses a target outside the policy (PolicyDenied, exit 77) before any pod is asked to do
 * anything, naming why and how to allow it. Returns why it is admitted (for the op's output) and
 * the address to hand the tool.
 */
export async function requireAllowedTarget(ctx: OpContext, host: string, use: TargetUse, what: string): Promise<{ why: string; address: string }> {
  const decision = (await loadTargetPolicy(ctx, use)).check(host);
  if (decision.allowed) return { why: decision.why, address: decision.address };
  throw new PolicyDenied(`${what} may not reach ${normalizeHost(host)}: ${decision.reason}`, { hint: decision.hint });
}
