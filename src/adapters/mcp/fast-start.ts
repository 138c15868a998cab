import { readFile } from 'node:fs/promises';
import { packageRoot } from '../install-paths.js';
import { reportError } from '../stderr.js';
import { parseServeArgs, serveMcp } from './serve.js';

/** `homelab mcp serve …` from bin/run.js, with the same exit codes and messages as every command. */
export async function startMcpServe(argv: string[]): Promise<void> {
  const debug = argv.includes('--debug');
  try {
    const pkg = JSON.parse(await readFile(new URL('package.json', packageRoot(import.meta.url)), 'utf8')) as { version: string };
    await serveMcp(parseServeArgs(argv), pkg.version);
  } catch (err) {
    process.exitCode = reportError(err, debug);
  }
}
