import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildRoot, packageRoot } from '../../src/adapters/install-paths.js';

// The built tree is what `npm test` builds first (pretest): dist/ from tsc, dist/mcp/ from the bundle.
const ROOT = new URL('../../', import.meta.url);
const chunk = new URL(`dist/mcp/chunks/${readdirSync(new URL('dist/mcp/chunks/', ROOT)).find((f) => f.endsWith('.js'))}`, ROOT);

describe('where the running copy finds its files', () => {
  it('finds the package root from the source, the compiled code and the bundle alike', () => {
    for (const from of [new URL('src/adapters/mcp/resources.ts', ROOT), new URL('dist/adapters/mcp/resources.js', ROOT), chunk]) {
      expect(packageRoot(from.href).href, from.href).toBe(ROOT.href);
    }
  });

  it('finds the build a module runs from: dist/ for the compiled code, dist/mcp/ for the bundle', () => {
    expect(buildRoot(new URL('dist/adapters/mcp/server.js', ROOT).href).href).toBe(new URL('dist/', ROOT).href);
    expect(buildRoot(chunk.href).href).toBe(new URL('dist/mcp/', ROOT).href);
  });

  it('says to build when there is no tools manifest above the module', () => {
    expect(() => buildRoot(new URL('src/adapters/mcp/server.ts', ROOT).href)).toThrow(/no mcp-tools\.json above .*npm run build/);
  });
});
