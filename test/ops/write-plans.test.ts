import { describe, expect, it } from 'vitest';
import { ops } from '../../src/ops/registry.js';

describe('the write contract', () => {
  it('every write in the registry plans before it runs, and no read has a plan', () => {
    const missing = ops.filter((op) => op.effect === 'write' && typeof (op as { plan?: unknown }).plan !== 'function').map((op) => op.name);
    const stray = ops.filter((op) => op.effect === 'read' && 'plan' in op).map((op) => op.name);
    expect(missing).toEqual([]);
    expect(stray).toEqual([]);
    expect(ops.filter((op) => op.effect === 'write').length).toBeGreaterThan(0);
  });
});
