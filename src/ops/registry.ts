import type { AnyOp } from '../core/op.js';
import clusterHealth from './cluster/health.js';
import podsLogs from './cluster/logs.js';
import deploymentRestart from './cluster/restart.js';
import fluxStatus from './flux/status.js';
import fluxReconcile from './flux/reconcile.js';
import fluxSuspend from './flux/suspend.js';
import fluxResume from './flux/resume.js';
import fluxHeal from './flux/heal.js';
import backupsStatus from './backups/status.js';
import backupsTrigger from './backups/trigger.js';
import certsStatus from './certs/status.js';
import secretsStatus from './secrets/status.js';
import secretsRefresh from './secrets/refresh.js';
import ingressStatus from './ingress/status.js';
import tailscaleStatus from './tailscale/status.js';
import mediaStatus from './media/status.js';
import jellyfinScan from './media/scan.js';
import jellyfinFix from './media/fix.js';
import dnsStatus from './dns/status.js';
import dnsGravityUpdate from './dns/gravity.js';
import dnsQueries from './dns/queries.js';
import dnsAllowlist from './dns/allowlist.js';
import dnsQuery from './dns/query.js';
import dnsDiagnose from './dns/diagnose.js';
import netCurl from './net/curl.js';
import netPing from './net/ping.js';
import netTraceroute from './net/traceroute.js';
import netNode from './net/node.js';
import netIptables from './net/iptables.js';
import netConntrack from './net/conntrack.js';
import nasTouch from './nas/touch.js';
import nasDf from './nas/df.js';

/**
 * Every operation homelab has; the one place a new op is added. Both doors serve exactly this
 * list, in this order (tools/list, the generated ClusterRole).
 */
export const ops: readonly AnyOp[] = [
  // cluster
  clusterHealth,
  podsLogs,
  deploymentRestart,
  // gitops
  fluxStatus,
  fluxReconcile,
  fluxSuspend,
  fluxResume,
  fluxHeal,
  // backups
  backupsStatus,
  backupsTrigger,
  // platform
  certsStatus,
  secretsStatus,
  secretsRefresh,
  ingressStatus,
  tailscaleStatus,
  // media
  mediaStatus,
  jellyfinScan,
  jellyfinFix,
  // dns
  dnsStatus,
  dnsGravityUpdate,
  dnsQueries,
  dnsAllowlist,
  dnsQuery,
  dnsDiagnose,
  // network
  netCurl,
  netPing,
  netTraceroute,
  netNode,
  netIptables,
  netConntrack,
  // nas
  nasTouch,
  nasDf,
];

export function findOp(name: string): AnyOp | undefined {
  return ops.find((op) => op.name === name);
}
