import op from '../../ops/dns/dns-query.js';
import { commandFor } from '../../adapters/cli/op-command.js';

export default commandFor(op, {
  examples: [
    '<%= config.bin %> dns query jellyfin.home.example.net',
    '<%= config.bin %> dns query _dmarc.example.com --type TXT --server unbound',
    { description: 'Ask another resolver; exit 2 when it does not answer', command: '<%= config.bin %> dns query example.com --type MX --server 192.168.1.1' },
    '<%= config.bin %> dns query example.com --dnssec --json',
  ],
  render(out, ui) {
    const r = out.result;
    const head = ui.verdict(out.verdict, out.summary);
    const meta = [
      `server   ${out.server.label}${r.server ? ui.c.dim(`  (dig: ${r.server})`) : ''}`,
      `from     ${out.from}`,
      r.reached
        ? `status   ${r.status === 'NOERROR' ? ui.c.green(r.status) : ui.c.red(r.status ?? '?')}  flags: ${r.flags.join(' ')}${r.authenticated ? ui.c.green('  (DNSSEC-validated)') : ''}${r.queryTimeMs !== undefined ? `  ${r.queryTimeMs} ms` : ''}`
        : ui.c.red(`no answer: ${r.error ?? ''} (dig exit ${r.exitCode})`),
      r.ede ? `EDE      ${r.ede}` : '',
    ].filter(Boolean);
    const blocks = [head, meta.join('\n')];
    const table = (title: string, records: typeof r.answers) =>
      records.length
        ? `${title}:\n${ui.table(
            ['NAME', 'TTL', 'CLASS', 'TYPE', 'DATA'],
            records.map((x) => [x.name, x.ttl, x.class, x.type, x.data]),
          )}`
        : '';
    blocks.push(table('Answer', r.answers), table('Authority', r.authority));
    return blocks.filter(Boolean).join('\n\n');
  },
});
