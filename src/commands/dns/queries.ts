import op, { CLI_LIMIT } from '../../ops/dns/dns-queries.js';
import { commandFor } from '../../adapters/cli/op-command.js';
import { everyRowUnlessLimited } from '../../adapters/cli/lists.js';
import { plural } from '../../ops/shared/format.js';

export default commandFor(op, {
  adjustInput: everyRowUnlessLimited(op, CLI_LIMIT),
  examples: [
    '<%= config.bin %> dns queries',
    '<%= config.bin %> dns queries --blocked --client 192.168.1.23 --limit 20',
    '<%= config.bin %> dns queries --domain ads.example.com --json',
  ],
  render: (out, ui) => {
    const head = `${plural(out.count, `${out.filters.blocked ? 'blocked ' : ''}query`, `${out.filters.blocked ? 'blocked ' : ''}queries`)} from ${out.server === 'pihole' ? 'Pi-hole' : 'AdGuard Home'} at ${out.url}${out.matched !== undefined ? ui.c.dim(` (${out.matched} in the log match the filters)`) : ''}`;
    if (!out.queries.length) return head;
    return `${head}\n\n${ui.table(
      ['TIME', 'CLIENT', 'TYPE', 'DOMAIN', 'STATUS', 'REPLY'],
      out.queries.map((q) => [
        q.time.replace('T', ' ').replace(/\.\d+Z$|Z$/, ''),
        q.clientName ? `${q.client} (${q.clientName})` : q.client,
        q.type,
        q.domain,
        q.blocked ? ui.c.red(q.status) : q.status,
        q.replyMs === undefined ? '' : `${q.replyMs} ms`,
      ]),
    )}`;
  },
});
