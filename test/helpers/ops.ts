import { createRuntime } from '../../src/adapters/runtime.js';
import { EXIT_CODES, HomelabError } from '../../src/core/errors.js';
import type { Logger, Summary } from '../../src/core/op.js';
import { runOp, type AuditRecord } from '../../src/core/run-op.js';
import { ops } from '../../src/ops/registry.js';
import { everyRowUnlessLimited } from '../../src/adapters/cli/lists.js';
import { inputSchemaOf } from '../../src/adapters/cli/flags.js';

/** Where an op runs: what `homelab sandbox` tells a user to export (KUBECONFIG, HOMELAB_CONFIG), as SandboxEnv has it. */
export interface OpTarget {
  env: Record<string, string>;
}

export interface CallOptions {
  /** Another config file (configWith's), as --config names it. */
  config?: string;
  readOnly?: boolean;
  /** More environment, as the process of a door would have it. */
  env?: Record<string, string>;
  /** Cancels the call, as Ctrl-C or a cancelled MCP request does. */
  signal?: AbortSignal;
  /** Lists as an assistant gets them (a few rows unless `limit` is given); by default every row, as the CLI asks. */
  assistantLimits?: boolean;
  /**
   * How often the op's waits ask again (OpContext.pollIntervalMs). 50 ms unless given: the sandbox's
   * controllers answer in 30-500 ms, so a test does not sleep out the product's 0.5-1 s cadence.
   */
  pollIntervalMs?: number;
}

export interface OpCall<T> {
  output: T;
  summary: Summary | undefined;
  /** What the op logged on its way (stderr on the CLI), one line each: "warn: ...", "progress: ...". */
  log: string[];
  /** Write attempts the op's audit recorded. */
  audit: AuditRecord[];
}

/**
 * Calls an op in process the way both doors do: a runtime built as the CLI builds it (config file,
 * kubeconfig, environment; created for the call and closed after), then runOp: input validated,
 * policy and allow-lists applied, timeout armed, output checked against its schema and summarised.
 * A write is planned, then applied as confirmed (--yes): the audit has its plan, confirmation and apply. Resolves with the output and summary; rejects with the typed
 * error the door would print (kind: its exit code, message and hint: what it says).
 */
export async function callOp<T = Record<string, unknown>>(
  target: OpTarget,
  name: string,
  input: Record<string, unknown> = {},
  options: CallOptions = {},
): Promise<OpCall<T>> {
  const op = ops.find((o) => o.name === name);
  if (!op) throw new Error(`no op named ${name}`);
  if (!options.assistantLimits && inputSchemaOf(op).properties?.limit) {
    input = { ...input };
    everyRowUnlessLimited(op)(input, new Set(Object.keys(input)));
  }
  const log: string[] = [];
  const logger: Logger = { progress: (m) => log.push(`progress: ${m}`), warn: (m) => log.push(`warn: ${m}`), debug: () => {} };
  const env = { HOME: process.env.HOME, TMPDIR: process.env.TMPDIR, ...target.env, ...options.env };
  const runtime = await createRuntime({
    configFile: options.config,
    readOnly: options.readOnly,
    env,
    log: logger,
    pollIntervalMs: options.pollIntervalMs ?? 50,
  });
  const audit: AuditRecord[] = [];
  const written: Array<Promise<void>> = [];
  try {
    const result = await runOp(op, input, {
      context: runtime.context,
      signal: options.signal,
      via: 'test',
      audit: (record) => {
        audit.push(record);
        written.push(runtime.auditToFile(record));
      },
    });
    // No confirm callback: the write is planned and applied as confirmed, so a plan never comes back.
    if (result.kind !== 'done') throw new Error(`${name} returned a plan instead of running`);
    return { output: result.output as T, summary: result.summary, log, audit };
  } finally {
    await Promise.all([runtime.close(), ...written]);
  }
}

/**
 * The typed error a call failed with, or a failed assertion when it did not fail; with what it says
 * (message, then hint: what the CLI prints on stderr) and the exit code the CLI gives its kind.
 */
export async function failure(call: Promise<unknown>): Promise<HomelabError & { said: string; exitCode: number }> {
  let err: unknown;
  try {
    await call;
  } catch (e) {
    err = e;
  }
  if (!(err instanceof HomelabError))
    throw new Error(err === undefined ? 'expected the call to fail, and it succeeded' : `expected a HomelabError, got: ${String(err)}`);
  return Object.assign(err, { said: `${err.message}${err.hint ? `\n${err.hint}` : ''}`, exitCode: EXIT_CODES[err.kind] });
}
