import type { AnyCheck } from './shared/check.js';
import { nodesCheck } from './cluster/nodes-check.js';
import { podsCheck } from './cluster/pods-check.js';
import { eventsCheck } from './cluster/events-check.js';
import { fluxCheck } from './flux/flux-check.js';
import { certificatesCheck } from './certs/certificates-check.js';
import { secretsCheck } from './secrets/secrets-check.js';
import { tailscaleCheck } from './tailscale/tailscale-check.js';
import { backupsCheck } from './backups/backups-check.js';
import { ingressCheck } from './ingress/ingress-check.js';
import { storageCheck } from './storage/storage-check.js';
import { workloadsCheck } from './workloads/workloads-check.js';
import { dnsCheck } from './dns/dns-check.js';
import { mediaCheck } from './media/media-check.js';
import { nasCheck } from './nas/nas-check.js';
import { uptimeCheck } from './uptime/uptime-check.js';
import { authentikCheck } from './authentik/authentik-check.js';
import { postgresCheck } from './postgres/postgres-check.js';
import { rancherCheck } from './rancher/rancher-check.js';
import { sonarrCheck } from './arr/sonarr-check.js';
import { radarrCheck } from './arr/radarr-check.js';
import { prowlarrCheck } from './arr/prowlarr-check.js';
import { bazarrCheck } from './arr/bazarr-check.js';
import { sabnzbdCheck } from './arr/sabnzbd-check.js';
import { qbittorrentCheck } from './arr/qbittorrent-check.js';

/**
 * Every check of the cluster, in the order health reports them; the one place a new one is added.
 * `homelab health` runs the quick ones unless `--only` names others; its RBAC is what all of them read.
 */
export const CHECKS: readonly AnyCheck[] = [
  nodesCheck,
  podsCheck,
  eventsCheck,
  fluxCheck,
  certificatesCheck,
  secretsCheck,
  tailscaleCheck,
  backupsCheck,
  ingressCheck,
  storageCheck,
  workloadsCheck,
];

/**
 * What `homelab health` runs by default: all but the ingress check, which asks for each backend's
 * Service and Endpoints one by one (`health --only ingress` or `homelab ingress` runs it), and the
 * storage and workloads checks, whose problems health already shows as pods (a stuck rollout's new
 * pod crash-loops, a Pending claim's pod is Pending) and which add PersistentVolume, ReplicaSet and
 * claim-event lists to every run: `health --only storage,workloads`, `homelab storage` and
 * `homelab workloads` run them.
 */
export const HEALTH_CHECKS: readonly AnyCheck[] = CHECKS.filter((c) => c !== ingressCheck && c !== storageCheck && c !== workloadsCheck);

/** The check a name or alias (`certs`) stands for. */
export function findCheck(name: string): AnyCheck | undefined {
  return CHECKS.find((c) => c.name === name || (c.aliases ?? []).includes(name));
}

/** Every word `--only` takes: the checks' names and their aliases. */
export const CHECK_WORDS = CHECKS.flatMap((c) => [c.name, ...(c.aliases ?? [])]) as [string, ...string[]];

/**
 * The homelab's services, each of an entry in the config's `services:` (uptime: `uptime:`); one not
 * configured says so.
 */
export const SERVICE_CHECKS: readonly AnyCheck[] = [
  uptimeCheck,
  authentikCheck,
  postgresCheck,
  rancherCheck,
  sonarrCheck,
  radarrCheck,
  prowlarrCheck,
  bazarrCheck,
  sabnzbdCheck,
  qbittorrentCheck,
] as readonly AnyCheck[];

/**
 * The home services the config names, each read through its status op: the DNS servers (Pi-hole,
 * AdGuard, Unbound), media (Jellyfin, Immich) and the NAS disks, then the services above. Not
 * configured is no problem.
 */
export const HOME_CHECKS: readonly AnyCheck[] = [dnsCheck, mediaCheck, nasCheck, ...SERVICE_CHECKS];

/** Every check homelab has: the cluster's and the home services'. */
export const ALL_CHECKS: readonly AnyCheck[] = [...CHECKS, ...HOME_CHECKS];

/**
 * What `homelab doctor` runs: every subsystem, the cluster's and the home services'. Not the events
 * check: recent Warning events are context for health's view and never a verdict of their own.
 * Storage and workloads are in (issue 13 names both): a Pending claim or a stuck rollout is a
 * problem of its own, even where its pod is also one; doctor's answer stays in its budget by its
 * lines and counts, not by leaving subsystems out.
 */
export const DOCTOR_CHECKS: readonly AnyCheck[] = ALL_CHECKS.filter((c) => c !== eventsCheck);
