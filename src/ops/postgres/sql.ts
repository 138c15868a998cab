/**
 * What postgres_query lets through, judged before anything is sent: exactly one statement that
 * reads (SELECT, WITH … SELECT, VALUES, TABLE, SHOW, EXPLAIN of one of those), with no word that
 * writes or changes the session and no function known to act outside the query (end backends,
 * reload the configuration, write or read server files, open other connections, run SQL given as
 * text). This is the first of three guards: the session is read-only from the moment it connects
 * (default_transaction_read_only) and the statement runs in a READ ONLY transaction, so a write
 * this check missed is still refused by the server; the role homelab connects as should only be
 * able to read (pg_read_all_data, pg_monitor) all the same.
 *
 * The scanner knows PostgreSQL's lexical rules that matter for finding a second statement or a
 * word: -- comments and nested slash-star comments, 'strings' with '' escapes, E'strings' with backslash escapes,
 * $tag$dollar quotes$tag$, and "quoted identifiers".
 */
import { PolicyDenied, UserError } from '../../core/errors.js';

/** A token and where it starts in the text. */
export type Token = { type: 'word' | 'quoted' | 'string' | 'number' | 'symbol'; text: string; at: number };

/** The tokens of a text; throws UserError for an unterminated string, comment or identifier. */
export function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const n = sql.length;
  const unterminated = (what: string) => new UserError(`the SQL has an unterminated ${what}`);
  while (i < n) {
    const c = sql[i] as string;
    const next = sql[i + 1];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '-' && next === '-') {
      const end = sql.indexOf('\n', i);
      i = end < 0 ? n : end + 1;
      continue;
    }
    if (c === '/' && next === '*') {
      let depth = 1;
      i += 2;
      while (i < n && depth > 0) {
        if (sql[i] === '/' && sql[i + 1] === '*') {
          depth++;
          i += 2;
        } else if (sql[i] === '*' && sql[i + 1] === '/') {
          depth--;
          i += 2;
        } else i++;
      }
      if (depth > 0) throw unterminated('comment');
      continue;
    }
    if (c === "'" || ((c === 'E' || c === 'e') && next === "'")) {
      const backslash = c !== "'";
      let j = backslash ? i + 2 : i + 1;
      for (;;) {
        if (j >= n) throw unterminated('string');
        if (backslash && sql[j] === '\\') {
          j += 2;
          continue;
        }
        if (sql[j] === "'") {
          if (sql[j + 1] === "'") {
            j += 2;
            continue;
          }
          break;
        }
        j++;
      }
      tokens.push({ type: 'string', text: sql.slice(i, j + 1), at: i });
      i = j + 1;
      continue;
    }
    if (c === '"') {
      let j = i + 1;
      for (;;) {
        if (j >= n) throw unterminated('quoted identifier');
        if (sql[j] === '"') {
          if (sql[j + 1] === '"') {
            j += 2;
            continue;
          }
          break;
        }
        j++;
      }
      tokens.push({ type: 'quoted', text: sql.slice(i + 1, j).replace(/""/g, '"'), at: i });
      i = j + 1;
      continue;
    }
    const dollar = c === '$' ? /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(i)) : null;
    if (dollar) {
      const tag = dollar[0];
      const end = sql.indexOf(tag, i + tag.length);
      if (end < 0) throw unterminated('dollar-quoted string');
      tokens.push({ type: 'string', text: sql.slice(i, end + tag.length), at: i });
      i = end + tag.length;
      continue;
    }
    const word = /^[A-Za-z_\u0080-\uffff][A-Za-z0-9_$\u0080-\uffff]*/.exec(sql.slice(i));
    if (word) {
      tokens.push({ type: 'word', text: word[0].toLowerCase(), at: i });
      i += word[0].length;
      continue;
    }
    const number = /^[0-9][0-9._eE+-]*/.exec(sql.slice(i));
    if (number) {
      tokens.push({ type: 'number', text: number[0], at: i });
      i += number[0].length;
      continue;
    }
    tokens.push({ type: 'symbol', text: c, at: i });
    i++;
  }
  return tokens;
}

/** Statements that only read; a query must start with one (EXPLAIN then one of the others). */
const READS = new Set(['select', 'with', 'values', 'table']);

/**
 * Words that write from inside a statement that starts as a read (a data-modifying WITH, SELECT
 * INTO, FOR UPDATE): refused wherever they stand, for a clear answer (the server refuses them too).
 */
const WRITES = new Set(['insert', 'update', 'delete', 'merge', 'truncate', 'copy', 'into']);

/** Functions that act outside the query (on other sessions, the server, files, other connections) or run SQL given as text. */
const FUNCTIONS = new Set([
  'pg_terminate_backend',
  'pg_cancel_backend',
  'pg_reload_conf',
  'pg_rotate_logfile',
  'pg_switch_wal',
  'pg_create_restore_point',
  'pg_promote',
  'pg_wal_replay_pause',
  'pg_wal_replay_resume',
  'pg_logical_emit_message',
  'pg_notify',
  'set_config',
  'setval',
  'nextval',
  'lo_import',
  'lo_export',
  'lo_unlink',
  'lo_create',
  'lo_creat',
  'lo_from_bytea',
  'lo_put',
  'lo_truncate',
  'lo_open',
  'pg_file_write',
  'pg_file_rename',
  'pg_file_unlink',
  'pg_file_sync',
  'pg_read_file',
  'pg_read_binary_file',
  'pg_ls_dir',
  'pg_stat_file',
  'pg_ls_logdir',
  'pg_ls_waldir',
  'pg_ls_tmpdir',
  'pg_ls_archive_statusdir',
  'dblink',
  'dblink_exec',
  'dblink_connect',
  'dblink_connect_u',
  'dblink_send_query',
  'dblink_open',
  'query_to_xml',
  'query_to_xmlschema',
  'query_to_xml_and_xmlschema',
  'cursor_to_xml',
  'cursor_to_xmlschema',
  'pg_stat_reset',
  'pg_stat_reset_shared',
  'pg_stat_reset_single_table_counters',
  'pg_stat_reset_single_function_counters',
  'pg_stat_reset_slru',
  'pg_stat_reset_replication_slot',
  'pg_stat_statements_reset',
  'pg_create_physical_replication_slot',
  'pg_create_logical_replication_slot',
  'pg_drop_replication_slot',
  'pg_copy_physical_replication_slot',
  'pg_copy_logical_replication_slot',
  'pg_replication_slot_advance',
  'pg_logical_slot_get_changes',
  'pg_logical_slot_get_binary_changes',
  'pg_import_system_collations',
  'pg_backup_start',
  'pg_backup_stop',
  'pg_start_backup',
  'pg_stop_backup',
  'pg_log_backend_memory_contexts',
  'pg_advisory_lock',
  'pg_advisory_lock_shared',
  'pg_try_advisory_lock',
  'pg_try_advisory_lock_shared',
  'pg_advisory_xact_lock',
  'pg_advisory_xact_lock_shared',
  'pg_try_advisory_xact_lock',
  'pg_try_advisory_xact_lock_shared',
  'pg_advisory_unlock',
  'pg_advisory_unlock_all',
  'pg_advisory_unlock_shared',
  'txid_current',
  'pg_current_xact_id',
  'pg_replication_origin_create',
  'pg_replication_origin_drop',
  'pg_replication_origin_session_setup',
  'pg_replication_origin_advance',
]);

export type ReadKind = 'rows' | 'show' | 'explain';

export interface CheckedSql {
  /** The one statement, without a trailing semicolon. */
  text: string;
  /** rows: run through a cursor (SELECT, WITH, VALUES, TABLE); show/explain: run as they are. */
  kind: ReadKind;
}

/**
 * The statement if it is exactly one statement that reads; PolicyDenied (exit 77) saying what was
 * refused otherwise, or UserError when it is not SQL at all.
 */
export function checkReadOnlySql(sql: string): CheckedSql {
  const tokens = tokenize(sql);
  const semicolon = tokens.findIndex((t) => t.type === 'symbol' && t.text === ';');
  if (semicolon >= 0 && semicolon < tokens.length - 1) {
    throw new PolicyDenied('refused: the query has more than one statement (only one statement is run, and nothing after a ";")');
  }
  const body = semicolon >= 0 ? tokens.slice(0, semicolon) : tokens;
  if (!body.length) throw new UserError('the query is empty');
  const words = body.filter((t) => t.type === 'word').map((t) => t.text);
  const forbidden = words.find((w) => WRITES.has(w));
  if (forbidden)
    throw new PolicyDenied(
      `refused: "${forbidden.toUpperCase()}" writes or changes the session, and postgres_query only reads (SELECT, WITH, VALUES, TABLE, SHOW, EXPLAIN)`,
    );
  const names = body.filter((t) => t.type === 'word' || t.type === 'quoted').map((t) => t.text);
  const fn = names.find((name) => FUNCTIONS.has(name));
  if (fn)
    throw new PolicyDenied(
      `refused: ${fn}() acts outside the query (on other sessions, the server, its files or other connections), and postgres_query only reads`,
    );

  const first = body[0] as Token;
  const second = body[1];
  const lead = first.type === 'symbol' && first.text === '(' && second?.type === 'word' ? second.text : first.type === 'word' ? first.text : '';
  const end = semicolon >= 0 ? (tokens[semicolon] as Token).at : sql.length;
  const text = sql.slice(0, end).trim();
  if (READS.has(lead)) return { text, kind: 'rows' };
  if (lead === 'show') return { text, kind: 'show' };
  if (lead === 'explain') {
    // EXPLAIN [ANALYZE] [VERBOSE] [( options )] statement: the statement must read too.
    let k = 1;
    while (k < body.length) {
      const t = body[k] as Token;
      if (t.type === 'word' && (t.text === 'analyze' || t.text === 'analyse' || t.text === 'verbose')) {
        k++;
        continue;
      }
      if (t.type === 'symbol' && t.text === '(') {
        const close = body.findIndex((x, idx) => idx > k && x.type === 'symbol' && x.text === ')');
        k = close < 0 ? body.length : close + 1;
        continue;
      }
      break;
    }
    const inner = body[k];
    if (inner?.type === 'word' && READS.has(inner.text)) return { text, kind: 'explain' };
  }
  throw new PolicyDenied(
    `refused: postgres_query runs only statements that read (SELECT, WITH, VALUES, TABLE, SHOW, EXPLAIN), not ${lead ? `"${lead.toUpperCase()}"` : 'this'}`,
  );
}
