import op from '../../ops/backups/backups-trigger.js';
import { commandFor } from '../../adapters/cli/op-command.js';

export default commandFor(op, {
  examples: [
    { description: 'Run it and wait for the outcome (exit 2 if it fails)', command: '<%= config.bin %> backups trigger backups/immich-db-backup --yes' },
    {
      description: 'Start it and return at once, without waiting for the outcome',
      command: '<%= config.bin %> backups trigger backups/immich-db-backup --no-wait --yes',
    },
  ],
  confirm: (input) => `Start a backup Job from CronJob ${input.cronJob} now?`,
  render: (out, ui) =>
    out.state === 'Running'
      ? `${ui.c.green('started')} Job ${out.namespace}/${out.job} from CronJob ${out.cronJob}\n${ui.c.dim(`follow it: homelab logs ${out.job} -n ${out.namespace}`)}`
      : `${out.state === 'Succeeded' ? ui.c.green('✔ succeeded') : ui.c.red('✗ failed')} Job ${out.namespace}/${out.job}${out.reason ? `: ${out.reason}` : ''}${out.message ? ` (${out.message})` : ''}`,
});
