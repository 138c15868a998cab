#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import module from 'node:module';

// Node 22.1+ caches compiled code between runs (start-up is most of a short command); Node 20 has no such cache.
module.enableCompileCache?.();

// Three answers come without oclif, whose start-up alone (~60 ms, ~100 files) was most of their time:
// `--version` and the root help (what oclif prints, byte for byte; test/cli-surface.test.ts compares
// them), and `mcp serve`, which MCP clients wait on. Everything else, `mcp serve --help`, and the root
// help where oclif could print it differently, go through oclif.
const argv = process.argv.slice(2);
let answered = false;
if (argv[0] === 'mcp' && argv[1] === 'serve' && !argv.some((a) => a === '--help' || a === '-h')) {
  const { startMcpServe } = await import('../dist/mcp/adapters/mcp/fast-start.js');
  await startMcpServe(argv.slice(2));
  answered = true;
} else if (argv.length === 0 || (argv.length === 1 && argv[0].startsWith('-'))) {
  const root = new URL('../', import.meta.url);
  const { oclifUserAgent, rootHelp } = await import('../dist/adapters/cli/root-help.js');
  const text = argv[0] === '--version' ? oclifUserAgent(JSON.parse(readFileSync(new URL('package.json', root), 'utf8'))) : rootHelp(argv, root);
  if (text !== undefined) {
    process.stdout.write(argv[0] === '--version' ? `${text}\n` : text);
    answered = true;
  }
}
if (!answered) {
  const { execute } = await import('@oclif/core/execute');
  await execute({ dir: import.meta.url });
}
