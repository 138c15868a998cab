/**
 * Opening PostgreSQL the way the config says (over the network, or psql in the database pod) and
 * running the reads of the postgres ops through it; the bounds they share come from the config.
 */
import { UserError } from '../../core/errors.js';
import type { OpContext } from '../../core/op.js';
import type { PgRows, PgStatement, PostgresPort } from '../../core/ports/postgres.js';
import { parseDuration } from '../../core/schemas.js';
import { execRbac } from '../shared/exec.js';
import { PsqlInPod, findDatabasePod } from './psql.js';
import type { CheckedSql } from './sql.js';

/** What the postgres ops need from Kubernetes: only to exec psql in the database pod, when that is the way in. */
export const POSTGRES_RBAC = execRbac('postgres');

export const NOT_CONFIGURED_HINT =
  'add services.postgres to the config file: url (postgres://USER@HOST:5432/DB) and password: {env: NAME}, or exec: {namespace, labelSelector, container} to run psql in the database pod';

export { pgNameSchema } from '../../core/config.js';

/** The configured way in; UserError with how to configure it when there is none. */
export async function openPostgres(ctx: OpContext): Promise<PostgresPort> {
  const config = ctx.config.services.postgres;
  if (!config) throw new UserError('PostgreSQL is not configured', { hint: NOT_CONFIGURED_HINT });
  if (config.exec) return new PsqlInPod(ctx, await findDatabasePod(ctx, config.exec), config.exec);
  const port = await ctx.services.postgres();
  if (!port) throw new UserError('PostgreSQL is not configured', { hint: NOT_CONFIGURED_HINT });
  return port;
}

/** The session bounds from the config: the statement timeout, the whole call a little longer. */
export function sessionBounds(ctx: OpContext, maxBytes?: number, database?: string) {
  const config = ctx.config.services.postgres;
  const statementTimeoutMs = (parseDuration(config?.statementTimeout ?? '10s') ?? 10) * 1000;
  return {
    statementTimeoutMs,
    timeoutMs: statementTimeoutMs + (config?.connectTimeoutMs ?? 10_000) + 5000,
    maxBytes: maxBytes ?? config?.maxBytes ?? 256 * 1024,
    database,
  };
}

/** The cursor a query's rows are fetched from: only as many as asked, however many there are. */
const CURSOR = 'homelab_query';

/**
 * A checked statement as the session runs it: inside a READ ONLY transaction; rows through a cursor
 * (FETCH of one more than `maxRows`, so a cut is known without reading the rest); the statement
 * itself with the extended protocol, where the server refuses a second one.
 */
export function readOnlyStatements(checked: CheckedSql, maxRows: number): PgStatement[] {
  const body: PgStatement[] =
    checked.kind === 'rows'
      ? [
          { sql: `DECLARE ${CURSOR} NO SCROLL CURSOR FOR ${checked.text}`, single: true },
          { sql: `FETCH FORWARD ${maxRows + 1} FROM ${CURSOR}`, rows: true },
        ]
      : [{ sql: checked.text, single: true, rows: true }];
  return [{ sql: 'BEGIN READ ONLY' }, ...body, { sql: 'ROLLBACK' }];
}

/** Catalog queries by name, each in its own read-only session (run at once), their rows by the same names. */
export async function readAll<K extends string>(
  port: PostgresPort,
  queries: Record<K, string>,
  bounds: ReturnType<typeof sessionBounds>,
): Promise<Record<K, PgRows>> {
  const names = Object.keys(queries) as K[];
  const results = await Promise.all(names.map((name) => port.run([{ sql: queries[name], rows: true }], bounds)));
  return Object.fromEntries(names.map((name, i) => [name, results[i] as PgRows])) as Record<K, PgRows>;
}

/** The rows as objects keyed by column name. */
export function records(result: PgRows): Array<Record<string, string | null>> {
  return result.rows.map((row) => Object.fromEntries(result.columns.map((c, i) => [c, row[i] ?? null])));
}

export const num = (v: string | null | undefined): number | undefined => (v === null || v === undefined || v === '' ? undefined : Number(v));
export const bool = (v: string | null | undefined): boolean => v === 't' || v === 'true' || v === 'on';
