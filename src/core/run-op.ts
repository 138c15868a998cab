import { setMaxListeners } from 'node:events';
import type { z } from 'zod';
import type { AnyOp, OpContext, Summary } from './op.js';
import { HomelabError, PolicyDenied, Timeout, Upstream, UserError, describeError } from './errors.js';
import { allowListAdmits, formatPath } from './config.js';
import { raceSignal } from './abort.js';

export interface AuditRecord {
  time: string;
  op: string;
  via: string;
  input: unknown;
  outcome: 'ok' | 'error';
  error?: string;
}

export interface RunOptions {
  /** Everything but the signal; runOp arms the signal at the op's timeout. */
  context: Omit<OpContext, 'signal'>;
  /** The caller's own cancellation (Ctrl-C, MCP request cancelled). */
  signal?: AbortSignal;
  /** Which door: recorded in the audit log. */
  via: string;
  /** How the door names an input field in messages (the CLI says `--tail`, MCP says `tail`). */
  fieldLabel?: (field: string) => string;
  /** Writes are recorded here, whether they succeed or not. */
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
  const input = parseInput(op, rawInput, options.fieldLabel ?? ((f) => f));
  checkPolicy(op, input, options.context.config);
  if (op.effect === 'write' && options.confirm) await options.confirm(input);

  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(new Timeout(`${op.name} timed out after ${formatMs(op.timeoutMs)}`)), op.timeoutMs);
  const signal = options.signal ? AbortSignal.any([timeout.signal, options.signal]) : timeout.signal;
  // Every request in flight listens on this signal; an op may run many at once.
  setMaxListeners(0, signal);
  const ctx: OpContext = { ...options.context, kube: options.context.kube.withSignal(signal), signal };
  try {
    const output = await raceSignal(op.run(ctx, input), signal);
    const checked = op.output.safeParse(output);
    if (!checked.success) {
      throw new Upstream(`internal error: ${op.name} produced output that does not match its schema: ${describeIssues(checked.error.issues, (f) => f)}`);
    }
    if (op.effect === 'write') audit(options, op, input, 'ok');
    return { output: checked.data, summary: op.summarize?.(checked.data) };
  } catch (err) {
    const mapped = toHomelabError(err, signal);
    if (op.effect === 'write') audit(options, op, input, 'error', mapped.message);
    throw mapped;
  } finally {
    clearTimeout(timer);
  }
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

function checkPolicy(op: AnyOp, input: Record<string, unknown>, config: OpContext['config']): void {
  if (op.effect !== 'write') return;
  if (config.readOnly) {
    throw new PolicyDenied(`${op.name} changes the cluster and homelab is in read-only mode`, {
      hint: 'read-only mode is set by --read-only or `readOnly: true` in the config file',
    });
  }
  if (op.guard) {
    const target = op.guard.target(input);
    const allowed = config.allow[op.guard.list];
    if (!allowListAdmits(allowed, target)) {
      throw new PolicyDenied(`${target} is not in the allow-list for ${op.guard.list} (allowed: ${allowed.length ? allowed.join(', ') : 'none'})`, {
        hint: `add it under allow.${op.guard.list} in the config file if it should be allowed`,
      });
    }
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

function audit(options: RunOptions, op: AnyOp, input: unknown, outcome: 'ok' | 'error', error?: string): void {
  options.audit?.({ time: options.context.now().toISOString(), op: op.name, via: options.via, input, outcome, ...(error ? { error } : {}) });
}

function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}
