import type { z } from 'zod';
import type { ConfiguredSandbox } from './sandbox.js';
import { configWith } from './config.js';
import type dnsAllowlist from '../../src/ops/dns/dns-allowlist.js';
import type dnsDiagnose from '../../src/ops/dns/dns-diagnose.js';
import type dnsGravityUpdate from '../../src/ops/dns/dns-gravity-update.js';
import type dnsQueries from '../../src/ops/dns/dns-queries.js';
import type dnsQuery from '../../src/ops/dns/dns-query.js';
import type dnsStatus from '../../src/ops/dns/dns-status.js';
import type netConntrack from '../../src/ops/net/net-conntrack.js';
import type netCurl from '../../src/ops/net/net-curl.js';
import type netIptables from '../../src/ops/net/net-iptables.js';
import type netNode from '../../src/ops/net/net-node.js';
import type netPing from '../../src/ops/net/net-ping.js';
import type netTraceroute from '../../src/ops/net/net-traceroute.js';

/** What the dns and net probes answer: their own output schemas. */
export type DnsQuery = z.output<typeof dnsQuery.output>;
export type Diagnose = z.output<typeof dnsDiagnose.output>;
export type Curl = z.output<typeof netCurl.output>;
export type Ping = z.output<typeof netPing.output>;
export type Trace = z.output<typeof netTraceroute.output>;
export type NetNode = z.output<typeof netNode.output>;
export type Iptables = z.output<typeof netIptables.output>;
export type Conntrack = z.output<typeof netConntrack.output>;
export type DnsStatus = z.output<typeof dnsStatus.output>;
export type Queries = z.output<typeof dnsQueries.output>;
export type Gravity = z.output<typeof dnsGravityUpdate.output>;
export type Allowlist = z.output<typeof dnsAllowlist.output>;

/** The refusal of a link-local or metadata address by the target policy. */
export const METADATA_REFUSED = /may not reach \S+: \S+ is (a link-local address|an IPv6 link-local address|the AWS IPv6 metadata address)/;

/** A config whose net.allowTargets admit the home LAN and one public resolver: what the probe tests reach beyond the cluster. */
export const lanTargetsConfig = (sandbox: ConfiguredSandbox): Promise<string> =>
  configWith(sandbox, 'net-allow', { net: { allowTargets: ['192.168.1.0/24', '1.1.1.1'] } });
/** A config whose net.allowTargets admit every address (link-local and metadata addresses still need naming). */
export const anyTargetConfig = (sandbox: ConfiguredSandbox): Promise<string> =>
  configWith(sandbox, 'net-wide', { net: { allowTargets: ['0.0.0.0/0', '::/0'] } });
