// Writes oclif.manifest.json from the built commands (what `oclif manifest` does), or with --check
// fails when the file on disk no longer matches them. oclif trusts the manifest at run time, so a
// stale one means flags that parse differently from what --help shows.
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { Plugin } from '@oclif/core';

const root = fileURLToPath(new URL('..', import.meta.url));
const file = `${root}oclif.manifest.json`;

export async function buildManifest(): Promise<string> {
  const plugin = new Plugin({ root, type: 'core', ignoreManifest: true, errorOnManifestCreate: true, isRoot: true, respectNoCacheDefault: true });
  await plugin.load();
  // oclif imports commands concurrently, so their order varies from run to run: sort them.
  const { commands, ...rest } = plugin.manifest;
  const sorted = Object.fromEntries(Object.entries(commands).sort(([a], [b]) => a.localeCompare(b)));
  return `${JSON.stringify({ ...rest, commands: sorted }, null, 2)}\n`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const manifest = await buildManifest();
  if (process.argv.includes('--check')) {
    const onDisk = await readFile(file, 'utf8').catch(() => '');
    if (onDisk !== manifest) {
      console.error('oclif.manifest.json is stale: run `npm run build`');
      process.exit(1);
    }
  } else {
    await writeFile(file, manifest);
    console.error(`wrote ${file} (${Object.keys(JSON.parse(manifest).commands).length} commands)`);
  }
}
