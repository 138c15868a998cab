import op from '../ops/ingress/ingress-status.js';
import { commandFor } from '../adapters/cli/op-command.js';
import { cutNotes, everyRowUnlessLimited } from '../adapters/cli/lists.js';

export default commandFor(op, {
  adjustInput: everyRowUnlessLimited(op),
  examples: [
    '<%= config.bin %> ingress',
    '<%= config.bin %> ingress -n jellyfin',
    '<%= config.bin %> ingress --json | jq \'.ingresses[] | select(.state != "ok") | .hosts\'',
  ],
  render(out, ui) {
    const blocks: string[] = [ui.verdict(out.verdict, out.summary)];
    const paint = (state: 'ok' | 'warn' | 'crit', text: string) => (state === 'crit' ? ui.c.red(text) : state === 'warn' ? ui.c.yellow(text) : text);
    const rows = out.ingresses.flatMap((i) =>
      i.paths.map((p, n) => {
        const endpoints =
          p.serviceExists === false
            ? ui.c.red('no service')
            : p.portExists === false
              ? ui.c.red('no port')
              : p.readyEndpoints === undefined
                ? '-'
                : p.readyEndpoints === 0
                  ? ui.c.red(`0/${p.notReadyEndpoints ?? 0}`)
                  : `${p.readyEndpoints}/${p.readyEndpoints + (p.notReadyEndpoints ?? 0)}`;
        const tls =
          n > 0
            ? ''
            : i.tls.length === 0
              ? ui.c.dim('none')
              : i.tls
                  .map((t) => {
                    if (t.checkedBy === 'none') return ui.c.dim(`${t.secretName} (not checked)`);
                    if (t.secretPresent === false) return ui.c.red(`${t.secretName} missing`);
                    if (!t.certificate) return t.secretName;
                    const c = t.certificate;
                    const days = c.daysLeft === undefined ? '' : ` ${Math.floor(c.daysLeft)}d`;
                    return paint(c.state, `${t.secretName} (${c.ready === 'True' ? 'Ready' : `Ready=${c.ready}`}${days})`);
                  })
                  .join(', ');
        return [
          n === 0 ? i.namespace : '',
          n === 0 ? paint(i.state, i.name) : '',
          n === 0 ? (i.className ?? '') : '',
          `${p.host}${p.path === '(default)' ? ' (default)' : p.path}`,
          p.backend,
          endpoints,
          tls,
        ];
      }),
    );
    if (rows.length) blocks.push(ui.table(['NAMESPACE', 'INGRESS', 'CLASS', 'HOST/PATH', 'BACKEND', 'READY', 'TLS'], rows));
    if (out.findings.length) blocks.push(ui.findings(out.findings));
    // One line per reason, naming the Secrets it applies to.
    const notes = new Map<string, Set<string>>();
    for (const i of out.ingresses) for (const t of i.tls) if (t.note) notes.set(t.note, (notes.get(t.note) ?? new Set()).add(`${i.namespace}/${t.secretName}`));
    if (notes.size) blocks.push(ui.c.dim([...notes].map(([note, secrets]) => `${note}: ${[...secrets].join(', ')}`).join('\n')));
    if (out.truncated) blocks.push(cutNotes(out, ui));
    return blocks.join('\n\n');
  },
});
