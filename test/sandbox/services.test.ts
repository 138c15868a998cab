/** The fake home services over raw HTTP: what the product's clients see on the wire. */
import { request } from 'node:http';
import { readFileSync, statSync } from 'node:fs';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { parseConfig } from '../../src/core/config.js';

interface Res { status: number; headers: Record<string, string | string[] | undefined>; text: string; json: () => Record<string, unknown>; chunks: number[] }

function http(base: string, method: string, pathAndQuery: string, opts: { body?: unknown; headers?: Record<string, string> } = {}): Promise<Res> {
  const url = new URL(pathAndQuery, base);
  const body = opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
  const headers: Record<string, string> = { Accept: 'application/json', ...(opts.headers ?? {}) };
  if (body !== undefined) { headers['Content-Type'] ??= 'application/json'; headers['Content-Length'] = String(Buffer.byteLength(body)); }
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const req = request(url, { method, headers }, (res) => {
      const parts: Buffer[] = [];
      const chunks: number[] = [];
      res.on('data', (c: Buffer) => { parts.push(c); chunks.push(Date.now() - t0); });
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
  let sb: Sandbox;
  let base: string;
  let password: string;
  beforeAll(async () => {
    sb = await startSandbox({ services: { pihole: { maxSessions: 3, sessionTimeoutS: 1 } } });
    base = sb.services.pihole!.url;
    password = sb.services.pihole!.password;
  });
  afterAll(async () => { await sb?.stop(); });

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
    expect(top.domains).toEqual([{ domain: 'app-measurement.com', count: 1893 }, { domain: 'doubleclick.net', count: 1204 }, { domain: 'googleads.g.doubleclick.net', count: 987 }]);
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
    expect((blocked.queries as { domain: string; status: string }[]).map((x) => x.domain)).toEqual(['doubleclick.net', 'ads.tracker.example', 'app-measurement.com']);
    const byDomain = (await http(base, 'GET', '/api/queries?domain=*doubleclick*&status=GRAVITY', h)).json();
    expect(byDomain.recordsFiltered).toBe(2);
    const allow = (await http(base, 'GET', '/api/domains/allow/exact', h)).json().domains as { domain: string; type: string; kind: string }[];
    expect(allow.map((d) => d.domain)).toEqual(['s.youtube.com', 'api.themoviedb.org']);
    const add = await http(base, 'POST', '/api/domains/allow/exact', { ...h, body: { domain: 'Example.COM', comment: 'test' } });
    expect(add.status).toBe(201);
    expect(add.json()).toMatchObject({ domains: [{ domain: 'example.com', type: 'allow', kind: 'exact', comment: 'test' }], processed: { success: [{ item: 'Example.COM' }], errors: [] } });
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
    const sum = (await http(base, 'GET', '/api/stats/summary', h)).json();
    expect((sum.gravity as { domains_being_blocked: number }).domains_being_blocked).toBe(221069);
    expect((sum.gravity as { last_update: number }).last_update).toBeGreaterThan(Date.now() / 1000 - 60);
  });
});

describe('services disabled and a scenario without them', () => {
  it('starts no fake and writes no services: for the disabled ones', async () => {
    const sb = await startSandbox({ services: { disable: ['pihole', 'adguard', 'jellyfin', 'immich'] } });
    try {
      expect(sb.services).toEqual({});
      const raw = parse(readFileSync(sb.configPath, 'utf8')) as Record<string, unknown>;
      expect(raw.services).toBeUndefined();
      parseConfig(raw);
    } finally { await sb.stop(); }
  });

  it('can start with blocking disabled', async () => {
    const sb = await startSandbox({ services: { pihole: { blocking: false }, disable: ['adguard', 'jellyfin', 'immich'] } });
    try { expect(sb.services.pihole?.blockingState()).toBe('disabled'); } finally { await sb.stop(); }
  });
});
