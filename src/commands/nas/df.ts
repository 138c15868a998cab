import op from '../../ops/nas/nas-df.js';
import { formatBytes } from '../../ops/shared/format.js';
import { commandFor } from '../../adapters/cli/op-command.js';

export default commandFor(op, {
  examples: [
    '<%= config.bin %> nas df',
    { description: 'In cron: exit 0 ok, 1 warn (85% full), 2 crit (95% full)', command: '<%= config.bin %> nas df --json > /var/log/nas-df.json || notify-me' },
  ],
  render(out, ui) {
    const blocks = [ui.verdict(out.verdict, out.summary)];
    if (!out.configured) return blocks.join('\n');
    const color = (p: number) => (p >= 95 ? ui.c.red(`${p}%`) : p >= 85 ? ui.c.yellow(`${p}%`) : `${p}%`);
    blocks.push(
      ui.table(
        ['VOLUME', 'SIZE', 'USED', 'AVAILABLE', 'USE%', 'MOUNT', 'FILESYSTEM'],
        out.volumes.map((v) =>
          v.ok
            ? [
                v.volume,
                formatBytes(v.sizeBytes ?? 0),
                formatBytes(v.usedBytes ?? 0),
                formatBytes(v.availableBytes ?? 0),
                color(v.percent ?? 0),
                v.mount ?? '',
                v.filesystem ?? '',
              ]
            : [v.volume, '-', '-', '-', '-', '', ui.c.red(v.error ?? 'error')],
        ),
      ),
    );
    if (out.findings.length) blocks.push(ui.findings(out.findings));
    return blocks.join('\n\n');
  },
});
