import { EXIT_CODES, describeError, isHomelabError } from '../core/errors.js';
import type { Logger } from '../core/op.js';

/**
 * What both doors write to stderr: progress and warnings, and an error as one line, a hint and an
 * exit code. stdout stays for results (the CLI's answers, MCP's protocol over stdio).
 */

/** Colour is off for NO_COLOR, TERM=dumb and pipes, on for FORCE_COLOR. */
export function colorEnabled(env: Record<string, string | undefined>, isTTY: boolean): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0') return true;
  return isTTY && env.TERM !== 'dumb';
}

/**
 * One ANSI style, applied as chalk (level 1) applies it: inner closes reopened, closed around line
 * breaks. Not chalk itself: it cost `mcp serve` ~15 ms of CPU before its first answer (chalk, tty, os).
 */
function sgr(open: number, close: number, enabled: boolean): (text: string) => string {
  const on = `\u001b[${open}m`;
  const off = `\u001b[${close}m`;
  return (text) => (enabled && text ? on + text.replaceAll(off, off + on).replace(/\r?\n/g, (lf) => off + lf + on) + off : text);
}

function stderrColors(): Record<'red' | 'dim' | 'yellow', (text: string) => string> {
  const enabled = colorEnabled(process.env, Boolean(process.stderr.isTTY));
  return { red: sgr(31, 39, enabled), dim: sgr(2, 22, enabled), yellow: sgr(33, 39, enabled) };
}

/** Writes what went wrong (one line, then a hint) to stderr and returns the exit code scripts rely on. */
export function reportError(err: unknown, debug: boolean): number {
  const c = stderrColors();
  if (isHomelabError(err)) {
    process.stderr.write(`${c.red('Error:')} ${err.message}\n`);
    if (err.hint) process.stderr.write(`${c.dim(`Hint: ${err.hint}`)}\n`);
    if (debug && err.stack) process.stderr.write(`${err.stack}\n`);
    return EXIT_CODES[err.kind];
  }
  process.stderr.write(`${c.red('Error:')} ${describeError(err)}\n`);
  if (debug && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
  return EXIT_CODES.Upstream;
}

/** Progress and warnings on stderr, so stdout stays for results (and, over MCP stdio, the protocol). */
export function stderrLogger(debug: boolean): Logger {
  const c = stderrColors();
  return {
    progress: (m) => process.stderr.write(`${c.dim(m)}\n`),
    warn: (m) => process.stderr.write(`${c.yellow('warning:')} ${m}\n`),
    debug: (m) => {
      if (debug) process.stderr.write(`${c.dim(`debug: ${m}`)}\n`);
    },
  };
}
