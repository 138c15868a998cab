import op from '../ops/k8s/k8s-describe.js';
import { commandFor } from '../adapters/cli/op-command.js';
import { stringify } from 'yaml';

export default commandFor(op, {
  examples: [
    '<%= config.bin %> describe pod paperless-ngx-6d9c7f8b4-x2k9q -n paperless',
    '<%= config.bin %> describe deploy/jellyfin -n jellyfin',
    '<%= config.bin %> describe hr immich -n immich',
    '# without -n it is looked for in every namespace\n<%= config.bin %> describe pvc jellyfin-config',
  ],
  render(out, ui) {
    const lines: string[] = [];
    const width = Math.max(14, ...Object.keys(out.printed).map((column) => column.length + 2));
    const field = (label: string, value: string) => lines.push(`${`${label}:`.padEnd(width)}${value}`);
    field('Name', out.name);
    if (out.namespace) field('Namespace', out.namespace);
    field('Kind', `${out.kind} (${out.resource}, ${out.apiVersion})`);
    if (out.created) field('Created', out.created);
    for (const [column, value] of Object.entries(out.printed)) if (column !== 'Age') field(column, value === null ? '<none>' : String(value));
    const map = (label: string, entries: Record<string, string>) => {
      const pairs = Object.entries(entries).map(([k, v]) => `${k}=${v}`);
      field(label, pairs.length ? (pairs[0] as string) : '<none>');
      for (const pair of pairs.slice(1)) lines.push(`${' '.repeat(width)}${pair}`);
    };
    map('Labels', out.labels);
    map('Annotations', out.annotations);
    if (out.owners.length) {
      field(
        'Owned by',
        out.owners
          .map(
            (o) =>
              `${o.kind} ${o.namespace ? `${o.namespace}/` : ''}${o.name}${o.via === 'label' ? ' (label)' : ''}${o.state === 'found' || o.state === 'not read' ? '' : ` [${o.state}${o.note ? `: ${o.note}` : ''}]`}`,
          )
          .join(' → '),
      );
    }
    const blocks = [lines.join('\n')];
    if (out.conditions.length) {
      blocks.push(
        `Conditions:\n${ui.table(
          ['TYPE', 'STATUS', 'REASON', 'SINCE', 'MESSAGE'],
          out.conditions.map((c) => [c.type, c.status === 'True' ? c.status : ui.c.yellow(c.status), c.reason ?? '', c.since ?? '', c.message ?? '']),
        )}`,
      );
    }
    if (out.object && Object.keys(out.object).length) blocks.push(stringify(out.object).trimEnd());
    const events = out.events.length
      ? ui.table(
          ['TYPE', 'REASON', 'LAST SEEN', 'COUNT', 'FROM', 'MESSAGE'],
          out.events.map((e) => [e.type === 'Warning' ? ui.c.yellow(e.type) : e.type, e.reason, e.lastSeen ?? '', e.count, e.from ?? '', e.message]),
        )
      : '<none>';
    blocks.push(`Events${out.eventsTotal > out.events.length ? ` (newest ${out.events.length} of ${out.eventsTotal})` : ''}:\n${events}`);
    if (out.notes.length) blocks.push(out.notes.map((n) => ui.c.dim(`# ${n}`)).join('\n'));
    return blocks.join('\n\n');
  },
});
