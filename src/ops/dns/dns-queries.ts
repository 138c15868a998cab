import { z } from 'zod';
import { limitSchema } from '../shared/bounded.js';
import { defineOp } from '../../core/op.js';
import { UserError } from '../../core/errors.js';
import { dnsNameSchema, ipSchema, isoFromUnix, normalizeName } from './shared.js';
import { plural } from '../shared/format.js';

const querySchema = z.object({
  time: z.string().describe('When it was asked (ISO)'),
  client: z.string().describe('Client IP'),
  clientName: z.string().optional(),
  domain: z.string(),
  type: z.string().describe('A, AAAA, HTTPS, ...'),
  status: z.string().describe('Pi-hole status (GRAVITY, FORWARDED, CACHE, ...) or AdGuard reason (FilteredBlackList, NotFilteredNotFound, ...)'),
  blocked: z.boolean(),
  upstream: z.string().optional(),
  replyMs: z.number().optional().describe('How long the answer took, in ms'),
});

/** Queries an assistant gets when it does not say; the CLI shows the newest 100. */
const DEFAULT_LIMIT = 10;
export const CLI_LIMIT = 100;

export default defineOp({
  name: 'dns_queries',
  title: 'Recent DNS queries',
  description: 'Newest first, from Pi-hole or AdGuard Home: who asked what, whether it was blocked. Use it to see why a site fails or what a device talks to.',
  effect: 'read',
  listedWith: ['pihole', 'adguard'],
  input: z
    .object({
      blocked: z.boolean().default(false),
      client: ipSchema.optional().describe('Client IP'),
      domain: dnsNameSchema.optional().describe('Exact domain'),
      limit: limitSchema(DEFAULT_LIMIT, 1000, CLI_LIMIT).describe(`Newest queries to list (default ${DEFAULT_LIMIT}; CLI: ${CLI_LIMIT})`),
      server: z.enum(['pihole', 'adguard']).optional().describe('Default: Pi-hole if configured'),
    })
    .strict(),
  output: z.object({
    server: z.enum(['pihole', 'adguard']),
    url: z.string(),
    filters: z.object({ blocked: z.boolean(), client: z.string().optional(), domain: z.string().optional(), limit: z.number().int() }),
    count: z.number().int().describe('Queries returned'),
    matched: z
      .number()
      .int()
      .optional()
      .describe(
        "Queries in Pi-hole's log that match every filter (blocked, client, domain), before the limit; absent when the server does not count them (AdGuard)",
      ),
    queries: z.array(querySchema).describe('Newest first'),
    truncated: z.boolean().describe('More queries match than were returned: narrow with blocked, client, domain, or raise limit'),
  }),
  rbac: [],
  timeoutMs: 30_000,
  async run(ctx, raw) {
    const input = { ...raw, domain: raw.domain === undefined ? undefined : normalizeName(raw.domain) };
    const limit = raw.limit ?? DEFAULT_LIMIT;
    const filters = { blocked: input.blocked, client: input.client, domain: input.domain, limit };
    const [pihole, adguard] = await Promise.all([ctx.services.pihole(), ctx.services.adguard()]);
    const server = input.server ?? (pihole ? 'pihole' : adguard ? 'adguard' : undefined);
    if (!server) {
      throw new UserError('no DNS server is configured: neither Pi-hole nor AdGuard Home', {
        hint: 'add services.pihole or services.adguard to the config file',
      });
    }
    if (server === 'pihole') {
      if (!pihole) throw new UserError('Pi-hole is not configured', { hint: 'add services.pihole to the config file, or ask AdGuard with --server adguard' });
      const page = await pihole.queries({ clientIp: input.client, domain: input.domain, blocked: input.blocked, limit });
      return {
        server,
        url: pihole.target,
        filters,
        count: page.queries.length,
        matched: page.recordsFiltered,
        truncated: page.recordsFiltered !== undefined ? page.recordsFiltered > page.queries.length : page.queries.length >= limit,
        queries: page.queries.map((q) => ({
          time: isoFromUnix(q.time) ?? new Date(0).toISOString(),
          client: q.clientIp,
          clientName: q.clientName ?? undefined,
          domain: q.domain,
          type: q.type,
          status: q.status,
          blocked: q.blocked,
          upstream: q.upstream ?? undefined,
          replyMs: q.replyMs ?? undefined,
        })),
      };
    }
    if (!adguard) throw new UserError('AdGuard Home is not configured', { hint: 'add services.adguard to the config file' });
    // AdGuard has one search box (domain or client, substring); the exact filters are applied here.
    const entries = await adguard.queryLog({
      search: input.domain ?? input.client,
      blocked: input.blocked,
      limit: input.domain && input.client ? 1000 : limit,
    });
    const queries = entries
      .filter((q) => (!input.client || q.client === input.client) && (!input.domain || normalizeName(q.domain) === input.domain))
      .slice(0, limit)
      .map((q) => ({
        time: q.time,
        client: q.client,
        clientName: q.clientName ?? undefined,
        domain: q.domain,
        type: q.type,
        status: q.reason,
        blocked: q.blocked,
        upstream: q.upstream ?? undefined,
        replyMs: q.elapsedMs ?? undefined,
      }));
    return { server, url: adguard.target, filters, count: queries.length, queries, truncated: queries.length >= limit };
  },
  summarize: (out) => ({
    verdict: 'ok',
    line: `${plural(out.count, `${out.filters.blocked ? 'blocked ' : ''}query`, `${out.filters.blocked ? 'blocked ' : ''}queries`)} from ${out.server === 'pihole' ? 'Pi-hole' : 'AdGuard Home'}${out.filters.client ? ` by ${out.filters.client}` : ''}${out.filters.domain ? ` for ${out.filters.domain}` : ''}`,
  }),
});
