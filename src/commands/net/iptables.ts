import op from '../../ops/net/net-iptables.js';
import { commandFor } from '../../adapters/cli/op-command.js';
import { cutNotes, everyRowUnlessLimited } from '../../adapters/cli/lists.js';

export default commandFor(op, {
  adjustInput: everyRowUnlessLimited(op),
  examples: [
    '<%= config.bin %> net iptables pi-k3s --table nat',
    '<%= config.bin %> net iptables pi-k3s --table nat --chain KUBE-SERVICES',
    '<%= config.bin %> net iptables pi5-worker-1 --ipv6 --json',
  ],
  render(out, ui) {
    const blocks = [out.summary];
    for (const table of out.tables) {
      for (const chain of table.chains) {
        const head = `${ui.c.bold(`${table.name}/${chain.name}`)} ${chain.builtin ? `policy ${chain.policy ?? '?'} [${chain.packets} packets, ${chain.bytes} bytes]` : '(user chain)'}`;
        blocks.push(
          chain.rules.length
            ? `${head}\n${ui.table(
                ['#', 'TARGET', 'RULE'],
                chain.rules.map((r) => [r.number, r.target ?? '-', r.text]),
              )}`
            : `${head}\n  (empty)`,
        );
      }
    }
    if (out.truncated) blocks.push(cutNotes(out, ui));
    return blocks.join('\n\n');
  },
});
