/**
 * postgres_status, postgres_tables and postgres_query against a REAL PostgreSQL (Debian's package,
 * started here on a loopback port as a non-root user), both ways in: over the network with `pg`
 * (the CLI and the MCP server), and psql as the pod-exec path runs it (the op in process, its exec
 * carried out by the real psql on this machine). The role is a superuser on purpose: nothing but
 * homelab's own guards stands between a statement and the data, and the data is unchanged after.
 */
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRuntime } from '../../src/adapters/runtime.js';
import type { ExecResult, KubePort } from '../../src/core/ports/kube.js';
import { bindContext, runOp, type OpResult } from '../../src/core/run-op.js';
import { isHomelabError } from '../../src/core/errors.js';
import postgresQuery from '../../src/ops/postgres/postgres-query.js';
import postgresStatus from '../../src/ops/postgres/postgres-status.js';
import { openPostgres, readOnlyStatements, sessionBounds } from '../../src/ops/postgres/session.js';
import { runCli, runCliProcess } from '../helpers/cli.js';
import { configWith } from '../helpers/config.js';
import { stdioClient } from '../helpers/mcp.js';
import { startPostgres, type RealPostgres } from '../helpers/postgres.js';
import { startSandboxEnv, type SandboxEnv } from '../helpers/sandbox.js';

const PASSWORD = 'homelab-test-password';
const quiet = { progress: () => {}, warn: () => {}, debug: () => {} };
/** A read's output (a read never answers with a plan). */
const outputOf = (result: OpResult) => {
  if (result.kind !== 'done') throw new Error(`expected an answer, got a ${result.kind}`);
  return result.output;
};

interface Query {
  columns: string[];
  rows: Array<Array<string | null>>;
  rowCount: number;
  truncated: boolean;
  narrow?: string;
  via: string;
}

describe('PostgreSQL, a real server', () => {
  let pg: RealPostgres;
  let s: SandboxEnv;
  let env: Record<string, string>;
  const owned = path.join('/tmp', `hl-pg-owned-${process.pid}`);

  const rows = async () => (await pg.psql("SELECT count(*) || ':' || count(*) FILTER (WHERE body = 'bumped') FROM notes", 'authentik')).trim();

  beforeAll(async () => {
    pg = await startPostgres();
    await pg.psql(`CREATE ROLE authentik LOGIN SUPERUSER PASSWORD '${PASSWORD}'`);
    await pg.psql('CREATE DATABASE authentik OWNER authentik');
    await pg.psql(
      `CREATE TABLE notes (id serial PRIMARY KEY, body text NOT NULL);
      INSERT INTO notes (body) SELECT 'note ' || g FROM generate_series(1, 300) g;
      CREATE FUNCTION bump() RETURNS int LANGUAGE plpgsql AS $$ BEGIN INSERT INTO notes (body) VALUES ('bumped'); RETURN 1; END $$;
      ANALYZE notes;`,
      'authentik',
    );
    s = await startSandboxEnv();
    const passwordFile = path.join(s.sandbox.dir, 'pg-password');
    writeFileSync(passwordFile, `${PASSWORD}\n`, { mode: 0o600 });
    s.sandbox.written.push(passwordFile);
    const config = await configWith(s.sandbox, 'postgres-url', {
      services: {
        postgres: { url: `postgres://authentik@${pg.host}:${pg.port}/authentik`, password: { file: passwordFile }, statementTimeout: '1s', maxRows: 200 },
      },
    });
    env = { ...s.env, HOMELAB_CONFIG: config };
  }, 90_000);

  afterAll(async () => {
    await s?.sandbox.stop();
    await pg?.stop();
  });

  it("reads the server: version, role, connections, databases; and one database's tables", async () => {
    const [status, tables] = await Promise.all([runCliProcess(['postgres', '--json'], env), runCli(['postgres', 'tables', '--json'], env)]);
    expect(status.code, status.stderr).toBe(0);
    const out = JSON.parse(status.stdout) as {
      version: string;
      role: string;
      connections: { total: number; max: number };
      databases: Array<{ name: string; bytes?: number }>;
      via: string;
    };
    expect(out.version).toMatch(/^\d+\.\d+/);
    expect(out).toMatchObject({ role: 'primary', via: `postgres://authentik@${pg.host}:${pg.port}/authentik` });
    expect(out.connections.max).toBeGreaterThan(out.connections.total);
    expect(out.databases.map((d) => d.name)).toEqual(expect.arrayContaining(['authentik', 'postgres']));
    expect(tables.code, tables.stderr).toBe(0);
    const t = JSON.parse(tables.stdout) as { database: string; tables: Array<{ name: string; rowsEstimate?: number; totalBytes: number }> };
    expect(t.database).toBe('authentik');
    expect(t.tables).toContainEqual(expect.objectContaining({ name: 'notes', rowsEstimate: 300 }));
  });

  it('answers one read, its rows cut at the row cap and at the byte cap, saying so', async () => {
    const [one, many, bytes] = await Promise.all([
      runCli(['postgres', 'query', "SELECT id, body, NULL AS nothing, '' AS empty FROM notes WHERE id <= 2 ORDER BY id", '--json'], env),
      runCli(['postgres', 'query', 'SELECT * FROM notes ORDER BY id', '--json'], env),
      runCli(['postgres', 'query', 'SELECT body FROM notes ORDER BY id', '--max-rows', '200', '--max-bytes', '300', '--json'], env),
    ]);
    expect(one.code, one.stderr).toBe(0);
    expect(JSON.parse(one.stdout)).toMatchObject({
      columns: ['id', 'body', 'nothing', 'empty'],
      rows: [
        ['1', 'note 1', null, ''],
        ['2', 'note 2', null, ''],
      ],
      rowCount: 2,
      truncated: false,
    });
    const m = JSON.parse(many.stdout) as Query;
    expect(m).toMatchObject({ rowCount: 50, truncated: true });
    expect(m.narrow).toContain('cut at 50 rows');
    const b = JSON.parse(bytes.stdout) as Query;
    expect(b.truncated).toBe(true);
    expect(b.narrow).toContain('cut at 300 bytes');
    expect(b.rows.flat().join('').length).toBeLessThanOrEqual(300);
  });

  it('refuses a DELETE, COPY … TO PROGRAM, a second statement, a SET out of read-only and a function that writes; stops a slow query; the data is as it was', async () => {
    const refused = async (sql: string, code: number, text: RegExp) => {
      const r = await runCli(['postgres', 'query', sql], env);
      expect(r.code, `${sql}: ${r.stderr}`).toBe(code);
      expect(r.stderr, sql).toMatch(text);
      expect(r.stdout, sql).toBe('');
    };
    await refused('DELETE FROM notes', 77, /refused: .*"DELETE"/);
    await refused(`COPY (SELECT 1) TO PROGRAM 'touch ${owned}'`, 77, /refused: .*"COPY"/);
    await refused('SELECT 1; DELETE FROM notes', 77, /more than one statement/);
    await refused('SET default_transaction_read_only = off', 77, /refused: .*"SET"/);
    // The function passes homelab's scan: the server's read-only transaction stops its INSERT.
    await refused('SELECT bump()', 77, /cannot execute INSERT in a read-only transaction/);
    const started = Date.now();
    await refused('SELECT pg_sleep(30)', 75, /statement timeout/);
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(existsSync(owned)).toBe(false);
    expect(await rows()).toBe('300:0');
  });

  it('is read-only below the scan too: the session refuses writes, and the server refuses a second statement', async () => {
    const runtime = await createRuntime({ configFile: env.HOMELAB_CONFIG, env, log: quiet });
    try {
      const ctx = bindContext(runtime.context, new AbortController().signal);
      const port = await openPostgres(ctx);
      const bounds = sessionBounds(ctx, 4096);
      const error = (p: Promise<unknown>) =>
        p.then(
          () => undefined,
          (err: unknown) => (isHomelabError(err) ? `${err.kind}: ${err.message}` : String(err)),
        );
      // No BEGIN READ ONLY here: default_transaction_read_only, set when the session connects, refuses the DELETE.
      expect(await error(port.run([{ sql: 'DELETE FROM notes', rows: true }], bounds))).toMatch(
        /^PolicyDenied: .*cannot execute DELETE in a read-only transaction/,
      );
      // That default is only a default (a SET changes it: the scan refuses SET), so every read runs inside
      // BEGIN READ ONLY, which nothing in the query can leave once it runs: the server refuses both.
      const inTransaction = (sql: string) => error(port.run(readOnlyStatements({ text: sql, kind: 'rows' }, 10), bounds));
      expect(await inTransaction("SELECT set_config('transaction_read_only', 'off', true), bump()")).toMatch(
        /^PolicyDenied: .*transaction read-write mode must be set before any query/,
      );
      expect(await inTransaction("SELECT set_config('default_transaction_read_only', 'off', false), bump()")).toMatch(
        /^PolicyDenied: .*cannot execute INSERT in a read-only transaction/,
      );
      expect(await error(port.run([{ sql: 'SELECT 1; DELETE FROM notes', single: true, rows: true }], bounds))).toMatch(
        /cannot insert multiple commands into a prepared statement/,
      );
    } finally {
      await runtime.close();
    }
    expect(await rows()).toBe('300:0');
  });

  it('never prints the password: not in a read, a refusal, a failed login or the debug log, through either door', async () => {
    const wrongFile = path.join(s.sandbox.dir, 'pg-wrong-password');
    const wrong = 'not-the-homelab-password';
    writeFileSync(wrongFile, `${wrong}\n`, { mode: 0o600 });
    s.sandbox.written.push(wrongFile);
    const wrongConfig = await configWith(s.sandbox, 'postgres-wrong', {
      services: { postgres: { url: `postgres://authentik@${pg.host}:${pg.port}/authentik`, password: { file: wrongFile } } },
    });
    const runs = await Promise.all([
      runCli(['postgres', '--debug'], env),
      runCli(['postgres', 'query', "SELECT current_setting('default_transaction_read_only') AS ro", '--debug', '--json'], env),
      runCli(['postgres', 'query', 'DELETE FROM notes', '--debug'], env),
      runCli(['postgres', 'query', 'SELECT 1', '--debug'], { ...env, HOMELAB_CONFIG: wrongConfig }),
    ]);
    const [status, read, refusal, login] = runs;
    expect(status?.code, status?.stderr).toBe(0);
    expect(JSON.parse(read?.stdout ?? '')).toMatchObject({ rows: [['on']] });
    expect(refusal?.code).toBe(77);
    // The wrong password: the server's refusal, named, with where to look; and neither password in it.
    expect(login?.code).not.toBe(0);
    expect(login?.stderr).toMatch(/password authentication failed for user "authentik"/);
    for (const r of runs) {
      expect(`${r.stdout}${r.stderr}`).not.toContain(PASSWORD);
      expect(`${r.stdout}${r.stderr}`).not.toContain(wrong);
    }
    const mcp = await stdioClient(env);
    try {
      const answers = await Promise.all([
        mcp.client.callTool({ name: 'postgres_status', arguments: {} }),
        mcp.client.callTool({ name: 'postgres_query', arguments: { sql: 'SELECT bump()' } }),
      ]);
      expect(JSON.stringify(answers)).not.toContain(PASSWORD);
    } finally {
      await mcp.close();
    }
  });

  it('over MCP: a read answers, a write is refused with why', async () => {
    const mcp = await stdioClient(env);
    try {
      const ok = (await mcp.client.callTool({ name: 'postgres_query', arguments: { sql: 'SELECT count(*) AS n FROM notes' } })) as {
        isError?: boolean;
        structuredContent?: Query;
      };
      expect(ok.isError).not.toBe(true);
      expect(ok.structuredContent).toMatchObject({ columns: ['n'], rows: [['300']] });
      const no = (await mcp.client.callTool({ name: 'postgres_query', arguments: { sql: 'DELETE FROM notes' } })) as {
        isError?: boolean;
        content: Array<{ text: string }>;
      };
      expect(no.isError).toBe(true);
      expect(no.content[0]?.text).toMatch(/refused: .*"DELETE"/);
    } finally {
      await mcp.close();
    }
    expect(await rows()).toBe('300:0');
  });

  it('the psql-in-the-pod path: the same reads and refusals with the real psql, the session read-only in its connection string', async () => {
    // The sandbox's authentik-postgresql-0 stands for the database pod; its exec runs the argv homelab
    // builds with the real psql here, pointed at the test server's socket (what the pod's own socket is there).
    const config = await configWith(s.sandbox, 'postgres-exec', {
      services: { postgres: { exec: { namespace: 'authentik', user: 'authentik', database: 'authentik' }, statementTimeout: '1s' } },
    });
    const runtime = await createRuntime({ configFile: config, kubeconfig: s.sandbox.kubeconfigPath, env: s.env, log: quiet });
    const argvs: string[][] = [];
    const localExec = (argv: string[], timeoutMs: number): Promise<ExecResult> =>
      new Promise((resolve, reject) => {
        argvs.push(argv);
        const [cmd, ...args] = [...pg.asUser, path.join(pg.binDir, argv[0] as string), ...argv.slice(1)];
        const child = spawn(cmd as string, args, { env: { PATH: process.env.PATH, PGHOST: pg.socketDir, PGPORT: String(pg.port) }, timeout: timeoutMs });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        child.on('error', reject);
        child.on('close', (code) =>
          resolve({ stdout, stderr, exitCode: code ?? 1, truncated: { stdout: false, stderr: false }, protocol: 'v5.channel.k8s.io' }),
        );
      });
    const kube = runtime.context.kube;
    const withLocalExec = (k: KubePort): KubePort =>
      new Proxy(k, {
        get: (target, prop, receiver) => {
          if (prop === 'exec')
            return (_ns: string, _pod: string, _container: string | undefined, argv: string[], options: { timeoutMs: number }) =>
              localExec(argv, options.timeoutMs);
          if (prop === 'withSignal') return (signal: AbortSignal) => withLocalExec(target.withSignal(signal));
          return Reflect.get(target, prop, receiver) as unknown;
        },
      });
    const context = { ...runtime.context, kube: withLocalExec(kube) };
    try {
      const status = outputOf(await runOp(postgresStatus, {}, { context, via: 'test' })) as {
        via: string;
        version: string;
        databases: Array<{ name: string }>;
      };
      expect(status.via).toBe('psql in authentik/authentik-postgresql-0');
      expect(status.databases.map((d) => d.name)).toContain('authentik');
      const query = outputOf(
        await runOp(
          postgresQuery,
          { sql: "SELECT id, NULL AS nothing, '' AS empty, 'a,\"b\"\nc' AS csv FROM notes ORDER BY id LIMIT 2" },
          { context, via: 'test' },
        ),
      ) as unknown as Query;
      expect(query).toMatchObject({
        columns: ['id', 'nothing', 'empty', 'csv'],
        rows: [
          ['1', null, '', 'a,"b"\nc'],
          ['2', null, '', 'a,"b"\nc'],
        ],
        truncated: false,
      });
      const cut = outputOf(await runOp(postgresQuery, { sql: 'SELECT id FROM notes ORDER BY id', maxRows: 10 }, { context, via: 'test' })) as unknown as Query;
      expect(cut).toMatchObject({ rowCount: 10, truncated: true });
      const fails = async (sql: string) =>
        runOp(postgresQuery, { sql }, { context, via: 'test' }).then(
          () => 'answered',
          (err: unknown) => (isHomelabError(err) ? `${err.kind}: ${err.message}` : String(err)),
        );
      expect(await fails('SELECT bump()')).toMatch(/^PolicyDenied: .*cannot execute INSERT in a read-only transaction/);
      expect(await fails('SELECT pg_sleep(30)')).toMatch(/^Timeout: .*statement timeout/);
      expect(await fails('DELETE FROM notes')).toMatch(/^PolicyDenied: refused/);
      // Every psql run had the read-only session in its connection string, and no shell.
      expect(argvs.length).toBeGreaterThan(0);
      for (const argv of argvs) {
        expect(argv[0]).toBe('psql');
        expect(argv.join(' ')).toContain("options='-c default_transaction_read_only=on -c statement_timeout=1000'");
      }
    } finally {
      await runtime.close();
    }
    expect(await rows()).toBe('300:0');
  }, 60_000);
});
