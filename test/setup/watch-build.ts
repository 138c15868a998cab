/**
 * `npm run test:watch`: keeps dist/ (what the e2e tests' CLI and MCP processes run) built while vitest
 * watches. In watch mode it runs `tsc --watch` on the product, and every rerun waits for the
 * compilation in progress and the MCP bundle made from it (dist/mcp/, what `mcp serve` runs), so a
 * test never runs a CLI or a server older than the source. The in-process op tests
 * rerun by themselves when a source file they import changes; an e2e file reruns when it changes or
 * when asked (`r`, `a`, or a filter: `npm run test:watch -- test/e2e/flux.test.ts`). A new command or
 * a changed flag also needs the manifest: `npm run build` again.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export default function setup(project: TestProject): (() => void) | undefined {
  if (!project.config.watch) return undefined;
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const child = spawn(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--watch', '--preserveWatchOutput'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let idle: Promise<void> = Promise.resolve();
  let settle: (() => void) | undefined;
  let pending = '';
  child.stdout.on('data', (d: Buffer) => {
    pending += d.toString();
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      if (/Starting (incremental )?compilation/.test(line) && !settle) idle = new Promise((resolve) => (settle = resolve));
      else if (/Watching for file changes/.test(line)) {
        const done = settle;
        settle = undefined;
        void bundle().then(() => done?.());
      } else if (/error TS\d+/.test(line)) process.stderr.write(`tsc (dist for the e2e tests): ${line}\n`);
    }
  });
  const bundle = (): Promise<void> =>
    new Promise((resolve) => {
      const b = spawn(process.execPath, ['--import', 'tsx', 'scripts/bundle-mcp.ts'], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
      b.on('exit', () => resolve());
      b.on('error', () => resolve());
    });
  project.onTestsRerun(async () => {
    // tsc sees the change at the same moment vitest does: give it the moment to say it started.
    await new Promise((resolve) => setTimeout(resolve, 300));
    await idle;
  });
  const stop = (): void => {
    child.kill();
  };
  // Ctrl-C ends vitest without its teardowns.
  process.once('exit', stop);
  return () => {
    process.off('exit', stop);
    stop();
  };
}
