/**
 * The homelab's services against the sandbox's fakes (their real paths, auth and shapes): uptime,
 * Authentik (API v3), Rancher (v3), and the *arr stack (Sonarr v4 / Radarr v5 / Prowlarr v1 API v3,
 * Bazarr, SABnzbd, qBittorrent v2 WebUI API), through the CLI and the MCP server. The guarded *arr
 * writes change the fakes' state, and only for what allow.arr names.
 */
import { writeFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { runCli, runCliProcess } from '../helpers/cli.js';
import { configWith } from '../helpers/config.js';
import { callConfirmed, stdioClient } from '../helpers/mcp.js';
import { startSandboxEnv, type SandboxEnv } from '../helpers/sandbox.js';

interface Finding {
  severity: string;
  kind: string;
  name: string;
  reason: string;
  message: string;
}
interface Uptime {
  verdict: string;
  from: string;
  checked: number;
  down: number;
  targets: Array<{ name?: string; url: string; up: boolean; status?: number; keywordFound?: boolean; problem?: string; admittedAs: string }>;
  findings: Finding[];
}
interface ToolAnswer {
  isError?: boolean;
  structuredContent?: Record<string, unknown>;
  content: Array<{ type: string; text?: string }>;
}

const json = <T>(stdout: string) => JSON.parse(stdout) as T;

describe.sequential("the homelab's services", () => {
  let s: SandboxEnv;
  beforeAll(async () => {
    s = await startSandboxEnv();
  }, 60_000);
  afterAll(async () => {
    await s?.sandbox.stop();
  });
  const fake = <K extends keyof SandboxEnv['sandbox']['services']>(name: K): NonNullable<SandboxEnv['sandbox']['services'][K]> => {
    const f = s.sandbox.services[name];
    if (!f) throw new Error(`the sandbox runs no ${String(name)}`);
    return f;
  };
  /** A config with `services.NAME` removed (what a user without that service has). */
  const without = async (name: string) => {
    const config = parse(await readFile(s.sandbox.configPath, 'utf8')) as { services: Record<string, unknown> };
    delete config.services[name];
    const file = path.join(s.sandbox.dir, `without-${name}.yaml`);
    await writeFile(file, stringify(config));
    s.sandbox.written.push(file);
    return file;
  };

  describe('uptime', () => {
    it('checks the configured URLs from this process, says so, and passes cron an exit code', async () => {
      const [r, table] = await Promise.all([runCliProcess(['uptime', '--json'], s.env), runCli(['uptime'], s.env)]);
      expect(r.code, r.stderr).toBe(0);
      const out = json<Uptime>(r.stdout);
      expect(out).toMatchObject({ verdict: 'ok', down: 0, from: expect.stringContaining('this process') });
      expect(out.checked).toBeGreaterThanOrEqual(3);
      expect(out.targets.map((t) => t.name)).toEqual(expect.arrayContaining(['jellyfin', 'authentik', 'sonarr']));
      expect(out.targets.find((t) => t.name === 'sonarr')).toMatchObject({
        up: true,
        status: 200,
        keywordFound: true,
        admittedAs: 'uptime.targets in the config',
      });
      expect(table.code).toBe(0);
      expect(table.stdout).toMatch(/^OK \d+ URLs, all up/);
    });

    it('a URL that is down, and a page without its keyword, make the verdict crit (exit 2)', async () => {
      const closed = 'http://127.0.0.1:9/';
      const config = await configWith(s.sandbox, 'uptime-down', {
        uptime: {
          targets: [
            { name: 'gone', url: closed },
            { name: 'sonarr-words', url: `${fake('sonarr').url}/ping`, keyword: 'definitely-not-on-the-page' },
            { name: 'radarr', url: `${fake('radarr').url}/ping`, keyword: 'OK' },
          ],
        },
      });
      const r = await runCli(['uptime', '--json', '--config', config], s.env);
      const out = json<Uptime>(r.stdout);
      expect(r.code).toBe(2);
      expect(out).toMatchObject({ verdict: 'crit', checked: 3, down: 2 });
      expect(out.targets.find((t) => t.name === 'gone')).toMatchObject({ up: false, problem: 'Unreachable' });
      expect(out.findings).toContainEqual(expect.objectContaining({ severity: 'crit', name: 'gone' }));
      expect(out.targets.find((t) => t.name === 'sonarr-words')).toMatchObject({ up: false, status: 200, keywordFound: false });
      expect(out.targets.find((t) => t.name === 'radarr')).toMatchObject({ up: true });
    });

    it('refuses a URL outside the target policy before any request, through both doors', async () => {
      const cli = await runCli(['uptime', '--urls', 'http://203.0.113.9/', '--only-urls'], s.env);
      expect(cli.code).toBe(77);
      expect(cli.stderr).toMatch(/203\.0\.113\.9/);
      const mcp = await stdioClient(s.env);
      try {
        const no = (await mcp.client.callTool({ name: 'uptime_status', arguments: { urls: ['http://203.0.113.9/'], onlyUrls: true } })) as ToolAnswer;
        expect(no.isError).toBe(true);
        expect(no.content[0]?.text).toMatch(/203\.0\.113\.9/);
        const ok = (await mcp.client.callTool({ name: 'uptime_status', arguments: {} })) as ToolAnswer;
        expect(ok.isError).not.toBe(true);
        expect(ok.structuredContent).toMatchObject({ verdict: 'ok', down: 0 });
      } finally {
        await mcp.close();
      }
    });
  });

  describe('authentik', () => {
    it('lists users, applications and their providers, outposts and failed logins, with findings (CLI)', async () => {
      const [r, table] = await Promise.all([runCli(['authentik', '--json'], s.env), runCli(['authentik'], s.env)]);
      const out = json<{
        version: string;
        users: { total: number; active: number; superusers: number; superuserList: Array<{ username: string }> };
        applications: { items: Array<{ slug: string; provider?: string }> };
        findings: Finding[];
      }>(r.stdout);
      expect(out.version).toMatch(/^\d{4}\.\d+/);
      expect(out.users.superusers).toBe(out.users.superuserList.length);
      expect(out.users.active).toBeLessThan(out.users.total);
      expect(out.applications.items.length).toBeGreaterThan(0);
      expect(out.findings).toContainEqual(expect.objectContaining({ kind: 'AuthentikApplication', reason: 'NoProvider' }));
      expect(out.findings).toContainEqual(expect.objectContaining({ kind: 'Authentik', reason: 'FailedLogins' }));
      expect(r.code).toBe(1);
      expect(table.code).toBe(1);
      expect(table.stdout).toMatch(/^WARN .*Authentik \d{4}\./);
      expect(table.stdout).toMatch(/failed logins since/);
    });

    it('over MCP, and one clear line when its token is refused or it is not configured', async () => {
      const badToken = path.join(s.sandbox.dir, 'authentik-bad-token');
      writeFileSync(badToken, 'not-a-token\n', { mode: 0o600 });
      s.sandbox.written.push(badToken);
      const refused = await configWith(s.sandbox, 'authentik-bad', { services: { authentik: { url: fake('authentik').url, token: { file: badToken } } } });
      const [bad, absent] = await Promise.all([
        runCli(['authentik', '--config', refused], s.env),
        runCli(['authentik', '--config', await without('authentik')], s.env),
      ]);
      // One line: who refused what, and the status; a check that could not run is crit, never ok.
      expect(bad.code).toBe(2);
      expect(bad.stdout.trim()).toMatch(/^CRIT Authentik at http:\/\/127\.0\.0\.1:\d+ refused GET \/api\/v3\/\S+ \(HTTP 403\): Token invalid\/expired$/);
      expect(`${bad.stdout}${bad.stderr}`).not.toContain('not-a-token');
      expect(absent.code).toBe(64);
      expect(absent.stderr).toMatch(/Authentik is not configured\nHint: add services\.authentik/);
      const mcp = await stdioClient(s.env);
      try {
        const a = (await mcp.client.callTool({ name: 'authentik_status', arguments: {} })) as ToolAnswer;
        expect(a.isError).not.toBe(true);
        expect(a.structuredContent).toMatchObject({ reachable: true, users: expect.objectContaining({ total: expect.any(Number) }) });
      } finally {
        await mcp.close();
      }
    });
  });

  describe('rancher', () => {
    it('lists clusters and their nodes; an unavailable cluster is crit (CLI and MCP)', async () => {
      const [r, table] = await Promise.all([runCli(['rancher', '--json'], s.env), runCli(['rancher'], s.env)]);
      const out = json<{ clusters: Array<{ name: string; state: string; nodes: Array<{ name: string; state: string }> }>; findings: Finding[] }>(r.stdout);
      expect(r.code).toBe(2);
      expect(out.clusters.length).toBeGreaterThan(1);
      const down = out.clusters.find((c) => c.state !== 'active');
      expect(down).toBeDefined();
      expect(out.findings).toContainEqual(expect.objectContaining({ severity: 'crit', kind: 'RancherCluster', name: down?.name }));
      for (const c of out.clusters) expect(c.nodes.length).toBeGreaterThan(0);
      expect(table.stdout).toMatch(/^CRIT /);
      expect(table.stdout).toContain(`${down?.name} (`);
      const mcp = await stdioClient(s.env);
      try {
        const a = (await mcp.client.callTool({ name: 'rancher_status', arguments: {} })) as ToolAnswer;
        expect(a.isError).not.toBe(true);
        expect((a.structuredContent as { clusters: unknown[] }).clusters).toHaveLength(out.clusters.length);
      } finally {
        await mcp.close();
      }
      const absent = await runCli(['rancher', '--config', await without('rancher')], s.env);
      expect(absent.code).toBe(64);
      expect(absent.stderr).toMatch(/Rancher is not configured\nHint: add services\.rancher/);
    });
  });

  describe('the *arr stack', () => {
    interface Arr {
      verdict: string;
      sonarr: { reachable: boolean; queue: { stuck: Array<{ queueId: number; title: string; reason: string }> }; missing: number };
      radarr: { queue: { stuck: Array<{ queueId: number; title: string }> } };
      prowlarr: { indexers: { failing: Array<{ name: string }> } };
      bazarr: { missingEpisodes: number };
      sabnzbd: { failed: { recent: Array<{ id: string; name: string }> } };
      qbittorrent: { torrents: { paused: number } };
      findings: Finding[];
    }

    it('reports health, stuck downloads, missing items, disks, indexers and the download clients, each fix a command that runs', async () => {
      const [r, table] = await Promise.all([runCli(['arr', '--json'], s.env), runCli(['arr'], s.env)]);
      const out = json<Arr>(r.stdout);
      expect(r.code).toBe(1);
      const stuck = fake('sonarr')
        .queue()
        .filter((q) => q.trackedDownloadState !== 'downloading' || q.status !== 'downloading');
      expect(out.sonarr.queue.stuck.map((q) => q.queueId).sort()).toEqual(stuck.map((q) => q.id).sort());
      expect(out.sonarr.missing).toBeGreaterThan(0);
      expect(out.prowlarr.indexers.failing.length).toBeGreaterThan(0);
      expect(out.bazarr.missingEpisodes).toBeGreaterThan(0);
      expect(out.sabnzbd.failed.recent.length).toBeGreaterThan(0);
      expect(out.findings).toContainEqual(expect.objectContaining({ kind: 'SonarrDownload', reason: 'Stalled' }));
      expect(table.stdout).toContain(`homelab arr retry sonarr ${out.sonarr.queue.stuck[0]?.queueId}`);
      const missing = await runCli(['arr', 'missing', 'sonarr', '--json'], s.env);
      expect(missing.code, missing.stderr).toBe(0);
      expect(JSON.stringify(JSON.parse(missing.stdout))).toMatch(/"id":\d+/);
      const badApp = await runCli(['arr', 'missing', 'lidarr'], s.env);
      expect(badApp.code).toBe(64);
      expect(badApp.stderr).toMatch(/sonarr.*radarr/);
    });

    it('refuses a retry the allow-list does not name, and changes nothing', async () => {
      const before = fake('sonarr')
        .queue()
        .map((q) => q.id);
      const r = await runCli(['arr', 'retry', 'sonarr', String(before[0]), '--yes'], s.env);
      expect(r.code).toBe(77);
      expect(r.stderr).toMatch(/allow\.arr/);
      expect(
        fake('sonarr')
          .queue()
          .map((q) => q.id),
      ).toEqual(before);
      expect(fake('sonarr').blocklist()).toEqual([]);
    });

    it('retries an allowed stuck download (blocklisted, another grabbed) and a failed SABnzbd job; searches a missing episode (CLI and MCP)', async () => {
      const config = await configWith(s.sandbox, 'arr-allowed', { allow: { arr: ['sonarr/*', 'radarr/*', 'sabnzbd/*'] } });
      const env = { ...s.env, HOMELAB_CONFIG: config };
      const sonarr = fake('sonarr');
      const stuck = sonarr.queue().find((q) => q.trackedDownloadState !== 'downloading');
      expect(stuck).toBeDefined();
      const r = await runCli(['arr', 'retry', 'sonarr', String(stuck?.id), '--yes', '--json'], env);
      expect(r.code, r.stderr).toBe(0);
      const out = json<{ retried: { id: string; title: string }; blocklisted: boolean; replacement?: { id: string } }>(r.stdout);
      expect(out).toMatchObject({ retried: { id: String(stuck?.id), title: stuck?.title }, blocklisted: true });
      expect(sonarr.queue().map((q) => q.id)).not.toContain(stuck?.id);
      expect(sonarr.blocklist()).toContain(stuck?.title);
      expect(sonarr.queue().map((q) => String(q.id))).toContain(out.replacement?.id);

      const sab = fake('sabnzbd');
      const failed = sab.jobs().failed[0];
      const mcp = await stdioClient(env);
      try {
        // First the plan, with exactly what is sent and nothing changed yet; then the confirmed call applies it.
        const planned = (await mcp.client.callTool({ name: 'arr_retry', arguments: { app: 'sabnzbd', id: failed?.id } })) as ToolAnswer;
        expect(planned.isError, planned.content[0]?.text).not.toBe(true);
        expect(JSON.stringify(planned.structuredContent)).toContain(`mode=retry&value=${failed?.id}`);
        expect(sab.jobs().failed.map((j) => j.id)).toContain(failed?.id);
        const retried = (await callConfirmed(mcp.client, 'arr_retry', { app: 'sabnzbd', id: failed?.id })) as ToolAnswer;
        expect(retried.isError, retried.content[0]?.text).not.toBe(true);
        expect(sab.jobs().failed.map((j) => j.id)).not.toContain(failed?.id);
        expect(sab.jobs().queued).toContain(failed?.name);

        const missing = (await mcp.client.callTool({ name: 'arr_missing', arguments: { app: 'sonarr' } })) as ToolAnswer;
        const first = (missing.structuredContent as { items: Array<{ id: number }> }).items[0];
        expect(first).toBeDefined();
        const searched = (await callConfirmed(mcp.client, 'arr_search', { app: 'sonarr', id: first?.id })) as ToolAnswer;
        expect(searched.isError, searched.content[0]?.text).not.toBe(true);
        expect(sonarr.commands()).toContainEqual(expect.objectContaining({ name: 'EpisodeSearch', ids: [first?.id] }));
      } finally {
        await mcp.close();
      }
    });
  });
});
