import op from '../ops/doctor/doctor.js';
import { commandFor } from '../adapters/cli/op-command.js';

/** A terminal has room for more findings than an assistant's answer: the CLI's default limit. */
const CLI_LIMIT = 20;

export default commandFor(op, {
  watch: true,
  adjustInput(input, given) {
    if (!given.has('limit')) input.limit = CLI_LIMIT;
  },
  examples: [
    '<%= config.bin %> doctor',
    { description: 'In cron: exit 0 ok, 1 warn, 2 crit', command: '<%= config.bin %> doctor --json > /var/log/homelab-doctor.json || notify-me' },
    { description: 'Only some subsystems, and every finding they have', command: '<%= config.bin %> doctor --only dns,media,nas --limit 200' },
  ],
  render(out, ui) {
    const blocks: string[] = [ui.verdict(out.verdict, out.summary)];
    // Not installed and not configured are no problem: dimmed, like health's subsystems.
    blocks.push(
      out.subsystems
        .map((s) =>
          (s.state === 'not installed' || s.state === 'not configured') && s.verdict === 'ok'
            ? ui.c.dim(`--   ${s.name}: ${s.line}`)
            : ui.verdict(s.verdict, `${s.name}: ${s.line}`),
        )
        .join('\n'),
    );
    if (out.findings.length) blocks.push(ui.findings(out.findings));
    if (out.truncated)
      blocks.push(ui.c.dim(`${out.findings.length} of ${out.findingsTotal} findings shown, worst first${out.narrow ? `; more: ${out.narrow.command}` : ''}`));
    return blocks.join('\n\n');
  },
});
