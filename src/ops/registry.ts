import type { AnyOp } from '../core/op.js';
import clusterHealth from './cluster/health.js';
import podsLogs from './cluster/logs.js';
import deploymentRestart from './cluster/restart.js';

/**
 * Every operation homelab has; the one place a new op is added. Both doors serve exactly this
 * list, in this order (tools/list, the generated ClusterRole).
 */
export const ops: readonly AnyOp[] = [
  // cluster
  clusterHealth,
  podsLogs,
  deploymentRestart,
];

export function findOp(name: string): AnyOp | undefined {
  return ops.find((op) => op.name === name);
}
