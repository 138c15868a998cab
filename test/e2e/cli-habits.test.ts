import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { spawnCli, runCli } from '../helpers/cli.js';
import { stdioClient } from '../helpers/mcp.js';
import { startSandboxEnv, type SandboxEnv } from '../helpers/sandbox.js';

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
    expect(probe(['homelab', 'flux', 'status', '--kind', 'helm'])).toBe('helmrelease helmrepo helmrepository');
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

describe("kubectl's habits", () => {
  let s: SandboxEnv;
  beforeAll(async () => {
    s = await startSandboxEnv();
  });
  afterAll(async () => {
    await s?.sandbox.stop();
  });

  it('-o json is --json, -o yaml the same document in YAML; --no-headers drops the header row', async () => {
    const [json, oJson, oYaml, table, bare] = await Promise.all([
      runCli(['flux', 'status', '--json'], s.env),
      runCli(['flux', 'status', '-o', 'json'], s.env),
      runCli(['flux', 'status', '-o', 'yaml'], s.env),
      runCli(['ingress'], s.env),
      runCli(['ingress', '--no-headers'], s.env),
    ]);
    expect(oJson.stdout).toBe(json.stdout);
    expect(oJson.code).toBe(json.code);
    expect(parseYaml(oYaml.stdout)).toEqual(JSON.parse(json.stdout));
    // The Ingress table and the findings table each lose their header row, and nothing else.
    const headers = table.stdout.split('\n').filter((line) => /^(NAMESPACE\s+INGRESS|SEVERITY\s+KIND)\s/.test(line));
    expect(headers).toHaveLength(2);
    for (const header of headers) expect(bare.stdout).not.toContain(header);
    expect(bare.stdout.split('\n').length).toBe(table.stdout.split('\n').length - 2);
  });

  it('-A means every namespace and cannot be combined with -n', async () => {
    const [all, implicit, both] = await Promise.all([
      runCli(['flux', 'status', '-A', '--json'], s.env),
      runCli(['flux', 'status', '--json'], s.env),
      runCli(['flux', 'status', '-A', '-n', 'immich'], s.env),
    ]);
    expect(JSON.parse(all.stdout)).toEqual(JSON.parse(implicit.stdout));
    expect(both.code).toBe(64);
    expect(both.stderr).toMatch(/cannot also be provided|--all-namespaces/);
  });

  it('-n on commands that take NAMESPACE/NAME: NAME -n NAMESPACE is the same, a conflict is refused', async () => {
    const [short, both, conflict] = await Promise.all([
      runCli(['restart', 'jellyfin', '-n', 'jellyfin', '--yes', '--json'], s.env),
      runCli(['restart', 'pihole/pihole', '-n', 'pihole', '--yes', '--json'], s.env),
      runCli(['restart', 'pihole/pihole', '-n', 'jellyfin', '--yes'], s.env),
    ]);
    expect(short.code, short.stderr).toBe(0);
    expect(JSON.parse(short.stdout)).toMatchObject({ namespace: 'jellyfin', name: 'jellyfin' });
    expect(both.code, both.stderr).toBe(0);
    expect(conflict.code).toBe(64);
    expect(conflict.stderr).toContain('DEPLOYMENT pihole/pihole names namespace pihole but -n says jellyfin');
  });

  it("takes Flux's short kind names (hr, ks, gitrepo, helmrepo, oci, hc) on both doors", async () => {
    const [status, long, reconcile] = await Promise.all([
      runCli(['flux', 'status', '--kind', 'hr', '--json'], s.env),
      runCli(['flux', 'status', '--kind', 'helmrelease', '--json'], s.env),
      runCli(['flux', 'reconcile', 'ks', 'flux-system', '--no-wait', '--yes', '--json'], s.env),
    ]);
    expect(JSON.parse(status.stdout)).toEqual(JSON.parse(long.stdout));
    expect(reconcile.code, reconcile.stderr).toBe(0);
    expect(JSON.parse(reconcile.stdout)).toMatchObject({ kind: 'Kustomization', name: 'flux-system' });
    const mcp = await stdioClient(s.env, ['--read-only']);
    try {
      const result = (await mcp.client.callTool({ name: 'flux_status', arguments: { kind: 'gitrepo' } })) as unknown as {
        structuredContent: { objects: Array<{ kind: string }> };
      };
      expect(new Set(result.structuredContent.objects.map((o) => o.kind))).toEqual(new Set(['GitRepository']));
    } finally {
      await mcp.close();
    }
  });

  it('--watch runs again every --interval; piped with -o json it writes one document per line', async () => {
    const child = spawnCli(['backups', '--watch', '--interval', '2', '-o', 'json'], s.env);
    const lines: string[] = [];
    let buffer = '';
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        buffer += d.toString();
        const parts = buffer.split('\n');
        buffer = parts.pop() ?? '';
        lines.push(...parts.filter(Boolean));
        if (lines.length >= 2) resolve();
      });
      child.on('exit', (code) => reject(new Error(`exited ${code} after ${lines.length} lines`)));
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.kill('SIGINT');
    await exited;
    const docs = lines.slice(0, 2).map((line) => JSON.parse(line) as { backups: Array<{ namespace: string; name: string }> });
    const names = docs.map((doc) => doc.backups.map((b) => `${b.namespace}/${b.name}`));
    expect(names[0]?.length).toBeGreaterThan(0);
    expect(names[1]).toEqual(names[0]);
  });
});
