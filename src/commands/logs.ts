import op, { CLI_MAX_BYTES } from '../ops/cluster/pods-logs.js';
import { commandFor } from '../adapters/cli/op-command.js';

export default commandFor(op, {
  // -f without --follow-for follows until Ctrl-C, as kubectl does (the op's own bound is a day).
  adjustInput(input, given) {
    if (input.follow && !given.has('follow-for')) input.followFor = '24h';
    if (!given.has('max-bytes')) input.maxBytes = CLI_MAX_BYTES;
  },
  examples: [
    '<%= config.bin %> logs jellyfin',
    '<%= config.bin %> logs pihole-7c9f -n pihole --container pihole --tail 50',
    { description: "Why does it crash? The previous instance's last words", command: '<%= config.bin %> logs immich-server --previous' },
    '<%= config.bin %> logs traefik -n kube-system --since 10m --grep "error|timeout"',
    {
      description: "Follow new lines until Ctrl-C (a Deployment's name picks one of its running pods)",
      command: '<%= config.bin %> logs -f jellyfin -n jellyfin',
    },
  ],
  render(out, ui) {
    // Followed lines were printed as they came.
    if (out.followed) return out.truncated ? ui.c.dim('# earlier lines were dropped from the result to stay within --max-bytes') : '';
    const header = ui.c.dim(
      `# ${out.namespace}/${out.pod} [${out.container}]${out.previous ? ' previous' : ''}${out.containers.length > 1 ? ` (containers: ${out.containers.join(', ')})` : ''}`,
    );
    const footer = out.truncated ? `\n${ui.c.yellow(`# output truncated at the byte limit (older lines left out); use --tail or --since to narrow it`)}` : '';
    return `${header}\n${out.lines.join('\n')}${footer}`;
  },
});
