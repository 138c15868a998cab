import op from '../ops/certs/certs-status.js';
import { commandFor } from '../adapters/cli/op-command.js';
import { cutNotes, everyRowUnlessLimited } from '../adapters/cli/lists.js';

export default commandFor(op, {
  adjustInput: everyRowUnlessLimited(op),
  examples: [
    '<%= config.bin %> certs',
    '<%= config.bin %> certs -n jellyfin',
    '# warn a month ahead, crit a week ahead (exit 1 / 2)\n<%= config.bin %> certs --warn-days 30 --crit-days 7',
    "<%= config.bin %> certs --json | jq '.certificates[] | select(.daysLeft < 30) | .name'",
  ],
  render(out, ui) {
    const days = (left: number | undefined, state: 'ok' | 'warn' | 'crit') => {
      if (left === undefined) return '-';
      const text = String(Math.floor(left));
      return state === 'crit' ? ui.c.red(text) : state === 'warn' ? ui.c.yellow(text) : text;
    };
    const blocks: string[] = [ui.verdict(out.verdict, out.summary)];
    if (!out.installed) return blocks.join('\n');
    if (out.certificates.length) {
      blocks.push(
        ui.table(
          ['NAMESPACE', 'NAME', 'READY', 'EXPIRES', 'DAYS LEFT', 'RENEWAL', 'ISSUER', 'DNS NAMES', 'SECRET'],
          out.certificates.map((c) => [
            c.namespace,
            c.name,
            c.ready === 'True' ? ui.c.green('True') : ui.c.red(c.readyReason ? `${c.ready} (${c.readyReason})` : c.ready),
            c.notAfter?.slice(0, 10) ?? '-',
            days(c.daysLeft, c.state),
            c.issuing ? ui.c.yellow('issuing') : (c.renewalTime?.slice(0, 10) ?? '-'),
            `${c.issuer.kind}/${c.issuer.name}`,
            c.dnsNames.join(','),
            c.secretName ?? '',
          ]),
        ),
      );
    } else if (!out.note) {
      blocks.push(ui.c.dim('no Certificates'));
    }
    if (out.failing.length) {
      blocks.push(
        'Failing issuance:\n' +
          ui.table(
            ['KIND', 'NAMESPACE', 'NAME', 'CERTIFICATE', 'STATE', 'REASON'],
            out.failing.map((f) => [f.kind, f.namespace, f.name, f.certificate ?? '', f.state, f.reason]),
          ),
      );
    }
    if (out.findings.length) blocks.push(ui.findings(out.findings));
    if (out.truncated) blocks.push(cutNotes(out, ui));
    return blocks.join('\n\n');
  },
});
