import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configWith, configWithout } from '../../helpers/config.js';
import { jellyfinOf, type Media } from '../../helpers/media.js';
import { callOp } from '../../helpers/ops.js';
import { startSandboxEnv, type SandboxEnv } from '../../helpers/sandbox.js';

describe('media_status with Jellyfin 10.10 and Immich', () => {
  let s: SandboxEnv;
  beforeAll(async () => {
    s = await startSandboxEnv({ services: { jellyfinVersion: '10.10' } });
  });
  afterAll(async () => {
    await s?.sandbox.stop();
  });
  const jf = () => jellyfinOf(s.sandbox);

  it('reports Jellyfin and Immich, with a failed scheduled task and failed Immich jobs as findings', async () => {
    const { output: out, summary } = await callOp<Media>(s, 'media_status');
    expect(out.jellyfin).toMatchObject({ configured: true, reachable: true, version: jf().version });
    expect(out.jellyfin.version).toMatch(/^10\.10\./);
    expect(out.jellyfin.counts?.movies).toBeGreaterThan(0);
    expect(out.jellyfin.libraries?.length).toBeGreaterThan(0);
    expect(out.immich).toMatchObject({ configured: true, reachable: true });
    expect(out.immich.photos).toBeGreaterThan(0);
    expect(out.immich.users?.map((u) => u.name)).toEqual(['alex', 'sam']);
    expect(out.findings).toContainEqual(expect.objectContaining({ severity: 'warn', kind: 'Queue', name: 'thumbnailGeneration', reason: 'JobsFailed' }));
    const failed = out.jellyfin.failedTasks?.[0];
    expect(failed).toBeDefined();
    expect(out.findings).toContainEqual(expect.objectContaining({ severity: 'warn', kind: 'ScheduledTask', name: failed?.name }));
    expect(['warn', 'crit']).toContain(summary?.verdict);
    expect(summary?.verdict).toBe(out.verdict);
  });

  it('reports the other service when one refuses the API key, the refused one a crit finding, and never the key', async () => {
    const keyFile = join(s.sandbox.dir, 'wrong-jellyfin-key');
    await writeFile(keyFile, 'not-the-key-0123456789\n');
    const wrong = await configWith(s.sandbox, 'wrong-key', { services: { jellyfin: { url: jf().url, apiKey: { file: keyFile } } } });
    const { output: out, summary } = await callOp<Media>(s, 'media_status', {}, { config: wrong });
    expect(summary?.verdict).toBe('crit');
    expect(out.immich.reachable).toBe(true);
    expect(out.findings).toContainEqual(expect.objectContaining({ severity: 'crit', kind: 'Service', name: 'jellyfin', reason: 'Refused' }));
    expect(JSON.stringify(out)).not.toContain(jf().apiKey);
  });
});

describe('media_status on Jellyfin 10.11 and without services', () => {
  let s: SandboxEnv;
  beforeAll(async () => {
    s = await startSandboxEnv({ services: { jellyfinVersion: '10.11' } });
  });
  afterAll(async () => {
    await s?.sandbox.stop();
  });

  it('reads a 10.11 server', async () => {
    expect((await callOp<Media>(s, 'media_status')).output.jellyfin.version).toMatch(/^10\.11\./);
  });

  it('says "not configured" for each service absent from the config, ok', async () => {
    const none = await configWithout(s.sandbox, 'no-services', ['services']);
    const { output: out, summary } = await callOp<Media>(s, 'media_status', {}, { config: none });
    expect(summary?.verdict).toBe('ok');
    expect(out.jellyfin).toEqual({ configured: false });
    expect(out.immich).toEqual({ configured: false });
    expect(out.summary).toBe('Jellyfin not configured; Immich not configured');
  });
});
