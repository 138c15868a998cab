/** Running programs for the container test: argument vectors only, a deadline on each, output kept for the failure message. */
import { spawn } from 'node:child_process';
import { appendFileSync } from 'node:fs';

export interface RunOptions {
  /** Killed (SIGKILL) past this. */
  timeoutMs: number;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Also append stdout and stderr to this file (long builds: the log, not the terminal). */
  log?: string;
  input?: string;
}

export interface RunResult {
  stdout: string;
  stderr: string;
}

/** The last lines of a text, for an error message. */
export function tail(text: string, lines = 25): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/** Runs a program to its end; rejects on a non-zero exit or the deadline, with what it printed last. */
export function run(command: string, args: string[], options: RunOptions): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const keep = (which: 'out' | 'err') => (chunk: Buffer) => {
      const text = chunk.toString();
      if (options.log) appendFileSync(options.log, text);
      // Enough for any answer we parse and for the failure message; a build log goes to its file.
      if (which === 'out') stdout = (stdout + text).slice(-4_000_000);
      else stderr = (stderr + text).slice(-200_000);
    };
    child.stdout.on('data', keep('out'));
    child.stderr.on('data', keep('err'));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`${command}: ${err.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const shown = `${command} ${args.join(' ')}`;
      if (timedOut) reject(new Error(`${shown}: no end after ${options.timeoutMs / 1000} s\n${tail(stderr || stdout)}`));
      else if (code !== 0) reject(new Error(`${shown}: exit ${code ?? signal}\n${tail(stderr || stdout)}`));
      else resolve({ stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls until `probe` returns a value (not undefined) or the deadline passes. */
export async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
    await sleep(250);
  }
}
