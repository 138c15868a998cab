import op from '../../ops/flux/flux-heal.js';
import { commandFor } from '../../adapters/cli/op-command.js';
import { reconcileLine } from '../../adapters/cli/views/flux.js';

export default commandFor(op, {
  examples: [
    { description: 'See the plan (a dry run)', command: '<%= config.bin %> flux heal immich -n immich' },
    { description: 'Do it', command: '<%= config.bin %> flux heal immich -n immich --yes' },
  ],
  dryRunUnlessYes: true,
  render(out, ui) {
    const lines = [
      `HelmRelease ${out.namespace}/${out.name} was stuck${out.stuck.failingFor ? ` (failing for ${out.stuck.failingFor})` : ''}: ${out.stuck.reason}`,
    ];
    lines.push(...out.done.map((step) => `  ${ui.c.green('✔')} ${step}`));
    if (out.result) lines.push(reconcileLine(out.result, ui));
    return lines.join('\n');
  },
});
