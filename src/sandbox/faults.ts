/**
 * Faults a test injects into the simulated API server, to see what a multi-step write does when
 * one of its steps fails: "answer the Nth request matching METHOD PATH with this error". A failed
 * request changes nothing, as when the real API server refuses it.
 */
import { ApiError } from './errors.js';

export interface FaultRule {
  /** HTTP method, e.g. PATCH. */
  method: string;
  /** The exact URL path, e.g. /apis/helm.toolkit.fluxcd.io/v2/namespaces/immich/helmreleases/immich. */
  path: string;
  /** Which matching request fails first, counting from 1 (default 1). */
  nth?: number;
  /** How many matching requests fail from there (default 1). */
  times?: number;
  /** The answer: HTTP status (default 500), Status reason and message. */
  code?: number;
  reason?: string;
  message?: string;
}

interface ArmedRule extends Required<Omit<FaultRule, 'reason' | 'message'>> {
  reason: string;
  message: string;
  seen: number;
}

export class Faults {
  private rules: ArmedRule[] = [];

  add(rule: FaultRule): void {
    const code = rule.code ?? 500;
    this.rules.push({
      method: rule.method.toUpperCase(), path: rule.path, nth: rule.nth ?? 1, times: rule.times ?? 1, code,
      reason: rule.reason ?? (code === 503 ? 'ServiceUnavailable' : 'InternalError'),
      message: rule.message ?? `injected fault: ${rule.method.toUpperCase()} ${rule.path}`,
      seen: 0,
    });
  }

  clear(): void {
    this.rules = [];
  }

  /** Throws the error a rule gives this request, counting it against every rule it matches. */
  check(method: string, path: string): void {
    let fault: ArmedRule | undefined;
    for (const rule of this.rules) {
      if (rule.method !== method.toUpperCase() || rule.path !== path) continue;
      rule.seen += 1;
      if (rule.seen >= rule.nth && rule.seen < rule.nth + rule.times) fault ??= rule;
    }
    if (fault) throw new ApiError(fault.code, fault.reason, fault.message);
  }
}
