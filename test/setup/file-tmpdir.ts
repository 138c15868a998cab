/**
 * Nothing left behind, file by file: each test file gets a temp directory of its own inside the run's
 * (run-tmpdir.ts), and fails in its afterAll when anything is left in it once its own afterAll hooks
 * have run (a sandbox's DIR, a kubectl cache, a folder the test made), naming what.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, expect } from 'vitest';
import { leftIn } from './leftovers.js';

const outer = process.env.TMPDIR;
const dir = mkdtempSync(path.join(os.tmpdir(), 'file-'));
// mkdtemp makes it 0700: a server a test runs as another user (PostgreSQL's initdb as postgres) must get through it to its own folder.
chmodSync(dir, 0o755);
process.env.TMPDIR = dir;

// Registered before the file's own hooks, so it runs after them (vitest runs after-hooks as a stack).
afterAll(() => {
  if (outer === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = outer;
  const left = leftIn(dir);
  rmSync(dir, { recursive: true, force: true });
  expect(left, 'what this file left in the temp directory').toEqual([]);
});
