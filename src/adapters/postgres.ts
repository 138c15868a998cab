/**
 * PostgreSQL over the network, with `pg` (node-postgres, pure JavaScript; loaded on first use).
 *
 * Each call opens a new connection whose session is read-only before any statement runs: the
 * startup packet carries `options=-c default_transaction_read_only=on` and `statement_timeout`, so
 * the server applies both as it accepts the login. Statements marked `single` use the extended
 * protocol, where the server itself refuses a second statement ("cannot insert multiple commands
 * into a prepared statement"). Every value comes back as PostgreSQL's text (no type parsing), rows
 * as arrays; values beyond the byte cap are not kept. The connection always ends after the last
 * statement (or at the first error, the timeout or the op's signal), which ends any transaction.
 * The password comes from its secret reference and goes nowhere but the connection.
 */
import { readFileSync } from 'node:fs';
import type { ClientConfig, QueryArrayConfig, QueryArrayResult } from 'pg';
import { resolveSecret, type Config } from '../core/config.js';
import { Forbidden, NotFound, PolicyDenied, Timeout, Upstream, UserError } from '../core/errors.js';
import { keepWithinBytes, type PgRows, type PgSessionOptions, type PgStatement, type PostgresPort } from '../core/ports/postgres.js';
import type { ServiceDeps } from './services.js';

type PostgresConfig = NonNullable<Config['services']['postgres']>;

interface Connection {
  connectionString: string;
  password?: string;
  ca?: Buffer;
  connectTimeoutMs: number;
  /** postgres://user@host:port/db: where, without secrets. */
  where: string;
}

export async function createPostgresClient(config: PostgresConfig, deps: ServiceDeps): Promise<PostgresClient | undefined> {
  if (!config.url) return undefined;
  const password = config.password ? await resolveSecret(config.password, deps.env) : undefined;
  let ca: Buffer | undefined;
  try {
    ca = config.caFile ? readFileSync(config.caFile) : undefined;
  } catch (err) {
    throw new UserError(`cannot read the CA file ${config.caFile} for PostgreSQL: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  const url = new URL(config.url);
  const where = `postgres://${url.username}@${url.host}${url.pathname}`;
  return new PostgresClient({ connectionString: config.url, password, ca, connectTimeoutMs: config.connectTimeoutMs, where });
}

/** The SQLSTATE classes that mean "you may not" rather than "it broke". */
const REFUSED = /^(28|42501)/;

export class PostgresClient implements PostgresPort {
  constructor(
    private readonly connection: Connection,
    private readonly signal?: AbortSignal,
  ) {}

  withSignal(signal: AbortSignal): PostgresPort {
    return new PostgresClient(this.connection, signal);
  }

  get target(): string {
    return this.connection.where;
  }

  async run(statements: PgStatement[], options: PgSessionOptions): Promise<PgRows> {
    const { default: pg } = await import('pg');
    const { connectionString, password, ca, connectTimeoutMs } = this.connection;
    const config: ClientConfig = {
      // Parsed here, not handed to pg as a connection string: pg lets the string's (absent) password override ours.
      ...connectionFields(connectionString, ca),
      ...(options.database ? { database: options.database } : {}),
      ...(password !== undefined ? { password } : {}),
      connectionTimeoutMillis: Math.min(connectTimeoutMs, options.timeoutMs),
      statement_timeout: options.statementTimeoutMs,
      idle_in_transaction_session_timeout: options.timeoutMs,
      options: '-c default_transaction_read_only=on',
      application_name: 'homelab',
      // Text as PostgreSQL prints it: one shape for every type, and the same as psql's.
      types: { getTypeParser: () => (value: string) => value },
    };
    const client = new pg.Client(config);
    client.on('error', () => undefined); // a connection dropped mid-way rejects the query in flight; nothing else to do
    let stop: (reason: Error) => void = () => undefined;
    const stopped = new Promise<never>((_, reject) => {
      stop = reject;
    });
    stopped.catch(() => undefined);
    const end = (reason: Error) => {
      stop(reason);
      void client.end().catch(() => undefined);
    };
    const timer = setTimeout(() => end(new Timeout(`PostgreSQL at ${this.target} did not finish within ${options.timeoutMs / 1000}s`)), options.timeoutMs);
    const onAbort = () => end(this.signal?.reason instanceof Error ? this.signal.reason : new Timeout('cancelled'));
    this.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      if (this.signal?.aborted) onAbort();
      await Promise.race([client.connect(), stopped]);
      let rows: PgRows = { columns: [], rows: [], bytes: 0, cutAtBytes: false };
      for (const statement of statements) {
        const query: QueryArrayConfig & { queryMode?: 'extended' } = {
          text: statement.sql,
          rowMode: 'array',
          ...(statement.single ? { queryMode: 'extended' } : {}),
        };
        const result: QueryArrayResult<Array<string | null>> = await Promise.race([client.query(query), stopped]);
        if (statement.rows) rows = { columns: result.fields.map((f) => f.name), ...keepWithinBytes(result.rows, options.maxBytes) };
      }
      return rows;
    } catch (err) {
      throw this.error(err);
    } finally {
      clearTimeout(timer);
      this.signal?.removeEventListener('abort', onAbort);
      await client.end().catch(() => undefined);
    }
  }

  /** A driver or server error in one line that names the server; SQLSTATE and the server's own words kept. */
  private error(err: unknown): Error {
    if (err instanceof Timeout || err instanceof Upstream || err instanceof UserError) return err;
    const e = err as Error & { code?: string; severity?: string };
    const at = `PostgreSQL at ${this.target}`;
    if (e.code === 'ECONNREFUSED')
      return new Upstream(`${at} is unreachable: connection refused`, { hint: 'is it running, and is services.postgres.url right?' });
    if (e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN') return new Upstream(`${at} is unreachable: cannot resolve its host name`);
    if (e.code === 'ETIMEDOUT' || /timeout expired|Connection terminated due to connection timeout/i.test(e.message))
      return new Timeout(`${at} did not answer in time`);
    if (e.code === '57014') return new Timeout(`${at} stopped the statement: it ran longer than the statement timeout (${e.message})`);
    // 25006: a write in a read-only transaction; 25001 with "read-write": an attempt to leave it mid-way.
    if (e.code === '25006' || (e.code === '25001' && /read-write/.test(e.message)))
      return new PolicyDenied(`${at} refused it: ${e.message} (the session is read-only)`);
    if (e.code === '3D000') return new NotFound(`${at}: ${e.message}`);
    if (e.code && REFUSED.test(e.code))
      return new Forbidden(`${at} refused: ${e.message} (SQLSTATE ${e.code})`, {
        hint: "check services.postgres.url's user and the password it points at, and what that role may read",
      });
    if (e.code && /^[0-9A-Z]{5}$/.test(e.code)) return new UserError(`${at}: ${e.message} (SQLSTATE ${e.code})`);
    return new Upstream(`${at}: ${e.message}`);
  }
}

/**
 * Host, port, user, database and TLS from postgres://USER@HOST:PORT/DB?sslmode=…, as libpq reads
 * them: sslmode disable (or none, without a caFile) is plain; require encrypts without checking the
 * certificate; verify-ca and verify-full (or a caFile) check it, verify-full its name too.
 */
export function connectionFields(connectionString: string, ca: Buffer | undefined): Pick<ClientConfig, 'host' | 'port' | 'user' | 'database' | 'ssl'> {
  const url = new URL(connectionString);
  const user = decodeURIComponent(url.username);
  const mode = url.searchParams.get('sslmode') ?? (ca ? 'verify-full' : 'disable');
  const ssl =
    mode === 'disable' || mode === 'allow' || mode === 'prefer'
      ? false
      : mode === 'require'
        ? { rejectUnauthorized: false }
        : { rejectUnauthorized: true, ...(ca ? { ca } : {}), ...(mode === 'verify-ca' ? { checkServerIdentity: () => undefined } : {}) };
  return {
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: Number(url.port) || 5432,
    user,
    database: decodeURIComponent(url.pathname.replace(/^\//, '')) || user,
    ssl,
  };
}
