/**
 * Regular expressions that come from users (`--grep`, an MCP argument) run on RE2 (the re2js port):
 * matching takes time linear in the text, so no pattern can stall the process the way `^(.+)+#$`
 * stalls V8's backtracking RegExp (one call froze every client and ignored SIGTERM). RE2 syntax is
 * Go's: no backreferences, no lookaround; `(?i)` for case-insensitive.
 */
import { createRequire } from 'node:module';
import type * as Re2js from 're2js';

type Engine = typeof Re2js;
let engine: Engine | undefined;

/** Loaded on the first pattern, so start-up never pays for it. require, not import(): zod refinements are synchronous. */
function re2(): Engine {
  engine ??= createRequire(import.meta.url)('re2js') as Engine;
  return engine;
}

export interface UserPattern {
  readonly source: string;
  /** Whether the pattern matches anywhere in text (like RegExp#test). */
  test(text: string): boolean;
  /** The lines that match, in order; yields to the event loop between slices and stops when signal aborts. */
  filter(lines: readonly string[], signal?: AbortSignal): Promise<string[]>;
}

/** Lines matched between two yields to the event loop: a few milliseconds of work. */
const SLICE = 500;

/** Compiles a user's pattern; throws the engine's syntax error for one RE2 cannot run. */
export function compilePattern(source: string): UserPattern {
  const compiled = re2().RE2JS.compile(source);
  const test = (text: string) => compiled.test(text);
  return {
    source,
    test,
    async filter(lines, signal) {
      const kept: string[] = [];
      for (let i = 0; i < lines.length; i += SLICE) {
        if (i > 0) await new Promise((resolve) => setImmediate(resolve));
        signal?.throwIfAborted();
        for (const line of lines.slice(i, i + SLICE)) if (test(line)) kept.push(line);
      }
      return kept;
    },
  };
}

/** Why RE2 cannot run this pattern (the engine's words, e.g. "invalid escape sequence: `\1`"), or undefined when it can. */
export function patternProblem(source: string): string | undefined {
  try {
    compilePattern(source);
    return undefined;
  } catch (err) {
    if (err instanceof re2().RE2JSException) return err.message.replace(/^error parsing regexp: /, '');
    throw err;
  }
}
