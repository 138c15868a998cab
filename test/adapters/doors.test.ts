import { readFile, readdir } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';

/** Every relative module a source file imports (static or dynamic), as a path under the repository. */
async function importsOf(file: string): Promise<string[]> {
  const text = await readFile(file, 'utf8');
  return [...text.matchAll(/(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g)].map((m) => relative(ROOT, resolve(dirname(file), m[1] ?? '')));
}

describe('the two doors', () => {
  it('the MCP door imports nothing from the CLI door (what both need lives in src/adapters)', async () => {
    const dir = join(ROOT, 'src/adapters/mcp');
    const files = (await readdir(dir)).filter((f) => f.endsWith('.ts')).map((f) => join(dir, f));
    expect(files.length).toBeGreaterThan(3);
    for (const file of files) {
      for (const target of await importsOf(file)) expect(target, relative(ROOT, file)).not.toMatch(/^src\/(adapters\/cli|commands)\//);
    }
  });
});
