import op from '../ops/workloads/workloads-status.js';
import { commandFor } from '../adapters/cli/op-command.js';

/** A terminal has room for more than an assistant's answer: the CLI's default limit. */
const CLI_LIMIT = 20;

export default commandFor(op, {
  adjustInput(input, given) {
    if (!given.has('limit')) input.limit = CLI_LIMIT;
  },
  examples: [
    '<%= config.bin %> workloads',
    '<%= config.bin %> workloads -n media',
    '<%= config.bin %> workloads --json | jq \'.workloads[] | select(.state == "stuck") | .name\'',
  ],
  render(out, ui) {
    const blocks: string[] = [ui.verdict(out.verdict, out.summary)];
    if (out.workloads.length) {
      const paint = (state: string) => (state === 'stuck' || state === 'unavailable' ? ui.c.red(state) : state === 'rolling out' ? state : ui.c.yellow(state));
      blocks.push(
        ui.table(
          ['KIND', 'NAMESPACE', 'NAME', 'STATE', 'READY', 'UP-TO-DATE', 'OLD', 'REASON'],
          out.workloads.map((w) => [w.kind, w.namespace, w.name, paint(w.state), `${w.ready}/${w.desired}`, w.updated, w.oldServing ?? '', w.reason]),
        ),
      );
    }
    if (out.narrow) blocks.push(ui.c.dim(`# ${out.narrow}`));
    // Why each is not fine: its finding, with the command that shows more.
    if (out.findings.length) blocks.push(ui.findings(out.findings));
    return blocks.join('\n\n');
  },
});
