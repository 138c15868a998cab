/**
 * What ops need from Rancher (v2.7 through 2.10: the v3 API under /v3, Norman collections);
 * implemented in src/adapters/http/rancher.ts. Read-only. Every call stops with the op's signal.
 */

export interface RancherCondition {
  type: string;
  status: string;
  message?: string;
  reason?: string;
}

export interface RancherCluster {
  id: string;
  name: string;
  /** active, provisioning, updating, unavailable, error, … as Rancher says it. */
  state: string;
  /** yes, no or error: whether the cluster is changing state, and `transitioningMessage` says why. */
  transitioning?: string;
  transitioningMessage?: string;
  provider?: string;
  kubernetesVersion?: string;
  nodeCount?: number;
  conditions: RancherCondition[];
  /** The local cluster Rancher runs in. */
  internal?: boolean;
}

export interface RancherNode {
  id: string;
  clusterId: string;
  name: string;
  hostname?: string;
  ipAddress?: string;
  /** active, cordoned, draining, unavailable, error, registering, … */
  state: string;
  transitioningMessage?: string;
  roles: string[];
  unschedulable?: boolean;
  kubeletVersion?: string;
  conditions: RancherCondition[];
}

export interface RancherPort {
  readonly target: string;
  /** Every cluster Rancher manages (all pages). */
  clusters(): Promise<RancherCluster[]>;
  /** The nodes of one cluster (all pages). */
  nodes(clusterId: string): Promise<RancherNode[]>;
}
