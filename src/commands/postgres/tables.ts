import op from '../../ops/postgres/postgres-tables.js';
import { commandFor } from '../../adapters/cli/op-command.js';

export default commandFor(op, {
  examples: ['<%= config.bin %> postgres tables', '<%= config.bin %> postgres tables authentik --schema public --limit 50'],
  render(out, ui) {
    const head = `${out.database}: ${out.total} tables ${ui.c.dim(`(${out.via})`)}`;
    const table = ui.table(
      ['SCHEMA', 'TABLE', 'KIND', 'ROWS (EST.)', 'SIZE', 'DEAD ROWS', 'LAST VACUUM', 'LAST ANALYZE'],
      out.tables.map((t) => [
        t.schema,
        t.name,
        t.kind,
        t.rowsEstimate ?? ui.c.dim('?'),
        t.size,
        t.deadRows ?? '',
        t.lastVacuum ?? ui.c.dim('never'),
        t.lastAnalyze ?? ui.c.dim('never'),
      ]),
    );
    return [head, table, out.narrow ? ui.c.dim(out.narrow) : ''].filter(Boolean).join('\n\n');
  },
});
