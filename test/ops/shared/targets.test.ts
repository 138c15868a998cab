import { describe, expect, it } from 'vitest';
import { buildTargetPolicy, canonicalIp, type TargetSources } from '../../../src/ops/shared/targets.js';

// Objects shaped as the API serves them (core/v1 Service, Pod, Node; networking.k8s.io/v1 Ingress).
const SOURCES: TargetSources = {
  ingresses: [
    {
      metadata: { name: 'jellyfin', namespace: 'jellyfin' },
      spec: { rules: [{ host: 'jellyfin.home.example.net' }], tls: [{ hosts: ['*.apps.example.net'] }] },
    },
  ],
  services: [
    {
      metadata: { name: 'kube-dns', namespace: 'kube-system' },
      spec: { clusterIP: '10.43.0.10', clusterIPs: ['10.43.0.10'], selector: { 'k8s-app': 'kube-dns' }, ports: [{ port: 53 }, { port: 9153 }] },
      status: {},
    },
    {
      metadata: { name: 'pihole-dns', namespace: 'pihole' },
      spec: { type: 'LoadBalancer', clusterIP: '10.43.8.8', ports: [{ port: 53 }] },
      status: { loadBalancer: { ingress: [{ ip: '192.168.1.53' }] } },
    },
    { metadata: { name: 'jellyfin', namespace: 'jellyfin' }, spec: { clusterIP: '10.43.5.5', ports: [{ port: 8096 }] }, status: {} },
    { metadata: { name: 'metadata', namespace: 'evil' }, spec: { type: 'ExternalName', ports: [{ port: 80 }] }, status: {} },
    { metadata: { name: 'linklocal', namespace: 'evil' }, spec: { clusterIP: '169.254.169.254', ports: [{ port: 53 }] }, status: {} },
  ],
  nodes: [
    {
      metadata: { name: 'pi5-worker-1' },
      status: {
        addresses: [
          { type: 'InternalIP', address: '192.168.1.51' },
          { type: 'InternalIP', address: 'fe80::1' },
        ],
      },
    },
  ],
  dnsPods: [
    {
      pod: { metadata: { name: 'coredns-abc', namespace: 'kube-system' }, status: { phase: 'Running', podIP: '10.42.0.7' } },
      why: 'pod kube-system/coredns-abc behind DNS Service kube-system/kube-dns',
    },
  ],
};

const why = (d: ReturnType<ReturnType<typeof buildTargetPolicy>['check']>) => (d.allowed ? d.why : `refused: ${d.reason}`);

describe('the target policy', () => {
  it("admits the cluster's own hosts per use: Ingresses and Services for http, nodes too for host", () => {
    const http = buildTargetPolicy('http', SOURCES, []);
    const host = buildTargetPolicy('host', SOURCES, []);
    expect(why(http.check('jellyfin.home.example.net'))).toBe('Ingress jellyfin/jellyfin');
    expect(why(http.check('JELLYFIN.home.example.net.'))).toBe('Ingress jellyfin/jellyfin');
    expect(why(http.check('photos.apps.example.net'))).toBe('Ingress jellyfin/jellyfin');
    expect(http.check('a.b.apps.example.net').allowed).toBe(false);
    expect(why(http.check('jellyfin.jellyfin.svc.cluster.local'))).toBe('Service jellyfin/jellyfin');
    expect(why(http.check('10.43.5.5'))).toBe('Service jellyfin/jellyfin');
    expect(http.check('192.168.1.51').allowed).toBe(false);
    expect(why(host.check('192.168.1.51'))).toBe('node pi5-worker-1');
    // An ExternalName Service aliases a host outside the cluster: its name is not the cluster's.
    expect(http.check('metadata.evil.svc').allowed).toBe(false);
  });

  it('admits only DNS servers for dns: Services with port 53 (with their load-balancer IP) and the pods behind them', () => {
    const dns = buildTargetPolicy('dns', SOURCES, []);
    expect(why(dns.check('10.43.0.10'))).toBe('DNS Service kube-system/kube-dns');
    expect(why(dns.check('192.168.1.53'))).toBe('DNS Service pihole/pihole-dns');
    expect(why(dns.check('10.42.0.7'))).toBe('pod kube-system/coredns-abc behind DNS Service kube-system/kube-dns');
    expect(dns.check('10.43.5.5')).toMatchObject({ allowed: false, reason: expect.stringMatching(/^it is not a DNS server of this cluster/) });
    expect(dns.check('jellyfin.home.example.net').allowed).toBe(false);
  });

  it('refuses link-local and metadata addresses in every spelling, even where a Service, a node or 0.0.0.0/0 would admit them', () => {
    const wide = ['0.0.0.0/0', '::/0', '169.254.0.0/15'];
    for (const use of ['http', 'host', 'dns'] as const) {
      const policy = buildTargetPolicy(use, SOURCES, wide);
      for (const target of [
        '169.254.169.254',
        '::ffff:169.254.169.254',
        '::ffff:a9fe:a9fe',
        '2852039166',
        '0xa9fea9fe',
        '0251.0376.0251.0376',
        '169.254.43518',
        'fe80::1',
        'fe80::1%eth0',
        'FD00:EC2::254',
        'fd00:ec2:0:0:0:0:0:254',
      ]) {
        const d = policy.check(target);
        expect(d, `${use} ${target}`).toMatchObject({ allowed: false, reason: expect.stringMatching(/link-local|metadata/) });
        if (!d.allowed) expect(d.hint).toMatch(/add "(169\.254\.169\.254|fe80::1|fd00:ec2::254)" itself under net\.allowTargets/);
      }
      // The wide CIDRs still admit ordinary addresses.
      expect(why(policy.check('8.8.8.8'))).toBe('net.allowTargets (CIDR)');
    }
  });

  it('admits a link-local address that net.allowTargets names itself, or by a CIDR inside link-local', () => {
    const policy = buildTargetPolicy('dns', SOURCES, ['169.254.20.10', 'fe80::/64']);
    expect(policy.check('169.254.20.10')).toEqual({ allowed: true, why: 'net.allowTargets (named explicitly)', address: '169.254.20.10' });
    expect(policy.check('fe80::1').allowed).toBe(true);
    expect(policy.check('169.254.169.254').allowed).toBe(false);
  });

  it('hands the tool the address it judged, and says how to allow a refused one', () => {
    const policy = buildTargetPolicy('host', SOURCES, ['192.168.1.0/24', 'nas.lan', '*.home.lan']);
    expect(policy.check('3232235876')).toEqual({ allowed: true, why: 'net.allowTargets (CIDR)', address: '192.168.1.100' });
    expect(policy.check('::ffff:192.168.1.51')).toEqual({ allowed: true, why: 'node pi5-worker-1', address: '192.168.1.51' });
    expect(policy.check('NAS.lan')).toEqual({ allowed: true, why: 'net.allowTargets', address: 'NAS.lan' });
    expect(why(policy.check('printer.home.lan'))).toBe('net.allowTargets');
    expect(policy.check('8.8.8.8')).toMatchObject({
      allowed: false,
      reason:
        'it is not an Ingress host, a Service name or ClusterIP, or a node address of this cluster, nor in net.allowTargets (192.168.1.0/24, nas.lan, *.home.lan)',
      hint: 'to allow it, add "8.8.8.8" (or a CIDR such as 8.8.8.0/24) under net.allowTargets in the config file',
    });
  });

  it('warns about an allowTargets entry that is neither a host nor an IP/CIDR', () => {
    const warnings: string[] = [];
    buildTargetPolicy('http', {}, ['192.168.1.0/33', '10.0.0.1/8/2'], (m) => warnings.push(m));
    expect(warnings).toEqual([
      'net.allowTargets: "192.168.1.0/33" is neither a host name nor an IP/CIDR; ignored',
      'net.allowTargets: "10.0.0.1/8/2" is neither a host name nor an IP/CIDR; ignored',
    ]);
  });

  it('spells each address one way', () => {
    expect(canonicalIp('[FE80::0:1]')).toBe('fe80::1');
    expect(canonicalIp('::ffff:10.0.0.1')).toBe('10.0.0.1');
    expect(canonicalIp('10.1')).toBe('10.0.0.1');
    expect(canonicalIp('nas.lan')).toBeUndefined();
    expect(canonicalIp('cafe')).toBeUndefined();
  });
});
