import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { parseServeArgs, serveFlagsSchema } from '../../../src/adapters/mcp/serve.js';
import { ROOT, runCli } from '../../helpers/cli.js';

interface ManifestFlag {
  name: string;
  type: 'boolean' | 'option';
  default?: unknown;
}

/** `mcp serve`'s flags are defined once (serveFlagsSchema): the oclif command and the fast start read the same ones. */
describe('mcp serve flags', () => {
  const fields = (z.toJSONSchema(serveFlagsSchema, { io: 'input' }) as { properties: Record<string, { type: string; default?: unknown }> }).properties;

  it('are the same flags, with the same defaults, on --help (oclif) and on the fast start', async () => {
    const manifest = JSON.parse(await readFile(`${ROOT}oclif.manifest.json`, 'utf8')) as { commands: Record<string, { flags: Record<string, ManifestFlag> }> };
    const oclif = manifest.commands['mcp:serve']?.flags ?? {};
    expect(Object.keys(oclif).sort()).toEqual(Object.keys(fields).sort());
    for (const [name, spec] of Object.entries(fields)) {
      expect(oclif[name]?.type, name).toBe(spec.type === 'boolean' ? 'boolean' : 'option');
      if (spec.type !== 'boolean') expect(oclif[name]?.default, name).toEqual(spec.default);
      // The fast start takes each one too.
      const argv = spec.type === 'boolean' ? [`--${name}`] : [`--${name}`, name === 'port' ? '8080' : 'x'];
      expect(() => parseServeArgs(name === 'http' ? argv : ['--stdio', ...argv]), name).not.toThrow();
    }
  });

  it('say what is wrong, with where to look', async () => {
    expect(() => parseServeArgs(['--stdio', '--port', 'x'])).toThrow(/^--port: /);
    const r = await runCli(['mcp', 'serve', '--stdio', '--http']);
    expect(r.code).toBe(64);
    expect(r.stderr).toBe('Error: give exactly one of --stdio or --http\nHint: see: homelab mcp serve --help\n');
  });
});
