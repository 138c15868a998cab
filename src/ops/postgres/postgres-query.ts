import { z } from 'zod';
import { defineOp, type Summary } from '../../core/op.js';
import { plural } from '../shared/format.js';
import { POSTGRES_RBAC, openPostgres, pgNameSchema, readOnlyStatements, sessionBounds } from './session.js';
import { checkReadOnlySql } from './sql.js';

const output = z.object({
  via: z.string(),
  database: z.string().optional(),
  columns: z.array(z.string()),
  rows: z.array(z.array(z.string().nullable())).describe('Each value as PostgreSQL prints it as text; null is NULL'),
  rowCount: z.number().int(),
  truncated: z.boolean(),
  narrow: z.string().optional().describe('Why the rows were cut and how to see the rest'),
});
type Output = z.infer<typeof output>;

export default defineOp({
  name: 'postgres_query',
  title: 'PostgreSQL: run one read-only query',
  description:
    'One SELECT, WITH, VALUES, TABLE, SHOW or EXPLAIN on services.postgres in a READ ONLY session; anything else is refused. Returns columns and rows as text.',
  effect: 'read',
  listedWith: ['postgres'],
  input: z
    .object({
      sql: z.string().min(1).max(10_000).describe('One read-only statement'),
      database: pgNameSchema.optional().describe('Default: the configured one'),
      maxRows: z.number().int().min(1).max(5000).default(50).describe('At most services.postgres.maxRows'),
      maxBytes: z
        .number()
        .int()
        .min(256)
        .max(4 * 1024 * 1024)
        .default(4096)
        .describe('At most services.postgres.maxBytes'),
    })
    .strict(),
  output,
  rbac: POSTGRES_RBAC,
  timeoutMs: 90_000,
  args: ['sql'],
  async run(ctx, input): Promise<Output> {
    // Judged before any connection is made: a refused statement never reaches the server.
    const checked = checkReadOnlySql(input.sql);
    const config = ctx.config.services.postgres;
    const maxRows = Math.min(input.maxRows, config?.maxRows ?? input.maxRows);
    const maxBytes = Math.min(input.maxBytes, config?.maxBytes ?? input.maxBytes);
    const port = await openPostgres(ctx);
    const result = await port.run(readOnlyStatements(checked, maxRows), sessionBounds(ctx, maxBytes, input.database));
    const cutAtRows = checked.kind === 'rows' && result.rows.length > maxRows;
    const rows = cutAtRows ? result.rows.slice(0, maxRows) : result.rows;
    const truncated = cutAtRows || result.cutAtBytes;
    const narrow = !truncated
      ? undefined
      : result.cutAtBytes
        ? `cut at ${maxBytes} bytes of values: select fewer or shorter columns, add WHERE/LIMIT, or raise maxBytes (up to ${config?.maxBytes ?? maxBytes})`
        : `cut at ${maxRows} rows: add WHERE/LIMIT, or raise maxRows (up to ${config?.maxRows ?? maxRows})`;
    return { via: port.target, database: input.database, columns: result.columns, rows, rowCount: rows.length, truncated, narrow };
  },
  summarize: (out): Summary => ({ verdict: 'ok', line: `${plural(out.rowCount, 'row')}${out.truncated ? ` (${out.narrow})` : ''}` }),
});
