import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createRuntime } from '../../src/adapters/runtime.js';
import type { AuditRecord } from '../../src/core/run-op.js';

const dir = mkdtempSync(join(tmpdir(), 'hl-runtime-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the audit file', () => {
  it('keeps the records in the order they came, however fast they come (a write logs its plan, confirmation and apply a millisecond apart)', async () => {
    const file = join(dir, 'audit.log');
    const config = join(dir, 'config.yaml');
    writeFileSync(config, `audit:\n  file: ${file}\n`);
    const runtime = await createRuntime({ configFile: config, env: { HOME: dir }, log: { progress() {}, warn() {}, debug() {} } });
    try {
      const records: AuditRecord[] = Array.from({ length: 200 }, (_, i) => ({
        time: new Date(Date.UTC(2026, 10, 29, 0, 0, 0, i)).toISOString(),
        op: 'flux_heal',
        via: 'test',
        input: { n: i, padding: 'x'.repeat(i % 7 === 0 ? 20_000 : 10) },
        phase: (['plan', 'confirmation', 'apply'] as const)[i % 3],
        outcome: 'ok',
        durationMs: 0,
      }));
      await Promise.all(records.map((r) => runtime.auditToFile(r)));
      const written = readFileSync(file, 'utf8')
        .trim()
        .split('\n')
        .map((line) => (JSON.parse(line) as { input: { n: number } }).input.n);
      expect(written).toEqual(records.map((_, i) => i));
    } finally {
      await runtime.close();
    }
  });

  it('close() returns once every record handed to it is in the file (a door that exits right after loses none)', async () => {
    const file = join(dir, 'closing.log');
    const config = join(dir, 'closing.yaml');
    writeFileSync(config, `audit:\n  file: ${file}\n`);
    const runtime = await createRuntime({ configFile: config, env: { HOME: dir }, log: { progress() {}, warn() {}, debug() {} } });
    // As both doors hand records over: not awaited.
    for (let n = 0; n < 20; n++) {
      void runtime.auditToFile({ time: new Date().toISOString(), op: 'cluster_health', via: 'test', input: { n }, outcome: 'ok', durationMs: 0 });
    }
    await runtime.close();
    expect(readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(20);
  });
});
