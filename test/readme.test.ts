import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { SERVER_NODE_OPTIONS } from '../src/adapters/mcp/client-config.js';
import { parseServeArgs } from '../src/adapters/mcp/serve.js';
import { parseConfig } from '../src/core/config.js';
import { CLI_COMMANDS } from '../src/ops/shared/cli-commands.js';
import { ROOT, runCli } from './helpers/cli.js';
import { startSandboxEnv, type SandboxEnv } from './helpers/sandbox.js';
import { shellWords } from './helpers/shell.js';

interface Block {
  lang: string;
  text: string;
}

function blocks(markdown: string): Block[] {
  return [...markdown.matchAll(/^```(\w*)\n([\s\S]*?)^```/gm)].map((m) => ({ lang: m[1] ?? '', text: m[2] ?? '' }));
}

/** The part of a shell line before a comment, a pipe or a redirection (outside quotes). */
function commandPart(line: string): string {
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (ch === "'") quoted = !quoted;
    if (!quoted && (ch === '|' || ch === '>' || (ch === '#' && line[i - 1] === ' ') || (ch === '&' && line[i + 1] === '&'))) return line.slice(0, i).trim();
  }
  return line.trim();
}

function run(command: string, argv: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stderr: string; missing: boolean }> {
  return new Promise((resolve) => {
    const child = spawn(command, argv, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', () => resolve({ code: null, stderr, missing: true }));
    child.on('close', (code) => resolve({ code, stderr, missing: false }));
  });
}

/** Commands that run until stopped: checked through --help instead. */
const LONG_RUNNING = ['sandbox', 'mcp serve'];

describe('the README is true', () => {
  let s: SandboxEnv;
  let readme: string;
  beforeAll(async () => {
    s = await startSandboxEnv();
    readme = await readFile(`${ROOT}README.md`, 'utf8');
  });
  afterAll(async () => {
    await s?.sandbox.stop();
  });

  it('starts with the two commands that matter on a fresh machine', () => {
    const first = blocks(readme)[0];
    expect(first?.lang).toBe('sh');
    expect(first?.text).toMatch(/^npm ci && npm run demo\s+#.*\nnpm test\s+#/);
  });

  for (const command of ['health', 'why docs.home.example.net']) {
    it(`shows \`homelab ${command}\` as the sandbox answers it (every line but the elided ones)`, async () => {
      const sample = blocks(readme).find((b) => b.lang === '' && b.text.startsWith(`$ homelab ${command}\n`));
      expect(sample).toBeDefined();
      const r = await runCli(command.split(' '), s.env);
      expect(r.code).toBe(2);
      const actual = new Set(r.stdout.split('\n').map((l) => l.trimEnd()));
      const expected = (sample?.text ?? '')
        .split('\n')
        .slice(1)
        .filter((l) => l.trim() && l.trim() !== '…');
      expect(expected.length).toBeGreaterThan(8);
      for (const line of expected) expect(actual.has(line.trimEnd()), `README line not in the output:\n${line}\n\noutput:\n${r.stdout}`).toBe(true);
    });
  }

  it('runs every homelab and kubectl example as written (a write stops at its confirmation, or shows its plan with --dry-run)', async () => {
    const tools = JSON.parse(await readFile(`${ROOT}dist/mcp-tools.json`, 'utf8')) as Array<{ name: string; effect: string }>;
    const effectOf = (words: string[]): string | undefined => {
      const entry = Object.entries(CLI_COMMANDS).find(([, shape]) => words.join(' ').startsWith(`${shape.command} `) || words.join(' ') === shape.command);
      return entry ? tools.find((t) => t.name === entry[0])?.effect : undefined;
    };
    const lines = blocks(readme)
      .filter((b) => b.lang === 'sh')
      .flatMap((b) => b.text.split('\n'))
      .map(commandPart)
      .filter((l) => /^(homelab|kubectl) /.test(l));
    expect(lines.length).toBeGreaterThan(10);
    for (const line of lines) {
      const [program, ...argv] = shellWords(line);
      if (program === 'kubectl') {
        // Not spawnSync: the sandbox answers from this very process.
        const k = await run('kubectl', argv, { ...process.env, ...s.env, KUBECACHEDIR: join(s.sandbox.dir, 'kube-cache') });
        if (k.missing) continue; // kubectl is not on every machine; test/sandbox/kubectl.test.ts says when it is missing
        expect(k.code, `${line}: ${k.stderr}`).toBe(0);
        continue;
      }
      const longRunning = LONG_RUNNING.some((c) => argv.join(' ').startsWith(c));
      const r = await runCli(longRunning ? [...argv, '--help'] : argv, s.env);
      const effect = effectOf(argv);
      if (effect === 'write' && argv.includes('--dry-run')) {
        expect(r.code, `${line}: ${r.stderr}`).toBe(0);
        expect(r.stdout, line).toContain('Dry run: nothing changed');
      } else if (effect === 'write' && !argv.includes('--yes')) {
        expect(r.code, `${line}: ${r.stderr}`).toBe(64);
        expect(r.stderr, line).toContain('refusing to change the cluster without confirmation');
      } else {
        expect([0, 1, 2], `${line}: ${r.stderr}`).toContain(r.code);
      }
    }
  }, 120_000);

  it('has a config example every key of which the config file accepts', () => {
    const yaml = blocks(readme).filter((b) => b.lang === 'yaml');
    expect(yaml).toHaveLength(1);
    const config = parseConfig(parseYaml(yaml[0]?.text ?? ''), 'README config', { dir: '/etc/homelab', home: '/home/you' });
    expect(config.kubernetes.kubeconfig).toBe('/home/you/.kube/pi-cluster.yaml');
    expect(config.audit.file).toBe('/home/you/.local/state/homelab/audit.log');
  });

  it("has a Claude Desktop entry as mcp config writes it: node's options, absolute paths and flags mcp serve accepts", () => {
    const json = blocks(readme).find((b) => b.lang === 'json');
    const entry = (JSON.parse(json?.text ?? '{}') as { mcpServers: Record<string, { command: string; args: string[]; env: Record<string, string> }> })
      .mcpServers.homelab;
    expect(entry?.command.startsWith('/')).toBe(true);
    const script = SERVER_NODE_OPTIONS.length;
    expect(entry?.args.slice(0, script)).toEqual(SERVER_NODE_OPTIONS);
    expect(entry?.args[script]?.startsWith('/')).toBe(true);
    expect(entry?.args.slice(script + 1, script + 3)).toEqual(['mcp', 'serve']);
    expect(parseServeArgs(entry?.args.slice(script + 3) ?? [])).toMatchObject({ stdio: true, 'read-only': true });
    expect(entry?.env.HOMELAB_CONFIG?.startsWith('/')).toBe(true);
  });

  it('links only to files in the repository', () => {
    const links = [...readme.matchAll(/\]\(([^)]+)\)/g)].map((m) => m[1] as string);
    for (const link of links) {
      expect(link, 'a link outside the repository').not.toMatch(/^(\.\.\/|\/|https?:)/);
      expect(existsSync(`${ROOT}${link.split('#')[0]}`), link).toBe(true);
    }
  });
});
