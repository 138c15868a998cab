import type { AnyOp } from '../../core/op.js';
import { LIST_MAX, type Truncation } from '../../ops/shared/bounded.js';
import { inputSchemaOf } from './flags.js';
import type { Ui } from './ui.js';

/**
 * An op's lists are cut to a few rows unless its `limit` says otherwise: that is what an assistant
 * wants (src/ops/shared/bounded.ts). A person at a terminal, or a script reading --json, gets every
 * row (up to the op's largest limit) unless --limit is given; `rows` where "every" makes no sense
 * (the newest 100 of a query log). A command's adjustInput.
 */
export function everyRowUnlessLimited(op: AnyOp, rows?: number): (input: Record<string, unknown>, given: ReadonlySet<string>) => void {
  const limit = rows ?? inputSchemaOf(op).properties?.limit?.maximum ?? LIST_MAX;
  return (input, given) => {
    if (!given.has('limit')) input.limit = limit;
  };
}

/** What a cut list left out, one line each: "findings: 500 of 812 shown (CrashLoopBackOff 800, …); narrow with …". */
export function cutNotes(out: Truncation, ui: Ui): string {
  return Object.entries(out.cut ?? {})
    .map(([list, cut]) => {
      const counts = Object.entries(cut.by)
        .slice(0, 4)
        .map(([k, n]) => `${k} ${n}`)
        .join(', ');
      return ui.c.yellow(`${list}: ${cut.shown} of ${cut.total} shown (${counts}${Object.keys(cut.by).length > 4 ? ', …' : ''}); narrow with ${cut.narrow}`);
    })
    .join('\n');
}
