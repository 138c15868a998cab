import { readdir } from 'node:fs/promises';
import { basename, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { AnyOp } from '../../src/core/op.js';
import { ops } from '../../src/ops/registry.js';
import { ALL_CHECKS } from '../../src/ops/checks.js';
import type { AnyCheck } from '../../src/ops/shared/check.js';
import { ROOT } from '../helpers/cli.js';

const OPS_DIR = join(ROOT, 'src', 'ops');

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const nested = await Promise.all(
    entries.map((e) => (e.isDirectory() ? sourceFiles(join(dir, e.name)) : Promise.resolve(e.name.endsWith('.ts') ? [join(dir, e.name)] : []))),
  );
  return nested.flat();
}

const isOp = (value: unknown): value is AnyOp => typeof (value as AnyOp | undefined)?.run === 'function' && typeof (value as AnyOp).effect === 'string';
const isCheck = (value: unknown): value is AnyCheck =>
  typeof (value as AnyCheck | undefined)?.run === 'function' && Array.isArray((value as AnyCheck).rbac) && typeof (value as AnyCheck).about === 'string';

describe('the names of the ops and checks', () => {
  it('puts each op in a file named after its tool (pods_logs in pods-logs.ts), and each check in <name>-check.ts', async () => {
    const opFiles = new Map<string, string>();
    const checkFiles = new Map<string, string>();
    for (const file of await sourceFiles(OPS_DIR)) {
      const mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
      const where = relative(ROOT, file);
      if (isOp(mod.default)) opFiles.set(mod.default.name, where);
      for (const value of Object.values(mod)) if (isCheck(value) && !isOp(value)) checkFiles.set(value.name, where);
    }
    for (const op of ops) expect(opFiles.get(op.name), op.name).toMatch(new RegExp(`^src/ops/[a-z0-9]+/${op.name.replace(/_/g, '-')}\\.ts$`));
    expect([...opFiles.keys()].sort()).toEqual(ops.map((op) => op.name).sort());
    for (const check of ALL_CHECKS) expect(basename(checkFiles.get(check.name) ?? ''), check.name).toBe(`${check.name}-check.ts`);
    expect([...checkFiles.keys()].sort()).toEqual(ALL_CHECKS.map((c) => c.name).sort());
  });
});
