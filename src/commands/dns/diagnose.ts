import op from '../../ops/dns/dns-diagnose.js';
import { commandFor } from '../../adapters/cli/op-command.js';

export default commandFor(op, {
  examples: [
    '<%= config.bin %> dns diagnose jellyfin.home.example.net',
    { description: 'Why does this name not resolve?', command: '<%= config.bin %> dns diagnose dnssec-failed.org' },
    '<%= config.bin %> dns diagnose example.com --type AAAA --json',
  ],
  render(out, ui) {
    const state = (s: string) => (s === 'ok' ? ui.c.green(s) : s === 'warn' ? ui.c.yellow(s) : s === 'fail' ? ui.c.red(s) : ui.c.dim(s));
    return [
      ui.verdict(out.verdict, out.summary),
      ui.table(
        ['HOP', 'STATE', 'ASKED', 'ANSWER'],
        out.hops.map((h) => [h.hop, state(h.state), h.label, h.note]),
      ),
      `${out.failingHop ? `Failing hop: ${out.failingHop}. ` : ''}${out.conclusion}`,
    ].join('\n\n');
  },
});
