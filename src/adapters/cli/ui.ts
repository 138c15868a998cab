import { Chalk, type ChalkInstance } from 'chalk';
import Table from 'cli-table3';
import type { Verdict } from '../../core/op.js';

/** What a command's human view draws with; colour is off for NO_COLOR, TERM=dumb and pipes. */
export interface Ui {
  c: ChalkInstance;
  /** -o wide: no cell is cut short (views may add columns). */
  wide: boolean;
  table(head: string[], rows: Array<Array<string | number | undefined>>): string;
  verdict(verdict: Verdict, text?: string): string;
  severity(severity: Verdict | 'warn' | 'crit'): string;
  /** The findings table every status command ends with; '' when there are none. */
  findings(findings: ReadonlyArray<FindingRow>): string;
}

/** A finding as the CLI shows it (the shape of src/ops/shared/findings.ts, without importing ops). */
export interface FindingRow {
  severity: 'warn' | 'crit';
  kind: string;
  namespace?: string;
  name: string;
  reason: string;
  message: string;
  /** The command that fixes or explains it, runnable as printed. */
  fix?: { command: string };
}

/**
 * Text as one line: runs of whitespace, newlines included, become one space. A multi-line event
 * or controller message would otherwise break a table's rows; --json keeps the full text.
 */
export function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** Longest cell a normal table shows; -o wide and --json show everything. */
const CELL_MAX = 160;

export interface TableStyle {
  wide?: boolean;
  /** false for --no-headers. */
  headers?: boolean;
}

/** One line per cell (a multi-line event message would break the rows), cut to size unless wide. */
function cell(value: string | number | undefined, wide: boolean): string {
  if (value === undefined) return '';
  const text = oneLine(String(value));
  return wide || text.length <= CELL_MAX ? text : `${text.slice(0, CELL_MAX - 1)}…`;
}

export function createUi(color: boolean, style: TableStyle = {}): Ui {
  const c = new Chalk({ level: color ? 1 : 0 });
  const paint = { ok: c.green, warn: c.yellow, crit: c.red } as const;
  const wide = Boolean(style.wide);
  return {
    c,
    wide,
    table(head, rows) {
      const table = new Table({
        head: style.headers === false ? [] : head.map((h) => c.bold(h)),
        style: { head: [], border: [], compact: true, 'padding-left': 0, 'padding-right': 2 },
        chars: {
          top: '',
          'top-mid': '',
          'top-left': '',
          'top-right': '',
          bottom: '',
          'bottom-mid': '',
          'bottom-left': '',
          'bottom-right': '',
          left: '',
          'left-mid': '',
          mid: '',
          'mid-mid': '',
          right: '',
          'right-mid': '',
          middle: '',
        },
      });
      for (const row of rows) table.push(row.map((value) => cell(value, wide)));
      return table
        .toString()
        .split('\n')
        .map((l) => l.trimEnd())
        .join('\n');
    },
    verdict(verdict, text) {
      const label = verdict === 'ok' ? 'OK' : verdict === 'warn' ? 'WARN' : 'CRIT';
      return `${paint[verdict].bold(label)}${text ? ` ${oneLine(text)}` : ''}`;
    },
    severity(severity) {
      return paint[severity](severity);
    },
    findings(findings) {
      if (!findings.length) return '';
      const table = this.table(
        ['SEVERITY', 'KIND', 'NAMESPACE', 'NAME', 'REASON', 'MESSAGE'],
        findings.map((f) => [this.severity(f.severity), f.kind, f.namespace ?? '', f.name, f.reason, f.message]),
      );
      // Each as a line a person can copy; the comment names the finding it answers.
      const fixes = findings
        .filter((f) => f.fix)
        .map((f) => `  ${f.fix?.command}  ${c.dim(`# ${f.kind} ${f.namespace ? `${f.namespace}/` : ''}${f.name} ${f.reason}`)}`);
      return fixes.length ? `${table}\n\nTo fix or look closer:\n${fixes.join('\n')}` : table;
    },
  };
}
