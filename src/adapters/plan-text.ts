import type { Plan } from '../core/op.js';

/**
 * A write's plan as people read it, the same on every door: the CLI's dry run and question, the
 * MCP text and the form a client shows. Each change with exactly what is sent, then what it touches.
 */
export function planText(plan: Plan, options: { maxBody?: number } = {}): string {
  const lines = [`Plan: ${plan.summary}`];
  if (!plan.changes.length) return `${lines[0]}\nNothing would change.`;
  lines.push('Changes:');
  plan.changes.forEach((change, i) => {
    lines.push(`  ${i + 1}. ${change.action}`);
    if (change.body === undefined) return;
    const body = JSON.stringify(change.body);
    const max = options.maxBody ?? Infinity;
    lines.push(`     ${body.length <= max ? body : `${body.slice(0, max)}… (${body.length} characters in all: plan.changes[${i}].body has it whole)`}`);
  });
  if (plan.effects.length) lines.push('What it touches:', ...plan.effects.map((effect) => `  - ${effect}`));
  return lines.join('\n');
}

/** The plan as a tool result or a --json dry run carries it: everything but the op's own working state. */
export function planOutput(plan: Plan): Omit<Plan, 'state'> {
  const { state: _state, ...shown } = plan;
  return shown;
}
