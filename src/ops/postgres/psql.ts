/**
 * PostgreSQL through psql in the database pod (pod exec), for a server homelab has no network
 * path to. The same contract as the network client (core/ports/postgres.ts): psql connects over
 * the pod's local socket with the session made read-only in the connection string itself
 * (options='-c default_transaction_read_only=on -c statement_timeout=N'), each statement is one
 * -c (no shell, an argument vector), ON_ERROR_STOP ends at the first error, and -q keeps the other
 * statements silent, so stdout is the marked statement's rows as CSV (NULL printed as a random
 * marker, to tell it from an empty string), parsed here. psql exits when its last -c is done,
 * which ends the session.
 */
import { randomBytes } from 'node:crypto';
import { NotFound, PolicyDenied, Timeout, Upstream, UserError } from '../../core/errors.js';
import type { Config } from '../../core/config.js';
import type { OpContext } from '../../core/op.js';
import { keepWithinBytes, type PgRows, type PgSessionOptions, type PgStatement, type PostgresPort } from '../../core/ports/postgres.js';
import { runIn, type ExecTarget } from '../shared/exec.js';
import { listAll } from '../../core/ports/kube.js';

type ExecConfig = NonNullable<NonNullable<Config['services']['postgres']>['exec']>;

/** A conninfo value in single quotes, as libpq reads it. */
const conninfoValue = (value: string) => `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/** The argument vector psql runs with: a read-only session, CSV, NULL as `nullText`. */
export function psqlArgv(config: { user: string; database: string }, statements: PgStatement[], options: PgSessionOptions, nullText: string): string[] {
  const conninfo = [
    `dbname=${conninfoValue(config.database)}`,
    `user=${conninfoValue(config.user)}`,
    'application_name=homelab',
    `options=${conninfoValue(`-c default_transaction_read_only=on -c statement_timeout=${Math.round(options.statementTimeoutMs)}`)}`,
  ].join(' ');
  const argv = ['psql', '-X', '-q', '--csv', '-P', `null=${nullText}`, '-v', 'ON_ERROR_STOP=1', '-d', conninfo];
  for (const s of statements) argv.push('-c', s.sql);
  return argv;
}

/** One CSV document (RFC 4180, as psql --csv prints it) into rows of fields. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i += 2;
        continue;
      }
      if (c === '"') {
        quoted = false;
        i++;
        continue;
      }
      field += c;
      i++;
      continue;
    }
    if (c === '"') {
      quoted = true;
      i++;
      continue;
    }
    if (c === ',') {
      row.push(field);
      field = '';
      i++;
      continue;
    }
    if (c === '\n' || c === '\r') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i += c === '\r' && text[i + 1] === '\n' ? 2 : 1;
      continue;
    }
    field += c;
    i++;
  }
  if (field || row.length) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

/** psql's stdout (the marked statement's CSV: a header line, then the rows) as rows within the byte cap. */
export function parsePsqlOutput(stdout: string, nullText: string, maxBytes: number): PgRows {
  const [header = [], ...data] = parseCsv(stdout);
  const rows = data.map((r) => r.map((v) => (v === nullText ? null : v)));
  return { columns: header, ...keepWithinBytes(rows, maxBytes) };
}

/** psql's error (stderr "ERROR:  …" / "psql: error: …") as the same errors the network client throws. */
function psqlError(stderr: string, exitCode: number, where: string): Error {
  const line =
    stderr
      .split('\n')
      .map((l) => l.trim())
      .find((l) => /^(ERROR|FATAL|psql: error):?/.test(l)) ??
    stderr.trim().split('\n')[0] ??
    `psql exited ${exitCode}`;
  const message = line.replace(/^(ERROR|FATAL):\s+/, '');
  const at = `PostgreSQL (${where})`;
  if (/read-only transaction|read-write mode must be set/.test(message)) return new PolicyDenied(`${at} refused it: ${message} (the session is read-only)`);
  if (/statement timeout/.test(message)) return new Timeout(`${at} stopped the statement: it ran longer than the statement timeout (${message})`);
  if (/does not exist/.test(message) && /database|role/.test(message)) return new NotFound(`${at}: ${message}`);
  if (exitCode === 127 || /executable file not found|no such file/i.test(stderr))
    return new Upstream(`${at}: psql is not in the container`, {
      hint: 'set services.postgres.exec.container to the container that runs PostgreSQL (it has psql)',
    });
  if (/^psql: error/.test(line)) return new Upstream(`${at}: ${message}`);
  return new UserError(`${at}: ${message}`);
}

/** psql in a pod, as a PostgresPort: `target` names the pod. */
export class PsqlInPod implements PostgresPort {
  constructor(
    private readonly ctx: OpContext,
    private readonly pod: ExecTarget,
    private readonly config: ExecConfig,
  ) {}

  get target(): string {
    return `psql in ${this.pod.namespace}/${this.pod.pod}`;
  }

  async run(statements: PgStatement[], options: PgSessionOptions): Promise<PgRows> {
    const nullText = `@@null-${randomBytes(6).toString('hex')}`;
    const argv = psqlArgv({ user: this.config.user, database: options.database ?? this.config.database }, statements, options, nullText);
    // The output holds the rows and CSV quoting: room for the cap and then some, so a cut is noticed.
    const result = await runIn(this.ctx, this.pod, argv, { timeoutMs: options.timeoutMs, maxBytes: options.maxBytes * 2 + 64 * 1024 });
    if (result.exitCode !== 0) throw psqlError(result.stderr, result.exitCode, this.target);
    if (!statements.some((s) => s.rows)) return { columns: [], rows: [], bytes: 0, cutAtBytes: false };
    const rows = parsePsqlOutput(result.stdout, nullText, options.maxBytes);
    return result.truncated.stdout ? { ...rows, cutAtBytes: true } : rows;
  }
}

/** The running database pod the config points at (first Running pod of the label selector). */
export async function findDatabasePod(ctx: OpContext, exec: ExecConfig): Promise<ExecTarget> {
  const pods = await listAll(ctx.kube, { group: '', version: 'v1', resource: 'pods', namespace: exec.namespace }, { labelSelector: exec.labelSelector });
  const running = pods.find((p) => (p.status as { phase?: string } | undefined)?.phase === 'Running');
  if (!running) {
    throw new NotFound(`no running pod in ${exec.namespace} matches ${exec.labelSelector} (services.postgres.exec)`, {
      hint: `kubectl get pods -n ${exec.namespace} -l ${exec.labelSelector} shows what is there`,
    });
  }
  return { namespace: exec.namespace, pod: running.metadata.name, container: exec.container, label: `database pod ${exec.namespace}/${running.metadata.name}` };
}
