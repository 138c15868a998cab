import op from '../../ops/media/jellyfin-scan.js';
import { commandFor } from '../../adapters/cli/op-command.js';

export default commandFor(op, {
  examples: [
    { description: 'Scan all libraries and wait for the scan to finish', command: '<%= config.bin %> jellyfin scan --yes' },
    { description: 'Scan one library, without waiting', command: '<%= config.bin %> jellyfin scan --library Shows --no-wait --yes' },
  ],
  confirm: (input) => `Start a Jellyfin scan of ${input.library ? `library ${input.library}` : 'all libraries'}?`,
  render(out, ui) {
    const what = out.scope === 'all' ? `all libraries (${out.task ?? 'Scan Media Library'})` : `library ${out.library}`;
    if (out.state === 'Running') return `${ui.c.green(out.started ? 'started' : 'already running')} scan of ${what}\n${ui.c.dim('see it: homelab media')}`;
    if (out.state === 'Completed') return `${ui.c.green('✔ completed')} scan of ${what}${out.took ? ` in ${out.took}` : ''}`;
    return `${ui.c.red(`✗ ${out.state.toLowerCase()}`)} scan of ${what}${out.error ? `: ${out.error}` : ''}`;
  },
});
