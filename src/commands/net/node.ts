import op from '../../ops/net/net-node.js';
import { commandFor } from '../../adapters/cli/op-command.js';
import { cutNotes, everyRowUnlessLimited } from '../../adapters/cli/lists.js';

export default commandFor(op, {
  adjustInput: everyRowUnlessLimited(op),
  examples: ['<%= config.bin %> net node pi5-worker-1', '<%= config.bin %> net node pi-k3s --json'],
  render(out, ui) {
    const blocks = [ui.verdict(out.verdict, out.summary)];
    blocks.push(
      ui.table(
        ['LINK', 'STATE', 'MTU', 'TYPE', 'MAC', 'ADDRESSES'],
        out.links.map((l) => [
          l.master ? `${l.name} (in ${l.master})` : l.name,
          l.up ? ui.c.green(l.state) : l.addresses.length ? ui.c.yellow(l.state) : l.state,
          l.mtu,
          l.type,
          l.mac,
          l.addresses.map((a) => a.cidr).join(' ') || '-',
        ]),
      ),
    );
    if (out.routes.length) {
      blocks.push(
        ui.table(
          ['ROUTE', 'VIA', 'DEV', 'PROTO', 'SRC', 'METRIC'],
          out.routes.map((r) => [
            r.type && r.type !== 'unicast' ? `${r.type} ${r.dst}` : r.dst,
            r.gateway ?? '-',
            r.dev ?? '-',
            r.protocol ?? '-',
            r.prefsrc ?? '-',
            r.metric,
          ]),
        ),
      );
    }
    if (out.rules.length) {
      blocks.push(
        ui.table(
          ['PRIO', 'RULE', 'LOOKUP'],
          out.rules.map((r) => [r.priority, r.selector, r.action ?? r.table ?? '-']),
        ),
      );
    }
    if (out.findings.length) blocks.push(ui.findings(out.findings));
    if (out.truncated) blocks.push(cutNotes(out, ui));
    return blocks.join('\n\n');
  },
});
