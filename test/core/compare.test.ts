import { describe, expect, it } from 'vitest';
import { compareText } from '../../src/core/compare.js';

describe('compareText', () => {
  it('orders by code unit as kubectl does, whatever the locale: capitals before lower case, "-" before letters and digits', () => {
    expect(['b', 'a-2', 'B', 'a10', 'a-10', 'a2', 'A'].sort(compareText)).toEqual(['A', 'B', 'a-10', 'a-2', 'a10', 'a2', 'b']);
    expect(compareText('team-1', 'team-1')).toBe(0);
    expect(compareText('', 'a')).toBeLessThan(0);
  });
});
