/** `homelab sandbox` stopped with Ctrl-C leaves the temp directory as it found it. */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BIN } from '../helpers/cli.js';

describe('homelab sandbox, stopped with Ctrl-C', () => {
  let tmp: string;
  beforeEach(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'hl-sandbox-cmd-tmp-'));
  });
  afterEach(() => rmSync(tmp, { recursive: true, force: true }));

  /** runs `homelab sandbox ARGS` with TMPDIR=tmp until its export line, then SIGINT; its exit code and stderr */
  async function runUntilExport(args: string[]): Promise<{ exportLine: string; code: number | null; stderr: string; dirWhileRunning: string[] }> {
    const child = spawn(process.execPath, [BIN, 'sandbox', ...args], {
      env: { PATH: process.env.PATH, HOME: tmp, TMPDIR: tmp, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const exportLine = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no export line: ${stderr}`)), 20_000);
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
        if (stdout.includes('\n')) {
          clearTimeout(timer);
          resolve(stdout.trim());
        }
      });
    });
    const config = /HOMELAB_CONFIG=(\S+)/.exec(exportLine)?.[1] ?? '';
    const dirWhileRunning = readdirSync(path.dirname(config)).sort();
    child.kill('SIGINT');
    return { exportLine, code: await exited, stderr, dirWhileRunning };
  }

  it('removes the temporary DIR it made, with the kubeconfig, homelab.yaml and the secrets', async () => {
    const run = await runUntilExport([]);
    expect(run.exportLine).toMatch(
      new RegExp(`^export KUBECONFIG=${tmp}/homelab-sandbox-\\w+/kubeconfig HOMELAB_CONFIG=${tmp}/homelab-sandbox-\\w+/homelab.yaml$`),
    );
    expect(run.dirWhileRunning).toEqual(['homelab.yaml', 'kubeconfig', 'secrets']);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('sandbox stopped');
    expect(readdirSync(tmp)).toEqual([]);
  });

  it('with --dir: removes what it wrote there and the DIR it had to make, nothing else', async () => {
    const dir = path.join(tmp, 'new-dir');
    const run = await runUntilExport(['--dir', dir]);
    expect(run.exportLine).toBe(`export KUBECONFIG=${dir}/kubeconfig HOMELAB_CONFIG=${dir}/homelab.yaml`);
    expect(run.code).toBe(0);
    expect(existsSync(dir)).toBe(false);
    expect(readdirSync(tmp)).toEqual([]);
  });
});
