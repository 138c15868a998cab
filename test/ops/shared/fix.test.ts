import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { buildCliCommands } from '../../../scripts/cli-commands.js';
import { commandLine, fix } from '../../../src/ops/shared/fix.js';
import { ROOT } from '../../helpers/cli.js';
import { shellWords } from '../../helpers/shell.js';

describe('suggested fixes as data', () => {
  it('src/ops/shared/cli-commands.ts matches the commands and the ops', async () => {
    expect(await readFile(`${ROOT}src/ops/shared/cli-commands.ts`, 'utf8')).toBe(await buildCliCommands());
  });

  it('renders the command the CLI parses: positional arguments, -n, switches, lists', () => {
    expect(fix('flux_heal', { name: 'immich', namespace: 'immich' })).toEqual({
      tool: 'flux_heal',
      input: { name: 'immich', namespace: 'immich' },
      command: 'homelab flux heal immich -n immich',
    });
    expect(commandLine('flux_reconcile', { kind: 'helmrelease', name: 'jellyfin', namespace: 'media', withSource: true, wait: false })).toBe(
      'homelab flux reconcile helmrelease jellyfin -n media --with-source --no-wait',
    );
    expect(commandLine('pods_logs', { pod: 'immich-server', previous: true, tail: 50 })).toBe('homelab logs immich-server --previous --tail 50');
    expect(fix('pods_logs', { pod: 'x', container: undefined }).input).toEqual({ pod: 'x' });
  });

  it('quotes for the shell and ends the flags before a value that starts with a dash', () => {
    const line = commandLine('pods_logs', { pod: '-h', grep: "it's (a|b)" });
    expect(line).toBe(`homelab logs --grep 'it'\\''s (a|b)' -- -h`);
    expect(shellWords(line)).toEqual(['homelab', 'logs', '--grep', "it's (a|b)", '--', '-h']);
  });

  it('refuses a field the tool does not have', () => {
    expect(() => commandLine('flux_heal', { colour: 'red' })).toThrow(/flux_heal has no input field colour/);
  });
});
