import { z } from 'zod';
import { compareText } from '../../core/compare.js';

/**
 * Lists in an answer are bounded. An assistant pays for every byte of a result (the MCP door's
 * budget is 8 KiB a result), so a list shows its first `limit` rows, worst first, and says what it
 * left out: how many, counted by reason or kind over every row, and which inputs narrow it. A person
 * at a terminal sees every row: the CLI passes the largest limit unless --limit is given
 * (src/adapters/cli/lists.ts).
 */
export const LIST_MAX = 500;

/** Rows of a list an assistant gets when it does not say how many. */
export const DEFAULT_LIMIT = 5;

/**
 * The `limit` input of an op with lists. Optional with no default in the schema, so a door can
 * tell "not given": the op then shows `byDefault` rows (what an assistant wants), the CLI `cli`.
 */
export function limitSchema(byDefault = DEFAULT_LIMIT, max = LIST_MAX, cli: number | 'all' = 'all') {
  return z.number().int().min(1).max(max).optional().describe(`Rows per list, problems first (default ${byDefault}; CLI: ${cli})`);
}

/** What a cut list left out. */
export const listCutSchema = z.object({
  shown: z.number().int(),
  total: z.number().int(),
  /** Every row counted, not only those shown: by reason, kind or state. */
  by: z.record(z.string(), z.number().int()),
  /** The inputs that narrow it, as the model can call them. */
  narrow: z.string(),
});
export type ListCut = z.infer<typeof listCutSchema>;

/** `truncated` and `cut` of an answer with bounded lists: cut names each list that was cut. */
export const truncationShape = {
  truncated: z.boolean().describe('true when a list was cut to limit: see cut'),
  cut: z.record(z.string(), listCutSchema).optional().describe('Per list cut: rows shown and total, counts of all rows, how to narrow'),
};

export interface Truncation {
  truncated: boolean;
  cut?: Record<string, ListCut>;
}

/** Counts of values, most frequent first (ties by name, so the same rows print the same way). */
export function countBy<T>(rows: readonly T[], key: (row: T) => string | undefined): Record<string, number> {
  const counts = new Map<string, number>();
  for (const row of rows) {
    const k = key(row);
    if (k !== undefined) counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return Object.fromEntries([...counts].sort(([a, x], [b, y]) => y - x || compareText(a, b)));
}

/** "team-12 25, team-3 20, team-7 18, …": the largest counts, for a narrowing hint. */
export function topCounts(counts: Record<string, number>, n = 3): string {
  const entries = Object.entries(counts);
  return `${entries
    .slice(0, n)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ')}${entries.length > n ? ', …' : ''}`;
}

export interface CutHow<T> {
  /** What a row is counted under: its reason, kind or state. */
  by: (row: T) => string | undefined;
  /** The inputs that narrow the list. */
  narrow: string;
  /** Which rows stay when the list is cut, higher first (a problem before a healthy object); they keep their order. Default: the first rows. */
  rank?: (row: T) => number;
}

/**
 * At most `limit` rows and, when that cut any, what was left out: every row counted by `by`, and
 * `narrow`, the inputs that narrow the list. The rows kept are the first, or the highest `rank`ed
 * in the order they came.
 */
export function cutList<T>(rows: readonly T[], limit: number, how: CutHow<T>): { rows: T[]; cut?: ListCut } {
  if (rows.length <= limit) return { rows: [...rows] };
  const { rank } = how;
  const kept = rank
    ? rows
        .map((row, at) => ({ row, at, score: rank(row) }))
        .sort((a, b) => b.score - a.score || a.at - b.at)
        .slice(0, limit)
        .sort((a, b) => a.at - b.at)
        .map((r) => r.row)
    : rows.slice(0, limit);
  return { rows: kept, cut: { shown: limit, total: rows.length, by: countBy(rows, how.by), narrow: how.narrow } };
}

/** The answer's `truncated` and `cut` from its lists' cuts (undefined: not cut). */
export function truncation(cuts: Record<string, ListCut | undefined>): Truncation {
  const cut = Object.fromEntries(Object.entries(cuts).filter((entry): entry is [string, ListCut] => entry[1] !== undefined));
  return Object.keys(cut).length ? { truncated: true, cut } : { truncated: false };
}

/** Free text (an event's message) cut to `max` characters, marked with "…" where it was cut. */
export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** The findings of an answer cut to `limit` (they come worst first), counted by reason. */
export function cutFindings<T extends { reason: string }>(findings: readonly T[], limit: number, narrow: string): { rows: T[]; cut?: ListCut } {
  return cutList(findings, limit, { by: (f) => f.reason, narrow });
}

/** A row's state as a rank for `rank`: crit rows stay before warn rows before ok ones. */
export function stateRank(state: 'ok' | 'warn' | 'crit'): number {
  return state === 'crit' ? 2 : state === 'warn' ? 1 : 0;
}

/** A Ready condition as a rank for `rank`: not ready first. */
export function readyRank(ready: 'True' | 'False' | 'Unknown' | boolean): number {
  return ready === true || ready === 'True' ? 0 : ready === 'Unknown' ? 1 : 2;
}
