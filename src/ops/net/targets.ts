import { BlockList, isIP } from 'node:net';
import type { OpContext, RbacRule } from '../../core/op.js';
import { PolicyDenied } from '../../core/errors.js';
import { listAll } from '../../core/ports/kube.js';

/**
 * The SSRF policy of the network probes (net_curl, net_ping, net_traceroute). They run from a pod
 * with host networking, so an open "fetch any URL" would let anyone who can call homelab reach the
 * LAN, the router's admin page or a cloud metadata endpoint. What they may reach, by default:
 *
 * - the hosts of the cluster's Ingresses (spec.rules[].host and spec.tls[].hosts; `*.example.net`
 *   admits one label under example.net);
 * - the cluster's Services: NAME.NS.svc, NAME.NS.svc.cluster.local and their ClusterIPs;
 * - for ping and traceroute only, the nodes' addresses (InternalIP/ExternalIP/Hostname): checking
 *   that a node answers is what they are for, while an HTTP request to a node reaches the kubelet
 *   and other host ports, so curl does not get them;
 * - anything in config `net.allowTargets`: host names (exact, or `*.domain`) and IPs or CIDRs.
 *
 * Everything else is refused with PolicyDenied before any pod is asked to do anything.
 */

export const TARGET_RBAC: RbacRule[] = [
  { apiGroup: 'networking.k8s.io', resource: 'ingresses', verbs: ['list'] },
  { apiGroup: '', resource: 'services', verbs: ['list'] },
];
export const NODE_TARGET_RBAC: RbacRule = { apiGroup: '', resource: 'nodes', verbs: ['list'] };

export interface TargetPolicy {
  hosts: Set<string>;
  wildcards: string[];
  ips: Set<string>;
  blocks: BlockList;
  /** Why each name or IP is admitted: "Ingress jellyfin/jellyfin". */
  why: Map<string, string>;
  allowTargets: string[];
}

/** Lower case without the root dot; IPv6 without brackets. */
export function normalizeHost(host: string): string {
  return host.toLowerCase().replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '');
}

function addCidr(blocks: BlockList, entry: string): boolean {
  const [ip, bits] = entry.split('/');
  const family = ip ? isIP(ip) : 0;
  if (!family || !ip) return false;
  const type = family === 4 ? 'ipv4' : 'ipv6';
  if (bits === undefined) blocks.addAddress(ip, type);
  else if (/^\d+$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128)) blocks.addSubnet(ip, Number(bits), type);
  else return false;
  return true;
}

interface Meta { metadata?: { name?: string; namespace?: string } }
interface IngressLike extends Meta { spec?: { rules?: Array<{ host?: string }>; tls?: Array<{ hosts?: string[] }> } }
interface ServiceLike extends Meta { spec?: { clusterIP?: string; clusterIPs?: string[] } }
interface NodeLike extends Meta { status?: { addresses?: Array<{ address?: string; type?: string }> } }

/** Reads the Ingresses and Services (and nodes, for ping/traceroute) into the set of admitted targets. */
export async function loadTargetPolicy(ctx: OpContext, options: { nodes: boolean }): Promise<TargetPolicy> {
  const [ingresses, services, nodes] = await Promise.all([
    listAll(ctx.kube, { group: 'networking.k8s.io', version: 'v1', resource: 'ingresses' }),
    listAll(ctx.kube, { group: '', version: 'v1', resource: 'services' }),
    options.nodes ? listAll(ctx.kube, { group: '', version: 'v1', resource: 'nodes' }) : Promise.resolve([]),
  ]);
  const policy: TargetPolicy = { hosts: new Set(), wildcards: [], ips: new Set(), blocks: new BlockList(), why: new Map(), allowTargets: ctx.config.net.allowTargets };
  const admitHost = (host: string, why: string) => {
    const h = normalizeHost(host);
    if (!h) return;
    if (h.startsWith('*.')) policy.wildcards.push(h.slice(2));
    else if (isIP(h)) policy.ips.add(h);
    else policy.hosts.add(h);
    if (!policy.why.has(h)) policy.why.set(h, why);
  };
  for (const raw of ingresses as IngressLike[]) {
    const why = `Ingress ${raw.metadata?.namespace ?? ''}/${raw.metadata?.name ?? ''}`;
    for (const rule of raw.spec?.rules ?? []) if (rule.host) admitHost(rule.host, why);
    for (const tls of raw.spec?.tls ?? []) for (const host of tls.hosts ?? []) admitHost(host, why);
  }
  for (const raw of services as ServiceLike[]) {
    const { name, namespace } = raw.metadata ?? {};
    if (!name || !namespace) continue;
    const why = `Service ${namespace}/${name}`;
    admitHost(`${name}.${namespace}.svc`, why);
    admitHost(`${name}.${namespace}.svc.cluster.local`, why);
    for (const ip of new Set([raw.spec?.clusterIP, ...(raw.spec?.clusterIPs ?? [])])) if (ip && isIP(ip)) admitHost(ip, why);
  }
  for (const raw of nodes as NodeLike[]) {
    for (const a of raw.status?.addresses ?? []) if (a.address) admitHost(a.address, `node ${raw.metadata?.name ?? ''}`);
  }
  for (const entry of policy.allowTargets) {
    const e = normalizeHost(entry.trim());
    if (e.includes('/') || isIP(e)) {
      if (!addCidr(policy.blocks, e)) ctx.log.warn(`net.allowTargets: "${entry}" is neither a host name nor an IP/CIDR; ignored`);
      else if (isIP(e)) policy.why.set(e, 'net.allowTargets');
    } else {
      admitHost(e, 'net.allowTargets');
    }
  }
  return policy;
}

/** Why the policy admits a host, or undefined when it does not. */
export function admits(policy: TargetPolicy, host: string): string | undefined {
  const h = normalizeHost(host);
  const family = isIP(h);
  if (family) {
    if (policy.ips.has(h)) return policy.why.get(h) ?? 'cluster address';
    if (policy.blocks.check(h, family === 4 ? 'ipv4' : 'ipv6')) return policy.why.get(h) ?? 'net.allowTargets (CIDR)';
    return undefined;
  }
  if (policy.hosts.has(h)) return policy.why.get(h);
  const wildcard = policy.wildcards.find((w) => h.endsWith(`.${w}`) && !h.slice(0, -(w.length + 1)).includes('.'));
  return wildcard ? (policy.why.get(`*.${wildcard}`) ?? 'a wildcard host') : undefined;
}

/**
 * Refuses a target outside the policy, naming why and how to allow it. Returns why it is admitted
 * ("Ingress jellyfin/jellyfin"), for the output.
 */
export async function requireAllowedTarget(ctx: OpContext, host: string, what: string, options: { nodes: boolean }): Promise<string> {
  const policy = await loadTargetPolicy(ctx, options);
  const why = admits(policy, host);
  if (why) return why;
  const scope = options.nodes ? 'an Ingress host, a Service name or ClusterIP, or a node address' : 'an Ingress host, a Service name (NAME.NS.svc) or a ClusterIP';
  throw new PolicyDenied(`${what} may not reach ${normalizeHost(host)}: it is not ${scope} of this cluster, nor in net.allowTargets (${policy.allowTargets.length ? policy.allowTargets.join(', ') : 'empty'})`, {
    hint: `to allow it, add "${normalizeHost(host)}" (or a CIDR such as ${isIP(normalizeHost(host)) === 4 ? `${normalizeHost(host).split('.').slice(0, 3).join('.')}.0/24` : '192.168.1.0/24'}) under net.allowTargets in the config file`,
  });
}
