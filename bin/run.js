#!/usr/bin/env node
import module from 'node:module';

// Node 22.1+ caches compiled code between runs (start-up is most of a short command); Node 20 has no such cache.
module.enableCompileCache?.();

// `homelab mcp serve` starts without oclif: MCP clients wait on it, and oclif alone costs ~60 ms.
// Everything else, and `mcp serve --help`, goes through oclif.
const argv = process.argv.slice(2);
if (argv[0] === 'mcp' && argv[1] === 'serve' && !argv.some((a) => a === '--help' || a === '-h')) {
  const { startMcpServe } = await import('../dist/adapters/mcp/fast-start.js');
  await startMcpServe(argv.slice(2));
} else {
  const { execute } = await import('@oclif/core/execute');
  await execute({ dir: import.meta.url });
}
