import { describe, expect, it } from 'vitest';
import { ParseError, parseIpAddr, parseIpRoute, parseIpRule } from '../../../src/ops/net/parse-ip.js';
import { parseIptablesSave, tokenize } from '../../../src/ops/net/parse-iptables.js';
import { cidrMatcher, parseConntrackLine, parseConntrackSummary } from '../../../src/ops/net/parse-conntrack.js';
import { chainNameSchema } from '../../../src/ops/net/net-iptables.js';

// `ip -j addr` of a Pi with IPv6 (SLAAC + link-local), a bridge port and an unplugged USB NIC.
const IP_ADDR = JSON.stringify([
  {
    ifindex: 1,
    ifname: 'lo',
    flags: ['LOOPBACK', 'UP', 'LOWER_UP'],
    mtu: 65536,
    qdisc: 'noqueue',
    operstate: 'UNKNOWN',
    group: 'default',
    txqlen: 1000,
    link_type: 'loopback',
    address: '00:00:00:00:00:00',
    broadcast: '00:00:00:00:00:00',
    addr_info: [
      { family: 'inet', local: '127.0.0.1', prefixlen: 8, scope: 'host', label: 'lo', valid_life_time: 4294967295, preferred_life_time: 4294967295 },
      { family: 'inet6', local: '::1', prefixlen: 128, scope: 'host', noprefixroute: true, valid_life_time: 4294967295, preferred_life_time: 4294967295 },
    ],
  },
  {
    ifindex: 2,
    ifname: 'eth0',
    flags: ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'],
    mtu: 1500,
    qdisc: 'mq',
    operstate: 'UP',
    group: 'default',
    txqlen: 1000,
    link_type: 'ether',
    address: 'dc:a6:32:1b:4e:01',
    broadcast: 'ff:ff:ff:ff:ff:ff',
    addr_info: [
      {
        family: 'inet',
        local: '192.168.1.50',
        prefixlen: 24,
        broadcast: '192.168.1.255',
        scope: 'global',
        label: 'eth0',
        valid_life_time: 4294967295,
        preferred_life_time: 4294967295,
      },
      {
        family: 'inet6',
        local: '2001:db8:4a1:0:dea6:32ff:fe1b:4e01',
        prefixlen: 64,
        scope: 'global',
        dynamic: true,
        mngtmpaddr: true,
        valid_life_time: 86272,
        preferred_life_time: 14272,
      },
      { family: 'inet6', local: 'fe80::dea6:32ff:fe1b:4e01', prefixlen: 64, scope: 'link', valid_life_time: 4294967295, preferred_life_time: 4294967295 },
    ],
  },
  {
    ifindex: 3,
    ifname: 'eth1',
    flags: ['NO-CARRIER', 'BROADCAST', 'MULTICAST', 'UP'],
    mtu: 1500,
    qdisc: 'pfifo_fast',
    operstate: 'DOWN',
    group: 'default',
    txqlen: 1000,
    link_type: 'ether',
    address: '00:e0:4c:68:0a:53',
    broadcast: 'ff:ff:ff:ff:ff:ff',
    addr_info: [
      {
        family: 'inet',
        local: '192.168.2.53',
        prefixlen: 24,
        broadcast: '192.168.2.255',
        scope: 'global',
        label: 'eth1',
        valid_life_time: 4294967295,
        preferred_life_time: 4294967295,
      },
    ],
  },
  {
    ifindex: 7,
    ifname: 'veth3c1a2b4d',
    link_index: 2,
    flags: ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'],
    mtu: 1450,
    qdisc: 'noqueue',
    master: 'cni0',
    operstate: 'UP',
    group: 'default',
    link_type: 'ether',
    address: '7a:11:2e:90:aa:01',
    broadcast: 'ff:ff:ff:ff:ff:ff',
    link_netnsid: 0,
    addr_info: [],
  },
  {
    ifindex: 8,
    ifname: 'wlan0',
    flags: ['BROADCAST', 'MULTICAST'],
    mtu: 1500,
    qdisc: 'noop',
    operstate: 'DOWN',
    group: 'default',
    txqlen: 1000,
    link_type: 'ether',
    address: 'dc:a6:32:1b:4e:02',
    broadcast: 'ff:ff:ff:ff:ff:ff',
    addr_info: [],
  },
]);

describe('ip -j addr', () => {
  const links = parseIpAddr(IP_ADDR);

  it('reads links with their IPv4 and IPv6 addresses', () => {
    expect(links.map((l) => l.name)).toEqual(['lo', 'eth0', 'eth1', 'veth3c1a2b4d', 'wlan0']);
    const eth0 = links[1]!;
    expect(eth0).toMatchObject({ index: 2, state: 'UP', up: true, mtu: 1500, type: 'ether', mac: 'dc:a6:32:1b:4e:01' });
    expect(eth0.addresses).toEqual([
      { family: 'inet', address: '192.168.1.50', prefixLength: 24, cidr: '192.168.1.50/24', scope: 'global' },
      { family: 'inet6', address: '2001:db8:4a1:0:dea6:32ff:fe1b:4e01', prefixLength: 64, cidr: '2001:db8:4a1:0:dea6:32ff:fe1b:4e01/64', scope: 'global' },
      { family: 'inet6', address: 'fe80::dea6:32ff:fe1b:4e01', prefixLength: 64, cidr: 'fe80::dea6:32ff:fe1b:4e01/64', scope: 'link' },
    ]);
    expect(links[0]!.addresses.map((a) => a.cidr)).toEqual(['127.0.0.1/8', '::1/128']);
    expect(links[3]).toMatchObject({ master: 'cni0', addresses: [] });
  });

  it('tells a link without carrier or administratively down from one that is up (UNKNOWN is up for lo)', () => {
    expect(links.map((l) => [l.name, l.up])).toEqual([
      ['lo', true],
      ['eth0', true],
      ['eth1', false],
      ['veth3c1a2b4d', true],
      ['wlan0', false],
    ]);
  });

  it('reads empty output as no links, and refuses what is not ip -j', () => {
    expect(parseIpAddr('')).toEqual([]);
    expect(() => parseIpAddr('1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536')).toThrow(ParseError);
    expect(() => parseIpAddr('{"ifindex":1}')).toThrow(/expected a JSON array/);
    expect(() => parseIpAddr('[{"ifname":"x"}]')).toThrow(/entry 0 is not a link/);
  });
});

describe('ip -j route and ip -j rule', () => {
  it('reads routes, with the default route and onlink flannel routes', () => {
    const routes = parseIpRoute(
      '[{"dst":"default","gateway":"192.168.1.1","dev":"eth0","protocol":"dhcp","prefsrc":"192.168.1.50","metric":100,"flags":[]},{"dst":"10.42.1.0/24","gateway":"10.42.1.0","dev":"flannel.1","flags":["onlink"]},{"type":"blackhole","dst":"10.42.9.0/24","flags":[]}]',
    );
    expect(routes[0]).toEqual({ dst: 'default', gateway: '192.168.1.1', dev: 'eth0', protocol: 'dhcp', prefsrc: '192.168.1.50', metric: 100, flags: [] });
    expect(routes[1]).toMatchObject({ dst: '10.42.1.0/24', flags: ['onlink'] });
    expect(routes[2]).toMatchObject({ type: 'blackhole', dst: '10.42.9.0/24' });
  });

  it("reads policy rules as ip rule prints them (tailscale's fwmark rules)", () => {
    const rules = parseIpRule(
      '[{"priority":0,"src":"all","table":"local"},{"priority":5210,"src":"all","fwmark":"0x80000/0xff0000","table":"main"},{"priority":100,"src":"10.0.0.0","srclen":8,"iif":"eth0","action":"prohibit"}]',
    );
    expect(rules).toEqual([
      { priority: 0, selector: 'from all', table: 'local', action: undefined },
      { priority: 5210, selector: 'from all fwmark 0x80000/0xff0000', table: 'main', action: undefined },
      { priority: 100, selector: 'from 10.0.0.0/8 iif eth0', table: undefined, action: 'prohibit' },
    ]);
  });
});

const IPTABLES = `# Generated by iptables-save v1.8.10 (nf_tables) on Mon Mar  3 10:14:22 2025
*filter
:INPUT ACCEPT [1234:567890]
:FORWARD DROP [7:420]
:OUTPUT ACCEPT [0:0]
:KUBE-FIREWALL - [0:0]
:KUBE-PROXY-FIREWALL - [0:0]
-A INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL
-A INPUT -j KUBE-FIREWALL
-A FORWARD -s 10.42.0.0/16 -m comment --comment "flanneld \\"forward\\"" -g FLANNEL-FWD
-A KUBE-FIREWALL ! -s 127.0.0.0/8 -d 127.0.0.0/8 -m comment --comment "block incoming localnet connections" -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP
COMMIT
# Completed on Mon Mar  3 10:14:22 2025
# Generated by iptables-save v1.8.10 (nf_tables) on Mon Mar  3 10:14:22 2025
*nat
:PREROUTING ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:KUBE-MARK-MASQ - [0:0]
[12:720] -A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000
COMMIT
`;

describe('iptables-save', () => {
  const tables = parseIptablesSave(IPTABLES);

  it('reads tables, chains with policy and counters, and rules with target and comment', () => {
    expect(tables.map((t) => t.name)).toEqual(['filter', 'nat']);
    const filter = tables[0]!;
    expect(filter.chains.map((c) => c.name)).toEqual(['INPUT', 'FORWARD', 'OUTPUT', 'KUBE-FIREWALL', 'KUBE-PROXY-FIREWALL']);
    expect(filter.chains[0]).toMatchObject({ builtin: true, policy: 'ACCEPT', packets: 1234, bytes: 567890 });
    expect(filter.chains[1]).toMatchObject({ policy: 'DROP', packets: 7, bytes: 420 });
    expect(filter.chains[0]!.rules).toEqual([
      {
        number: 1,
        text: '-m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL',
        target: 'KUBE-PROXY-FIREWALL',
        comment: 'kubernetes load balancer firewall',
      },
      { number: 2, text: '-j KUBE-FIREWALL', target: 'KUBE-FIREWALL' },
    ]);
    expect(filter.chains[1]!.rules[0]).toMatchObject({ target: 'FLANNEL-FWD', goto: true, comment: 'flanneld "forward"' });
    expect(filter.chains[3]!.rules[0]).toMatchObject({ target: 'DROP', comment: 'block incoming localnet connections' });
  });

  it('shows an empty chain as empty (a user chain without policy)', () => {
    const empty = tables[0]!.chains.find((c) => c.name === 'KUBE-PROXY-FIREWALL');
    expect(empty).toEqual({ name: 'KUBE-PROXY-FIREWALL', builtin: false, policy: undefined, packets: 0, bytes: 0, rules: [] });
  });

  it('reads per-rule counters of iptables-save -c', () => {
    expect(tables[1]!.chains.find((c) => c.name === 'KUBE-MARK-MASQ')!.rules[0]).toMatchObject({ target: 'MARK', packets: 12, bytes: 720 });
  });

  it('reads an ip6tables-save with only empty built-in chains, and nothing at all', () => {
    const v6 = parseIptablesSave('# Generated by ip6tables-save v1.8.10\n*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n');
    expect(v6).toEqual([
      { name: 'filter', chains: ['INPUT', 'FORWARD', 'OUTPUT'].map((name) => ({ name, builtin: true, policy: 'ACCEPT', packets: 0, bytes: 0, rules: [] })) },
    ]);
    expect(parseIptablesSave('')).toEqual([]);
  });

  it('refuses lines it cannot place', () => {
    expect(() => parseIptablesSave('-A INPUT -j ACCEPT\n')).toThrow(/before any \*table/);
    expect(() => parseIptablesSave('*filter\nChain INPUT (policy ACCEPT)\n')).toThrow(/cannot read "Chain INPUT/);
  });

  it('tokenizes quoted comments, empty quotes and escapes', () => {
    expect(tokenize('-m comment --comment "a \\"b\\" c" -j X')).toEqual(['-m', 'comment', '--comment', 'a "b" c', '-j', 'X']);
    expect(tokenize('--comment "" -j Y')).toEqual(['--comment', '', '-j', 'Y']);
  });

  it('validates chain names as iptables does', () => {
    for (const ok of ['INPUT', 'KUBE-SVC-TCOQ7UKRYGA5ZCHM', 'ts-input', 'flannel.fwd_1']) expect(chainNameSchema.safeParse(ok).success, ok).toBe(true);
    for (const bad of ['', '-j', 'A B', 'x;rm', 'A'.repeat(29), '$(id)']) expect(chainNameSchema.safeParse(bad).success, bad).toBe(false);
  });
});

describe('conntrack -L', () => {
  it('reads a tcp flow with state, both tuples, flags, mark and use', () => {
    expect(
      parseConntrackLine(
        'tcp      6 431999 ESTABLISHED src=192.168.1.31 dst=192.168.1.50 sport=52144 dport=443 src=10.42.0.19 dst=10.42.0.1 sport=443 dport=52144 [ASSURED] mark=0 use=1',
      ),
    ).toEqual({
      protocol: 'tcp',
      protocolNumber: 6,
      timeout: 431999,
      state: 'ESTABLISHED',
      src: '192.168.1.31',
      dst: '192.168.1.50',
      sport: 52144,
      dport: 443,
      reply: { src: '10.42.0.19', dst: '10.42.0.1', sport: 443, dport: 52144 },
      flags: ['ASSURED'],
      mark: '0',
      use: 1,
    });
  });

  it('reads an unreplied SYN and a udp flow without state', () => {
    expect(
      parseConntrackLine(
        'tcp      6 102 SYN_SENT src=192.168.1.50 dst=192.168.1.99 sport=55012 dport=8080 [UNREPLIED] src=192.168.1.99 dst=192.168.1.50 sport=8080 dport=55012 mark=0 use=1',
      ),
    ).toMatchObject({ state: 'SYN_SENT', flags: ['UNREPLIED'], reply: { src: '192.168.1.99' } });
    const udp = parseConntrackLine(
      'udp      17 28 src=10.42.0.23 dst=10.43.53.53 sport=38211 dport=53 src=10.42.0.31 dst=10.42.0.23 sport=53 dport=38211 mark=0 use=1',
    );
    expect(udp).toMatchObject({ protocol: 'udp', protocolNumber: 17, timeout: 28, src: '10.42.0.23', dst: '10.43.53.53', dport: 53, flags: [] });
    expect(udp?.state).toBeUndefined();
  });

  it('reads icmp type/code/id, IPv6, zones and the extended format', () => {
    expect(
      parseConntrackLine(
        'icmp     1 29 src=192.168.1.50 dst=192.168.1.20 type=8 code=0 id=17 src=192.168.1.20 dst=192.168.1.50 type=0 code=0 id=17 mark=0 use=1',
      ),
    ).toMatchObject({
      protocol: 'icmp',
      src: '192.168.1.50',
      dst: '192.168.1.20',
      icmpType: 8,
      icmpCode: 0,
      icmpId: 17,
      reply: { icmpType: 0 },
    });
    expect(
      parseConntrackLine(
        'ipv6     10 tcp      6 299 ESTABLISHED src=2001:db8::5 dst=2001:db8::1 sport=40000 dport=22 src=2001:db8::1 dst=2001:db8::5 sport=22 dport=40000 [ASSURED] mark=0 zone=3 use=1',
      ),
    ).toMatchObject({
      protocol: 'tcp',
      src: '2001:db8::5',
      dport: 22,
      zone: 3,
    });
  });

  it('skips what is not a flow and reads the summary line', () => {
    expect(parseConntrackLine('')).toBeUndefined();
    expect(parseConntrackLine('conntrack v1.4.8 (conntrack-tools): 7 flow entries have been shown.')).toBeUndefined();
    expect(parseConntrackLine('tcp 6 10 ESTABLISHED src=1.2.3')).toBeUndefined();
    expect(parseConntrackSummary('conntrack v1.4.8 (conntrack-tools): 7 flow entries have been shown.\n')).toBe(7);
    expect(parseConntrackSummary('')).toBeUndefined();
  });

  it('matches addresses against an IP or a CIDR, IPv4 and IPv6', () => {
    const pods = cidrMatcher('10.42.0.0/16');
    expect(['10.42.0.23', '10.42.255.1'].map(pods)).toEqual([true, true]);
    expect(['10.43.0.10', '192.168.1.50', '2001:db8::1', 'junk'].map(pods)).toEqual([false, false, false, false]);
    expect(cidrMatcher('192.168.1.50')('192.168.1.50')).toBe(true);
    expect(cidrMatcher('192.168.1.50')('192.168.1.51')).toBe(false);
    expect(cidrMatcher('2001:db8::/32')('2001:db8:4a1::5')).toBe(true);
    expect(cidrMatcher('0.0.0.0/0')('8.8.8.8')).toBe(true);
  });
});
