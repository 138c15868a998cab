import op from '../../ops/dns/dns-gravity-update.js';
import { commandFor } from '../../adapters/cli/op-command.js';

export default commandFor(op, {
  examples: ['<%= config.bin %> dns gravity', { description: 'From a script or cron', command: '<%= config.bin %> dns gravity --yes' }],
  confirm: () => "Update Pi-hole's blocklists (gravity) now? It takes a minute or more",
  render: (out, ui) => {
    const counts = `${out.before.domains} → ${out.after.domains} domains (${out.change >= 0 ? '+' : ''}${out.change})`;
    const head = out.succeeded
      ? `${ui.c.green('✔ gravity updated')}: ${counts}`
      : `${ui.c.red(`✗ gravity update reported ${out.failures.length || 'no successful'} failure${out.failures.length === 1 ? '' : 's'}`)}: ${counts}`;
    return [head, ...out.failures.map((f) => ui.c.red(`  ${f}`))].join('\n');
  },
});
