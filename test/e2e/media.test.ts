import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { configWith } from '../helpers/config.js';
import { stdioClient } from '../helpers/mcp.js';
import { startSandboxEnv, type SandboxEnv } from '../helpers/sandbox.js';

interface Finding { severity: string; kind: string; name: string; reason: string; message: string }
interface Media {
  verdict: string;
  summary: string;
  jellyfin: { configured: boolean; reachable?: boolean; version?: string; counts?: { movies: number; series: number }; sessions?: Array<{ user?: string; playing?: string }>; libraries?: Array<{ name: string }>; failedTasks?: Array<{ name: string; status: string }> };
  immich: { configured: boolean; reachable?: boolean; version?: string; photos?: number; videos?: number; usage?: number; users?: Array<{ name: string }> };
  findings: Finding[];
}
interface Fixed {
  outcome: 'refreshed' | 'ambiguous' | 'not-exact';
  matches: Array<{ id: string; name: string; foundBy: string[]; exact: boolean; fix: { tool: string; input: Record<string, unknown>; command: string } }>;
  refreshed?: { id: string; name: string; metadata: string; hasMetadata: boolean; providerIds: Record<string, string> };
}

const json = <T>(stdout: string) => JSON.parse(stdout) as T;
const dashed = (g: string) => `${g.slice(0, 8)}-${g.slice(8, 12)}-${g.slice(12, 16)}-${g.slice(16, 20)}-${g.slice(20)}`;

// Tests run in order: they read the fake's request log and its items' state.
describe('homelab media', () => {
  describe.sequential('homelab media and jellyfin (10.10)', () => {
    let s: SandboxEnv;
    beforeAll(async () => { s = await startSandboxEnv({ services: { jellyfinVersion: '10.10' } }); });
    afterAll(async () => { await s?.sandbox.stop(); });
    const jf = () => {
      const fake = s.sandbox.services.jellyfin;
      if (!fake) throw new Error('the sandbox runs no Jellyfin');
      return fake;
    };
    const item = (name: string) => {
      const found = jf().items().find((i) => i.Name === name);
      if (!found) throw new Error(`no ${name} in the fake`);
      return found;
    };

    it('reports Jellyfin and Immich, with a failed scheduled task as a finding (table and --json)', async () => {
      const [r, table] = await Promise.all([runCli(['media', '--json'], s.env), runCli(['media'], s.env)]);
      const out = json<Media>(r.stdout);
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
      expect(r.code).toBe(out.verdict === 'crit' ? 2 : 1);
      expect(table.code).toBe(r.code);
      expect(table.stdout).toMatch(/^(WARN|CRIT) Jellyfin 10\.10\.\d+: /);
      expect(table.stdout).toContain(`Immich ${out.immich.version}`);
      expect(table.stdout).toMatch(/ScheduledTask\s+.*Task(Failed|Aborted)/);
    });

    it('finds the hidden series a plain search misses, refreshes it, and the fake then has its metadata', async () => {
      const ted = item('Better Off Ted');
      expect(jf().isHidden(ted.Id)).toBe(true);
      const r = await runCli(['jellyfin', 'fix', 'Better Off Ted', '--yes', '--json'], s.env);
      expect(r.stderr).toContain('queueing a full metadata refresh');
      expect(r.code).toBe(0);
      const out = json<Fixed>(r.stdout);
      expect(out.outcome).toBe('refreshed');
      // Not by the plain search: by the items lacking metadata, and by the library database (pods/exec).
      expect(out.matches).toEqual([expect.objectContaining({ id: ted.Id, foundBy: ['missing-metadata', 'library-db'] })]);
      expect(out.refreshed).toMatchObject({ id: ted.Id, name: 'Better Off Ted', metadata: 'present', hasMetadata: true });
      expect(jf().isHidden(ted.Id)).toBe(false);
      expect(item('Better Off Ted').Overview).toBeTruthy();
    });

    it('refreshes by --id, with and without dashes', async () => {
      const movie = item('Step Brothers');
      for (const id of [movie.Id, dashed(movie.Id).toUpperCase()]) {
        const before = jf().requests.filter((q) => q.method === 'POST').length;
        const r = await runCli(['jellyfin', 'fix', '--id', id, '--timeout', '10s', '--yes', '--json'], s.env);
        expect(r.code, r.stderr).toBe(0);
        expect(json<Fixed>(r.stdout).refreshed).toMatchObject({ id: movie.Id, name: 'Step Brothers', metadata: 'present' });
        const posts = jf().requests.filter((q) => q.method === 'POST').slice(before);
        expect(posts).toEqual([{ method: 'POST', path: `/Items/${movie.Id}/Refresh` }]);
      }
    });

    it('lists titles that only contain the one asked for, with the command that fixes each, and refreshes none', async () => {
      const posts = () => jf().requests.filter((q) => q.method === 'POST').length;
      const before = posts();
      const [r, table, one] = await Promise.all([
        runCli(['jellyfin', 'fix', 'The', '--yes', '--json'], s.env),
        runCli(['jellyfin', 'fix', 'The', '--yes'], s.env),
        // One candidate is no reason to act: "Brothers" is not "Step Brothers".
        runCli(['jellyfin', 'fix', 'Brothers', '--replace-all', '--yes', '--json'], s.env),
      ]);
      expect(r.code).toBe(1);
      const out = json<Fixed>(r.stdout);
      expect(out.outcome).toBe('not-exact');
      expect(out.matches.length).toBeGreaterThan(1);
      expect(out.matches.every((m) => !m.exact && m.fix.command === `homelab jellyfin fix --id ${m.id}` && m.fix.tool === 'jellyfin_fix')).toBe(true);
      expect(out.refreshed).toBeUndefined();
      expect(table.stdout).toContain('No item has exactly that title');
      expect(table.stdout).toContain('nothing was refreshed');
      expect(one.code).toBe(1);
      const brothers = json<Fixed>(one.stdout);
      const movie = item('Step Brothers');
      expect(brothers).toMatchObject({ outcome: 'not-exact', matches: [{ id: movie.Id, name: 'Step Brothers', exact: false, fix: { tool: 'jellyfin_fix', input: { id: movie.Id, replaceAll: true }, command: `homelab jellyfin fix --id ${movie.Id} --replace-all` } }] });
      expect(posts()).toBe(before);

      // The command printed for a candidate runs exactly as printed: off a terminal it stops at the
      // confirmation (a person confirms a write); a script adds --yes, and that item alone is refreshed.
      const printed = table.stdout.split('\n').map((l) => /^\s+(homelab jellyfin fix --id \S+)\s+# Movie "The Big Lebowski"/.exec(l)?.[1]).find(Boolean);
      expect(printed).toBeDefined();
      const [bin, ...args] = (printed as string).split(' ');
      expect(bin).toBe('homelab');
      const asPrinted = await runCli(args, s.env);
      expect(asPrinted.code).toBe(64);
      expect(asPrinted.stderr).toContain('refusing to change the cluster without confirmation');
      const ran = await runCli([...args, '--yes', '--json'], s.env);
      expect(ran.code, ran.stderr).toBe(0);
      expect(json<Fixed>(ran.stdout).refreshed).toMatchObject({ id: item('The Big Lebowski').Id, name: 'The Big Lebowski' });
      expect(jf().requests.filter((q) => q.method === 'POST').slice(before)).toEqual([{ method: 'POST', path: `/Items/${item('The Big Lebowski').Id}/Refresh` }]);
    });

    it('refuses a title that is an option or has no letters or digits (64), before any request', async () => {
      const before = jf().requests.length;
      const [dash, dots, mcp] = await Promise.all([
        runCli(['jellyfin', 'fix', '--yes', '--', '-h'], s.env),
        runCli(['jellyfin', 'fix', '...', '--yes'], s.env),
        (async () => {
          const client = await stdioClient(s.env);
          try {
            return await client.client.callTool({ name: 'jellyfin_fix', arguments: { title: '-h' } });
          } finally {
            await client.close();
          }
        })(),
      ]);
      expect(dash.code).toBe(64);
      expect(dash.stderr).toContain('TITLE: looks like an option, not a title; to act on an item whose title starts with "-", pass its --id');
      expect(dots.code).toBe(64);
      expect(dots.stderr).toContain('TITLE: has no letters or digits: it would match every title');
      expect(mcp.isError).toBe(true);
      expect(JSON.stringify(mcp.content)).toContain('looks like an option, not a title');
      expect(jf().requests.length).toBe(before);
    });

    it('says where it looked when nothing matches', async () => {
      const r = await runCli(['jellyfin', 'fix', 'No Such Show Anywhere', '--yes'], s.env);
      expect(r.code).toBe(66);
      expect(r.stderr).toMatch(/no Series or Movie matching "No Such Show Anywhere" .*looked in the API search .*items lacking metadata/);
    });

    it('refuses ids that are not GUIDs (exit 64) before any request is made', async () => {
      const before = jf().requests.length;
      const ids = ['../System/Shutdown', '%2e%2e', 'f27caa37e5142225cceded48f655350', `../Items/${'a'.repeat(32)}`, `${'a'.repeat(32)}/../../System/Shutdown`];
      const results = await Promise.all(ids.map((id) => runCli(['jellyfin', 'fix', '--id', id, '--yes'], s.env)));
      for (const r of results) {
        expect(r.code).toBe(64);
        expect(r.stderr).toContain('--id: must be a Jellyfin item id: a GUID of 32 hex digits');
      }
      expect(jf().requests.length).toBe(before);
    });

    it('scans all libraries with the scheduled task and waits for it', async () => {
      const r = await runCli(['jellyfin', 'scan', '--yes', '--json'], s.env);
      expect(r.code, r.stderr).toBe(0);
      expect(json<{ scope: string; state: string; started: boolean; task: string }>(r.stdout)).toMatchObject({ scope: 'all', state: 'Completed', started: true, task: 'Scan Media Library' });
      expect(jf().requests).toContainEqual({ method: 'POST', path: expect.stringMatching(/^\/ScheduledTasks\/Running\/[0-9a-f]{32}$/) });
      expect(jf().requests).not.toContainEqual(expect.objectContaining({ path: '/Library/Refresh' }));
      const shows = jf().items().find((i) => i.Type === 'CollectionFolder' && i.Name === 'Shows');
      const one = await runCli(['jellyfin', 'scan', '--library', 'shows', '--yes', '--json'], s.env);
      expect(one.code, one.stderr).toBe(0);
      expect(json<{ scope: string; library: string; state: string }>(one.stdout)).toMatchObject({ scope: 'library', library: 'Shows', state: 'Completed' });
      expect(jf().requests).toContainEqual({ method: 'POST', path: `/Items/${shows?.Id}/Refresh` });
    });

    it('refuses writes without --yes off a terminal (64) and in read-only mode (77)', async () => {
      const readOnly = await configWith(s.sandbox, 'read-only', { readOnly: true });
      const [noYes, ro] = await Promise.all([runCli(['jellyfin', 'scan'], s.env), runCli(['jellyfin', 'fix', 'Better Off Ted', '--yes', '--config', readOnly], s.env)]);
      expect(noYes.code).toBe(64);
      expect(noYes.stderr).toContain('pass --yes');
      expect(ro.code).toBe(77);
      expect(ro.stderr).toContain('read-only');
    });

    it('names the service and URL, never the key, when the API key is wrong (69)', async () => {
      const keyFile = join(s.sandbox.dir, 'wrong-jellyfin-key');
      await writeFile(keyFile, 'not-the-key-0123456789\n');
      const wrong = await configWith(s.sandbox, 'wrong-key', { services: { jellyfin: { url: jf().url, apiKey: { file: keyFile } } } });
      const [r, status] = await Promise.all([runCli(['jellyfin', 'scan', '--yes', '--config', wrong], s.env), runCli(['media', '--json', '--config', wrong], s.env)]);
      expect(r.code).toBe(69);
      expect(r.stderr).toContain(`Jellyfin at ${jf().url.replace(/\/+$/, '')} did not accept the API key`);
      expect(r.stderr).not.toContain('not-the-key');
      expect(r.stderr).not.toContain(jf().apiKey);
      // In media status the other service still reports; the refused one is a crit finding.
      expect(status.code).toBe(2);
      const out = json<Media>(status.stdout);
      expect(out.immich.reachable).toBe(true);
      expect(out.findings).toContainEqual(expect.objectContaining({ severity: 'crit', kind: 'Service', name: 'jellyfin', reason: 'Refused' }));
      expect(status.stdout).not.toContain(jf().apiKey);
    });

    it('answers over MCP stdio', async () => {
      const mcp = await stdioClient(s.env);
      try {
        const result = await mcp.client.callTool({ name: 'media_status', arguments: {} });
        expect(result.isError).toBeFalsy();
        expect((result.structuredContent as unknown as Media).jellyfin.configured).toBe(true);
        const bad = await mcp.client.callTool({ name: 'jellyfin_fix', arguments: { id: '../System/Shutdown' } });
        expect(bad.isError).toBe(true);
        expect(JSON.stringify(bad.content)).toContain('must be a Jellyfin item id');
      } finally {
        await mcp.close();
      }
    });
  });

  describe.sequential('homelab media on Jellyfin 10.11 and without services', () => {
    let s: SandboxEnv;
    beforeAll(async () => { s = await startSandboxEnv({ services: { jellyfinVersion: '10.11' } }); });
    afterAll(async () => { await s?.sandbox.stop(); });

    it('reads a 10.11 server and fixes the hidden series there too', async () => {
      const fake = s.sandbox.services.jellyfin;
      const ted = fake?.items().find((i) => i.Name === 'Better Off Ted');
      const [status, r] = await Promise.all([runCli(['media', '--json'], s.env), runCli(['jellyfin', 'fix', 'better.off.ted', '--yes', '--json'], s.env)]);
      expect(json<Media>(status.stdout).jellyfin.version).toMatch(/^10\.11\./);
      expect(r.code, r.stderr).toBe(0);
      expect(json<Fixed>(r.stdout).refreshed).toMatchObject({ id: ted?.Id, metadata: 'present' });
    });

    it('says "not configured" for each service absent from the config (exit 0)', async () => {
      const none = await configWith(s.sandbox, 'no-services', { services: {} });
      // configWith merges one level deep: write the services section out entirely.
      const { readFile } = await import('node:fs/promises');
      const { parse, stringify } = await import('yaml');
      const cfg = parse(await readFile(none, 'utf8')) as Record<string, unknown>;
      delete cfg.services;
      await writeFile(none, stringify(cfg));
      const [r, scan] = await Promise.all([runCli(['media', '--json', '--config', none], s.env), runCli(['jellyfin', 'scan', '--yes', '--config', none], s.env)]);
      expect(r.code).toBe(0);
      const out = json<Media>(r.stdout);
      expect(out.jellyfin).toEqual({ configured: false });
      expect(out.immich).toEqual({ configured: false });
      expect(out.summary).toBe('Jellyfin not configured; Immich not configured');
      expect(scan.code).toBe(64);
      expect(scan.stderr).toContain('Jellyfin is not configured');
    });
  });
});
