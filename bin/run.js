#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import module from 'node:module';
import { release } from 'node:os';

// Node 22.1+ caches compiled code between runs (start-up is most of a short command); Node 20 has no such cache.
module.enableCompileCache?.();

// `homelab mcp serve` starts without oclif: MCP clients wait on it, and oclif alone costs ~60 ms.
// Everything else, and `mcp serve --help`, goes through oclif.
const argv = process.argv.slice(2);
if (argv[0] === '--version' && !release().toLowerCase().includes('microsoft')) {
  // What oclif prints (its userAgent), without loading it: half of `homelab --version` was oclif's start-up.
  // oclif calls WSL "wsl", so there it answers itself.
  const { name, version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  process.stdout.write(`${name}/${version} ${process.platform}-${process.arch === 'ia32' ? 'x86' : process.arch} node-${process.version}\n`);
} else if (argv[0] === 'mcp' && argv[1] === 'serve' && !argv.some((a) => a === '--help' || a === '-h')) {
  const { startMcpServe } = await import('../dist/adapters/mcp/fast-start.js');
  await startMcpServe(argv.slice(2));
} else {
  const { execute } = await import('@oclif/core/execute');
  await execute({ dir: import.meta.url });
}
