import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNasFixture, type DfOut, type NasFixture } from '../../helpers/nas.js';
import { callOp } from '../../helpers/ops.js';
import { sshdUnavailable } from '../../helpers/sshd.js';

const run = promisify(execFile);
const unavailable = sshdUnavailable();

describe.skipIf(unavailable)(`nas_df against a real OpenSSH server${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  let f: NasFixture;
  beforeAll(async () => {
    f = await startNasFixture();
  });
  afterAll(async () => {
    await f?.stop();
  });

  it('reports disk use parsed from the real df; a volume it cannot read is a finding and no ok verdict', async () => {
    const [good, missing] = await Promise.all([callOp<DfOut>(f.target('good'), 'nas_df'), callOp<DfOut>(f.target('missingvolume'), 'nas_df')]);
    const out = good.output;
    expect(good.summary?.verdict).toBe(out.verdict);
    expect(out.configured).toBe(true);
    const [vol] = out.volumes;
    const local = (await run('df', ['-P', '-k', '--', f.sshd.homeDir])).stdout.trim().split('\n')[1]?.split(/\s+/) ?? [];
    expect(vol).toMatchObject({ volume: f.sshd.homeDir, ok: true, sizeBytes: Number(local[1]) * 1024, mount: local[5] });
    expect(vol?.percent).toBe(Number(local[4]?.replace('%', '')));
    const m = missing.output;
    expect(missing.summary?.verdict).toBe(m.verdict);
    expect(m.verdict).not.toBe('ok');
    expect(m.volumes[1]).toMatchObject({ ok: false });
    expect(m.volumes[1]?.error).toMatch(/No such file or directory/);
    expect(m.findings).toContainEqual(expect.objectContaining({ severity: 'warn', name: join(f.sshd.homeDir, 'no-such-volume'), reason: 'CheckFailed' }));
  });

  it('not configured: says so, with verdict ok', async () => {
    const { output, summary } = await callOp<DfOut>(f.target('none'), 'nas_df');
    expect(summary?.verdict).toBe('ok');
    expect(output).toMatchObject({ configured: false, verdict: 'ok', volumes: [] });
  });
});
