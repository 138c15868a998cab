/**
 * The in-process CLI runner stands in for a CLI process in most door tests (test/helpers/cli.ts): it
 * must answer exactly as `homelab …` in a process does, and leave this process as it found it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answeredByBin, runCli, runCliInProcess, runCliProcess } from './cli.js';
import { startSandboxEnv, type SandboxEnv } from './sandbox.js';

describe('runCli in process', () => {
  let s: SandboxEnv;
  beforeAll(async () => {
    s = await startSandboxEnv();
  });
  afterAll(async () => {
    await s?.sandbox.stop();
  });

  // Each kind of answer: a table and JSON by the verdict's exit code, help, oclif's parse errors and
  // the command-not-found hook (64), an error from the cluster (69), a write refused off a terminal, a
  // config that cannot be read.
  const cases: string[][] = [
    ['flux', 'status', '--json'],
    ['health', '--only', 'flux,certs'],
    ['certs', '-o', 'yaml'],
    ['help', 'flux', 'reconcile'],
    ['flux', 'reconcile', '--help'],
    ['version', '--json'],
    ['logs', 'x', '--tial', '3'],
    ['helth'],
    ['get', 'deploy', 'nope', '-n', 'jellyfin'],
    ['get', 'pods', '-l', 'app=$(rm -rf /)'],
    ['restart', 'pihole/pihole'],
    // A plan (restart's would carry the second it was made in).
    ['flux', 'suspend', 'helmrelease', 'jellyfin', '-n', 'jellyfin', '--dry-run', '--json'],
    ['dns', '--config', '/nonexistent/homelab.yaml'],
  ];
  it.each(cases.map((args) => [args.join(' '), args]))('%s: the same code, stdout and stderr as a process', async (_, args) => {
    const [inProcess, processed] = [await runCliInProcess(args, s.env), await runCliProcess(args, s.env)];
    expect(inProcess).toEqual(processed);
  });

  it('gives each run its own environment and takes back what it swapped: env, exit code, stdout and stderr', async () => {
    const env = process.env;
    const exitCode = process.exitCode;
    const { write } = process.stdout;
    const crit = await runCliInProcess(['health', '--json'], { ...s.env, HOMELAB_CONFIG: '/nonexistent/homelab.yaml' });
    expect(crit.code).toBe(64);
    expect(crit.stderr).toContain('/nonexistent/homelab.yaml');
    expect(process.env).toBe(env);
    expect(process.exitCode).toBe(exitCode);
    expect(process.stdout.write).toBe(write);
  });

  it('runs one at a time: runs started together each get their own output', async () => {
    const [json, yaml] = await Promise.all([runCli(['flux', 'status', '--json'], s.env), runCli(['flux', 'status', '-o', 'yaml'], s.env)]);
    expect(json.stdout.startsWith('{')).toBe(true);
    expect(yaml.stdout.startsWith('{')).toBe(false);
    expect(yaml.stdout).toContain('verdict:');
  });

  it('sends to a process what bin/run.js answers before oclif: mcp serve, the root help, --version', () => {
    for (const args of [[], ['--help'], ['-h'], ['--version'], ['mcp', 'serve', '--stdio']]) expect(answeredByBin(args), args.join(' ')).toBe(true);
    for (const args of [['help'], ['mcp', 'serve', '--help'], ['version'], ['health', '--json']]) expect(answeredByBin(args), args.join(' ')).toBe(false);
  });
});
