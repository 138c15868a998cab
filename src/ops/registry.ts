import type { AnyOp } from '../core/op.js';
import clusterHealth from './cluster/health.js';
import podsLogs from './cluster/logs.js';
import deploymentRestart from './cluster/restart.js';

/** Every operation homelab has; the one place a new op is added. Both doors serve exactly this list. */
export const ops: readonly AnyOp[] = [clusterHealth, podsLogs, deploymentRestart];

export function findOp(name: string): AnyOp | undefined {
  return ops.find((op) => op.name === name);
}
