import op from '../ops/cluster/logs.js';
import { commandFor } from '../adapters/cli/op-command.js';

export default commandFor(op, {
  examples: [
    '<%= config.bin %> logs jellyfin',
    '<%= config.bin %> logs pihole-7c9f -n pihole --container pihole --tail 50',
    { description: 'Why does it crash? The previous instance\'s last words', command: '<%= config.bin %> logs immich-server --previous' },
    '<%= config.bin %> logs traefik -n kube-system --since 10m --grep "error|timeout"',
  ],
  render(out, ui) {
    const header = ui.c.dim(`# ${out.namespace}/${out.pod} [${out.container}]${out.previous ? ' previous' : ''}${out.containers.length > 1 ? ` (containers: ${out.containers.join(', ')})` : ''}`);
    const footer = out.truncated ? `\n${ui.c.yellow(`# output truncated at the byte limit; use --tail or --since to narrow it`)}` : '';
    return `${header}\n${out.lines.join('\n')}${footer}`;
  },
});
