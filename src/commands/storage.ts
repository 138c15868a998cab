import op from '../ops/storage/storage-status.js';
import { commandFor } from '../adapters/cli/op-command.js';
import { formatBytes } from '../ops/shared/format.js';

/** A terminal has room for more than an assistant's answer: the CLI's default limit. */
const CLI_LIMIT = 20;

export default commandFor(op, {
  adjustInput(input, given) {
    if (!given.has('limit')) input.limit = CLI_LIMIT;
  },
  examples: [
    '<%= config.bin %> storage',
    '<%= config.bin %> storage -n immich',
    '# volumes over 80% are a warning, over 90% critical (needs storage.kubeletStats: true)\n<%= config.bin %> storage --warn-percent 80 --crit-percent 90',
  ],
  render(out, ui) {
    const blocks: string[] = [ui.verdict(out.verdict, out.summary)];
    if (out.claims.length) {
      blocks.push(
        ui.table(
          ['NAMESPACE', 'NAME', 'STATUS', 'CAPACITY', 'USED', 'ACCESS', 'STORAGECLASS', 'PODS', 'WHY'],
          out.claims.map((c) => [
            c.namespace,
            c.name,
            c.phase === 'Bound' ? c.phase : ui.c.yellow(c.phase),
            c.capacity ?? '',
            c.use ? `${c.use.percent}% (${formatBytes(c.use.usedBytes)})` : '-',
            c.accessModes,
            c.storageClass ?? '<none>',
            c.pods.join(',') || '-',
            c.why ?? '',
          ]),
        ),
      );
    }
    if (out.volumes.length) {
      blocks.push(
        'Volumes not bound:\n' +
          ui.table(
            ['NAME', 'STATUS', 'CLAIM', 'CAPACITY'],
            out.volumes.map((v) => [v.name, v.phase, v.claim ?? '', v.capacity ?? '']),
          ),
      );
    }
    const notes = [out.narrow, out.volumeUse.note].filter((n): n is string => Boolean(n)).map((n) => ui.c.dim(`# ${n}`));
    if (notes.length) blocks.push(notes.join('\n'));
    if (out.findings.length) blocks.push(ui.findings(out.findings));
    return blocks.join('\n\n');
  },
});
