import op from '../ops/k8s/k8s-get.js';
import { commandFor } from '../adapters/cli/op-command.js';

export default commandFor(op, {
  examples: [
    '<%= config.bin %> get pods -n media',
    '<%= config.bin %> get deploy -A -o wide',
    '<%= config.bin %> get hr -n jellyfin',
    '<%= config.bin %> get helmreleases.helm.toolkit.fluxcd.io jellyfin -n jellyfin -o yaml',
    '<%= config.bin %> get pods -l app.kubernetes.io/name=jellyfin -A',
    '# Secrets: names, type and number of keys only\n<%= config.bin %> get secrets -n paperless',
  ],
  render(out, ui) {
    const blocks: string[] = [];
    if (!out.rows?.length) {
      // kubectl's words for an empty list.
      blocks.push(out.shown === 0 ? (out.namespace ? `No resources found in ${out.namespace} namespace.` : 'No resources found') : '');
    } else {
      // NAMESPACE when the rows come from several, as kubectl get -A prints it; an empty cell stays empty, as there.
      const withNamespace = out.namespaced && !out.namespace;
      blocks.push(
        ui.table(
          [...(withNamespace ? ['NAMESPACE'] : []), ...(out.columns ?? [])],
          out.rows.map((row) => [...(withNamespace ? [row.namespace ?? ''] : []), ...row.cells.map((cell) => (cell === null ? '' : String(cell)))]),
        ),
      );
    }
    const notes = out.notes.map((note) => ui.c.dim(`# ${note}`));
    if (out.next) notes.push(ui.c.yellow(`# ${out.total !== undefined ? `${out.shown} of ${out.total} shown` : 'more follow'}; the next: ${out.next.command}`));
    if (notes.length) blocks.push(notes.join('\n'));
    return blocks.filter(Boolean).join('\n\n');
  },
});
