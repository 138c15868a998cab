import { rmSync } from 'node:fs';
import { Flags } from '@oclif/core';
import { HomelabCommand } from '../adapters/cli/base.js';
import { writeSandboxConfig } from '../sandbox-config.js';

export default class Sandbox extends HomelabCommand {
  static override summary = 'Run the simulated homelab to try homelab without a cluster';
  static override description =
    'Starts a simulated Kubernetes API server (HTTPS on 127.0.0.1, with a CA it generates) loaded with a scenario, ' +
    'writes DIR/kubeconfig and DIR/homelab.yaml, prints the line that points homelab (and kubectl) at it, and runs ' +
    'in the foreground until Ctrl-C, which removes what it wrote (a temporary DIR whole). The default scenario, ' +
    'pi-homelab, is a four-Raspberry-Pi k3s cluster with a few things broken.';
  static override examples = [
    '<%= config.bin %> sandbox',
    { description: 'In another terminal, paste the export line it prints, then', command: '<%= config.bin %> health' },
    '<%= config.bin %> sandbox --scenario ./my-cluster.yaml --dir /tmp/hl --port 6443',
  ];
  static override flags = {
    scenario: Flags.string({ description: 'Scenario name (in packages/sandbox/scenarios/) or path to a scenario YAML file', default: 'pi-homelab' }),
    dir: Flags.string({
      description: 'Directory for kubeconfig and homelab.yaml (default: a new temporary directory); what the sandbox writes there goes when it stops',
    }),
    port: Flags.integer({ description: 'Port to listen on (0 picks a free one)', default: 0, min: 0, max: 65535 }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Sandbox);
    this.debugEnabled = Boolean(flags.debug);
    // The simulator is a test instrument: loaded only when asked for, never by the other commands.
    const { startSandbox } = await import('@homelab/sandbox');
    // Ctrl-C is caught from before the start: one that comes while starting, or right after the export
    // line, still stops the sandbox and removes what it wrote.
    const stopAsked = new Promise<void>((resolve) => {
      process.once('SIGINT', () => resolve());
      process.once('SIGTERM', () => resolve());
    });
    const sandbox = await startSandbox({ scenario: flags.scenario, dir: flags.dir, port: flags.port });
    const configPath = writeSandboxConfig(sandbox);
    process.stderr.write(`homelab sandbox (${flags.scenario}) serving the Kubernetes API at ${sandbox.url}\n`);
    process.stderr.write(`kubeconfig: ${sandbox.kubeconfigPath}\nconfig:     ${configPath}\n`);
    process.stderr.write('Point homelab and kubectl at it with:\n');
    // The export line alone on stdout, so `eval "$(homelab sandbox ...)"`-style scripts can read it.
    process.stdout.write(`export KUBECONFIG=${sandbox.kubeconfigPath} HOMELAB_CONFIG=${configPath}\n`);
    process.stderr.write('Press Ctrl-C to stop.\n');
    await stopAsked;
    // what this run wrote goes with it: homelab.yaml here, the kubeconfig, the secrets and a temp DIR in stop()
    rmSync(configPath, { force: true });
    await sandbox.stop();
    process.stderr.write('sandbox stopped\n');
  }
}
