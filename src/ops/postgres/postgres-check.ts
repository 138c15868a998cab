import { z } from 'zod';
import type { Check, ObjectRef } from '../shared/check.js';
import type { Finding } from '../shared/findings.js';
import { formatBytes, plural } from '../shared/format.js';
import { Looked, capFindings, notConfigured, unreachableReport } from '../shared/service.js';
import { POSTGRES_RBAC, bool, num, openPostgres, readAll, records, sessionBounds } from './session.js';

/** A statement running (or a transaction left open) this long is a finding. */
export const LONG_SECONDS = 300;
/** Replication behind by this much is a finding. */
const LAG_BYTES_WARN = 256 * 1024 * 1024;
const LAG_SECONDS_WARN = 120;
const MAX_FINDINGS = 10;

/** The catalog reads of the check, all in one read-only session (PostgreSQL 12 and newer). */
const QUERIES = {
  server: `SELECT current_setting('server_version') AS version, pg_is_in_recovery() AS in_recovery,
    current_setting('max_connections')::int AS max_connections, current_database() AS database, current_user AS "user",
    (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend') AS connections,
    (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' AND state = 'active') AS active,
    (SELECT count(*) FROM pg_stat_activity WHERE state LIKE 'idle in transaction%') AS idle_in_transaction`,
  databases: `SELECT d.datname AS name, CASE WHEN has_database_privilege(d.oid, 'CONNECT') THEN pg_database_size(d.oid) END AS bytes,
    s.numbackends AS connections FROM pg_database d LEFT JOIN pg_stat_database s ON s.datid = d.oid
    WHERE NOT d.datistemplate ORDER BY bytes DESC NULLS LAST, d.datname LIMIT 100`,
  replicas: `SELECT application_name AS name, client_addr::text AS client, state, sync_state,
    EXTRACT(EPOCH FROM replay_lag)::float8 AS replay_lag_seconds,
    CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn) END AS lag_bytes
    FROM pg_stat_replication ORDER BY application_name LIMIT 50`,
  receiver: `SELECT status, sender_host, EXTRACT(EPOCH FROM now() - last_msg_receipt_time)::float8 AS silent_seconds,
    EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp())::float8 AS replay_delay_seconds FROM pg_stat_wal_receiver`,
  long: `SELECT pid, usename AS "user", datname AS database, state, EXTRACT(EPOCH FROM now() - coalesce(xact_start, query_start))::float8 AS seconds,
    left(query, 200) AS query FROM pg_stat_activity
    WHERE backend_type = 'client backend' AND state <> 'idle' AND pid <> pg_backend_pid()
      AND now() - coalesce(xact_start, query_start) > interval '${LONG_SECONDS} seconds'
    ORDER BY seconds DESC LIMIT 50`,
} as const;

export const postgresStatusSchema = z.object({
  configured: z.boolean(),
  via: z.string().optional().describe('postgres://USER@HOST:PORT/DB, or psql in NAMESPACE/POD'),
  reachable: z.boolean().optional(),
  version: z.string().optional(),
  role: z.enum(['primary', 'standby']).optional(),
  database: z.string().optional(),
  user: z.string().optional(),
  connections: z.object({ total: z.number().int(), max: z.number().int(), active: z.number().int(), idleInTransaction: z.number().int() }).optional(),
  databases: z
    .array(z.object({ name: z.string(), bytes: z.number().optional(), size: z.string().optional(), connections: z.number().int().optional() }))
    .optional(),
  replicas: z
    .array(
      z.object({
        name: z.string(),
        client: z.string().optional(),
        state: z.string(),
        sync: z.string().optional(),
        lagBytes: z.number().optional(),
        replayLagSeconds: z.number().optional(),
      }),
    )
    .optional()
    .describe('Standbys streaming from this server'),
  receiver: z
    .object({ status: z.string(), sender: z.string().optional(), silentSeconds: z.number().optional(), replayDelaySeconds: z.number().optional() })
    .optional()
    .describe('On a standby: its stream from the primary'),
  longRunning: z
    .array(
      z.object({
        pid: z.number().int(),
        user: z.string().optional(),
        database: z.string().optional(),
        state: z.string(),
        seconds: z.number(),
        query: z.string().optional(),
      }),
    )
    .optional(),
});
export type PostgresStatus = z.infer<typeof postgresStatusSchema>;

/** PostgreSQL (services.postgres): connections against the limit, replication, long-running statements and open transactions. */
export const postgresCheck: Check<{ limit?: number }, PostgresStatus> = {
  name: 'postgres',
  about: 'PostgreSQL: connections, replication, long-running statements, databases',
  rbac: POSTGRES_RBAC,
  async run(ctx, params) {
    if (!ctx.config.services.postgres) return notConfigured('services.postgres', { configured: false });
    const limit = params.limit ?? 20;
    let port;
    let r;
    try {
      port = await openPostgres(ctx);
      r = await readAll(port, QUERIES, sessionBounds(ctx));
    } catch (err) {
      const via = port?.target ?? (ctx.config.services.postgres.exec ? `psql in ${ctx.config.services.postgres.exec.namespace}` : 'the network');
      return unreachableReport({ kind: 'PostgreSQL', name: via }, err, { configured: true, via, reachable: false });
    }
    const service: ObjectRef = { kind: 'PostgreSQL', name: port.target };
    const findings: Finding[] = [];
    const looked = new Looked();
    looked.add(service);
    const server = records(r.server)[0] ?? {};
    const standby = bool(server.in_recovery);
    const connections = {
      total: num(server.connections) ?? 0,
      max: num(server.max_connections) ?? 0,
      active: num(server.active) ?? 0,
      idleInTransaction: num(server.idle_in_transaction) ?? 0,
    };
    const used = connections.max ? connections.total / connections.max : 0;
    if (used >= 0.8) {
      findings.push({
        severity: used >= 0.95 ? 'crit' : 'warn',
        kind: 'PostgreSQL',
        name: port.target,
        reason: 'ConnectionsHigh',
        message: `${connections.total} of ${connections.max} connections in use (max_connections): new clients will soon be refused`,
      });
    }

    const databases = records(r.databases).map((d) => ({
      name: d.name ?? '',
      bytes: num(d.bytes),
      size: d.bytes ? formatBytes(Number(d.bytes)) : undefined,
      connections: num(d.connections),
    }));
    for (const d of databases) looked.add({ kind: 'PostgresDatabase', name: d.name });

    const replicas = records(r.replicas).map((x) => ({
      name: x.name || x.client || 'standby',
      client: x.client ?? undefined,
      state: x.state ?? 'unknown',
      sync: x.sync_state ?? undefined,
      lagBytes: num(x.lag_bytes),
      replayLagSeconds: num(x.replay_lag_seconds),
    }));
    for (const x of replicas) {
      looked.add({ kind: 'PostgresReplica', name: x.name });
      if (x.state !== 'streaming')
        findings.push({
          severity: 'warn',
          kind: 'PostgresReplica',
          name: x.name,
          reason: 'ReplicaNotStreaming',
          message: `standby ${x.name}${x.client ? ` (${x.client})` : ''} is ${x.state}, not streaming`,
        });
      else if ((x.lagBytes ?? 0) > LAG_BYTES_WARN || (x.replayLagSeconds ?? 0) > LAG_SECONDS_WARN) {
        findings.push({
          severity: 'warn',
          kind: 'PostgresReplica',
          name: x.name,
          reason: 'ReplicationLag',
          message: `standby ${x.name} is behind by ${formatBytes(x.lagBytes ?? 0)}${x.replayLagSeconds !== undefined ? ` (${Math.round(x.replayLagSeconds)}s of replay)` : ''}`,
        });
      }
    }
    const receiverRow = records(r.receiver)[0];
    const receiver = receiverRow
      ? {
          status: receiverRow.status ?? 'unknown',
          sender: receiverRow.sender_host ?? undefined,
          silentSeconds: num(receiverRow.silent_seconds),
          replayDelaySeconds: num(receiverRow.replay_delay_seconds),
        }
      : undefined;
    if (standby && (!receiver || receiver.status !== 'streaming')) {
      findings.push({
        severity: 'crit',
        kind: 'PostgreSQL',
        name: port.target,
        reason: 'ReplicationStopped',
        message: `this standby ${receiver ? `receives nothing (WAL receiver ${receiver.status})` : 'has no WAL receiver: it is not following its primary'}`,
      });
    }

    const long = records(r.long).map((x) => ({
      pid: num(x.pid) ?? 0,
      user: x.user ?? undefined,
      database: x.database ?? undefined,
      state: x.state ?? 'unknown',
      seconds: Math.round(num(x.seconds) ?? 0),
      query: x.query ?? undefined,
    }));
    findings.push(
      ...capFindings(
        long.map((x): Finding => {
          looked.add({ kind: 'PostgresBackend', name: String(x.pid) });
          const idle = x.state.startsWith('idle in transaction');
          return {
            severity: 'warn',
            kind: 'PostgresBackend',
            name: String(x.pid),
            reason: idle ? 'IdleInTransaction' : 'LongRunning',
            message: `${x.user ?? '?'} on ${x.database ?? '?'}: ${idle ? 'a transaction left open' : 'running'} for ${Math.round(x.seconds / 60)} min${x.query ? `: ${x.query.replace(/\s+/g, ' ').slice(0, 100)}` : ''}`,
          };
        }),
        MAX_FINDINGS,
        (n) => ({ kind: 'PostgreSQL', name: port.target, reason: 'MoreLongRunning', message: `and ${plural(n, 'more long-running backend')}` }),
      ),
    );

    return {
      installed: true,
      scope: `PostgreSQL ${server.version ?? '?'} ${standby ? 'standby' : 'primary'} (${plural(databases.length, 'database')}, ${connections.total}/${connections.max} connections)`,
      findings,
      looked: looked.refs,
      lookedTotal: looked.total,
      data: {
        configured: true,
        via: port.target,
        reachable: true,
        version: server.version ?? undefined,
        role: standby ? 'standby' : 'primary',
        database: server.database ?? undefined,
        user: server.user ?? undefined,
        connections,
        databases: databases.slice(0, limit),
        replicas,
        receiver,
        longRunning: long.slice(0, limit),
      },
    };
  },
};
