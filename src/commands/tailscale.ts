import op from '../ops/tailscale/tailscale-status.js';
import { commandFor } from '../adapters/cli/op-command.js';
import { cutNotes, everyRowUnlessLimited } from '../adapters/cli/lists.js';

export default commandFor(op, {
  adjustInput: everyRowUnlessLimited(op),
  examples: ['<%= config.bin %> tailscale', '<%= config.bin %> tailscale --json | jq \'.resources[] | select(.kind == "Connector") | .connector\''],
  render(out, ui) {
    const blocks: string[] = [ui.verdict(out.verdict, out.summary)];
    const ready = (r: string, reason?: string) => (r === 'True' ? ui.c.green(reason ?? 'True') : ui.c.red(`${r}${reason ? ` (${reason})` : ''}`));
    if (out.pods.length) {
      blocks.push(
        `Pods in ${out.namespace}:\n` +
          ui.table(
            ['POD', 'READY', 'STATUS', 'RESTARTS', 'NODE'],
            out.pods.map((p) => [
              p.name,
              p.ready ? p.containers : ui.c.red(p.containers),
              p.ready ? p.phase : ui.c.red(p.reason ?? p.phase),
              p.restarts,
              p.node ?? '',
            ]),
          ),
      );
    } else if (out.installed) {
      blocks.push(ui.c.dim(`no pods in namespace ${out.namespace}`));
    }
    if (!out.installed) return blocks.join('\n\n');
    if (out.resources.length) {
      blocks.push(
        ui.table(
          ['KIND', 'NAME', 'STATUS', 'HOSTNAME', 'ROUTES', 'EXIT NODE', 'TAILNET IPS'],
          out.resources.map((r) => [
            r.kind,
            r.name,
            ready(r.ready, r.reason),
            r.connector?.hostname ?? '',
            r.connector?.subnetRoutes.join(',') ?? '',
            r.connector ? (r.connector.exitNode ? 'yes' : 'no') : '',
            r.connector?.tailnetIPs.join(',') ?? '',
          ]),
        ),
      );
    }
    const missing = out.kinds.filter((k) => !k.served).map((k) => k.kind);
    if (missing.length) blocks.push(ui.c.dim(`not served by this operator version: ${missing.join(', ')}`));
    if (out.findings.length) blocks.push(ui.findings(out.findings));
    if (out.truncated) blocks.push(cutNotes(out, ui));
    return blocks.join('\n\n');
  },
});
