import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    // Tests run the sandbox package from its TypeScript source, never a stale build of it
    // (the CLI processes they spawn run dist/, so `npm run build` first).
    alias: [{ find: /^@homelab\/sandbox$/, replacement: fileURLToPath(new URL('./packages/sandbox/src/index.ts', import.meta.url)) }],
  },
  test: {
    include: ['test/**/*.test.ts', 'packages/sandbox/test/**/*.test.ts'],
    // Nothing left behind: the run and each file get a temp directory of their own, and fail when
    // anything is left in it.
    globalSetup: ['test/setup/run-tmpdir.ts', 'test/setup/watch-build.ts'],
    setupFiles: ['test/setup/file-tmpdir.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // A worker runs file after file in one module graph: importing src/ and the sandbox anew for each
    // file was half the CPU of the in-process tests (55 files under test/ops, core, adapters: 79 s of
    // CPU isolated, 33 s not). Nothing in src/, the sandbox or the helpers keeps per-test state at
    // module level (caches only: the sandbox's TLS material, compiled patterns), no test mocks a module,
    // and the setup files still run for each file (its own TMPDIR).
    isolate: false,
    fileParallelism: true,
    // Two workers a core (at most four more than cores): a worker spends much of its time waiting on
    // the processes and servers its tests start (MCP servers, kubectl, sshd, PostgreSQL, the sandbox's
    // waits), whose CPU is theirs. On the 2-core machine the suite is tuned on, vitest alone: 2 workers
    // 101 s, 3 workers 83 s, 4 workers 79 s.
    maxWorkers: Math.min(availableParallelism() * 2, availableParallelism() + 4),
    // Transformed modules kept on disk between runs (under node_modules; `npx vitest --clearCache`
    // empties it): a run no longer transforms the unchanged files anew (transform 11 s → 2 s summed).
    experimental: { fsModuleCache: true },
    // The JSON report feeds .ci/run's closing "N passed, N failed" line.
    reporters: ['default', 'json'],
    outputFile: { json: '.test-results/vitest.json' },
  },
});
