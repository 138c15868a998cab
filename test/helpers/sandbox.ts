import { startSandbox, type Sandbox, type SandboxOptions } from '../../src/sandbox/index.js';

export interface SandboxEnv {
  sandbox: Sandbox;
  /** What `homelab sandbox` tells a user to export. */
  env: Record<string, string>;
}

/** A sandbox on a random loopback port, and the environment that points the CLI at it. */
export async function startSandboxEnv(options: SandboxOptions = {}): Promise<SandboxEnv> {
  const sandbox = await startSandbox(options);
  return { sandbox, env: { KUBECONFIG: sandbox.kubeconfigPath, HOMELAB_CONFIG: sandbox.configPath } };
}
