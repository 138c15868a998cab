import type { z } from 'zod';
import type { Check } from '../shared/check.js';
import { plural } from '../shared/format.js';
import dnsStatus from './dns-status.js';

export type DnsStatus = z.output<typeof dnsStatus.output>;

/**
 * The home DNS as dns_status sees it (its pods, Pi-hole, AdGuard): the status op is the one
 * implementation, this check reads through it. Not configured when the config names neither Pi-hole
 * nor AdGuard and no DNS pods run in dns.namespace: then there is nothing to check, not a problem.
 */
export const dnsCheck: Check<object, DnsStatus> = {
  name: 'dns',
  about: 'Pi-hole, Unbound and AdGuard: pods, blocking, gravity, upstreams',
  rbac: dnsStatus.rbac,
  async run(ctx) {
    const out = dnsStatus.output.parse(await dnsStatus.run(ctx, {}));
    const configured = out.pihole.configured || out.adguard.configured || out.pods.length > 0;
    const services = [out.pihole.configured && 'Pi-hole', out.adguard.configured && 'AdGuard'].filter((s): s is string => Boolean(s));
    return {
      installed: true,
      configured,
      scope: [plural(out.pods.length, 'DNS pod'), ...services].join(', '),
      note: configured ? undefined : `no Pi-hole or AdGuard in the config (services.pihole, services.adguard) and no DNS pods in namespace ${out.namespace}`,
      findings: configured ? out.findings : [],
      looked: out.pods.map((p) => ({ kind: 'Pod', namespace: out.namespace, name: p.name })),
      lookedTotal: out.pods.length,
      data: out,
    };
  },
};
