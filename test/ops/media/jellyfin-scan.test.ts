import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { configWith, configWithout } from '../../helpers/config.js';
import { callOp, failure } from '../../helpers/ops.js';
import { startSandboxEnv, type SandboxEnv } from '../../helpers/sandbox.js';
import { jellyfinOf } from '../../helpers/media.js';

describe('jellyfin_scan', () => {
  let s: SandboxEnv;
  beforeAll(async () => {
    s = await startSandboxEnv({ services: { jellyfinVersion: '10.10' } });
  });
  beforeEach(() => {
    s.sandbox.reset();
  });
  afterAll(async () => {
    await s?.sandbox.stop();
  });
  const jf = () => jellyfinOf(s.sandbox);

  it('scans all libraries with the scheduled task and waits for it; one library by its name', async () => {
    const all = await callOp<{ scope: string; state: string; started: boolean; task: string }>(s, 'jellyfin_scan');
    expect(all.summary?.verdict).toBe('ok');
    expect(all.output).toMatchObject({ scope: 'all', state: 'Completed', started: true, task: 'Scan Media Library' });
    expect(jf().requests).toContainEqual({ method: 'POST', path: expect.stringMatching(/^\/ScheduledTasks\/Running\/[0-9a-f]{32}$/) });
    expect(jf().requests).not.toContainEqual(expect.objectContaining({ path: '/Library/Refresh' }));
    const shows = jf()
      .items()
      .find((i) => i.Type === 'CollectionFolder' && i.Name === 'Shows');
    const one = await callOp<{ scope: string; library: string; state: string }>(s, 'jellyfin_scan', { library: 'shows' });
    expect(one.summary?.verdict).toBe('ok');
    expect(one.output).toMatchObject({ scope: 'library', library: 'Shows', state: 'Completed' });
    expect(jf().requests).toContainEqual({ method: 'POST', path: `/Items/${shows?.Id}/Refresh` });
  });

  it('names the service and URL, never the key, when the API key is wrong', async () => {
    const keyFile = join(s.sandbox.dir, 'wrong-jellyfin-key');
    await writeFile(keyFile, 'not-the-key-0123456789\n');
    const wrong = await configWith(s.sandbox, 'wrong-key', { services: { jellyfin: { url: jf().url, apiKey: { file: keyFile } } } });
    const err = await failure(callOp(s, 'jellyfin_scan', {}, { config: wrong }));
    expect(err.kind).toBe('Forbidden');
    expect(err.said).toContain(`Jellyfin at ${jf().url.replace(/\/+$/, '')} did not accept the API key`);
    expect(err.said).not.toContain('not-the-key');
    expect(err.said).not.toContain(jf().apiKey);
  });

  it('says Jellyfin is not configured when the config has no services', async () => {
    const none = await configWithout(s.sandbox, 'no-services', ['services']);
    const err = await failure(callOp(s, 'jellyfin_scan', {}, { config: none }));
    expect(err.kind).toBe('UserError');
    expect(err.said).toContain('Jellyfin is not configured');
  });
});
