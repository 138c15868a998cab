import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

function hasShell(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`]).status === 0;
}

describe('exit codes a script can trust', () => {
  it('an unknown command is bad input (64) and the nearest commands are suggested', async () => {
    const typo = await runCli(['helth']);
    expect(typo.code).toBe(64);
    expect(typo.stderr).toContain('unknown command "helth"');
    expect(typo.stderr).toContain('Did you mean `homelab health`');
    const sub = await runCli(['flux', 'statu']);
    expect(sub.code).toBe(64);
    expect(sub.stderr).toContain('Did you mean `homelab flux status`');
  });

  it('an unknown flag is bad input (64) with the nearest flag', async () => {
    const r = await runCli(['logs', 'x', '--tial', '3']);
    expect(r.code).toBe(64);
    expect(r.stderr).toContain('Nonexistent flag: --tial');
    expect(r.stderr).toContain('Did you mean --tail?');
  });

  it('help, -h, help COMMAND, version and a topic alone exit 0', async () => {
    for (const argv of [['help'], ['-h'], ['--help'], ['help', 'flux', 'reconcile'], ['logs', '-h'], ['flux']]) {
      const r = await runCli(argv);
      expect(r.code, argv.join(' ')).toBe(0);
      expect(r.stdout, argv.join(' ')).toContain('USAGE');
    }
    expect((await runCli(['help', 'flux', 'reconcile'])).stdout).toContain('$ homelab flux reconcile KIND NAME');
    const version = await runCli(['version']);
    expect(version.code).toBe(0);
    expect(version.stdout).toMatch(/^homelab\/\d+\.\d+\.\d+ /);
    const json = JSON.parse((await runCli(['version', '--json'])).stdout) as { version: string; node: string };
    expect(json.node).toBe(process.version);
    const unknown = await runCli(['help', 'helth']);
    expect(unknown.code).toBe(64);
    expect(unknown.stderr).toContain('homelab help health');
  });
});

describe('shell completion', () => {
  it('completes commands, subcommands, flags and fixed flag values in bash', async () => {
    const script = (await runCli(['completion', 'bash'])).stdout;
    const probe = (words: string[]) => {
      const line = `COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; COMPREPLY=(); _homelab_completion; echo "\${COMPREPLY[*]}"`;
      return spawnSync('bash', ['-c', `${script}\n${line}`], { encoding: 'utf8' }).stdout.trim();
    };
    expect(probe(['homelab', 'fl'])).toBe('flux');
    expect(probe(['homelab', 'flux', 'rec'])).toBe('reconcile');
    expect(probe(['homelab', 'logs', 'jellyfin', '--ta'])).toBe('--tail');
    expect(probe(['homelab', 'flux', 'status', '--kind', 'helm'])).toBe('helmrelease helmrepository');
  });

  it.runIf(hasShell('zsh'))('loads in zsh', async () => {
    const script = (await runCli(['completion', 'zsh'])).stdout;
    const r = spawnSync('zsh', ['-f', '-c', `autoload -U compinit && compinit -u; ${script}\nwhence -w _homelab_completion`], { encoding: 'utf8' });
    expect(r.stdout).toContain('_homelab_completion: function');
  });

  it.runIf(hasShell('fish'))('completes subcommands in fish', async () => {
    const script = (await runCli(['completion', 'fish'])).stdout;
    const r = spawnSync('fish', ['--no-config', '-c', `${script}\ncomplete -C 'homelab flux rec'`], { encoding: 'utf8' });
    expect(r.stdout).toContain('reconcile');
  });
});
