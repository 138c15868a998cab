// npm run build, in one process (each generator was a tsx start of its own, ~0.5 s each): the
// sandbox package and src/ to dist/ (`tsc -b`: nothing to do when no file changed), between them
// src/ops/shared/cli-commands.ts, then oclif.manifest.json and dist/mcp-tools.json, and the MCP door
// bundled into dist/mcp/.
// --no-check: tsc emits without type-checking (npm test's pretest: the test run type-checks src/ and
// test/ beside the suite, so checking src/ here too was the same work twice).
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { bundleMcp } from './bundle-mcp.js';
import { writeCliCommands } from './cli-commands.js';
import { writeManifests } from './manifest.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

function runTsc(args: string[]): void {
  const r = spawnSync(process.execPath, [tsc, ...args], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

runTsc(['-b', 'packages/sandbox']);
await writeCliCommands();
runTsc(['-b', 'tsconfig.build.json', ...(process.argv.includes('--no-check') ? ['--noCheck'] : [])]);
await writeManifests();
await bundleMcp();
