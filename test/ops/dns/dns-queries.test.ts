import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configWithout } from '../../helpers/config.js';
import type { Queries } from '../../helpers/net.js';
import { callOp, failure } from '../../helpers/ops.js';
import { startSandboxEnv, type SandboxEnv } from '../../helpers/sandbox.js';

describe('dns_queries', () => {
  let s: SandboxEnv;
  beforeAll(async () => {
    s = await startSandboxEnv();
  });
  afterAll(async () => {
    await s?.sandbox.stop();
  });
  const queries = async (input: Record<string, unknown> = {}, config?: string) => (await callOp<Queries>(s, 'dns_queries', input, { config })).output;

  it('lists recent queries, newest first, with the blocked, client, domain and limit filters', async () => {
    const [all, blocked, phone, domain] = await Promise.all([
      queries(),
      queries({ blocked: true }),
      queries({ client: '192.168.1.42', blocked: true, limit: 2 }),
      queries({ domain: 'DoubleClick.net' }),
    ]);
    expect(all).toMatchObject({ server: 'pihole', count: 13, matched: 13 });
    expect(all.queries[0]).toMatchObject({ domain: 'doubleclick.net', client: '192.168.1.42', status: 'GRAVITY', blocked: true });
    expect([...all.queries].map((q) => q.time)).toEqual(
      [...all.queries]
        .map((q) => q.time)
        .sort()
        .reverse(),
    );

    expect(blocked.queries.map((q) => q.status).sort()).toEqual(['DENYLIST', 'GRAVITY', 'GRAVITY', 'GRAVITY', 'GRAVITY', 'GRAVITY', 'REGEX']);
    expect(blocked.queries.every((q) => q.blocked)).toBe(true);
    // "N match" counts the queries that match every filter, blocked included: 7 of the 13 in the log.
    expect(blocked).toMatchObject({ count: 7, matched: 7 });

    expect(phone.queries.map((q) => `${q.client} ${q.domain}`)).toEqual(['192.168.1.42 doubleclick.net', '192.168.1.42 ads.tracker.example']);
    // Three of the phone's four queries were blocked; two are shown.
    expect(phone).toMatchObject({ count: 2, matched: 3 });

    expect(domain.queries.map((q) => q.client)).toEqual(['192.168.1.42', '192.168.1.31']);
  });

  it("reads AdGuard's query log when only AdGuard is configured", async () => {
    const out = await queries({}, await configWithout(s.sandbox, 'only-adguard', ['services.pihole']));
    expect(out).toMatchObject({ server: 'adguard', count: 7 });
    expect(out.queries[0]).toMatchObject({ domain: 'api.sonos.com', client: '192.168.1.55', status: 'NotFilteredNotFound', blocked: false });
  });

  it('refuses with 64 when no DNS server is configured', async () => {
    const err = await failure(queries({}, await configWithout(s.sandbox, 'no-services', ['services'])));
    expect(err.exitCode).toBe(64);
    expect(err.said).toContain('no DNS server is configured');
  });
});
