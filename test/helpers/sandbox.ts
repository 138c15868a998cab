import { startSandbox, type Sandbox, type SandboxOptions } from '@homelab/sandbox';
import { writeSandboxConfig } from '../../src/sandbox-config.js';

/** A sandbox with the homelab config the product writes for it (as `homelab sandbox` does). */
export type ConfiguredSandbox = Sandbox & { configPath: string };

export interface SandboxEnv {
  sandbox: ConfiguredSandbox;
  /** What `homelab sandbox` tells a user to export. */
  env: Record<string, string>;
}

/** A sandbox on a random loopback port, with DIR/homelab.yaml written by the product's seam. */
export async function startConfiguredSandbox(options: SandboxOptions = {}): Promise<ConfiguredSandbox> {
  const sandbox = await startSandbox(options);
  try {
    return Object.assign(sandbox, { configPath: writeSandboxConfig(sandbox) });
  } catch (e) {
    await sandbox.stop();
    throw e;
  }
}

/** A sandbox on a random loopback port, and the environment that points the CLI at it. */
export async function startSandboxEnv(options: SandboxOptions = {}): Promise<SandboxEnv> {
  const sandbox = await startConfiguredSandbox(options);
  return { sandbox, env: { KUBECONFIG: sandbox.kubeconfigPath, HOMELAB_CONFIG: sandbox.configPath } };
}
