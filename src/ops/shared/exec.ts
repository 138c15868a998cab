import type { NamespaceSetting, OpContext, RbacRule } from '../../core/op.js';
import type { ExecResult } from '../../core/ports/kube.js';
import { Upstream } from '../../core/errors.js';

/**
 * What running commands in pods needs: list pods to find the target, and both verbs on pods/exec
 * (the WebSocket upgrade is a GET; Kubernetes 1.35+ also checks create) — granted only in the
 * namespaces the op execs into, never cluster-wide.
 */
export function execRbac(...where: NamespaceSetting[]): RbacRule[] {
  return [
    { apiGroup: '', resource: 'pods', verbs: ['list'] },
    { apiGroup: '', resource: 'pods/exec', verbs: ['get', 'create'], inNamespacesOf: where },
  ];
}

/** Where a command runs: a pod and its container. */
export interface ExecTarget {
  namespace: string;
  pod: string;
  container?: string;
  /** For messages: "debug agent on pi5-worker-1", "Pi-hole pod pihole-…". */
  label: string;
}

/** Bounds every exec op shares unless it says otherwise. */
const DEFAULT_TIMEOUT_MS = 20_000;
const DEFAULT_MAX_BYTES = 1024 * 1024;

/**
 * Runs an argument vector (never a shell string) in the target and returns what it printed.
 * A non-zero exit is data for the caller to read (dig's 9, ping's 1), not an error.
 */
export async function runIn(ctx: OpContext, target: ExecTarget, argv: string[], options: { timeoutMs?: number; maxBytes?: number } = {}): Promise<ExecResult> {
  ctx.log.debug(`exec in ${target.namespace}/${target.pod}: ${JSON.stringify(argv)}`);
  return ctx.kube.exec(target.namespace, target.pod, target.container, argv, {
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    maxBytes: options.maxBytes ?? DEFAULT_MAX_BYTES,
  });
}

/** For tools whose non-zero exit means they could not run at all (e.g. `ip`, `iptables-save`). */
export function requireSuccess(result: ExecResult, what: string, target: ExecTarget): ExecResult {
  if (result.exitCode !== 0) {
    throw new Upstream(`${what} failed in the ${target.label} (exit ${result.exitCode}): ${result.stderr.trim().split('\n')[0] ?? ''}`);
  }
  return result;
}
