import { Chalk, type ChalkInstance } from 'chalk';
import Table from 'cli-table3';
import type { Verdict } from '../../core/op.js';

/** What a command's human view draws with; colour is off for NO_COLOR, TERM=dumb and pipes. */
export interface Ui {
  c: ChalkInstance;
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
}

/**
 * Text as one line: runs of whitespace, newlines included, become one space. A multi-line event
 * or controller message would otherwise break a table's rows; --json keeps the full text.
 */
export function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

export function colorEnabled(env: Record<string, string | undefined>, isTTY: boolean): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0') return true;
  return isTTY && env.TERM !== 'dumb';
}

export function createUi(color: boolean): Ui {
  const c = new Chalk({ level: color ? 1 : 0 });
  const paint = { ok: c.green, warn: c.yellow, crit: c.red } as const;
  return {
    c,
    table(head, rows) {
      const table = new Table({
        head: head.map((h) => c.bold(h)),
        style: { head: [], border: [], compact: true, 'padding-left': 0, 'padding-right': 2 },
        chars: {
          top: '', 'top-mid': '', 'top-left': '', 'top-right': '', bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '',
          left: '', 'left-mid': '', mid: '', 'mid-mid': '', right: '', 'right-mid': '', middle: '',
        },
      });
      for (const row of rows) table.push(row.map((cell) => (cell === undefined ? '' : oneLine(String(cell)))));
      return table.toString().split('\n').map((l) => l.trimEnd()).join('\n');
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
      return this.table(
        ['SEVERITY', 'KIND', 'NAMESPACE', 'NAME', 'REASON', 'MESSAGE'],
        findings.map((f) => [this.severity(f.severity), f.kind, f.namespace ?? '', f.name, f.reason, f.message]),
      );
    },
  };
}
