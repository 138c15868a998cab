import op from '../ops/why/why.js';
import { commandFor } from '../adapters/cli/op-command.js';

export default commandFor(op, {
  examples: [
    '<%= config.bin %> why jellyfin.home.example.net',
    '<%= config.bin %> why https://photos.home.example.net/albums',
    { description: 'An app by its name, or an object by KIND/NAME', command: '<%= config.bin %> why paperless-ngx' },
    '<%= config.bin %> why hr/immich -n immich',
    {
      description: 'In a script: exit 0 nothing broken, 1 warn, 2 crit',
      command: "<%= config.bin %> why svc/jellyfin -n jellyfin --json | jq '.links[.firstBroken]'",
    },
  ],
  render(out, ui) {
    const paint = (state: string, text: string) =>
      state === 'crit'
        ? ui.c.red(text)
        : state === 'warn'
          ? ui.c.yellow(text)
          : state === 'unknown'
            ? ui.c.yellow(text)
            : state === 'skipped'
              ? ui.c.dim(text)
              : ui.c.green(text);
    const label = (l: (typeof out.links)[number]) => `${l.kind} ${l.namespace ? `${l.namespace}/` : ''}${l.name}`;
    const blocks: string[] = [ui.verdict(out.verdict, out.summary)];
    blocks.push(
      ui.table(
        ['', 'STATE', 'LINK', 'DETAIL'],
        // The cause first: a long detail is cut at the table's edge, "because of" must not be.
        out.links.map((l, i) => [
          i === out.firstBroken ? '→' : '',
          paint(l.state, l.state),
          label(l),
          l.explainedBy ? `(because of ${l.explainedBy}) ${l.detail}` : l.detail,
        ]),
      ),
    );
    const first = out.firstBroken === undefined ? undefined : out.links[out.firstBroken];
    if (first?.evidence?.length) blocks.push(`Evidence (${label(first)}):\n${first.evidence.map((e) => `  ${e}`).join('\n')}`);
    const fixes = out.links.filter((l) => l.fix && (l.state === 'crit' || l.state === 'warn'));
    if (fixes.length) blocks.push(`To fix or look closer:\n${fixes.map((l) => `  ${l.fix?.command}  ${ui.c.dim(`# ${label(l)}`)}`).join('\n')}`);
    return blocks.join('\n\n');
  },
});
