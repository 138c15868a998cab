import { describe, expect, it } from 'vitest';
import { ListItemSplitter } from '../../../src/adapters/kube/list-items.js';

/** Feeds `text` in chunks cut at the given byte offsets. */
function split(text: string, cuts: number[]): { items: unknown[]; rest: Record<string, unknown> } {
  const bytes = Buffer.from(text, 'utf8');
  const items: unknown[] = [];
  const splitter = new ListItemSplitter((item) => items.push(item));
  let from = 0;
  for (const cut of [...cuts, bytes.length]) {
    splitter.push(bytes.subarray(from, cut));
    from = cut;
  }
  return { rest: splitter.end(), items };
}

const tricky = {
  kind: 'PodList',
  apiVersion: 'v1',
  metadata: { resourceVersion: '42', continue: 'eyJ2IjoibWV0YS5rOHMuaW8vdjEifQ', note: 'items: [ "not" ] {' },
  items: [
    {
      metadata: { name: 'a', annotations: { quote: 'say "hi"', slash: 'C:\\dir\\', both: '\\"', braces: '{[}]', unicode: 'Zoë ☃ 🏠' } },
      spec: { containers: [{ args: ['[', ']', '{'] }] },
    },
    { metadata: { name: 'b', labels: {} }, status: { conditions: [], nested: [[1, [2]], { x: null }], n: -1.5e3, t: true } },
    { metadata: { name: 'c\n\t\u0001' } },
  ],
};

describe('ListItemSplitter: a Kubernetes list item by item as its bytes arrive', () => {
  it('gives the items and the rest JSON.parse gives, wherever the chunks are cut (escapes, brackets in strings, UTF-8 split)', () => {
    for (const text of [JSON.stringify(tricky), JSON.stringify(tricky, null, 2)]) {
      const whole = JSON.parse(text) as typeof tricky;
      const length = Buffer.byteLength(text);
      for (let cut = 0; cut <= length; cut++) {
        const { items, rest } = split(text, [cut]);
        expect(items, `cut at ${cut}`).toEqual(whole.items);
        expect(rest, `cut at ${cut}`).toEqual({ ...whole, items: [] });
      }
      // one byte at a time
      const { items } = split(
        text,
        Array.from({ length: length - 1 }, (_, i) => i + 1),
      );
      expect(items).toEqual(whole.items);
    }
  });

  it('finds items wherever the key is, and a list without items or with none', () => {
    expect(split('{"items":[{"a":1}],"metadata":{"continue":"x"},"kind":"List"}', [3])).toEqual({
      items: [{ a: 1 }],
      rest: { items: [], metadata: { continue: 'x' }, kind: 'List' },
    });
    expect(split('{"kind":"List","items":[]}', [])).toEqual({ items: [], rest: { kind: 'List', items: [] } });
    expect(split('{"kind":"List","metadata":{"items":[{"not":"these"}]}}', [])).toEqual({
      items: [],
      rest: { kind: 'List', metadata: { items: [{ not: 'these' }] } },
    });
  });

  it('refuses what is not a whole JSON document: cut short, a broken item, not an object', () => {
    const text = JSON.stringify(tricky);
    expect(() => split(text.slice(0, 120), [])).toThrow(SyntaxError);
    expect(() => split('{"items":[{"a":}]}', [])).toThrow(SyntaxError);
    expect(() => split('[1,2]', [])).toThrow(SyntaxError);
    expect(() => split('<html>', [])).toThrow(SyntaxError);
  });
});
