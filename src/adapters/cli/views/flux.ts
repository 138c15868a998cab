import type { ReconcileResult } from '../../../ops/flux/request.js';
import type { Ui } from '../ui.js';

/** One line per reconciled object, as reconcile, resume and heal print them. */
export function reconcileLine(r: ReconcileResult, ui: Ui): string {
  const what = `${r.kind} ${r.namespace}/${r.name}`;
  // Not waited for: a request sent (its old Ready message would mislead), or a source left alone and why.
  if (!r.waited) return `${ui.c.green('✔')} ${what}: ${r.requestedAt ? 'reconcile requested' : (r.message ?? 'not reconciled')}`;
  if (r.ready === 'True') return `${ui.c.green('✔')} ${what} ready${r.revision ? ` at ${r.revision}` : ''}${r.message ? `: ${r.message}` : ''}`;
  return `${ui.c.red('✗')} ${what} ${r.ready === 'False' ? 'failed' : 'not ready'}: ${r.message ?? r.reason ?? 'no message'}`;
}
