// Writes oclif.manifest.json from the built commands (what `oclif manifest` does), or with --check
// fails when the file on disk no longer matches them. oclif trusts the manifest at run time, so a
// stale one means flags that parse differently from what --help shows.
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Plugin } from '@oclif/core';
import type { AnyOp } from '../src/core/op.js';
import { toolEntry } from '../src/adapters/mcp/tools.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const file = `${root}oclif.manifest.json`;
const toolsFile = `${root}dist/mcp-tools.json`;

/** Every .ts file below a folder. */
async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const nested = await Promise.all(
    entries.map((e) => (e.isDirectory() ? sourceFiles(join(dir, e.name)) : Promise.resolve(e.name.endsWith('.ts') ? [join(dir, e.name)] : []))),
  );
  return nested.flat();
}

/**
 * The MCP tools manifest: every op of the registry as tools/list shows it, with the module that
 * defines it, so `mcp serve` lists tools without loading a single op.
 */
export async function buildToolsManifest(): Promise<string> {
  const { ops } = (await import('../src/ops/registry.js')) as { ops: readonly AnyOp[] };
  const moduleOf = new Map<string, string>();
  for (const path of await sourceFiles(`${root}src/ops`)) {
    const mod = (await import(pathToFileURL(path).href)) as { default?: Partial<AnyOp> };
    if (mod.default?.name && typeof mod.default.run === 'function') moduleOf.set(mod.default.name, relative(`${root}src`, path).replace(/\.ts$/, '.js'));
  }
  const tools = ops.map((op) => {
    const module = moduleOf.get(op.name);
    if (!module) throw new Error(`no module under src/ops default-exports ${op.name}`);
    return toolEntry(op, module);
  });
  return `${JSON.stringify(tools, null, 2)}\n`;
}

export async function buildManifest(): Promise<string> {
  const plugin = new Plugin({ root, type: 'core', ignoreManifest: true, errorOnManifestCreate: true, isRoot: true, respectNoCacheDefault: true });
  await plugin.load();
  // oclif imports commands concurrently, so their order varies from run to run: sort them.
  const { commands, ...rest } = plugin.manifest;
  const sorted = Object.fromEntries(Object.entries(commands).sort(([a], [b]) => a.localeCompare(b)));
  return `${JSON.stringify({ ...rest, commands: sorted }, null, 2)}\n`;
}

/** Writes oclif.manifest.json and dist/mcp-tools.json from the built commands and the ops; with `check`, fails when they are stale. */
export async function writeManifests(check = false): Promise<void> {
  const [manifest, tools] = await Promise.all([buildManifest(), buildToolsManifest()]);
  if (check) {
    const [onDisk, toolsOnDisk] = await Promise.all([readFile(file, 'utf8').catch(() => ''), readFile(toolsFile, 'utf8').catch(() => '')]);
    if (onDisk !== manifest || toolsOnDisk !== tools) throw new Error('oclif.manifest.json or dist/mcp-tools.json is stale: run `npm run build`');
    return;
  }
  await Promise.all([writeFile(file, manifest), writeFile(toolsFile, tools)]);
  console.error(`wrote ${file} (${Object.keys(JSON.parse(manifest).commands).length} commands) and ${toolsFile} (${JSON.parse(tools).length} tools)`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await writeManifests(process.argv.includes('--check'));
