import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { format } from 'node:util';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const BIN = `${ROOT}bin/run.js`;

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * The environment a CLI process gets: a user's PATH and HOME, no colour, the run's temp directory
 * (so what it leaves there is seen), and `env` over them (undefined removes a variable).
 */
export function cliEnv(env: Record<string, string | undefined> = {}): Record<string, string> {
  const merged: Record<string, string | undefined> = { PATH: process.env.PATH, HOME: process.env.HOME, TMPDIR: process.env.TMPDIR, NO_COLOR: '1', ...env };
  return Object.fromEntries(Object.entries(merged).filter((e): e is [string, string] => e[1] !== undefined));
}

/** Starts the built CLI with an argument vector, no TTY and no stdin, for a test that reads it as it goes. */
export function spawnCli(args: string[], env: Record<string, string | undefined> = {}): ChildProcessByStdio<null, Readable, Readable> {
  return spawn(process.execPath, [BIN, ...args], { env: cliEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
}

/**
 * Runs the built CLI as a user would, with an argument vector and no TTY: the same commands, flags,
 * output and exit code as `homelab …` in a shell. The command runs in this process (see runCliInProcess)
 * unless it needs what only a process has: text on stdin, or an answer bin/run.js gives without oclif
 * (`mcp serve`, the root help, --version). Tests of the process itself use runCliProcess.
 */
export function runCli(args: string[], env: Record<string, string | undefined> = {}, input?: string): Promise<CliResult> {
  if (input !== undefined || process.env.HOMELAB_TEST_CLI === 'process' || answeredByBin(args)) return runCliProcess(args, env, { input });
  return runCliInProcess(args, env);
}

/** Runs bin/run.js in a process of its own: for the tests that are about the process (one or more per domain). */
export function runCliProcess(
  args: string[],
  env: Record<string, string | undefined> = {},
  options: { input?: string; cwd?: string } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: cliEnv(env), stdio: ['pipe', 'pipe', 'pipe'], cwd: options.cwd });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}

/** What bin/run.js answers before oclif loads (its first lines; keep the two in step). */
export function answeredByBin(args: string[]): boolean {
  if (args[0] === 'mcp' && args[1] === 'serve' && !args.some((a) => a === '--help' || a === '-h')) return true;
  return args.length === 0 || (args.length === 1 && args[0]?.startsWith('-') === true);
}

interface Oclif {
  run: (argv: string[], root: string) => Promise<unknown>;
  handle: (err: Error) => Promise<void>;
  exit: { exit: (code?: number) => void };
}

let oclif: Promise<Oclif> | undefined;
let queue: Promise<unknown> = Promise.resolve();

/**
 * The built CLI (dist/, through oclif's own `run` and error handler, as bin/run.js runs it) in this
 * process: a CLI process costs ~0.4 s of CPU before its command starts (Node, oclif's ~250 CommonJS
 * files, our modules), the same command here a few ms once loaded. What a process has of its own is
 * given to each run and taken back after: the environment (cliEnv), the working directory, no TTY, stdout and stderr
 * (process.stdout/stderr and console, which oclif prints through) captured, the exit code (process.exitCode,
 * or oclif's exit on an error) read. Runs in a worker go one at a time, as each has the process to itself.
 */
export function runCliInProcess(args: string[], env: Record<string, string | undefined> = {}, options: { cwd?: string } = {}): Promise<CliResult> {
  const result = queue.then(() => runOnce(args, env, options.cwd));
  queue = result.catch(() => undefined);
  return result;
}

async function loadOclif(): Promise<Oclif> {
  const require = createRequire(path.join(ROOT, 'package.json'));
  const core = path.dirname(require.resolve('@oclif/core'));
  // The module oclif's own handler calls process.exit through ("so it can be stubbed in tests").
  const { Exit } = require(path.join(core, 'errors/handle.js')) as { Exit: Oclif['exit'] };
  const { run, handle } = await import('@oclif/core');
  return { run, handle, exit: Exit };
}

async function runOnce(args: string[], env: Record<string, string | undefined>, cwd: string | undefined): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  let exited: number | undefined;
  const toOut = (text: string) => void (stdout += text);
  const toErr = (text: string) => void (stderr += text);
  // exitCode cannot be redefined: set and put back.
  const exitCodeBefore = process.exitCode;
  process.exitCode = undefined;
  const restore = [
    () => void (process.exitCode = exitCodeBefore),
    swap(process, 'env', cliEnv(env)),
    swap(process.stdout, 'write', capture(toOut)),
    swap(process.stderr, 'write', capture(toErr)),
    swap(process.stdout, 'isTTY', false),
    swap(process.stderr, 'isTTY', false),
    swap(process.stdin, 'isTTY', false),
    swap(console, 'log', (...a: unknown[]) => toOut(`${format(...a)}\n`)),
    swap(console, 'info', (...a: unknown[]) => toOut(`${format(...a)}\n`)),
    swap(console, 'error', (...a: unknown[]) => toErr(`${format(...a)}\n`)),
    swap(console, 'warn', (...a: unknown[]) => toErr(`${format(...a)}\n`)),
  ];
  if (cwd !== undefined) {
    const before = process.cwd();
    process.chdir(cwd);
    restore.push(() => process.chdir(before));
  }
  try {
    const cli = await (oclif ??= loadOclif());
    restore.push(swap(cli.exit, 'exit', (code = 0) => void (exited ??= code)));
    // A Config of its own each run, as a process has: oclif's help rewrites the ids of the commands it shows.
    await cli.run(args, ROOT).catch((err: Error) => cli.handle(err));
    return { code: exited ?? Number(process.exitCode ?? 0), stdout, stderr };
  } finally {
    for (const undo of restore.reverse()) undo();
  }
}

/** process.stdout.write's shape: text or bytes, an optional encoding, an optional callback; always "written". */
function capture(sink: (text: string) => void) {
  return (chunk: string | Uint8Array, encoding?: BufferEncoding | ((err?: Error | null) => void), done?: (err?: Error | null) => void): boolean => {
    sink(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString(typeof encoding === 'string' ? encoding : 'utf8'));
    const callback = typeof encoding === 'function' ? encoding : done;
    if (callback) queueMicrotask(() => callback(null));
    return true;
  };
}

/** Sets obj[key] for one run; the returned function puts back exactly what was there (own property or not). */
function swap<T extends object, K extends keyof T>(obj: T, key: K, value: unknown): () => void {
  const own = Object.getOwnPropertyDescriptor(obj, key);
  Object.defineProperty(obj, key, { value, writable: true, configurable: true, enumerable: own?.enumerable ?? true });
  return () => {
    if (own) Object.defineProperty(obj, key, own);
    else delete obj[key];
  };
}
