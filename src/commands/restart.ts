import op from '../ops/cluster/deployment-restart.js';
import { commandFor } from '../adapters/cli/op-command.js';

export default commandFor(op, {
  examples: [
    '<%= config.bin %> restart jellyfin/jellyfin',
    { description: 'From a script or cron: no prompt', command: '<%= config.bin %> restart pihole/unbound --yes' },
  ],
  confirm: (input) => `Restart deployment ${input.deployment} (its pods will be replaced one by one)?`,
  render: (out, ui) => `${ui.c.green('restarted')} deployment ${out.namespace}/${out.name} at ${out.restartedAt}; its pods are being replaced one by one`,
});
