/** The fake home services over raw HTTP: what the product's clients see on the wire. */
import { request } from 'node:http';
import { readFileSync, statSync } from 'node:fs';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox } from '@homelab/sandbox';
import { startConfiguredSandbox, type ConfiguredSandbox } from '../helpers/sandbox.js';
import { parseConfig } from '../../src/core/config.js';

interface Res {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: () => Record<string, unknown>;
  chunks: number[];
}

function http(base: string, method: string, pathAndQuery: string, opts: { body?: unknown; headers?: Record<string, string> } = {}): Promise<Res> {
  const url = new URL(pathAndQuery, base);
  const body = opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
  const headers: Record<string, string> = { Accept: 'application/json', ...(opts.headers ?? {}) };
  if (body !== undefined) {
    headers['Content-Type'] ??= 'application/json';
    headers['Content-Length'] = String(Buffer.byteLength(body));
  }
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const req = request(url, { method, headers }, (res) => {
      const parts: Buffer[] = [];
      const chunks: number[] = [];
      res.on('data', (c: Buffer) => {
        parts.push(c);
        chunks.push(Date.now() - t0);
      });
      res.on('end', () => {
        const text = Buffer.concat(parts).toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, chunks, json: () => JSON.parse(text) as Record<string, unknown> });
      });
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

describe('fake Pi-hole v6', () => {
  let sb: ConfiguredSandbox;
  let base: string;
  let password: string;
  beforeAll(async () => {
    sb = await startConfiguredSandbox({ services: { pihole: { maxSessions: 3, sessionTimeoutS: 1 } } });
    base = sb.services.pihole!.url;
    password = sb.services.pihole!.password;
  });
  afterAll(async () => {
    await sb?.stop();
  });

  const login = async (): Promise<string> => {
    const r = await http(base, 'POST', '/api/auth', { body: { password } });
    expect(r.status).toBe(200);
    return (r.json().session as { sid: string }).sid;
  };

  it('listens on 127.0.0.1 and writes services: into homelab.yaml, parsed by the product', () => {
    expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const raw = parse(readFileSync(sb.configPath, 'utf8')) as Record<string, unknown>;
    const cfg = parseConfig(raw);
    expect(cfg.services.pihole?.url).toBe(base);
    expect(cfg.dns.namespace).toBe('pihole');
    const file = (cfg.services.pihole?.password as { file: string }).file;
    expect(readFileSync(file, 'utf8').trim()).toBe(password);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('refuses a wrong password with the real 401 body, and a missing one with 400', async () => {
    const r = await http(base, 'POST', '/api/auth', { body: { password: 'nope' } });
    expect(r.status).toBe(401);
    const body = r.json();
    expect(body.session).toEqual({ valid: false, totp: false, sid: null, csrf: null, validity: -1, message: 'password incorrect' });
    expect(typeof body.took).toBe('number');
    const bad = await http(base, 'POST', '/api/auth', { body: {} });
    expect(bad.status).toBe(400);
    expect((bad.json().error as { key: string }).key).toBe('bad_request');
  });

  it('logs in, authenticates by X-FTL-SID / sid header / query / cookie+CSRF, logs out 204 then 404', async () => {
    const pi = sb.services.pihole!;
    const before = { logins: pi.logins, logouts: pi.logouts };
    const r = await http(base, 'POST', '/api/auth', { body: { password } });
    const session = r.json().session as { sid: string; csrf: string; validity: number; valid: boolean };
    expect(session).toMatchObject({ valid: true, validity: 1, message: 'correct password' });
    const sid = session.sid;
    expect((await http(base, 'GET', '/api/stats/summary')).status).toBe(401);
    expect((await http(base, 'GET', '/api/stats/summary')).json()).toMatchObject({ error: { key: 'unauthorized', message: 'Unauthorized', hint: null } });
    expect((await http(base, 'GET', '/api/stats/summary', { headers: { 'X-FTL-SID': sid } })).status).toBe(200);
    expect((await http(base, 'GET', '/api/stats/summary', { headers: { sid } })).status).toBe(200);
    expect((await http(base, 'GET', `/api/stats/summary?sid=${encodeURIComponent(sid)}`)).status).toBe(200);
    expect((await http(base, 'GET', '/api/stats/summary', { headers: { Cookie: `sid=${sid}` } })).status).toBe(401);
    expect((await http(base, 'GET', '/api/stats/summary', { headers: { Cookie: `sid=${sid}`, 'X-CSRF-TOKEN': session.csrf } })).status).toBe(200);
    expect((await http(base, 'GET', '/api/auth', { headers: { 'X-FTL-SID': sid } })).json().session).toMatchObject({ valid: true, sid });
    expect((await http(base, 'DELETE', '/api/auth', { headers: { 'X-FTL-SID': sid } })).status).toBe(204);
    expect((await http(base, 'DELETE', '/api/auth', { headers: { 'X-FTL-SID': sid } })).status).toBe(404);
    expect((await http(base, 'GET', '/api/auth', { headers: { 'X-FTL-SID': sid } })).status).toBe(401);
    expect(pi.logins - before.logins).toBe(1);
    expect(pi.logouts - before.logouts).toBe(1);
    expect(JSON.stringify(pi.requests)).not.toContain(sid);
    expect(JSON.stringify(pi.requests)).not.toContain(password);
  });

  it('refuses a login beyond max_sessions with 429 api_seats_exceeded', async () => {
    const pi = sb.services.pihole!;
    pi.expireAllSessions();
    await Promise.all([login(), login(), login()]);
    expect(pi.activeSessions()).toBe(3);
    const r = await http(base, 'POST', '/api/auth', { body: { password } });
    expect(r.status).toBe(429);
    expect(r.json()).toMatchObject({ error: { key: 'api_seats_exceeded', message: 'API seats exceeded', hint: 'increase webserver.api.max_sessions' } });
    pi.expireAllSessions();
    expect(pi.activeSessions()).toBe(0);
  });

  it('expires sessions: after expireAllSessions() and after sessionTimeoutS of inactivity', async () => {
    const pi = sb.services.pihole!;
    let sid = await login();
    pi.expireAllSessions();
    const r = await http(base, 'GET', '/api/dns/blocking', { headers: { 'X-FTL-SID': sid } });
    expect(r.status).toBe(401);
    expect(r.json()).toMatchObject({ error: { key: 'unauthorized', message: 'Unauthorized' } });
    sid = await login();
    await new Promise((res) => setTimeout(res, 1300));
    expect((await http(base, 'GET', '/api/dns/blocking', { headers: { 'X-FTL-SID': sid } })).status).toBe(401);
  });

  it('rate-limits with 429 rate_limit and Retry-After', async () => {
    const pi = sb.services.pihole!;
    pi.rateLimitNext(2);
    for (let i = 0; i < 2; i++) {
      const r = await http(base, 'GET', '/api/auth');
      expect(r.status).toBe(429);
      expect(r.headers['retry-after']).toMatch(/^\d+$/);
      expect((r.json().error as { key: string }).key).toBe('rate_limit');
    }
    expect((await http(base, 'GET', '/api/auth')).status).toBe(401);
  });

  it('serves stats, blocking, info, the query log and the allowlist in FTL shapes', async () => {
    const sid = await login();
    const h = { headers: { 'X-FTL-SID': sid } };
    const sum = (await http(base, 'GET', '/api/stats/summary', h)).json();
    expect(sum).toMatchObject({ queries: { total: 48213, blocked: 9876 }, clients: { active: 14, total: 23 }, gravity: { domains_being_blocked: 219727 } });
    expect(typeof (sum.gravity as { last_update: number }).last_update).toBe('number');
    const up = (await http(base, 'GET', '/api/stats/upstreams', h)).json();
    expect(up).toMatchObject({ forwarded_queries: 24830, total_queries: 48213 });
    expect((up.upstreams as { port: number }[]).some((u) => u.port === 53)).toBe(true);
    const top = (await http(base, 'GET', '/api/stats/top_domains?blocked=true&count=3', h)).json();
    expect(top.domains).toEqual([
      { domain: 'app-measurement.com', count: 1893 },
      { domain: 'doubleclick.net', count: 1204 },
      { domain: 'googleads.g.doubleclick.net', count: 987 },
    ]);
    expect((await http(base, 'GET', '/api/dns/blocking', h)).json()).toMatchObject({ blocking: 'enabled', timer: null });
    const off = (await http(base, 'POST', '/api/dns/blocking', { ...h, body: { blocking: false, timer: 300 } })).json();
    expect(off.blocking).toBe('disabled');
    expect(off.timer).toBeGreaterThan(299);
    expect((await http(base, 'POST', '/api/dns/blocking', { ...h, body: { timer: 3 } })).status).toBe(400);
    await http(base, 'POST', '/api/dns/blocking', { ...h, body: { blocking: true, timer: null } });
    const ver = (await http(base, 'GET', '/api/info/version', h)).json();
    expect(ver).toMatchObject({ version: { core: { local: { version: 'v6.0.4' } }, ftl: { local: { version: 'v6.0.2' } } } });
    expect((await http(base, 'GET', '/api/info/ftl', h)).json()).toMatchObject({ ftl: { database: { gravity: 219727 } } });
    const msgs = (await http(base, 'GET', '/api/info/messages', h)).json().messages as { type: string }[];
    expect(msgs.map((m) => m.type)).toEqual(['LOAD', 'RATE_LIMIT']);
    const q = (await http(base, 'GET', '/api/queries?length=2', h)).json();
    expect((q.queries as unknown[]).length).toBe(2);
    expect(q).toMatchObject({ recordsTotal: 13, recordsFiltered: 13 });
    const blocked = (await http(base, 'GET', '/api/queries?upstream=blocklist&client_ip=192.168.1.42', h)).json();
    expect((blocked.queries as { domain: string; status: string }[]).map((x) => x.domain)).toEqual([
      'doubleclick.net',
      'ads.tracker.example',
      'app-measurement.com',
    ]);
    const byDomain = (await http(base, 'GET', '/api/queries?domain=*doubleclick*&status=GRAVITY', h)).json();
    expect(byDomain.recordsFiltered).toBe(2);
    const allow = (await http(base, 'GET', '/api/domains/allow/exact', h)).json().domains as { domain: string; type: string; kind: string }[];
    expect(allow.map((d) => d.domain)).toEqual(['s.youtube.com', 'api.themoviedb.org']);
    const add = await http(base, 'POST', '/api/domains/allow/exact', { ...h, body: { domain: 'Example.COM', comment: 'test' } });
    expect(add.status).toBe(201);
    expect(add.json()).toMatchObject({
      domains: [{ domain: 'example.com', type: 'allow', kind: 'exact', comment: 'test' }],
      processed: { success: [{ item: 'Example.COM' }], errors: [] },
    });
    expect((await http(base, 'GET', '/api/domains/allow', h)).json().domains).toHaveLength(4);
    expect((await http(base, 'DELETE', '/api/domains/allow/exact/example.com', h)).status).toBe(204);
    expect((await http(base, 'GET', '/api/domains/allow/regex', h)).json().domains).toHaveLength(1);
    expect((await http(base, 'GET', '/api/nope', h)).status).toBe(404);
  });

  it('streams gravity as chunked text/plain and updates the counters', async () => {
    const sid = await login();
    const h = { headers: { 'X-FTL-SID': sid } };
    const r = await http(base, 'POST', '/api/action/gravity', h);
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toMatch(/^text\/plain/);
    expect(r.headers['transfer-encoding']).toBe('chunked');
    expect(r.chunks.length).toBeGreaterThan(5);
    expect((r.chunks.at(-1) ?? 0) - (r.chunks[0] ?? 0)).toBeGreaterThan(500);
    expect(r.text).toContain('[i] ');
    expect(r.text).toContain('[✓] ');
    // this sandbox's sessions time out after 1 s of inactivity: log in again after the ~1 s stream
    const sum = (await http(base, 'GET', '/api/stats/summary', { headers: { 'X-FTL-SID': await login() } })).json();
    expect((sum.gravity as { domains_being_blocked: number }).domains_being_blocked).toBe(221069);
    expect((sum.gravity as { last_update: number }).last_update).toBeGreaterThan(Date.now() / 1000 - 60);
  });
});

describe('services disabled and a scenario without them', () => {
  it('starts no fake and writes no services: for the disabled ones', async () => {
    const every = [
      'pihole',
      'adguard',
      'jellyfin',
      'immich',
      'authentik',
      'rancher',
      'sonarr',
      'radarr',
      'prowlarr',
      'bazarr',
      'sabnzbd',
      'qbittorrent',
    ] as const;
    const sb = await startConfiguredSandbox({ services: { disable: [...every] } });
    try {
      expect(sb.services).toEqual({});
      const raw = parse(readFileSync(sb.configPath, 'utf8')) as Record<string, unknown>;
      // Only PostgreSQL stays: it is reached by psql in the cluster's database pod, not a fake to disable.
      expect(Object.keys((raw.services ?? {}) as Record<string, unknown>)).toEqual(['postgres']);
      parseConfig(raw);
    } finally {
      await sb.stop();
    }
  });

  it('can start with blocking disabled', async () => {
    const sb = await startSandbox({ services: { pihole: { blocking: false }, disable: ['adguard', 'jellyfin', 'immich'] } });
    try {
      expect(sb.services.pihole?.blockingState()).toBe('disabled');
    } finally {
      await sb.stop();
    }
  });
});

describe('fake AdGuard Home, Jellyfin and Immich (pi-homelab)', () => {
  let sb: ConfiguredSandbox;
  beforeAll(async () => {
    sb = await startConfiguredSandbox({ services: { disable: ['pihole'] } });
  });
  afterAll(async () => {
    await sb?.stop();
  });

  it('writes all of them into homelab.yaml, parsed by the product, secrets 0600', () => {
    const cfg = parseConfig(parse(readFileSync(sb.configPath, 'utf8')));
    expect(cfg.services.pihole).toBeUndefined();
    expect(cfg.services.adguard).toMatchObject({ url: sb.services.adguard!.url, username: 'admin' });
    expect(cfg.services.jellyfin).toMatchObject({ url: sb.services.jellyfin!.url, namespace: 'jellyfin' });
    expect(cfg.services.immich?.url).toBe(sb.services.immich!.url);
    for (const ref of [cfg.services.adguard!.password, cfg.services.jellyfin!.apiKey, cfg.services.immich!.apiKey]) {
      const file = (ref as { file: string }).file;
      expect(file.startsWith(`${sb.dir}/secrets/`)).toBe(true);
      expect(statSync(file).mode & 0o777).toBe(0o600);
    }
  });

  it('AdGuard: 401 with an empty body without or with bad Basic credentials; status, stats, querylog, filtering', async () => {
    const ag = sb.services.adguard!;
    const basic = (u: string, p: string): Record<string, string> => ({ Authorization: `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}` });
    for (const headers of [{}, basic('admin', 'wrong')]) {
      const r = await http(ag.url, 'GET', '/control/status', { headers });
      expect(r.status).toBe(401);
      expect(r.text).toBe('');
    }
    const h = { headers: basic(ag.username, ag.password) };
    expect((await http(ag.url, 'GET', '/control/status', h)).json()).toMatchObject({
      version: 'v0.107.57',
      protection_enabled: true,
      dns_port: 53,
      running: true,
    });
    const stats = (await http(ag.url, 'GET', '/control/stats', h)).json();
    expect(stats).toMatchObject({
      num_dns_queries: 18234,
      num_blocked_filtering: 2311,
      top_blocked_domains: [{ 'app-measurement.com': 702 }, { 'doubleclick.net': 455 }, { 'samsungads.com': 210 }],
    });
    const log = (await http(ag.url, 'GET', '/control/querylog?limit=2&response_status=blocked', h)).json();
    expect((log.data as { question: { name: string }; reason: string }[]).map((d) => d.question.name)).toEqual(['doubleclick.net', 'samsungads.com']);
    const search = (await http(ag.url, 'GET', '/control/querylog?search=youtube', h)).json();
    expect((search.data as unknown[]).length).toBe(2);
    expect((await http(ag.url, 'GET', '/control/filtering/status', h)).json()).toMatchObject({
      enabled: true,
      filters: [
        { id: 1, name: 'AdGuard DNS filter', rules_count: 61234 },
        { id: 2, enabled: false },
      ],
    });
    await http(ag.url, 'POST', '/control/protection', { ...h, body: { enabled: false, duration: 60000 } });
    const st = (await http(ag.url, 'GET', '/control/status', h)).json();
    expect(st.protection_enabled).toBe(false);
    expect(st.protection_disabled_duration).toBeGreaterThan(59000);
    await http(ag.url, 'POST', '/control/protection', { ...h, body: { enabled: true } });
  });

  it('Jellyfin: 401 without a token; MediaBrowser Token and X-Emby-Token accepted; /System/Info of the 10.10 flavour', async () => {
    const jf = sb.services.jellyfin!;
    expect((await http(jf.url, 'GET', '/System/Info')).status).toBe(401);
    expect((await http(jf.url, 'GET', '/System/Info', { headers: { Authorization: 'MediaBrowser Token="nope"' } })).status).toBe(401);
    expect((await http(jf.url, 'GET', '/System/Info/Public')).json()).toMatchObject({
      Version: '10.10.3',
      ProductName: 'Jellyfin Server',
      ServerName: 'pi-jellyfin',
    });
    const info = (
      await http(jf.url, 'GET', '/System/Info', {
        headers: { Authorization: `MediaBrowser Client="homelab", Device="cli", DeviceId="x", Version="0.1.0", Token="${jf.apiKey}"` },
      })
    ).json();
    expect(info).toMatchObject({ Version: '10.10.3', ServerName: 'pi-jellyfin' });
    expect(info.Id).toMatch(/^[0-9a-f]{32}$/);
    expect((await http(jf.url, 'GET', '/system/info', { headers: { 'X-Emby-Token': jf.apiKey } })).status).toBe(200);
    expect(jf.database().tables.TypedBaseItems?.length).toBeGreaterThan(0);
  });

  it('Jellyfin: the three NULL-metadata items are hidden from listings and a plain search, found by hasOverview=false, and a refresh makes one visible', async () => {
    const jf = sb.services.jellyfin!;
    const h = { headers: { Authorization: `MediaBrowser Token="${jf.apiKey}"` } };
    const get = async (q: string): Promise<{ Items: { Name: string; Id: string; Overview?: string; ProductionYear?: number }[]; TotalRecordCount: number }> =>
      (await http(jf.url, 'GET', q, h)).json() as never;
    const NULLS = ['Better Off Ted', 'Fallout', 'Step Brothers'];
    const all = await get('/Items?Recursive=true&IncludeItemTypes=Movie,Series');
    expect(all.Items.map((i) => i.Name)).not.toEqual(expect.arrayContaining([NULLS[0]]));
    expect(all.TotalRecordCount).toBe(6);
    expect((await get('/Items?searchTerm=Better%20Off%20Ted&Recursive=true')).TotalRecordCount).toBe(0);
    expect((await get('/Items?searchTerm=fallout&recursive=true&includeItemTypes=Series')).Items).toEqual([]);
    const missing = await get('/Items?Recursive=true&IncludeItemTypes=Movie,Series&HasOverview=false&Fields=DateLastRefreshed,Path,ProviderIds');
    expect(missing.Items.map((i) => i.Name).sort()).toEqual(NULLS);
    expect(missing.Items.every((i) => i.Overview === undefined && i.ProductionYear === undefined)).toBe(true);
    expect((missing.Items[0] as unknown as { DateLastRefreshed: null }).DateLastRefreshed).toBeNull();
    expect((await get('/Items?recursive=true&hasTmdbId=false&searchTerm=better')).Items.map((i) => i.Name)).toEqual(['Better Off Ted']);
    const ted = missing.Items.find((i) => i.Name === 'Better Off Ted')!;
    expect(ted.Id).toMatch(/^[0-9a-f]{32}$/);
    expect((await http(jf.url, 'GET', `/Items/${ted.Id}`, h)).json()).toMatchObject({ Name: 'Better Off Ted', Type: 'Series' });
    expect(jf.isHidden(ted.Id)).toBe(true);
    const counts = (await http(jf.url, 'GET', '/Items/Counts', h)).json();
    expect(counts).toMatchObject({ MovieCount: 3, SeriesCount: 3 });

    const r = await http(jf.url, 'POST', `/Items/${ted.Id}/Refresh?metadataRefreshMode=FullRefresh&imageRefreshMode=FullRefresh&replaceAllMetadata=true`, h);
    expect(r.status).toBe(204);
    await new Promise((res) => setTimeout(res, 450));
    const found = await get('/Items?searchTerm=Better%20Off%20Ted&Recursive=true&Fields=Overview,ProviderIds');
    expect(found.Items).toHaveLength(1);
    expect(found.Items[0]).toMatchObject({ Name: 'Better Off Ted', ProductionYear: 2009, ProviderIds: { Tmdb: '18586' } });
    expect(found.Items[0]?.Overview).toContain('Veridian Dynamics');
    expect(jf.items().find((i) => i.Id === ted.Id)?.DateLastRefreshed).not.toBeNull();
    expect((await get('/Items?Recursive=true&IncludeItemTypes=Movie,Series&HasOverview=false')).Items.map((i) => i.Name).sort()).toEqual([
      'Fallout',
      'Step Brothers',
    ]);
  });

  it('Jellyfin: a non-GUID id answers 400 like ASP.NET; an unknown GUID 404', async () => {
    const jf = sb.services.jellyfin!;
    const h = { headers: { Authorization: `MediaBrowser Token="${jf.apiKey}"` } };
    const r = await http(jf.url, 'POST', '/Items/not-a-guid/Refresh?metadataRefreshMode=FullRefresh', h);
    expect(r.status).toBe(400);
    expect(r.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(r.json()).toMatchObject({
      title: 'One or more validation errors occurred.',
      status: 400,
      errors: { itemId: ["The value 'not-a-guid' is not valid."] },
    });
    expect((await http(jf.url, 'GET', '/Items/zzz', h)).status).toBe(400);
    expect((await http(jf.url, 'GET', '/Items?ParentId=zzz', h)).status).toBe(400);
    expect((await http(jf.url, 'POST', `/Items/${'0'.repeat(32)}/Refresh`, h)).status).toBe(404);
  });

  it('Jellyfin: libraries, sessions, scheduled tasks with a failed one, and a library scan running to Completed', async () => {
    const jf = sb.services.jellyfin!;
    const h = { headers: { Authorization: `MediaBrowser Token="${jf.apiKey}"` } };
    const libs = (await http(jf.url, 'GET', '/Library/VirtualFolders', h)).json() as unknown as { Name: string; ItemId: string; RefreshStatus: string }[];
    expect(libs.map((l) => l.Name)).toEqual(['Movies', 'Shows']);
    expect(libs[0]?.RefreshStatus).toBe('Idle');
    const shows = (await http(jf.url, 'GET', `/Items?ParentId=${libs[1]!.ItemId}`, h)).json() as { Items: { Name: string }[] };
    // sorted by SortName; Better Off Ted is there since the refresh above filled it
    expect(shows.Items.map((i) => i.Name)).toEqual(['Better Off Ted', 'Bluey', 'The Expanse', 'Severance']);
    const sessions = (await http(jf.url, 'GET', '/Sessions', h)).json() as unknown as { NowPlayingItem?: { SeriesName: string } }[];
    expect(sessions.filter((s) => s.NowPlayingItem)).toHaveLength(1);
    expect(sessions[0]?.NowPlayingItem?.SeriesName).toBe('Severance');
    type Task = { Id: string; Key: string; State: string; LastExecutionResult?: { Status: string } };
    const tasks = (await http(jf.url, 'GET', '/ScheduledTasks', h)).json() as unknown as Task[];
    expect(tasks.filter((t) => t.LastExecutionResult?.Status === 'Failed').map((t) => t.Key)).toEqual(['RefreshChapterImages']);
    const scan = tasks.find((t) => t.Key === 'RefreshLibrary')!;
    expect((await http(jf.url, 'POST', `/ScheduledTasks/Running/${scan.Id}`, h)).status).toBe(204);
    const running = (await http(jf.url, 'GET', `/ScheduledTasks/${scan.Id}`, h)).json();
    expect(running.State).toBe('Running');
    expect(((await http(jf.url, 'GET', '/Library/VirtualFolders', h)).json() as unknown as { RefreshStatus: string }[])[0]?.RefreshStatus).toBe('Active');
    // /Library/Refresh answers when the scan is over: the running task is idle and completed at once.
    expect((await http(jf.url, 'POST', '/Library/Refresh', h)).status).toBe(204);
    const done = (await http(jf.url, 'GET', `/ScheduledTasks/${scan.Id}`, h)).json();
    expect(done).toMatchObject({ State: 'Idle', LastExecutionResult: { Status: 'Completed' } });
  });

  it('Immich: 401 without or with a wrong x-api-key; current /api/server/* answer; /api/server-info/* is 404', async () => {
    const im = sb.services.immich!;
    const none = await http(im.url, 'GET', '/api/server/about');
    expect(none.status).toBe(401);
    expect(none.json()).toMatchObject({ statusCode: 401, error: 'Unauthorized', message: 'Authentication required' });
    expect((await http(im.url, 'GET', '/api/server/statistics', { headers: { 'x-api-key': 'nope' } })).json()).toMatchObject({
      statusCode: 401,
      message: 'Invalid API key',
    });
    const h = { headers: { 'x-api-key': im.apiKey } };
    expect((await http(im.url, 'GET', '/api/server/version')).json()).toEqual({ major: 1, minor: 123, patch: 0 });
    expect((await http(im.url, 'GET', '/api/server/ping')).json()).toEqual({ res: 'pong' });
    expect((await http(im.url, 'GET', '/api/server/about', h)).json()).toMatchObject({ version: 'v1.123.0' });
    const stats = (await http(im.url, 'GET', '/api/server/statistics', h)).json();
    expect(stats).toMatchObject({ photos: 12034, videos: 811 });
    expect((stats.usageByUser as unknown[]).length).toBe(2);
    expect((await http(im.url, 'GET', '/api/server/storage', h)).json()).toMatchObject({ diskSizeRaw: 3998831550464, diskUseRaw: 1215430410240 });
    expect((await http(im.url, 'GET', '/api/users', h)).status).toBe(200);
    for (const p of ['/api/server-info/version', '/api/server-info/statistics']) {
      for (const headers of [{}, h.headers]) {
        const r = await http(im.url, 'GET', p, { headers });
        expect(r.status).toBe(404);
        expect(r.json()).toMatchObject({ statusCode: 404, error: 'Not Found', message: `Cannot GET ${p}` });
      }
    }
  });
});

describe('Jellyfin 10.11 flavour', () => {
  it('reports a 10.11 version and renders the database as jellyfin.db / BaseItems', async () => {
    const sb = await startSandbox({ services: { jellyfinVersion: '10.11', disable: ['pihole', 'adguard', 'immich'] } });
    try {
      const jf = sb.services.jellyfin!;
      const info = (await http(jf.url, 'GET', '/System/Info', { headers: { Authorization: `MediaBrowser Token="${jf.apiKey}"` } })).json();
      expect(info.Version).toMatch(/^10\.11\.\d+$/);
      const db = jf.database();
      expect(db.file).toBe('jellyfin.db');
      const ted = db.tables.BaseItems?.find((r) => r.Name === 'Better Off Ted');
      expect(ted).toMatchObject({ DateLastRefreshed: null, Overview: null, Type: 'MediaBrowser.Controller.Entities.TV.Series' });
      expect(db.tables.BaseItemProviders?.some((p) => p.ItemId === ted?.Id)).toBe(false);
    } finally {
      await sb.stop();
    }
  });
});
