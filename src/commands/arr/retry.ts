import op from '../../ops/arr/arr-retry.js';
import { commandFor } from '../../adapters/cli/op-command.js';

export default commandFor(op, {
  examples: [
    { description: 'A download Sonarr cannot import: blocklist it and grab another release', command: '<%= config.bin %> arr retry sonarr 1000 --yes' },
    { description: 'A job SABnzbd failed', command: '<%= config.bin %> arr retry sabnzbd SABnzbd_nzo_52163083 --yes' },
  ],
  confirm: (input) =>
    input.app === 'sabnzbd'
      ? `Retry SABnzbd job ${input.id}?`
      : `Remove ${input.app} queue item ${input.id} from its download client, blocklist the release${input.redownload ? ' and grab another' : ''}?`,
  render(out, ui) {
    const lines = [`${ui.c.green('✔')} ${out.retried.title}${out.retried.for ? ` (${out.retried.for})` : ''}: ${out.message}`];
    if (out.blocklisted) lines.push(ui.c.dim('  the failed release is blocklisted'));
    if (out.replacement) lines.push(`  now: ${out.replacement.title} (${out.replacement.status})`);
    return lines.join('\n');
  },
});
