import op, { CLI_LIMIT } from '../../ops/net/net-conntrack.js';
import { commandFor } from '../../adapters/cli/op-command.js';
import { everyRowUnlessLimited } from '../../adapters/cli/lists.js';

export default commandFor(op, {
  adjustInput: everyRowUnlessLimited(op, CLI_LIMIT),
  examples: [
    '<%= config.bin %> net conntrack pi-k3s',
    '<%= config.bin %> net conntrack pi-k3s --src 10.42.0.0/16 --dst 10.43.0.10',
    '<%= config.bin %> net conntrack pi5-worker-1 --limit 1000 --json',
  ],
  render(out, ui) {
    const blocks = [out.summary];
    if (out.entries.length) {
      const port = (p?: number) => (p === undefined ? '' : `:${p}`);
      blocks.push(
        ui.table(
          ['PROTO', 'STATE', 'SOURCE', 'DESTINATION', 'REPLY FROM', 'FLAGS', 'TIMEOUT'],
          out.entries.map((e) => [
            e.protocol,
            e.state ?? (e.icmpType !== undefined ? `type ${e.icmpType}` : '-'),
            `${e.src}${port(e.sport)}`,
            `${e.dst}${port(e.dport)}`,
            e.reply ? `${e.reply.src}${port(e.reply.sport)}` : '-',
            e.flags.includes('UNREPLIED') ? ui.c.yellow(e.flags.join(',')) : e.flags.join(',') || '-',
            `${e.timeout}s`,
          ]),
        ),
      );
    }
    if (out.truncated) blocks.push(`${out.total - out.shown} more not shown: raise --limit (at most 5000) or narrow with --src/--dst`);
    return blocks.join('\n\n');
  },
});
