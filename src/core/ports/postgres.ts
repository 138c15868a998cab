/**
 * What ops need from PostgreSQL: a fresh session that runs a few statements and gives back the rows
 * of the one marked. Two ways in: over the network with `pg` (src/adapters/postgres.ts), or psql in the
 * database pod through pod exec (src/ops/postgres/psql.ts). Both open the session read-only
 * (default_transaction_read_only=on and statement_timeout are set when it connects, before any
 * statement) and end it after the last statement, so nothing a statement starts outlives the call.
 * Values come back as PostgreSQL's text: the same shape whichever way they came.
 */

export interface PgStatement {
  sql: string;
  /** Its rows are returned (at most one statement of a session is marked). */
  rows?: boolean;
  /** Sent with the extended protocol, where the server refuses more than one statement in it. */
  single?: boolean;
}

export interface PgRows {
  columns: string[];
  rows: Array<Array<string | null>>;
  /** Bytes of the values returned. */
  bytes: number;
  /** The rows were cut at the byte cap. */
  cutAtBytes: boolean;
}

export interface PgSessionOptions {
  /** statement_timeout, set for the whole session at connect. */
  statementTimeoutMs: number;
  /** How long the whole session may take (connect included). */
  timeoutMs: number;
  /** Values beyond this many bytes are not returned. */
  maxBytes: number;
  /** Another database than the configured one (the same server and user). */
  database?: string;
}

export interface PostgresPort {
  /** Where (postgres://user@host:port/db, or psql in NAMESPACE/POD), for messages. */
  readonly target: string;
  /**
   * Runs the statements in order in one new read-only session; an error in any stops there. The
   * rows of the marked statement (none: no columns, no rows).
   */
  run(statements: PgStatement[], options: PgSessionOptions): Promise<PgRows>;
}

/** The rows whose values fit in `budget` bytes (each value's UTF-8 length; NULL counts 0): both ways in cut the same. */
export function keepWithinBytes(rows: Array<Array<string | null>>, budget: number): Omit<PgRows, 'columns'> {
  const kept: Array<Array<string | null>> = [];
  let bytes = 0;
  for (const row of rows) {
    const size = row.reduce((n, v) => n + (v === null ? 0 : Buffer.byteLength(v)), 0);
    if (bytes + size > budget) return { rows: kept, bytes, cutAtBytes: true };
    bytes += size;
    kept.push(row);
  }
  return { rows: kept, bytes, cutAtBytes: false };
}
