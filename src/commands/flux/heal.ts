import op from '../../ops/flux/flux-heal.js';
import { commandFor } from '../../adapters/cli/op-command.js';
import { reconcileLine } from '../../adapters/cli/views/flux.js';

export default commandFor(op, {
  examples: [
    { description: 'See what it would do (a dry run)', command: '<%= config.bin %> flux heal immich -n immich' },
    { description: 'Do it', command: '<%= config.bin %> flux heal immich -n immich --yes' },
  ],
  dryRunUnlessYes: true,
  render(out, ui) {
    const lines = [`HelmRelease ${out.namespace}/${out.name} is stuck${out.stuck.failingFor ? ` (failing for ${out.stuck.failingFor})` : ''}: ${out.stuck.reason}`];
    if (out.dryRun) {
      lines.push('Would:', ...out.plan.map((step, i) => `  ${i + 1}. ${step}`), ui.c.dim('Dry run: nothing changed. Pass --yes to do it.'));
      return lines.join('\n');
    }
    lines.push(...out.done.map((step) => `  ${ui.c.green('✔')} ${step}`));
    if (out.result) lines.push(reconcileLine(out.result, ui));
    return lines.join('\n');
  },
});
