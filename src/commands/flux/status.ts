import op from '../../ops/flux/flux-status.js';
import { commandFor } from '../../adapters/cli/op-command.js';
import { cutNotes, everyRowUnlessLimited } from '../../adapters/cli/lists.js';

/** `main@sha1:3f9c1e7a52b0…` is enough to recognise a revision at a glance; --json has it whole. */
function shortRevision(revision: string | undefined): string | undefined {
  return revision?.replace(/(sha1|sha256):([0-9a-f]{12})[0-9a-f]+/, '$1:$2');
}

export default commandFor(op, {
  watch: true,
  adjustInput: everyRowUnlessLimited(op),
  examples: ['<%= config.bin %> flux status', '<%= config.bin %> flux status --kind helmrelease', '<%= config.bin %> flux status -n immich --json'],
  render(out, ui) {
    const blocks = [ui.verdict(out.verdict, out.summary)];
    if (!out.installed) return blocks.join('\n');
    const state = (ready: string, suspended: boolean) =>
      suspended ? ui.c.yellow('Suspended') : ready === 'True' ? ui.c.green('Ready') : ready === 'False' ? ui.c.red('NotReady') : ui.c.yellow('Unknown');
    blocks.push(
      ui.table(
        ['KIND', 'NAMESPACE', 'NAME', 'STATUS', 'REVISION', 'FAILING FOR', 'MESSAGE'],
        out.objects.map((o) => [
          o.kind,
          o.namespace,
          o.name,
          state(o.ready, o.suspended),
          shortRevision(o.revision),
          o.failingFor ?? '',
          o.ready === 'True' ? '' : (o.message ?? ''),
        ]),
      ),
    );
    if (out.findings.length) blocks.push(ui.findings(out.findings));
    const missing = out.apis.filter((a) => !a.version && !a.error).map((a) => a.kind);
    if (missing.length) blocks.push(ui.c.dim(`not served here: ${missing.join(', ')}`));
    if (out.truncated) blocks.push(cutNotes(out, ui));
    return blocks.join('\n\n');
  },
});
