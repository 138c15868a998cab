import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { spawnCli, runCli } from '../helpers/cli.js';

describe('homelab sandbox', () => {
  it('serves the simulated homelab, prints the export line, and stops cleanly on SIGTERM', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hl-sandbox-cmd-'));
    const child = spawnCli(['sandbox', '--dir', dir]);
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exportLine = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no export line: ${stderr}`)), 15_000);
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
        if (stdout.includes('\n')) {
          clearTimeout(timer);
          resolve(stdout.trim());
        }
      });
    });
    try {
      expect(exportLine).toBe(`export KUBECONFIG=${dir}/kubeconfig HOMELAB_CONFIG=${dir}/homelab.yaml`);
      expect(stderr).toMatch(/serving the Kubernetes API at https:\/\/127\.0\.0\.1:\d+/);
      // Credentials are not for other users on the machine.
      expect((await stat(join(dir, 'kubeconfig'))).mode & 0o077).toBe(0);
      const r = await runCli(['health', '--json'], { KUBECONFIG: `${dir}/kubeconfig`, HOMELAB_CONFIG: `${dir}/homelab.yaml` });
      expect(r.code).toBe(2);
      expect((JSON.parse(r.stdout) as { nodes: unknown[] }).nodes).toHaveLength(4);
    } finally {
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(stderr).toContain('sandbox stopped');
      await rm(dir, { recursive: true, force: true });
    }
  });
});
