// The lint rules that keep the sandbox package and the product apart, run by ESLint itself on
// imports written as the files they guard would write them.
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

describe('the sandbox package boundary (eslint boundary/imports)', () => {
  let eslint: ESLint;
  beforeAll(() => {
    eslint = new ESLint({ cwd: root });
  });

  /** the boundary findings for `code` linted as the file at `file` (relative to the repository) */
  async function crossings(file: string, code: string): Promise<string[]> {
    const [result] = await eslint.lintText(`${code}\nexport {};\n`, { filePath: `${root}${file}` });
    return (result?.messages ?? []).filter((m) => m.ruleId === 'boundary/imports').map((m) => m.message);
  }

  it('the package imports nothing from the product: a relative path out of it is refused, at any depth', async () => {
    expect(await crossings('packages/sandbox/src/apiserver/x.ts', "import { parseConfig } from '../../../../src/core/config.js';")).toEqual([
      'The sandbox package stands alone: nothing from homelab\'s src/ or the root. (import of "../../../../src/core/config.js")',
    ]);
    expect(await crossings('packages/sandbox/src/index.ts', "export { ops } from '../../../src/ops/registry.js';")).toHaveLength(1);
    expect(await crossings('packages/sandbox/src/scenario/x.ts', "const m = await import('../../../../src/core/op.js'); void m;")).toHaveLength(1);
    expect(await crossings('packages/sandbox/src/index.ts', "import type { Config } from 'homelab/dist/core/config.js';")).toHaveLength(1);
  });

  it('inside the package, and its own dependencies, are fine', async () => {
    expect(
      await crossings(
        'packages/sandbox/src/scenario/x.ts',
        "import { ObjectStore } from '../apiserver/store.js';\nimport { z } from 'zod';\nvoid ObjectStore; void z;",
      ),
    ).toEqual([]);
  });

  it('product code does not import the package, statically or lazily, by name or by path', async () => {
    expect(await crossings('src/ops/cluster/x.ts', "import { startSandbox } from '@homelab/sandbox';\nvoid startSandbox;")).toEqual([
      'Only src/commands/sandbox.ts and src/sandbox-config.ts import the sandbox package. (import of "@homelab/sandbox")',
    ]);
    expect(await crossings('src/adapters/x.ts', "const s = await import('@homelab/sandbox'); void s;")).toHaveLength(1);
    expect(await crossings('src/commands/health.ts', "import type { Sandbox } from '@homelab/sandbox';\nlet s: Sandbox | undefined; void s;")).toHaveLength(1);
    expect(await crossings('src/core/x.ts', "import { makeTls } from '../../packages/sandbox/src/apiserver/tls.js';\nvoid makeTls;")).toHaveLength(1);
  });

  it('homelab sandbox and its config writer load it lazily or for types only', async () => {
    expect(await crossings('src/commands/sandbox.ts', "const { startSandbox } = await import('@homelab/sandbox'); void startSandbox;")).toEqual([]);
    expect(await crossings('src/sandbox-config.ts', "import type { Sandbox } from '@homelab/sandbox';\nlet s: Sandbox | undefined; void s;")).toEqual([]);
    expect(await crossings('src/commands/sandbox.ts', "import { startSandbox } from '@homelab/sandbox';\nvoid startSandbox;")).toEqual([
      'The sandbox is loaded lazily: import(\'@homelab/sandbox\'), or import type. (import of "@homelab/sandbox")',
    ]);
  });
});
