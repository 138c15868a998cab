import op from '../../ops/dns/dns-allowlist.js';
import { commandFor } from '../../adapters/cli/op-command.js';
import { cutNotes, everyRowUnlessLimited } from '../../adapters/cli/lists.js';

export default commandFor(op, {
  adjustInput: everyRowUnlessLimited(op),
  examples: ['<%= config.bin %> dns allowlist', '<%= config.bin %> dns allowlist --json'],
  render: (out, ui) => {
    const head = out.domains.length
      ? `${out.exact} exact, ${out.regex} regex allowed on Pi-hole at ${out.url}${out.disabled ? ` (${out.disabled} disabled)` : ''}`
      : `the allowlist of Pi-hole at ${out.url} is empty`;
    if (!out.domains.length) return head;
    return `${head}\n\n${ui.table(
      ['DOMAIN', 'KIND', 'ENABLED', 'GROUPS', 'ADDED', 'COMMENT'],
      out.domains.map((d) => [d.domain, d.kind, d.enabled ? 'yes' : ui.c.yellow('no'), d.groups.join(','), d.added?.slice(0, 10) ?? '', d.comment ?? '']),
    )}${out.truncated ? `\n\n${cutNotes(out, ui)}` : ''}`;
  },
});
