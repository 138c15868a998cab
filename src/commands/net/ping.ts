import op from '../../ops/net/net-ping.js';
import { commandFor } from '../../adapters/cli/op-command.js';

export default commandFor(op, {
  examples: [
    '<%= config.bin %> net ping 192.168.1.51',
    '<%= config.bin %> net ping jellyfin.jellyfin.svc.cluster.local --port 8096 --from-node pi-k3s',
    {
      description: 'The NAS, once net.allowTargets has 192.168.1.0/24; exit 2 on no reply or a closed port',
      command: '<%= config.bin %> net ping 192.168.1.20 --port 445 --count 5',
    },
  ],
  render(out, ui) {
    const i = out.icmp;
    const rows: Array<Array<string | number>> = [
      [
        'ICMP',
        i.address ?? out.target,
        i.error && !i.sent ? ui.c.red(i.error) : `${i.received}/${i.sent} replies, ${i.lossPercent === 0 ? '0' : ui.c.red(String(i.lossPercent))}% loss`,
        i.rttMs ? `${i.rttMs.min} / ${i.rttMs.avg} / ${i.rttMs.max} ms` : '',
      ],
    ];
    if (out.tcp)
      rows.push([
        'TCP',
        `${out.target}:${out.tcp.port}`,
        out.tcp.state === 'open' ? ui.c.green('open') : out.tcp.state === 'closed' ? ui.c.red('closed') : ui.c.yellow('not checked'),
        out.tcp.message,
      ]);
    return [
      ui.verdict(out.verdict, out.summary),
      `from ${out.from} (${out.pod}); admitted as ${out.admittedAs}`,
      ui.table(['CHECK', 'TARGET', 'RESULT', 'DETAIL (rtt min/avg/max)'], rows),
    ].join('\n\n');
  },
});
