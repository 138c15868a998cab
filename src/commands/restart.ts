import op from '../ops/cluster/deployment-restart.js';
import { commandFor } from '../adapters/cli/op-command.js';

export default commandFor(op, {
  examples: [
    '<%= config.bin %> restart jellyfin/jellyfin',
    { description: 'See the plan: the patch, and the pods that will roll', command: '<%= config.bin %> restart jellyfin/jellyfin --dry-run' },
    { description: 'From a script or cron: no prompt, no waiting for the rollout', command: '<%= config.bin %> restart pihole/unbound --yes --no-wait' },
  ],
  confirm: (input) => `Restart deployment ${input.deployment} (its pods will be replaced one by one)?`,
  render: (out, ui) => {
    const restarted = `${ui.c.green('restarted')} deployment ${out.namespace}/${out.name} at ${out.restartedAt}`;
    if (!out.waited)
      return `${restarted}; its pods are being replaced one by one\n${ui.c.dim(`watch it: kubectl rollout status deployment/${out.name} -n ${out.namespace}`)}`;
    return `${restarted}\n${out.rollout.state === 'complete' ? ui.c.green('✔') : ui.c.red('✗')} ${out.rollout.message}`;
  },
});
