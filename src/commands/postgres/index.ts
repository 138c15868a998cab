import op from '../../ops/postgres/postgres-status.js';
import { commandFor } from '../../adapters/cli/op-command.js';

export default commandFor(op, {
  examples: ['<%= config.bin %> postgres', '<%= config.bin %> postgres --json'],
  render(out, ui) {
    const blocks = [ui.verdict(out.verdict, out.summary)];
    if (out.reachable === false) return blocks.join('\n');
    const c = out.connections;
    blocks.push(
      `${ui.c.bold('PostgreSQL')} ${out.version ?? ''} ${out.role ?? ''}  ${ui.c.dim(out.via ?? '')}${c ? `\nconnections: ${c.total} of ${c.max} (${c.active} active, ${c.idleInTransaction} idle in a transaction)` : ''}`,
    );
    if (out.databases?.length)
      blocks.push(
        ui.table(
          ['DATABASE', 'SIZE', 'CONNECTIONS'],
          out.databases.map((d) => [d.name, d.size ?? ui.c.dim('no access'), d.connections ?? '']),
        ),
      );
    if (out.replicas?.length)
      blocks.push(
        ui.table(
          ['STANDBY', 'CLIENT', 'STATE', 'SYNC', 'LAG'],
          out.replicas.map((r) => [r.name, r.client ?? '', r.state, r.sync ?? '', r.lagBytes !== undefined ? `${r.lagBytes} B` : '']),
        ),
      );
    if (out.receiver)
      blocks.push(
        `streaming from ${out.receiver.sender ?? '?'}: ${out.receiver.status}${out.receiver.replayDelaySeconds !== undefined ? `, replay ${Math.round(out.receiver.replayDelaySeconds)}s behind` : ''}`,
      );
    if (out.longRunning?.length)
      blocks.push(
        ui.table(
          ['PID', 'USER', 'DATABASE', 'STATE', 'SECONDS', 'QUERY'],
          out.longRunning.map((l) => [l.pid, l.user ?? '', l.database ?? '', l.state, l.seconds, l.query ?? '']),
        ),
      );
    const findings = ui.findings(out.findings);
    if (findings) blocks.push(findings);
    return blocks.join('\n\n');
  },
});
