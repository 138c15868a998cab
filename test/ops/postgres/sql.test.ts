import { describe, expect, it } from 'vitest';
import { isHomelabError } from '../../../src/core/errors.js';
import { checkReadOnlySql } from '../../../src/ops/postgres/sql.js';
import { readOnlyStatements } from '../../../src/ops/postgres/session.js';

const refusal = (sql: string) => {
  try {
    checkReadOnlySql(sql);
  } catch (err) {
    if (isHomelabError(err)) return { kind: err.kind, message: err.message };
    throw err;
  }
  return undefined;
};

describe('what postgres_query lets through', () => {
  it('takes one statement that reads, with or without a trailing semicolon and comments', () => {
    expect(checkReadOnlySql('SELECT 1')).toEqual({ text: 'SELECT 1', kind: 'rows' });
    expect(checkReadOnlySql("select * from t where a = ';' ; -- done; really")).toEqual({ text: "select * from t where a = ';'", kind: 'rows' });
    expect(checkReadOnlySql('WITH x AS (SELECT 1) SELECT * FROM x')).toMatchObject({ kind: 'rows' });
    expect(checkReadOnlySql('VALUES (1), (2)')).toMatchObject({ kind: 'rows' });
    expect(checkReadOnlySql('TABLE pg_database')).toMatchObject({ kind: 'rows' });
    expect(checkReadOnlySql('(SELECT 1) UNION (SELECT 2)')).toMatchObject({ kind: 'rows' });
    expect(checkReadOnlySql('SHOW server_version')).toMatchObject({ kind: 'show' });
    expect(checkReadOnlySql('EXPLAIN (ANALYZE, BUFFERS) SELECT 1')).toMatchObject({ kind: 'explain' });
    expect(checkReadOnlySql("SELECT $$a;b$$, E'it\\'s;', \"we;ird\" FROM t /* a; /* nested; */ b; */")).toMatchObject({ kind: 'rows' });
    // CASE … END, FETCH FIRST, columns named like keywords of other statements: all reads.
    expect(checkReadOnlySql('SELECT CASE WHEN a THEN 1 END AS start, comment FROM t FETCH FIRST 3 ROWS ONLY')).toMatchObject({ kind: 'rows' });
  });

  it('refuses a second statement, however it hides', () => {
    for (const sql of ['SELECT 1; SELECT 2', 'SELECT 1;DELETE FROM t', "SELECT ';' ; SET x = 1", 'SELECT 1 /* ; */ ; COMMIT', 'SELECT 1; -- x\nDROP TABLE t']) {
      expect(refusal(sql), sql).toMatchObject({ kind: 'PolicyDenied', message: expect.stringContaining('more than one statement') });
    }
  });

  it('refuses statements that write or change the session, and reads that write', () => {
    for (const sql of [
      'DELETE FROM t',
      'update t set a = 1',
      "COPY (SELECT 1) TO PROGRAM 'touch /tmp/x'",
      'SET default_transaction_read_only = off',
      'SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE',
      'DO $$ BEGIN PERFORM 1; END $$',
      'CALL p()',
      'BEGIN',
      'COMMIT',
      'VACUUM',
      'LOCK TABLE t',
      'CREATE TABLE x (a int)',
      'PREPARE p AS SELECT 1',
      'LISTEN x',
    ]) {
      expect(refusal(sql), sql).toMatchObject({ kind: 'PolicyDenied' });
    }
    for (const sql of [
      'WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d',
      'SELECT * INTO t2 FROM t',
      'SELECT * FROM t FOR UPDATE',
      'EXPLAIN ANALYZE DELETE FROM t',
      'EXPLAIN (ANALYZE) INSERT INTO t VALUES (1)',
    ]) {
      expect(refusal(sql), sql).toMatchObject({ kind: 'PolicyDenied' });
    }
  });

  it('refuses functions that act outside the query, quoted or schema-qualified too', () => {
    for (const sql of [
      'SELECT pg_terminate_backend(42)',
      'select pg_catalog.pg_reload_conf()',
      "SELECT \"set_config\"('x', 'y', false)",
      "SELECT lo_export(1, '/tmp/x')",
      "SELECT query_to_xml('delete from t', true, true, '')",
      "SELECT dblink_exec('dbname=x', 'DELETE FROM t')",
      "SELECT nextval('s')",
      "SELECT pg_read_file('/etc/passwd')",
    ]) {
      expect(refusal(sql), sql).toMatchObject({ kind: 'PolicyDenied', message: expect.stringContaining('acts outside the query') });
    }
  });

  it('says what is wrong with text that is not SQL', () => {
    expect(refusal('')).toMatchObject({ kind: 'UserError', message: 'the query is empty' });
    expect(refusal("SELECT 'open")).toMatchObject({ kind: 'UserError', message: expect.stringContaining('unterminated string') });
    expect(refusal('SELECT $x$ open')).toMatchObject({ kind: 'UserError', message: expect.stringContaining('unterminated dollar-quoted string') });
    expect(refusal('SELECT 1 /* open')).toMatchObject({ kind: 'UserError', message: expect.stringContaining('unterminated comment') });
  });

  it('runs a read in a READ ONLY transaction, its rows through a cursor one row past the cap, the statement alone in the extended protocol', () => {
    expect(readOnlyStatements(checkReadOnlySql('SELECT a FROM t;'), 50)).toEqual([
      { sql: 'BEGIN READ ONLY' },
      { sql: 'DECLARE homelab_query NO SCROLL CURSOR FOR SELECT a FROM t', single: true },
      { sql: 'FETCH FORWARD 51 FROM homelab_query', rows: true },
      { sql: 'ROLLBACK' },
    ]);
    expect(readOnlyStatements(checkReadOnlySql('SHOW work_mem'), 50)).toEqual([
      { sql: 'BEGIN READ ONLY' },
      { sql: 'SHOW work_mem', single: true, rows: true },
      { sql: 'ROLLBACK' },
    ]);
  });
});
