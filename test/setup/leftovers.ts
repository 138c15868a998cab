import { readdirSync } from 'node:fs';

/** Caches a tool keeps in the temp directory on purpose, to use on its next run (tsx's): not leftovers. */
const CACHES = /^tsx-\d+$/;

/** What is in `dir` that should not be: every entry but a tool's cache, sorted. */
export function leftIn(dir: string): string[] {
  return readdirSync(dir)
    .filter((name) => !CACHES.test(name))
    .sort();
}
