import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callOp, failure } from '../../helpers/ops.js';
import { startSandboxEnv, type SandboxEnv } from '../../helpers/sandbox.js';

describe('flux_heal', () => {
  let s: SandboxEnv;
  beforeAll(async () => {
    s = await startSandboxEnv();
  });
  afterAll(async () => {
    await s?.sandbox.stop();
  });

  it('refuses a release that is not stuck', async () => {
    const err = await failure(callOp(s, 'flux_heal', { name: 'jellyfin', namespace: 'jellyfin' }));
    expect(err.kind).toBe('UserError');
    expect(err.said).toContain('HelmRelease jellyfin/jellyfin is not stuck (Ready=True');
  });
});
