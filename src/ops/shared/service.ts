/**
 * What the checks of home services (Authentik, Rancher, the *arr stack, PostgreSQL, uptime) share:
 * "not configured" as a report (not an error, not a green), a service that cannot be asked as one
 * crit finding naming why, a part of it that could not be read as a warning, and long lists of
 * findings cut to a few plus one that counts the rest. `serviceCheck` puts these together for a
 * service behind one port (Authentik, Rancher, the *arr stack); `serviceStatus` makes its status op's output.
 */
import { z } from 'zod';
import { HomelabError, describeError } from '../../core/errors.js';
import type { OpContext, Verdict } from '../../core/op.js';
import type { Check, CheckReport, ObjectRef } from './check.js';
import { MAX_LOOKED, checkStatus } from './check.js';
import { findingsSchema, summaryLineSchema, verdictSchema, type Finding } from './findings.js';
import { plural } from './format.js';

/** The report of a check whose service the config does not name. */
export function notConfigured<D>(configKey: string, data: D): CheckReport<D> {
  return {
    installed: true,
    configured: false,
    scope: configKey,
    note: `not configured (${configKey} in the config)`,
    findings: [],
    looked: [],
    lookedTotal: 0,
    data,
  };
}

/** Why a service could not be asked, as a reason word: Refused, Timeout, NotFound or Unreachable. */
export function unreachableReason(err: unknown): string {
  const kind = err instanceof HomelabError ? err.kind : 'Upstream';
  return kind === 'Forbidden' ? 'Refused' : kind === 'Timeout' ? 'Timeout' : kind === 'NotFound' ? 'NotFound' : 'Unreachable';
}

/** The crit finding of a service that could not be asked (down, refused, wrong URL). */
export function unreachableFinding(service: ObjectRef, err: unknown): Finding {
  return { severity: 'crit', kind: service.kind, name: service.name, reason: unreachableReason(err), message: describeError(err) };
}

/** A report that only says the service could not be asked. */
export function unreachableReport<D>(service: ObjectRef, err: unknown, data: D): CheckReport<D> {
  return {
    installed: true,
    scope: `${service.kind} at ${service.name}`,
    findings: [unreachableFinding(service, err)],
    looked: [service],
    lookedTotal: 1,
    data,
  };
}

/** A part of a service that could not be read (one call failed, the others answered): a warning. */
export function partFailed(service: ObjectRef, part: string, err: unknown): Finding {
  return { severity: 'warn', kind: service.kind, name: service.name, reason: 'ReadFailed', message: `could not read ${part}: ${describeError(err)}` };
}

/**
 * A promise's value, or undefined after recording why it failed as a finding: the part is missing
 * from the report, and the report says so.
 */
export async function partOf<T>(service: ObjectRef, part: string, findings: Finding[], promise: Promise<T>): Promise<T | undefined> {
  try {
    return await promise;
  } catch (err) {
    findings.push(partFailed(service, part, err));
    return undefined;
  }
}

/** What the data of every home service's check starts with: named in the config, where, and whether it answered. */
export interface ServiceState {
  configured: boolean;
  url?: string;
  reachable?: boolean;
}

/** What a service check's `read` is handed once the service has answered. */
export interface ServiceRead<Port, Reached> {
  ctx: OpContext;
  port: Port;
  /** What the first call answered (the version, mostly). */
  reached: Reached;
  /** The service itself, as its findings and `looked` name it. */
  service: ObjectRef;
  findings: Finding[];
  /** What was looked at; the service is already in it. */
  looked: Looked;
  /** One part of the service (read beside the others): its value, or undefined and a warning in `findings`. */
  part<T>(what: string, promise: Promise<T>): Promise<T | undefined>;
}

export interface ServiceCheckSpec<P, Port, Reached, D> {
  /** The check's name, and its key under `services:` in the config. */
  name: string;
  about: string;
  /** The kind its findings about the service itself carry: "Bazarr". */
  kind: string;
  /** The service's port; undefined when the config does not name it. */
  port(ctx: OpContext): Promise<Port | undefined>;
  /** The first call (its version): when it fails, the report only says the service could not be asked. */
  reach(port: Port): Promise<Reached>;
  /** Everything else: the findings (pushed to `findings`), what was looked at, the scope line and the data. */
  read(r: ServiceRead<Port, Reached>, params: P): Promise<{ scope: string; note?: string; data: D }>;
}

/**
 * A home service's check (Authentik, Rancher, the *arr stack): not configured when the config does
 * not name it, one crit finding when its first call fails, else what `read` found, the data
 * starting with `configured`, `url` and `reachable`.
 */
export function serviceCheck<P extends object, Port extends { target: string }, Reached, D extends object>(
  spec: ServiceCheckSpec<P, Port, Reached, D>,
): Check<P, ServiceState & Partial<D>> {
  // The data of a service not configured or not reached: only its state, the rest absent.
  const none: Partial<D> = {};
  return {
    name: spec.name,
    about: spec.about,
    rbac: [],
    async run(ctx, params) {
      const port = await spec.port(ctx);
      if (!port) return notConfigured(`services.${spec.name}`, { ...none, configured: false });
      const service: ObjectRef = { kind: spec.kind, name: port.target };
      let reached: Reached;
      try {
        reached = await spec.reach(port);
      } catch (err) {
        return unreachableReport(service, err, { ...none, configured: true, url: port.target, reachable: false });
      }
      const findings: Finding[] = [];
      const looked = new Looked();
      looked.add(service);
      const part = <T>(what: string, promise: Promise<T>) => partOf(service, what, findings, promise);
      const { data, ...said } = await spec.read({ ctx, port, reached, service, findings, looked, part }, params);
      return {
        installed: true,
        ...said,
        findings,
        looked: looked.refs,
        lookedTotal: looked.total,
        data: { configured: true, url: port.target, reachable: true, ...data },
      };
    },
  };
}

/**
 * At most `max` findings of one kind of problem, and when there are more, one that counts them
 * (at the severity of the worst left out) so the answer stays small and says what it cut.
 */
export function capFindings(findings: Finding[], max: number, rest: (count: number) => Omit<Finding, 'severity'>): Finding[] {
  if (findings.length <= max) return findings;
  const left = findings.slice(max);
  const severity = left.some((f) => f.severity === 'crit') ? 'crit' : 'warn';
  return [...findings.slice(0, max), { severity, ...rest(left.length) }];
}

/** What a check records as looked at: every object, named up to MAX_LOOKED. */
export class Looked {
  readonly refs: ObjectRef[] = [];
  total = 0;

  add(...refs: ObjectRef[]): void {
    for (const ref of refs) {
      this.total++;
      if (this.refs.length < MAX_LOOKED) this.refs.push(ref);
    }
  }
}

/** Disk use worth a finding: warn from 90% used, crit from 95% (or under 5 GiB free of a bigger disk). */
export function diskFinding(kind: string, name: string, free: number, total: number, what: string): Finding | undefined {
  if (!total) return undefined;
  const used = 1 - free / total;
  const GiB = 1024 ** 3;
  const crit = used >= 0.95 || (total > 50 * GiB && free < 5 * GiB);
  if (!crit && used < 0.9) return undefined;
  return {
    severity: crit ? 'crit' : 'warn',
    kind,
    name,
    reason: 'DiskFull',
    message: `${what} is ${(used * 100).toFixed(1)}% full (${formatGiB(free)} free of ${formatGiB(total)})`,
  };
}

export function formatGiB(bytes: number): string {
  const gib = bytes / 1024 ** 3;
  return gib >= 1024 ? `${(gib / 1024).toFixed(1)} TiB` : `${gib.toFixed(1)} GiB`;
}

/** "3 of 40 shown" when a list was cut. */
export function shownOf(shown: number, total: number, word: string): string {
  return shown < total ? `${shown} of ${plural(total, word)} shown` : plural(total, word);
}

/** Findings an answer carries at most; the rest are counted by reason (the MCP door's budget). */
export const MAX_FINDINGS = 20;

export const findingsCutSchema = z
  .object({
    total: z.number().int().describe('Findings in all'),
    byReason: z.record(z.string(), z.number().int()).describe('Every finding counted by reason, the cut ones included'),
    narrow: z.string().describe('How to see the rest'),
  })
  .optional()
  .describe('Present when the findings were cut to the worst MAX_FINDINGS');

/** The worst `max` findings (sorted crit first), and when more were found, what was cut and how to see it. */
export function cutFindings(sorted: Finding[], narrow: string, max = MAX_FINDINGS): { findings: Finding[]; findingsCut?: z.infer<typeof findingsCutSchema> } {
  if (sorted.length <= max) return { findings: sorted };
  const byReason: Record<string, number> = {};
  for (const f of sorted) byReason[f.reason] = (byReason[f.reason] ?? 0) + 1;
  return { findings: sorted.slice(0, max), findingsCut: { total: sorted.length, byReason, narrow } };
}

/** A service status op's output: its check's data without `configured` (the op throws when it is not), and the verdict, line and findings. */
export function serviceStatusSchema<Shape extends z.ZodRawShape>(status: z.ZodObject<Shape & { configured: z.ZodBoolean }>) {
  return status.omit({ configured: true }).extend({
    verdict: verdictSchema,
    summary: summaryLineSchema,
    findings: findingsSchema,
    findingsCut: findingsCutSchema,
  });
}

/**
 * A service status op's output from its check's report: the data, and the verdict, line and
 * findings (cut to the worst, `narrow` saying how to see the rest). A service that could not be
 * asked is crit, and its line is why, in one line; otherwise the line is as every status op says it.
 */
export function serviceStatus<D extends ServiceState>(report: CheckReport<D>, ok: string, narrow: string) {
  const { configured: _configured, ...data } = report.data;
  const down = report.data.reachable === false ? report.findings[0] : undefined;
  const status: { verdict: Verdict; summary: string; findings: Finding[] } = down
    ? { verdict: 'crit', summary: down.message, findings: report.findings }
    : checkStatus(report, { ok });
  return { ...data, ...status, ...cutFindings(status.findings, narrow) };
}
