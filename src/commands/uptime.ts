import op from '../ops/uptime/uptime-status.js';
import { commandFor } from '../adapters/cli/op-command.js';

export default commandFor(op, {
  watch: true,
  examples: [
    '<%= config.bin %> uptime',
    { description: 'Every Ingress host too', command: '<%= config.bin %> uptime --ingresses' },
    {
      description: 'One more URL, with a keyword its page must hold',
      command: '<%= config.bin %> uptime --url https://jellyfin.home.example.net/health --keyword Healthy',
    },
    {
      description: 'In cron: exit 0 all up, 1 slow or a certificate expiring, 2 something down',
      command: '<%= config.bin %> uptime --json > /var/log/homelab-uptime.json || notify-me',
    },
  ],
  render(out, ui) {
    const rows = out.targets.map((t) => [
      t.up ? (t.problem ? ui.c.yellow('up') : ui.c.green('up')) : ui.c.red('DOWN'),
      t.name === t.url ? t.url : `${t.name} ${ui.c.dim(t.url)}`,
      t.status ?? '-',
      `${t.latencyMs} ms`,
      t.tls ? (t.tls.valid ? `${t.tls.daysLeft ?? '?'}d` : ui.c.red('invalid')) : '-',
      t.problem ? `${t.problem}${t.error ? `: ${t.error}` : ''}` : '',
    ]);
    const blocks = [ui.verdict(out.verdict, out.summary), ui.c.dim(`checked from ${out.from}`)];
    if (rows.length) blocks.push(ui.table(['STATE', 'URL', 'STATUS', 'TIME', 'CERT', 'PROBLEM'], rows));
    if (out.listed < out.checked) blocks.push(ui.c.dim(`${out.checked - out.listed} more up (--limit to list them)`));
    const findings = ui.findings(out.findings);
    if (findings) blocks.push(findings);
    return blocks.join('\n\n');
  },
});
