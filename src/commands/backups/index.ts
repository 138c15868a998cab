import op from '../../ops/backups/backups-status.js';
import { commandFor } from '../../adapters/cli/op-command.js';
import { cutNotes, everyRowUnlessLimited } from '../../adapters/cli/lists.js';

/** "restic/restic:0.17.3 (restic)" -> "restic": the table names the tool, --json the whole image. */
function foundTool(matched: string): string {
  return /\(([^()]+)\)$/.exec(matched)?.[1] ?? matched;
}

export default commandFor(op, {
  adjustInput: everyRowUnlessLimited(op),
  watch: true,
  examples: ['<%= config.bin %> backups', '<%= config.bin %> backups -n backups --json'],
  render(out, ui) {
    const blocks = [ui.verdict(out.verdict, out.summary)];
    if (out.backups.length) {
      blocks.push(
        ui.table(
          ['NAMESPACE', 'NAME', 'SCHEDULE', 'EVERY', 'LAST SUCCESS', 'LAST JOB', 'STATE', 'FOUND BY'],
          out.backups.map((b) => [
            b.namespace,
            b.name,
            b.schedule,
            b.period ?? '?',
            b.lastSuccessAge ? `${b.lastSuccessAge} ago` : 'never',
            b.lastJob?.name ?? '-',
            b.suspended
              ? ui.c.yellow('Suspended')
              : b.stale
                ? ui.c.red('Stale')
                : b.lastJob?.state === 'Failed'
                  ? ui.c.red(`Failed${b.lastJob.reason ? ` (${b.lastJob.reason})` : ''}`)
                  : b.lastJob?.state === 'Running'
                    ? ui.c.cyan('Running')
                    : ui.c.green('OK'),
            b.matchedBy === 'command' || b.matchedBy === 'image' ? `${b.matchedBy}: ${foundTool(b.matched)}` : b.matchedBy,
          ]),
        ),
      );
    }
    if (out.findings.length) blocks.push(ui.findings(out.findings));
    if (out.truncated) blocks.push(cutNotes(out, ui));
    return blocks.join('\n\n');
  },
});
