import { setMaxListeners } from 'node:events';
import type { z } from 'zod';
import type { AllowListName, AnyOp, AnyWriteOp, ObservedObject, OpContext, OpContextBase, Plan, ServiceName, Summary } from './op.js';
import { HomelabError, PolicyDenied, Timeout, Upstream, UserError, describeError } from './errors.js';
import { allowListAdmits, formatPath, type Config } from './config.js';
import { raceSignal } from './abort.js';

/** How long a cancelled write may take to report the state it left. */
const WRITE_GRACE_MS = 3_000;

/**
 * How a write's confirmation ended. accepted: a person said yes (a question, a form, a token);
 * preconfirmed: the caller said so beforehand (--yes, mcp.confirmWrites false); not-required: the
 * plan changes nothing; pending: the plan was handed back to be confirmed later (a token, a dry
 * run). The rest are refusals: nothing was changed.
 */
export type ConfirmationOutcome =
  | 'accepted'
  | 'preconfirmed'
  | 'not-required'
  | 'pending'
  | 'declined'
  | 'cancelled'
  | 'unanswered'
  | 'expired'
  | 'changed'
  | 'reused'
  | 'mismatch'
  | 'invalid';

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
  /** A write is recorded at each step: its plan, the confirmation, and the apply. A read has one record, without a phase. */
  phase?: 'plan' | 'confirmation' | 'apply';
  /**
   * ok: it ran and answered. error: it ran and failed (over MCP, a result with isError). refused:
   * it did not run (its input, policy, a missing service, the confirmation, or the HTTP door's key
   * scope, rate limit or call cap); `error` says why, and nothing was changed.
   */
  outcome: 'ok' | 'error' | 'refused';
  confirmation?: ConfirmationOutcome;
  error?: string;
  /** The plan's one line and the changes it lists. */
  plan?: { summary: string; changes: string[] };
  /** What a write that went through did, in its own words (its summary line: the resolved path, the new revision). */
  result?: string;
  /** From the call's start to its answer, in milliseconds (0 for a call refused before it started). */
  durationMs: number;
  /** The answer's size: its output as JSON, in bytes (what `--json` prints and MCP's structuredContent carries). */
  resultBytes?: number;
}

/** A confirmation that says no; runOp records it and nothing is changed. */
export class ConfirmationRefused extends UserError {
  constructor(
    readonly outcome: ConfirmationOutcome,
    message: string,
    options?: { hint?: string },
  ) {
    super(message, options);
  }
}

/** A token with which a plan handed back can be applied later (the MCP door's). */
export interface ConfirmationToken {
  token: string;
  expiresAt: string;
}

/** What a door decides once it has seen the plan; a refusal is thrown (ConfirmationRefused). */
export type ConfirmAnswer =
  /** Apply now. recheck: the answer took time (a person read the plan): plan again and apply only if nothing it read has moved. */
  | { apply: true; outcome: 'accepted' | 'preconfirmed'; recheck?: boolean }
  /** Hand the plan back, with a token to apply it by when the door gives one. */
  | { apply: false; token?: ConfirmationToken };

export interface ConfirmRequest {
  op: AnyWriteOp;
  input: Record<string, unknown>;
  plan: Plan;
}

export interface RunOptions {
  /** Everything but the signal and the policy checks, which runOp adds. */
  context: OpContextBase;
  /** The caller's own cancellation (Ctrl-C, MCP request cancelled). */
  signal?: AbortSignal;
  /** Which door: recorded in the audit log. */
  via: string;
  /** Who asked, when the door knows: recorded, and bound into confirmation tokens. */
  caller?: string;
  /** The door's id for the request the call came in, for the audit log. */
  requestId?: string;
  /** How the door names an input field in messages (the CLI says `--tail`, MCP says `tail`). */
  fieldLabel?: (field: string) => string;
  /** Every call is recorded here: a read once, a write at each step (planned, confirmed or refused, done or failed). */
  audit?: (record: AuditRecord) => void;
  /**
   * Asked with the plan of a write that changes something, once input and policy have passed.
   * Absent: the caller has confirmed already (tests, in-process callers).
   */
  confirm?: (request: ConfirmRequest) => Promise<ConfirmAnswer>;
  /** Plan only: the plan is returned and nothing runs (--dry-run). */
  dryRun?: boolean;
}

export type OpResult =
  /** The op ran: its validated output and verdict. */
  | { kind: 'done'; output: Record<string, unknown>; summary: Summary | undefined }
  /** A write planned and not applied: a dry run, or a plan handed back to be confirmed. */
  | { kind: 'plan'; plan: Plan; token?: ConfirmationToken };

/**
 * The one caller every door goes through: validate input, apply policy; for a write, plan it and
 * have the door confirm the plan; then arm the timeout, run, map what is thrown to the typed
 * errors, validate the output.
 */
export async function runOp(op: AnyOp, rawInput: unknown, options: RunOptions): Promise<OpResult> {
  const { config } = options.context;
  const started = performance.now();
  let input: Record<string, unknown> | undefined;
  try {
    input = parseInput(op, rawInput, options.fieldLabel ?? ((f) => f));
    checkPolicy(op, input, config);
    checkRequires(op, config);
  } catch (err) {
    audit(options, op, input ?? rawInput, started, {
      ...(op.effect === 'write' ? { phase: 'plan' as const } : {}),
      outcome: 'refused',
      error: describeError(err),
    });
    throw err;
  }
  if (op.effect === 'read') {
    const valid = input;
    try {
      const result = done(op, await bounded(op, options, op.timeoutFor?.(valid) ?? op.timeoutMs, 0, (ctx) => op.run(ctx, valid)));
      // A read's summary line is its verdict, already in the output: its size says more.
      audit(options, op, valid, started, { outcome: 'ok', resultBytes: outputBytes(result) });
      return result;
    } catch (err) {
      audit(options, op, valid, started, { outcome: err instanceof PolicyDenied ? 'refused' : 'error', error: describeError(err) });
      throw err;
    }
  }
  return runWrite(op, input, options, started);
}

/** The answer's size: its output as JSON, what `--json` prints and MCP's structuredContent carries. */
const outputBytes = (result: { output: Record<string, unknown> }): number => Buffer.byteLength(JSON.stringify(result.output));

async function runWrite(op: AnyWriteOp, input: Record<string, unknown>, options: RunOptions, started: number): Promise<OpResult> {
  const makePlan = async (): Promise<Plan> => {
    try {
      return await bounded(op, options, op.timeoutMs, 0, (ctx) => op.plan(ctx, input));
    } catch (err) {
      audit(options, op, input, started, { phase: 'plan', outcome: err instanceof PolicyDenied ? 'refused' : 'error', error: describeError(err) });
      throw err;
    }
  };
  let plan = await makePlan();
  audit(options, op, input, started, { phase: 'plan', outcome: 'ok', plan: planRecord(plan) });
  if (options.dryRun) {
    audit(options, op, input, started, { phase: 'confirmation', outcome: 'ok', confirmation: 'pending' });
    return { kind: 'plan', plan };
  }

  const refused = (err: unknown) => {
    audit(options, op, input, started, {
      phase: 'confirmation',
      outcome: 'refused',
      confirmation: err instanceof ConfirmationRefused ? err.outcome : 'unanswered',
      error: describeError(err),
    });
    return err;
  };
  let answer: ConfirmAnswer = { apply: true, outcome: 'preconfirmed' };
  if (plan.changes.length && options.confirm) {
    try {
      answer = await options.confirm({ op, input, plan });
    } catch (err) {
      throw refused(err);
    }
  }
  if (answer.apply && answer.recheck) {
    const fresh = await makePlan();
    const moved = changedSince(plan.observed, fresh.observed);
    if (moved) throw refused(new ConfirmationRefused('changed', `${moved}; nothing was changed: look at the new plan and confirm again`));
    plan = fresh;
  }
  if (!answer.apply) {
    audit(options, op, input, started, { phase: 'confirmation', outcome: 'ok', confirmation: 'pending' });
    return { kind: 'plan', plan, token: answer.token };
  }
  audit(options, op, input, started, { phase: 'confirmation', outcome: 'ok', confirmation: plan.changes.length ? answer.outcome : 'not-required' });

  const planned = plan;
  try {
    const output = await bounded(op, options, op.timeoutFor?.(input) ?? op.timeoutMs, WRITE_GRACE_MS, (ctx) => op.run(ctx, input, planned));
    const result = done(op, output);
    audit(options, op, input, started, {
      phase: 'apply',
      outcome: 'ok',
      ...(result.summary ? { result: result.summary.line } : {}),
      resultBytes: outputBytes(result),
    });
    return result;
  } catch (err) {
    audit(options, op, input, started, { phase: 'apply', outcome: err instanceof PolicyDenied ? 'refused' : 'error', error: describeError(err) });
    throw err;
  }
}

/**
 * What moved between the state a plan saw and the state now, in words ("Deployment a/b changed
 * since the plan (resourceVersion 5, now 9)"); undefined when nothing did. The one comparison
 * behind a re-checked answer and a confirmation token.
 */
export function changedSince(before: readonly ObservedObject[], now: readonly ObservedObject[]): string | undefined {
  const current = new Map(now.map((o) => [o.object, o.resourceVersion]));
  for (const o of before) {
    const version = current.get(o.object);
    if (version === undefined) return `${o.object} is no longer part of the plan`;
    if (version !== o.resourceVersion) return `${o.object} changed since the plan (resourceVersion ${o.resourceVersion}, now ${version})`;
  }
  const added = now.find((o) => !before.some((b) => b.object === o.object));
  return added ? `${added.object} is now part of the plan` : undefined;
}

function planRecord(plan: Plan): AuditRecord['plan'] {
  return { summary: plan.summary, changes: plan.changes.map((c) => c.action) };
}

/**
 * Runs one step of an op (a read, a plan, a write) within its bound: the op's timeout and the
 * caller's cancellation on one signal, the context bound to it, anything thrown mapped to the
 * typed errors. A write told to stop gets `graceMs` to say what state it left.
 */
async function bounded<T>(op: AnyOp, options: RunOptions, timeoutMs: number, graceMs: number, step: (ctx: OpContext) => Promise<T>): Promise<T> {
  const timeout = new AbortController();
  const signal = options.signal ? AbortSignal.any([timeout.signal, options.signal]) : timeout.signal;
  // Every request in flight listens on this signal; an op may run many at once.
  setMaxListeners(0, signal);
  const ctx = bindContext(options.context, signal);
  const timer = setTimeout(() => timeout.abort(timedOut(op.name, timeoutMs, ctx.kube)), timeoutMs);
  try {
    return await raceSignal(step(ctx), signal, graceMs);
  } catch (err) {
    throw toHomelabError(err, signal);
  } finally {
    clearTimeout(timer);
  }
}

/** The op's output, checked against its schema, and its verdict. */
function done(op: AnyOp, output: unknown): OpResult & { kind: 'done' } {
  const checked = op.output.safeParse(output);
  if (!checked.success) {
    throw new Upstream(`internal error: ${op.name} produced output that does not match its schema: ${describeIssues(checked.error.issues, (f) => f)}`);
  }
  return { kind: 'done', output: checked.data, summary: op.summarize?.(checked.data) };
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
  pihole: {
    label: 'Pi-hole',
    configured: (c) => Boolean(c.services.pihole),
    hint: 'add services.pihole (url, and password: {env: NAME} or {file: PATH}) to the config file',
  },
  adguard: {
    label: 'AdGuard Home',
    configured: (c) => Boolean(c.services.adguard),
    hint: 'add services.adguard (url, username, password: {env: NAME}) to the config file',
  },
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

type AuditStep = Pick<AuditRecord, 'phase' | 'outcome' | 'confirmation' | 'error' | 'plan' | 'result' | 'resultBytes'>;

/** Records a call, or a step of a write; `started` is when the call began (performance.now()). */
function audit(options: RunOptions, op: AnyOp, input: unknown, started: number, step: AuditStep): void {
  if (!options.audit) return;
  const { caller, requestId, via } = options;
  options.audit({
    time: options.context.now().toISOString(),
    ...(requestId !== undefined ? { requestId } : {}),
    op: op.name,
    via,
    ...(caller !== undefined ? { caller } : {}),
    input,
    ...step,
    durationMs: Math.round(performance.now() - started),
  });
}

/** The record of a call refused before any op could run (no such tool; the HTTP door's scope, rate limit or call cap). */
export function refusedCall(who: Pick<RunOptions, 'via' | 'caller' | 'requestId'>, time: Date, tool: string, input: unknown, why: string): AuditRecord {
  const { via, caller, requestId } = who;
  return {
    time: time.toISOString(),
    ...(requestId !== undefined ? { requestId } : {}),
    op: tool,
    via,
    ...(caller !== undefined ? { caller } : {}),
    input,
    outcome: 'refused',
    error: why,
    durationMs: 0,
  };
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
