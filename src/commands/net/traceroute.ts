import op from '../../ops/net/net-traceroute.js';
import { commandFor } from '../../adapters/cli/op-command.js';

export default commandFor(op, {
  examples: [
    '<%= config.bin %> net traceroute 192.168.1.52',
    {
      description: 'Beyond the cluster, once the target is in net.allowTargets',
      command: '<%= config.bin %> net traceroute 1.1.1.1 --from-node pi5-worker-1 --max-hops 15',
    },
  ],
  render(out, ui) {
    return [
      ui.verdict(out.verdict, out.summary),
      `from ${out.from} (${out.pod}); admitted as ${out.admittedAs}`,
      ui.table(
        ['HOP', 'HOST', 'IP', 'RTT'],
        out.hops.map((h) => [
          h.ttl,
          h.host ?? (h.ip ? '' : ui.c.dim('*')),
          h.ip ?? '',
          `${h.rttsMs.map((r) => (r === null ? '*' : `${r} ms`)).join('  ')}${h.flags?.length ? ` ${ui.c.red(h.flags.join(' '))}` : ''}`,
        ]),
      ),
    ].join('\n\n');
  },
});
