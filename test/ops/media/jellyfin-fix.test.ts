import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { configWith } from '../../helpers/config.js';
import { jellyfinOf, jellyfinItem, type Fixed } from '../../helpers/media.js';
import { callOp, failure } from '../../helpers/ops.js';
import { startSandboxEnv, type SandboxEnv } from '../../helpers/sandbox.js';

const dashed = (g: string) => `${g.slice(0, 8)}-${g.slice(8, 12)}-${g.slice(12, 16)}-${g.slice(16, 20)}-${g.slice(20)}`;

describe('jellyfin_fix on Jellyfin 10.10', () => {
  let s: SandboxEnv;
  beforeAll(async () => {
    s = await startSandboxEnv({ services: { jellyfinVersion: '10.10' } });
  });
  // Each test reads the fake's request log and its items' state from the scenario's start.
  beforeEach(() => {
    s.sandbox.reset();
  });
  afterAll(async () => {
    await s?.sandbox.stop();
  });
  const jf = () => jellyfinOf(s.sandbox);
  const item = (name: string) => jellyfinItem(s.sandbox, name);
  const posts = () => jf().requests.filter((q) => q.method === 'POST');
  const fix = (input: Record<string, unknown>, config?: string) => callOp<Fixed>(s, 'jellyfin_fix', input, { config });

  it('finds the hidden series a plain search misses, refreshes it, and the fake then has its metadata', async () => {
    const ted = item('Better Off Ted');
    expect(jf().isHidden(ted.Id)).toBe(true);
    const { output: out, summary, log } = await fix({ title: 'Better Off Ted' });
    expect(log.join('\n')).toContain('queueing a full metadata refresh');
    expect(summary?.verdict).toBe('ok');
    expect(out.outcome).toBe('refreshed');
    // Not by the plain search: by the items lacking metadata, and by the library database (pods/exec).
    expect(out.matches).toEqual([expect.objectContaining({ id: ted.Id, foundBy: ['missing-metadata', 'library-db'] })]);
    expect(out.refreshed).toMatchObject({ id: ted.Id, name: 'Better Off Ted', metadata: 'present', hasMetadata: true });
    expect(jf().isHidden(ted.Id)).toBe(false);
    expect(item('Better Off Ted').Overview).toBeTruthy();
  });

  it('refreshes by id, with and without dashes', async () => {
    const movie = item('Step Brothers');
    for (const id of [movie.Id, dashed(movie.Id).toUpperCase()]) {
      const before = posts().length;
      const { output, summary } = await fix({ id, timeout: '10s' });
      expect(summary?.verdict).toBe('ok');
      expect(output.refreshed).toMatchObject({ id: movie.Id, name: 'Step Brothers', metadata: 'present' });
      expect(posts().slice(before)).toEqual([{ method: 'POST', path: `/Items/${movie.Id}/Refresh` }]);
    }
  });

  it('lists titles that only contain the one asked for, with the command that fixes each, and refreshes none (warn)', async () => {
    const before = posts().length;
    const [the, one] = await Promise.all([
      fix({ title: 'The' }),
      // One candidate is no reason to act: "Brothers" is not "Step Brothers".
      fix({ title: 'Brothers', replaceAll: true }),
    ]);
    expect(the.summary?.verdict).toBe('warn');
    expect(the.output.outcome).toBe('not-exact');
    expect(the.output.matches.length).toBeGreaterThan(1);
    expect(the.output.matches.every((m) => !m.exact && m.fix.command === `homelab jellyfin fix --id ${m.id}` && m.fix.tool === 'jellyfin_fix')).toBe(true);
    expect(the.output.refreshed).toBeUndefined();
    expect(one.summary?.verdict).toBe('warn');
    const movie = item('Step Brothers');
    expect(one.output).toMatchObject({
      outcome: 'not-exact',
      matches: [
        {
          id: movie.Id,
          name: 'Step Brothers',
          exact: false,
          fix: { tool: 'jellyfin_fix', input: { id: movie.Id, replaceAll: true }, command: `homelab jellyfin fix --id ${movie.Id} --replace-all` },
        },
      ],
    });
    expect(posts().length).toBe(before);
  });

  it('says where it looked when nothing matches', async () => {
    const err = await failure(fix({ title: 'No Such Show Anywhere' }));
    expect(err.kind).toBe('NotFound');
    expect(err.said).toMatch(/no Series or Movie matching "No Such Show Anywhere" .*looked in the API search .*items lacking metadata/);
  });

  it('refuses a title that is an option or has no letters or digits, before any request', async () => {
    const before = jf().requests.length;
    const dash = await failure(fix({ title: '-h' }));
    expect(dash.kind).toBe('UserError');
    expect(dash.said).toContain('title: looks like an option, not a title; to act on an item whose title starts with "-", pass its --id');
    const dots = await failure(fix({ title: '...' }));
    expect(dots.kind).toBe('UserError');
    expect(dots.said).toContain('title: has no letters or digits: it would match every title');
    expect(jf().requests.length).toBe(before);
  });

  it('refuses ids that are not GUIDs before any request is made', async () => {
    const before = jf().requests.length;
    const ids = ['../System/Shutdown', '%2e%2e', 'f27caa37e5142225cceded48f655350', `../Items/${'a'.repeat(32)}`, `${'a'.repeat(32)}/../../System/Shutdown`];
    for (const id of ids) {
      const err = await failure(fix({ id }));
      expect(err.kind, id).toBe('UserError');
      expect(err.said, id).toContain('id: must be a Jellyfin item id: a GUID of 32 hex digits');
    }
    expect(jf().requests.length).toBe(before);
  });

  it('is refused in read-only mode', async () => {
    const readOnly = await configWith(s.sandbox, 'read-only', { readOnly: true });
    const err = await failure(fix({ title: 'Better Off Ted' }, readOnly));
    expect(err.kind).toBe('PolicyDenied');
    expect(err.said).toContain('read-only');
  });
});

describe('jellyfin_fix on Jellyfin 10.11', () => {
  let s: SandboxEnv;
  beforeAll(async () => {
    s = await startSandboxEnv({ services: { jellyfinVersion: '10.11' } });
  });
  afterAll(async () => {
    await s?.sandbox.stop();
  });

  it('fixes the hidden series there too, by a title written with dots', async () => {
    const ted = s.sandbox.services.jellyfin?.items().find((i) => i.Name === 'Better Off Ted');
    const { output, summary } = await callOp<Fixed>(s, 'jellyfin_fix', { title: 'better.off.ted' });
    expect(summary?.verdict).toBe('ok');
    expect(output.refreshed).toMatchObject({ id: ted?.Id, metadata: 'present' });
  });
});
