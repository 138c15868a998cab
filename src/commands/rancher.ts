import op from '../ops/rancher/rancher-status.js';
import { commandFor } from '../adapters/cli/op-command.js';

export default commandFor(op, {
  examples: ['<%= config.bin %> rancher', { description: 'One cluster and all its nodes', command: '<%= config.bin %> rancher local --limit 200' }],
  render(out, ui) {
    const blocks = [ui.verdict(out.verdict, out.summary)];
    for (const c of out.clusters ?? []) {
      const state = c.state === 'active' ? ui.c.green(c.state) : ui.c.red(c.state);
      const head = `${ui.c.bold(c.name)} (${c.id})  ${state}  ${[c.provider, c.kubernetesVersion].filter(Boolean).join(' ')}${c.message ? `  ${ui.c.yellow(c.message)}` : ''}`;
      const nodes = c.nodes?.length
        ? ui.table(
            ['NODE', 'STATE', 'ROLES', 'IP', 'KUBELET'],
            c.nodes.map((n) => [n.name, n.state === 'active' ? n.state : ui.c.red(n.state), n.roles.join(','), n.ip ?? '', n.kubelet ?? '']),
          )
        : ui.c.dim('  no nodes listed');
      const more =
        c.nodesTotal !== undefined && c.nodes && c.nodesTotal > c.nodes.length ? ui.c.dim(`\n  ${c.nodesTotal - c.nodes.length} more nodes (--limit)`) : '';
      blocks.push(`${head}\n${nodes}${more}`);
    }
    const findings = ui.findings(out.findings);
    if (findings) blocks.push(findings);
    return blocks.join('\n\n');
  },
});
