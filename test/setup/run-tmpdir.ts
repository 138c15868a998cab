/**
 * Nothing left behind, for the run as a whole: it gets a temp directory of its own (TMPDIR, which
 * os.tmpdir(), the CLI processes, kubectl and Python follow) and fails when anything is left in it at
 * the end. Each test file checks its own part first (file-tmpdir.ts); this catches what outlives a
 * file. A folder of the run's own, rather than a before/after look at the shared one, so that other
 * runs on the machine can neither hide a leftover nor make this run fail.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { leftIn } from './leftovers.js';

export default function setup(): () => void {
  const outer = process.env.TMPDIR;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hl-test-run-'));
  // Traversable, as /tmp is: a server a test runs as another user (initdb as postgres) reaches its own folder inside.
  chmodSync(dir, 0o755);
  process.env.TMPDIR = dir;
  // Ctrl-C in watch mode ends vitest without its teardowns: the folder goes anyway.
  const removeOnExit = (): void => rmSync(dir, { recursive: true, force: true });
  process.once('exit', removeOnExit);
  return () => {
    process.off('exit', removeOnExit);
    if (outer === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = outer;
    const left = leftIn(dir);
    rmSync(dir, { recursive: true, force: true });
    if (left.length) {
      // A teardown's error is printed but does not change vitest's exit code on its own.
      process.exitCode = 1;
      throw new Error(`the tests left ${left.length} ${left.length === 1 ? 'entry' : 'entries'} in the temp directory (removed now): ${left.join(', ')}`);
    }
  };
}
