import op from '../../ops/arr/arr-search.js';
import { commandFor } from '../../adapters/cli/op-command.js';

export default commandFor(op, {
  examples: [
    { description: 'Search again for an episode arr missing lists', command: '<%= config.bin %> arr search sonarr --id 2 --yes' },
    '<%= config.bin %> arr search radarr --id 3 --yes',
  ],
  confirm: (input) => `Ask ${input.app} to search for item ${input.id}?`,
  render(out, ui) {
    const lines = [
      `${out.command.status === 'completed' ? ui.c.green('✔') : ui.c.yellow('…')} ${out.command.name} ${out.command.status} for ${out.items.map((i) => i.label).join(', ')}`,
    ];
    for (const g of out.grabbed) lines.push(`  grabbed ${g.title}${g.for ? ` (${g.for})` : ''}`);
    if (!out.grabbed.length) lines.push(ui.c.dim('  nothing grabbed yet: homelab arr shows the queue'));
    return lines.join('\n');
  },
});
