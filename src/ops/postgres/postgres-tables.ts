import { z } from 'zod';
import { defineOp, type Summary } from '../../core/op.js';
import { formatBytes, plural } from '../shared/format.js';
import { POSTGRES_RBAC, num, openPostgres, pgNameSchema, readAll, records, sessionBounds } from './session.js';

const tableSchema = z.object({
  schema: z.string(),
  name: z.string(),
  kind: z.string().describe('table, partitioned table or materialized view'),
  rowsEstimate: z.number().optional().describe("The planner's estimate (pg_class.reltuples); absent when never analyzed"),
  totalBytes: z.number(),
  size: z.string().describe('Table, indexes and TOAST together'),
  deadRows: z.number().optional(),
  lastVacuum: z.string().optional().describe('The later of the last manual and automatic vacuum'),
  lastAnalyze: z.string().optional(),
});

const output = z.object({
  via: z.string(),
  database: z.string(),
  tables: z.array(tableSchema).describe('Largest first'),
  total: z.number().int().describe('Tables matched, before the list was cut'),
  totalBytes: z.number().describe('Size of every matched table together'),
  truncated: z.boolean(),
  narrow: z.string().optional().describe('How to see the rest, when cut'),
});
type Output = z.infer<typeof output>;

const KIND: Record<string, string> = { r: 'table', p: 'partitioned table', m: 'materialized view' };

export default defineOp({
  name: 'postgres_tables',
  title: 'PostgreSQL: tables by size',
  description:
    'Tables and materialized views of one database, largest first: rows, size, dead rows, last vacuum and analyze. Use it to see what fills a database.',
  effect: 'read',
  listedWith: ['postgres'],
  input: z
    .object({
      database: pgNameSchema.optional().describe('Default: the configured one'),
      schema: pgNameSchema.optional(),
      limit: z.number().int().min(1).max(200).default(25).describe('Tables listed'),
    })
    .strict(),
  output,
  rbac: POSTGRES_RBAC,
  timeoutMs: 60_000,
  args: ['database'],
  async run(ctx, input): Promise<Output> {
    const port = await openPostgres(ctx);
    // The schema is a checked name (letters, digits, _ $ -): safe between quotes as a literal.
    const where = `c.relkind IN ('r', 'p', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'${input.schema ? ` AND n.nspname = '${input.schema}'` : ''}`;
    const r = await readAll(
      port,
      {
        tables: `SELECT n.nspname AS schema, c.relname AS name, c.relkind AS kind, c.reltuples::bigint AS rows_estimate,
        pg_total_relation_size(c.oid) AS total_bytes, s.n_dead_tup AS dead_rows,
        greatest(s.last_vacuum, s.last_autovacuum) AS last_vacuum, greatest(s.last_analyze, s.last_autoanalyze) AS last_analyze
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace LEFT JOIN pg_stat_all_tables s ON s.relid = c.oid
        WHERE ${where} ORDER BY pg_total_relation_size(c.oid) DESC, n.nspname, c.relname LIMIT ${input.limit}`,
        totals: `SELECT count(*) AS total, coalesce(sum(pg_total_relation_size(c.oid)), 0) AS bytes FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE ${where}`,
        database: 'SELECT current_database() AS name',
      },
      sessionBounds(ctx, undefined, input.database),
    );
    const totals = records(r.totals)[0] ?? {};
    const total = num(totals.total) ?? 0;
    const tables = records(r.tables).map((t) => {
      const estimate = num(t.rows_estimate);
      return {
        schema: t.schema ?? '',
        name: t.name ?? '',
        kind: KIND[t.kind ?? ''] ?? t.kind ?? '',
        rowsEstimate: estimate !== undefined && estimate >= 0 ? estimate : undefined,
        totalBytes: num(t.total_bytes) ?? 0,
        size: formatBytes(num(t.total_bytes) ?? 0),
        deadRows: num(t.dead_rows),
        lastVacuum: t.last_vacuum || undefined,
        lastAnalyze: t.last_analyze || undefined,
      };
    });
    const truncated = total > tables.length;
    return {
      via: port.target,
      database: records(r.database)[0]?.name ?? input.database ?? '',
      tables,
      total,
      totalBytes: num(totals.bytes) ?? 0,
      truncated,
      narrow: truncated ? `${total - tables.length} smaller tables not listed: raise limit (up to 200) or narrow with schema` : undefined,
    };
  },
  summarize: (out): Summary => ({
    verdict: 'ok',
    line: `${out.database}: ${plural(out.total, 'table')}, ${formatBytes(out.totalBytes)}${out.truncated ? ` (the ${out.tables.length} largest shown)` : ''}`,
  }),
});
