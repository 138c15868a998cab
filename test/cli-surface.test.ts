import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { buildManifest, buildToolsManifest } from '../scripts/manifest.js';
import { runCli, ROOT } from './helpers/cli.js';

interface ManifestFlag {
  name: string;
  type: string;
  char?: string;
  required?: boolean;
  default?: unknown;
  options?: string[];
  multiple?: boolean;
}
interface ManifestCommand {
  id: string;
  args: Record<string, { name: string; required?: boolean }>;
  flags: Record<string, ManifestFlag>;
  examples?: unknown[];
}

describe('the command surface', () => {
  it('oclif.manifest.json matches the built commands (a stale manifest parses flags differently from --help)', async () => {
    const onDisk = await readFile(`${ROOT}oclif.manifest.json`, 'utf8');
    expect(onDisk).toBe(await buildManifest());
  });

  it('dist/mcp-tools.json (what `mcp serve` lists without loading the ops) matches the ops', async () => {
    const onDisk = await readFile(`${ROOT}dist/mcp-tools.json`, 'utf8');
    expect(onDisk).toBe(await buildToolsManifest());
  });

  it('has not changed by accident: commands, arguments and flags', async () => {
    const manifest = JSON.parse(await readFile(`${ROOT}oclif.manifest.json`, 'utf8')) as { commands: Record<string, ManifestCommand> };
    const surface = Object.fromEntries(
      Object.entries(manifest.commands)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([id, c]) => [
          id,
          {
            args: Object.values(c.args).map((a) => `${a.name}${a.required ? '' : '?'}`),
            flags: Object.values(c.flags)
              .map(
                (f) =>
                  `${f.char ? `-${f.char} ` : ''}--${f.name}${f.type === 'option' ? `=${f.options ? f.options.join('|') : 'VALUE'}` : ''}${f.multiple ? '...' : ''}${f.default !== undefined ? ` [${String(f.default)}]` : ''}${f.required ? ' (required)' : ''}`,
              )
              .sort(),
          },
        ]),
    );
    await expect(JSON.stringify(surface, null, 2)).toMatchFileSnapshot('./__snapshots__/cli-surface.json');
  });

  it('gives every command --help with examples', async () => {
    const manifest = JSON.parse(await readFile(`${ROOT}oclif.manifest.json`, 'utf8')) as { commands: Record<string, ManifestCommand> };
    for (const [id, command] of Object.entries(manifest.commands)) {
      expect(command.examples?.length, `${id} has examples`).toBeGreaterThan(0);
    }
    const r = await runCli(['restart', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('USAGE\n  $ homelab restart DEPLOYMENT');
    expect(r.stdout).toContain('EXAMPLES');
    expect(r.stdout).toContain('-y, --yes');
  });

  it('never loads @kubernetes/client-node: the kubeconfig is read by our own reader (0.9 s of CPU and 73 MiB less)', async () => {
    const { readdir } = await import('node:fs/promises');
    const files = (await readdir(`${ROOT}dist`, { recursive: true })).filter((f) => f.endsWith('.js'));
    expect(files.length).toBeGreaterThan(50);
    for (const file of files) {
      const text = await readFile(`${ROOT}dist/${file}`, 'utf8');
      expect(/(?:import|from|require)\s*\(?\s*['"]@kubernetes\/client-node/.test(text), file).toBe(false);
    }
  });

  it('prints its version and exits 0', async () => {
    const r = await runCli(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^homelab\/\d+\.\d+\.\d+ /);
    // bin/run.js answers without oclif: exactly what oclif would print.
    const { Config } = await import('@oclif/core');
    expect(r.stdout).toBe(`${(await Config.load(ROOT)).userAgent}\n`);
  });
});
