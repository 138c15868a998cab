import { EXIT_CODES, describeError, isHomelabError } from '../../core/errors.js';
import type { Logger } from '../../core/op.js';
import { colorEnabled, createUi } from './ui.js';

/** Writes what went wrong (one line, then a hint) to stderr and returns the exit code scripts rely on. */
export function reportError(err: unknown, debug: boolean): number {
  const ui = createUi(colorEnabled(process.env, Boolean(process.stderr.isTTY)));
  if (isHomelabError(err)) {
    process.stderr.write(`${ui.c.red('Error:')} ${err.message}\n`);
    if (err.hint) process.stderr.write(`${ui.c.dim(`Hint: ${err.hint}`)}\n`);
    if (debug && err.stack) process.stderr.write(`${err.stack}\n`);
    return EXIT_CODES[err.kind];
  }
  process.stderr.write(`${ui.c.red('Error:')} ${describeError(err)}\n`);
  if (debug && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
  return EXIT_CODES.Upstream;
}

/** Progress and warnings on stderr, so stdout stays for results (and, over MCP stdio, the protocol). */
export function stderrLogger(debug: boolean): Logger {
  const ui = createUi(colorEnabled(process.env, Boolean(process.stderr.isTTY)));
  return {
    progress: (m) => process.stderr.write(`${ui.c.dim(m)}\n`),
    warn: (m) => process.stderr.write(`${ui.c.yellow('warning:')} ${m}\n`),
    debug: (m) => { if (debug) process.stderr.write(`${ui.c.dim(`debug: ${m}`)}\n`); },
  };
}
