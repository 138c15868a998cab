import op from '../../ops/postgres/postgres-query.js';
import { commandFor } from '../../adapters/cli/op-command.js';

export default commandFor(op, {
  examples: [
    `<%= config.bin %> postgres query "SELECT username, last_login FROM authentik_core_user ORDER BY last_login DESC LIMIT 10"`,
    {
      description: 'Another database of the same server, as JSON',
      command: '<%= config.bin %> postgres query "SELECT count(*) FROM assets" --database immich --json',
    },
  ],
  render(out, ui) {
    const table = out.columns.length
      ? ui.table(
          out.columns,
          out.rows.map((r) => r.map((v) => (v === null ? ui.c.dim('NULL') : v))),
        )
      : ui.c.dim('(no columns)');
    const foot = `${out.rowCount} ${out.rowCount === 1 ? 'row' : 'rows'}${out.truncated ? ui.c.yellow(` — ${out.narrow ?? 'cut'}`) : ''}`;
    return `${table}\n${foot}`;
  },
});
