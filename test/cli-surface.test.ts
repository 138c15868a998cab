import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { buildManifest, buildToolsManifest } from '../scripts/manifest.js';
import { rootHelp } from '../src/adapters/cli/root-help.js';
import { BIN, cliEnv, runCli, ROOT } from './helpers/cli.js';

/** What oclif itself prints for argv: bin/run.js's own oclif path, forced. */
function oclifStdout(args: string[], env: Record<string, string | undefined>): Promise<string> {
  const script = `import { execute } from '@oclif/core/execute'; await execute({ dir: ${JSON.stringify(pathToFileURL(BIN).href)}, args: ${JSON.stringify(args)} });`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, env: cliEnv(env), stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.on('error', reject);
    child.on('close', () => resolve(stdout));
  });
}

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

  it("bundles the MCP door one byte a character, with zod's English messages only (bench: the server's peak RSS)", async () => {
    const { readdir } = await import('node:fs/promises');
    const files = (await readdir(`${ROOT}dist/mcp`, { recursive: true })).filter((f) => f.endsWith('.js'));
    expect(files.length).toBeGreaterThan(10);
    const texts = await Promise.all(files.map((file) => readFile(`${ROOT}dist/mcp/${file}`, 'utf8')));
    // One character above U+00FF makes V8 keep the whole chunk's source two bytes a character.
    for (const [i, text] of texts.entries()) expect(/[\u0100-\uffff]/.exec(text)?.[0], files[i]).toBeUndefined();
    const all = texts.join('\n');
    expect(all).toContain('Invalid input'); // zod's English messages, which errors use
    expect(all).not.toContain('Kreditkartennummer'); // …and not its German ones (nor any other language)
  });

  it('prints the root help without oclif, byte for byte what oclif prints (widths, colour, -h, no arguments)', async () => {
    // The fast path applies to this package as it is (it gives way to oclif for themes, plugins, hooks…).
    expect(rootHelp(['--help'], pathToFileURL(ROOT), { HOME: '/nonexistent', OCLIF_COLUMNS: '80' })).toContain('\nCOMMANDS\n  arr ');
    const cases: Array<[string[], Record<string, string | undefined>]> = [
      [['--help'], {}],
      [['-h'], { OCLIF_COLUMNS: '50' }],
      [[], { OCLIF_COLUMNS: '132' }],
      [['--help'], { OCLIF_COLUMNS: '40', NO_COLOR: undefined, FORCE_COLOR: '1' }],
    ];
    for (const [args, env] of cases) {
      const fast = await runCli(args, env);
      expect(fast.code).toBe(0);
      expect(fast.stdout, `homelab ${args.join(' ')} with ${JSON.stringify(env)}`).toBe(await oclifStdout(args, env));
    }
    expect((await runCli(['--help'], { OCLIF_COLUMNS: '40', NO_COLOR: undefined, FORCE_COLOR: '1' })).stdout).toContain('\u001b[1mCOMMANDS\u001b[22m');
  });

  it('mcp serve --stdio lists its tools without loading HTTP, TLS, child processes or a terminal colour library (they load with the first call)', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hl-startup-'));
    try {
      // What the process had loaded when it answered tools/list, written by a preload.
      const preload = path.join(dir, 'loaded.mjs');
      const loadedFile = path.join(dir, 'loaded.json');
      writeFileSync(
        preload,
        `import { writeFileSync } from 'node:fs';
        const write = process.stdout.write.bind(process.stdout);
        process.stdout.write = (chunk, ...rest) => {
          if (String(chunk).includes('"id":2')) writeFileSync(${JSON.stringify(loadedFile)}, JSON.stringify(process.moduleLoadList));
          return write(chunk, ...rest);
        };`,
      );
      const child = spawn(process.execPath, ['--import', pathToFileURL(preload).href, BIN, 'mcp', 'serve', '--stdio'], {
        env: cliEnv({ KUBECONFIG: path.join(dir, 'none') }),
        stdio: ['pipe', 'pipe', 'ignore'],
      });
      const listed = new Promise<string>((resolve) => {
        let out = '';
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes('"id":2')) resolve(out);
        });
      });
      const send = (message: object) => child.stdin.write(`${JSON.stringify(message)}\n`);
      send({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'test', version: '1' } },
      });
      send({ jsonrpc: '2.0', method: 'notifications/initialized' });
      send({ jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} });
      expect(await listed).toContain('"cluster_health"');
      child.stdin.end();
      await new Promise((resolve) => child.once('close', resolve));
      const loaded = JSON.parse(await readFile(loadedFile, 'utf8')) as string[];
      expect(loaded).toContain('NativeModule fs'); // the list is the one we think it is
      // tty came with chalk (its colour support check); stdio's pipes are not terminals.
      for (const builtin of ['http', 'https', 'tls', 'child_process', 'tty']) expect(loaded, builtin).not.toContain(`NativeModule ${builtin}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('colours its errors on stderr exactly as chalk did (it styles them itself now, for start-up)', async () => {
    const { Chalk } = await import('chalk');
    const c = new Chalk({ level: 1 });
    const r = await runCli(['mcp', 'serve', '--stdio', '--bogus'], { NO_COLOR: undefined, FORCE_COLOR: '1' });
    expect(r.code).toBe(64);
    expect(r.stderr).toBe(`${c.red('Error:')} Unknown option '--bogus'\n${c.dim('Hint: see: homelab mcp serve --help')}\n`);
    expect((await runCli(['mcp', 'serve', '--stdio', '--bogus'])).stderr).toBe("Error: Unknown option '--bogus'\nHint: see: homelab mcp serve --help\n");
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
