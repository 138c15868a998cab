import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ROOT, runCli, runCliProcess } from '../helpers/cli.js';
import { callOp } from '../helpers/ops.js';
import { startSandboxEnv, type SandboxEnv } from '../helpers/sandbox.js';
import { shellWords } from '../helpers/shell.js';

interface Stored {
  spec: { suspend?: boolean };
}
interface Finding {
  name: string;
  fix?: { tool: string; input: Record<string, unknown>; command: string };
}

const BUCKETS = 'buckets.source.toolkit.fluxcd.io';

/** The flux-sources scenario through the CLI: a failing source in the table, the suggested commands as printed. What flux_reconcile and flux_status answer is tested in process (test/ops/flux/). */
describe('homelab flux with the flux-sources scenario, on the CLI', () => {
  let s: SandboxEnv;
  beforeAll(async () => {
    s = await startSandboxEnv({ scenario: 'flux-sources', delays: { flux: 30 } });
  });
  beforeEach(() => {
    s.sandbox.reset();
  });
  afterAll(async () => {
    await s?.sandbox.stop();
  });

  it('reconcile --with-source is crit (exit 2) when a source fails, though the object itself reconciled from what it had', async () => {
    const r = await runCliProcess(['flux', 'reconcile', 'kustomization', 'private-apps', '--with-source', '--yes'], s.env);
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/✗ GitRepository flux-system\/private failed: .*unable to authenticate/);
    expect(r.stdout).toMatch(/✔ Kustomization flux-system\/private-apps ready/);
  });

  it('status suggests commands that run exactly as printed: a read answers, a write stops only at the confirmation', async () => {
    const tools = JSON.parse(await readFile(`${ROOT}dist/mcp-tools.json`, 'utf8')) as Array<{ name: string; effect: string }>;
    const { findings } = (await callOp<{ findings: Finding[] }>(s, 'flux_status')).output;
    const fixes = findings.flatMap((f) => (f.fix ? [f.fix] : []));
    expect(fixes).toHaveLength(4);
    for (const f of fixes) {
      const argv = shellWords(f.command);
      const r = await runCli(argv.slice(1), s.env);
      if (tools.find((t) => t.name === f.tool)?.effect === 'read') {
        expect([0, 1, 2], `${f.command}: ${r.stderr}`).toContain(r.code);
      } else {
        expect(r.code, `${f.command}: ${r.stderr}`).toBe(64);
        expect(r.stderr, f.command).toContain('refusing to change the cluster without confirmation');
      }
    }
    // And the resume of the suspended Bucket does what it says.
    const resume = await runCli([...shellWords(findings.find((f) => f.name === 'archive')?.fix?.command ?? '').slice(1), '--yes', '--no-wait'], s.env);
    expect(resume.code, resume.stderr).toBe(0);
    expect((s.sandbox.store.get(BUCKETS, 'flux-system', 'archive') as unknown as Stored).spec.suspend).toBe(false);
  });
});
