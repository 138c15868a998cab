import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startSandbox, type Sandbox, type SandboxOptions } from '@homelab/sandbox';
import { writeSandboxConfig } from '../../src/sandbox-config.js';

/**
 * A sandbox with the homelab config the product writes for it (as `homelab sandbox` does); `written`
 * lists the files the helpers put in its DIR (configWith's), removed with it on stop().
 */
export type ConfiguredSandbox = Sandbox & { configPath: string; written: string[] };

export interface SandboxEnv {
  sandbox: ConfiguredSandbox;
  /** What `homelab sandbox` tells a user to export. */
  env: Record<string, string>;
}

/**
 * A sandbox on a random loopback port, with DIR/homelab.yaml written by the product's seam. Its stop()
 * removes that file and the `written` ones too, so a DIR the test gave is left as it was (a temp DIR
 * goes whole anyway).
 */
export async function startConfiguredSandbox(options: SandboxOptions = {}): Promise<ConfiguredSandbox> {
  const sandbox = await startSandbox(options);
  const stopSandbox = sandbox.stop.bind(sandbox);
  let configPath: string;
  try {
    configPath = writeSandboxConfig(sandbox);
  } catch (e) {
    await stopSandbox();
    throw e;
  }
  const written: string[] = [];
  return Object.assign(sandbox, {
    configPath,
    written,
    stop: async (): Promise<void> => {
      for (const file of [configPath, ...written]) rmSync(file, { force: true });
      await stopSandbox();
    },
  });
}

/** A sandbox on a random loopback port, and the environment that points the CLI at it. */
export async function startSandboxEnv(options: SandboxOptions = {}): Promise<SandboxEnv> {
  const sandbox = await startConfiguredSandbox(options);
  return { sandbox, env: { KUBECONFIG: sandbox.kubeconfigPath, HOMELAB_CONFIG: sandbox.configPath } };
}

/**
 * What a user has after the cluster went away: a kubeconfig and homelab.yaml (without the fakes'
 * services) for a sandbox that has stopped, its port closed. stop() removes the sandbox's own files, so
 * these are copies; remove() deletes them.
 */
export async function stoppedSandboxEnv(options: SandboxOptions = {}): Promise<{ env: Record<string, string>; remove(): void }> {
  const { sandbox } = await startSandboxEnv(options);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hl-stopped-sandbox-'));
  try {
    const kubeconfigPath = path.join(dir, 'kubeconfig');
    copyFileSync(sandbox.kubeconfigPath, kubeconfigPath);
    const configPath = writeSandboxConfig({ ...sandbox, dir, kubeconfigPath, endpoints: {} });
    return { env: { KUBECONFIG: kubeconfigPath, HOMELAB_CONFIG: configPath }, remove: () => rmSync(dir, { recursive: true, force: true }) };
  } finally {
    await sandbox.stop();
  }
}
