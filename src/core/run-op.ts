import { setMaxListeners } from 'node:events';
import type { z } from 'zod';
import type { AllowListName, AnyOp, OpContext, OpContextBase, ServiceName, Summary } from './op.js';
import { HomelabError, PolicyDenied, Timeout, Upstream, UserError, describeError } from './errors.js';
import { allowListAdmits, formatPath, type Config } from './config.js';
import { raceSignal } from './abort.js';

/** How long a cancelled write may take to report the state it left. */
const WRITE_GRACE_MS = 3_000;

/**
 * One line of the audit log: one tool call (an op run by either door), reads and writes alike,
 * whatever came of it. Sinks redact secrets from `input` before it is written anywhere.
 */
export interface AuditRecord {
  /** When the call was answered. */
  time: string;
  /** Which request: over HTTP its X-Request-Id (the client's or the ingress's, else one made up), over stdio the JSON-RPC id; absent on the CLI. */
  requestId?: string;
  /** The tool: the op's name (the MCP tool and the audit log's name for a command). */
  op: string;
  via: string;
  /** Who asked: the API key's name over HTTP ("local" on a loopback server without keys), "stdio"; absent on the CLI. */
  caller?: string;
  input: unknown;
  /**
   * ok: it ran and answered. error: it ran and failed (over MCP, a result with isError). refused:
   * it did not run (its input, policy, a missing service, the person said no, or the HTTP door's key
   * scope, rate limit or call cap); `error` says why, and nothing was changed.
   */
  outcome: 'ok' | 'error' | 'refused';
  error?: string;
  /** What a write that went through did, in its own words (its summary line: the resolved path, the new revision). */
  result?: string;
  /** From the call's start to its answer, in milliseconds (0 for a call refused before it started). */
  durationMs: number;
  /** The answer's size: its output as JSON, in bytes (what `--json` prints and MCP's structuredContent carries). */
  resultBytes?: number;
}

export interface RunOptions {
  /** Everything but the signal and the policy checks, which runOp adds. */
  context: OpContextBase;
  /** The caller's own cancellation (Ctrl-C, MCP request cancelled). */
  signal?: AbortSignal;
  /** Which door: recorded in the audit log. */
  via: string;
  /** Who asked, when the door knows: recorded in the audit log. */
  caller?: string;
  /** The door's id for the request the call came in, for the audit log. */
  requestId?: string;
  /** How the door names an input field in messages (the CLI says `--tail`, MCP says `tail`). */
  fieldLabel?: (field: string) => string;
  /** Every call is recorded here, reads and writes: done, failed, or refused and why. */
  audit?: (record: AuditRecord) => void;
  /** Asked before a write runs, once input and policy have passed; throws to refuse. */
  confirm?: (input: Record<string, unknown>) => Promise<void>;
}

export interface OpResult {
  output: Record<string, unknown>;
  summary: Summary | undefined;
}

/**
 * The one caller every door goes through: validate input, apply policy, arm the timeout, run,
 * map what is thrown to the typed errors, validate the output.
 */
export async function runOp(op: AnyOp, rawInput: unknown, options: RunOptions): Promise<OpResult> {
  const { config } = options.context;
  const started = performance.now();
  let input: Record<string, unknown> | undefined;
  try {
    input = parseInput(op, rawInput, options.fieldLabel ?? ((f) => f));
    checkPolicy(op, input, config);
    checkRequires(op, config);
    if (op.effect === 'write' && options.confirm) await options.confirm(input);
  } catch (err) {
    audit(options, op, input ?? rawInput, started, { outcome: 'refused', error: describeError(err) });
    throw err;
  }

  const timeout = new AbortController();
  const timeoutMs = op.timeoutFor?.(input) ?? op.timeoutMs;
  const signal = options.signal ? AbortSignal.any([timeout.signal, options.signal]) : timeout.signal;
  // Every request in flight listens on this signal; an op may run many at once.
  setMaxListeners(0, signal);
  const ctx = bindContext(options.context, signal);
  const timer = setTimeout(() => timeout.abort(timedOut(op.name, timeoutMs, ctx.kube)), timeoutMs);
  try {
    // A write told to stop gets a moment to say what state it left (its requests stop with the signal).
    const output = await raceSignal(op.run(ctx, input), signal, op.effect === 'write' ? WRITE_GRACE_MS : 0);
    const checked = op.output.safeParse(output);
    if (!checked.success) {
      throw new Upstream(`internal error: ${op.name} produced output that does not match its schema: ${describeIssues(checked.error.issues, (f) => f)}`);
    }
    const summary = op.summarize?.(checked.data);
    // A read's summary line is its verdict, already in the output; a write's says what it did.
    const result = op.effect === 'write' ? summary?.line : undefined;
    audit(options, op, input, started, { outcome: 'ok', result, resultBytes: Buffer.byteLength(JSON.stringify(checked.data)) });
    return { output: checked.data, summary };
  } catch (err) {
    const mapped = toHomelabError(err, signal);
    audit(options, op, input, started, { outcome: mapped instanceof PolicyDenied ? 'refused' : 'error', error: mapped.message });
    throw mapped;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The context an op runs in: the Kubernetes port and the home services as views that stop when
 * `signal` fires, and the allow-list check. runOp makes one per call; so may a test that calls an
 * op's or a check's `run` in process.
 */
export function bindContext(base: OpContextBase, signal: AbortSignal): OpContext {
  return {
    ...base,
    kube: base.kube.withSignal(signal),
    services: base.services.withSignal(signal),
    signal,
    authorize: (list, target) => requireAllowed(base.config, list, target),
  };
}

function parseInput(op: AnyOp, rawInput: unknown, label: (field: string) => string): z.output<AnyOp['input']> {
  const parsed = op.input.safeParse(rawInput ?? {});
  if (!parsed.success) throw new UserError(`invalid input for ${op.name}: ${describeIssues(parsed.error.issues, label)}`);
  return parsed.data;
}

function describeIssues(issues: ReadonlyArray<z.core.$ZodIssue>, label: (field: string) => string): string {
  return issues
    .map((issue) => {
      const path = formatPath(issue.path);
      if (issue.code === 'unrecognized_keys') return `unknown ${issue.keys.length > 1 ? 'fields' : 'field'} ${issue.keys.map(label).join(', ')}`;
      return path ? `${label(path)}: ${issue.message}` : issue.message;
    })
    .join('; ');
}

function checkPolicy(op: AnyOp, input: Record<string, unknown>, config: Config): void {
  if (op.effect !== 'write') return;
  if (config.readOnly) {
    throw new PolicyDenied(`${op.name} changes the cluster and homelab is in read-only mode`, {
      hint: 'read-only mode is set by --read-only or `readOnly: true` in the config file',
    });
  }
  if (op.guard) requireAllowed(config, op.guard.list, op.guard.target(input));
}

/** One allow-list check, for the op's own target and for every other object a write touches. */
function requireAllowed(config: Config, list: AllowListName, target: string): void {
  const allowed = config.allow[list];
  if (!allowListAdmits(allowed, target)) {
    throw new PolicyDenied(`${target} is not in the allow-list for ${list} (allowed: ${allowed.length ? allowed.join(', ') : 'none'})`, {
      hint: `add it under allow.${list} in the config file if it should be allowed`,
    });
  }
}

const SERVICES: Record<ServiceName, { label: string; configured(config: Config): boolean; hint: string }> = {
  pihole: { label: 'Pi-hole', configured: (c) => Boolean(c.services.pihole), hint: 'add services.pihole (url, and password: {env: NAME} or {file: PATH}) to the config file' },
  adguard: { label: 'AdGuard Home', configured: (c) => Boolean(c.services.adguard), hint: 'add services.adguard (url, username, password: {env: NAME}) to the config file' },
  jellyfin: { label: 'Jellyfin', configured: (c) => Boolean(c.services.jellyfin), hint: 'add services.jellyfin (url, apiKey: {env: NAME}) to the config file' },
  immich: { label: 'Immich', configured: (c) => Boolean(c.services.immich), hint: 'add services.immich (url, apiKey: {env: NAME}) to the config file' },
  nas: { label: 'the NAS', configured: (c) => Boolean(c.nas), hint: 'add a nas: section to the config file (host, username, privateKey, hostKey, roots)' },
};

/** A service the op cannot work without is named before anything else happens (or anyone is asked). */
function checkRequires(op: AnyOp, config: Config): void {
  for (const name of op.requires ?? []) {
    const service = SERVICES[name];
    if (!service.configured(config)) throw new UserError(`${service.label} is not configured, so ${op.name} cannot run`, { hint: service.hint });
  }
}

function toHomelabError(err: unknown, signal: AbortSignal): HomelabError {
  if (err instanceof HomelabError) return err;
  if (signal.aborted) {
    const reason: unknown = signal.reason;
    if (reason instanceof HomelabError) return reason;
    return new Timeout(`cancelled: ${describeError(reason)}`);
  }
  return new Upstream(describeError(err), { cause: err });
}

function audit(options: RunOptions, op: AnyOp, input: unknown, started: number, end: Pick<AuditRecord, 'outcome' | 'error' | 'result' | 'resultBytes'>): void {
  if (!options.audit) return;
  const { caller, requestId, via } = options;
  options.audit({
    time: options.context.now().toISOString(),
    ...(requestId !== undefined ? { requestId } : {}),
    op: op.name,
    via,
    ...(caller !== undefined ? { caller } : {}),
    input,
    outcome: end.outcome,
    ...(end.error ? { error: end.error } : {}),
    ...(end.result ? { result: end.result } : {}),
    durationMs: Math.round(performance.now() - started),
    ...(end.resultBytes !== undefined ? { resultBytes: end.resultBytes } : {}),
  });
}

/** The record of a call refused before any op could run (no such tool; the HTTP door's scope, rate limit or call cap). */
export function refusedCall(who: Pick<RunOptions, 'via' | 'caller' | 'requestId'>, time: Date, tool: string, input: unknown, why: string): AuditRecord {
  const { via, caller, requestId } = who;
  return { time: time.toISOString(), ...(requestId !== undefined ? { requestId } : {}), op: tool, via, ...(caller !== undefined ? { caller } : {}), input, outcome: 'refused', error: why, durationMs: 0 };
}

/** The op ran out of time: say who did not answer, and what it was asked, when that is known. */
function timedOut(name: string, timeoutMs: number, kube: OpContext['kube']): Timeout {
  const waiting = kube.pending();
  if (!waiting.length) return new Timeout(`${name} timed out after ${formatMs(timeoutMs)}`);
  const asked = waiting.length > 3 ? `${waiting.slice(0, 3).join('; ')}; and ${waiting.length - 3} more` : waiting.join('; ');
  return new Timeout(`${name} timed out after ${formatMs(timeoutMs)}: no answer from ${kube.server} to ${asked}`, {
    hint: 'is the API server up and reachable from here? `kubectl get --raw /readyz` asks it directly',
  });
}

function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}
