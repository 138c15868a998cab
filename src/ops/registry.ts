import type { AnyOp } from '../core/op.js';
import clusterHealth from './cluster/cluster-health.js';
import podsLogs from './cluster/pods-logs.js';
import deploymentRestart from './cluster/deployment-restart.js';
import fluxStatus from './flux/flux-status.js';
import fluxReconcile from './flux/flux-reconcile.js';
import fluxSuspend from './flux/flux-suspend.js';
import fluxResume from './flux/flux-resume.js';
import fluxHeal from './flux/flux-heal.js';
import backupsStatus from './backups/backups-status.js';
import backupsTrigger from './backups/backups-trigger.js';
import certsStatus from './certs/certs-status.js';
import secretsStatus from './secrets/secrets-status.js';
import secretsRefresh from './secrets/secrets-refresh.js';
import ingressStatus from './ingress/ingress-status.js';
import tailscaleStatus from './tailscale/tailscale-status.js';
import mediaStatus from './media/media-status.js';
import jellyfinScan from './media/jellyfin-scan.js';
import jellyfinFix from './media/jellyfin-fix.js';
import dnsStatus from './dns/dns-status.js';
import dnsGravityUpdate from './dns/dns-gravity-update.js';
import dnsQueries from './dns/dns-queries.js';
import dnsAllowlist from './dns/dns-allowlist.js';
import dnsQuery from './dns/dns-query.js';
import dnsDiagnose from './dns/dns-diagnose.js';
import netCurl from './net/net-curl.js';
import netPing from './net/net-ping.js';
import netTraceroute from './net/net-traceroute.js';
import netNode from './net/net-node.js';
import netIptables from './net/net-iptables.js';
import netConntrack from './net/net-conntrack.js';
import nasTouch from './nas/nas-touch.js';
import nasDf from './nas/nas-df.js';
import k8sGet from './k8s/k8s-get.js';
import k8sDescribe from './k8s/k8s-describe.js';
import storageStatus from './storage/storage-status.js';
import workloadsStatus from './workloads/workloads-status.js';
import why from './why/why.js';
import doctor from './doctor/doctor.js';

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
  // any resource
  k8sGet,
  k8sDescribe,
  storageStatus,
  workloadsStatus,
  // across domains: one service down to its broken link, and everything at once
  why,
  doctor,
];

export function findOp(name: string): AnyOp | undefined {
  return ops.find((op) => op.name === name);
}
