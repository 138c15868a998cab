import { z } from 'zod';
import type { Check } from '../shared/check.js';
import { plural } from '../shared/format.js';
import { serviceCheck } from '../shared/service.js';

/** An outpost instance not heard from for this long is stale (they report in every few seconds). */
export const OUTPOST_STALE_MS = 10 * 60_000;
/** Failed logins in the window from which they are a finding. */
export const FAILED_LOGINS_WARN = 10;
/** Events read at most to count failed logins (newest first). */
const EVENTS_SCAN = 500;
/** Applications read to find those without a provider. */
const APPLICATIONS_READ = 500;

const userRowSchema = z.object({
  username: z.string(),
  name: z.string().optional(),
  active: z.boolean(),
  superuser: z.boolean(),
  lastLogin: z.string().optional().describe('Absent: never logged in'),
  type: z.string().optional(),
});

export const authentikStatusSchema = z.object({
  configured: z.boolean(),
  url: z.string().optional(),
  reachable: z.boolean().optional(),
  version: z.string().optional(),
  latestVersion: z.string().optional(),
  users: z
    .object({
      total: z.number().int(),
      active: z.number().int(),
      superusers: z.number().int(),
      recent: z.array(userRowSchema).describe('Most recent logins first'),
      superuserList: z.array(userRowSchema),
    })
    .optional(),
  applications: z
    .object({
      total: z.number().int(),
      items: z.array(z.object({ slug: z.string(), name: z.string(), provider: z.string().optional().describe('"NAME (TYPE)"; absent: no provider') })),
      withoutProvider: z.array(z.string()).describe('Slugs of applications no provider serves'),
    })
    .optional(),
  outposts: z
    .array(
      z.object({
        name: z.string(),
        type: z.string(),
        providers: z.number().int(),
        healthy: z.boolean(),
        instances: z.array(z.object({ hostname: z.string(), lastSeen: z.string(), version: z.string(), outdated: z.boolean() })),
      }),
    )
    .optional(),
  failedLogins: z
    .object({
      since: z.string(),
      total: z.number().int(),
      atLeast: z.boolean().describe('The count stopped at the events read: there were at least this many'),
      recent: z.array(z.object({ at: z.string(), username: z.string().optional(), clientIp: z.string().optional() })),
    })
    .optional(),
});
export type AuthentikStatus = z.infer<typeof authentikStatusSchema>;

export interface AuthentikParams {
  /** Users, applications and failed logins listed (all are counted). */
  limit?: number;
  /** How far back failed logins are counted (ms; default a day). */
  sinceMs?: number;
}

/** Authentik (services.authentik): outposts that are down or stale, applications without a provider, bursts of failed logins. */
export const authentikCheck: Check<AuthentikParams, AuthentikStatus> = serviceCheck({
  name: 'authentik',
  about: 'Authentik: outposts, applications and providers, failed logins, users',
  kind: 'Authentik',
  port: (ctx) => ctx.services.authentik(),
  reach: (port) => port.version(),
  async read({ ctx, port, reached: version, findings, looked, part }, params) {
    const limit = params.limit ?? 10;
    const now = ctx.now().getTime();
    const since = new Date(now - (params.sinceMs ?? 24 * 3600_000));
    const [counts, recent, superusers, applications, outposts, failed] = await Promise.all([
      part('the user counts', port.userCounts()),
      part('the users', port.users(limit)),
      part('the superusers', port.users(limit, { superusersOnly: true })),
      part('the applications', port.applications(APPLICATIONS_READ)),
      part('the outposts', port.outposts()),
      part('the failed logins', port.failedLogins(since, limit, EVENTS_SCAN)),
    ]);
    const health = await Promise.all((outposts ?? []).map((o) => part(`the health of outpost ${o.name}`, port.outpostHealth(o.pk))));

    const outpostRows = (outposts ?? []).map((o, i) => {
      looked.add({ kind: 'AuthentikOutpost', name: o.name });
      const instances = health[i];
      if (instances === undefined) return { name: o.name, type: o.type, providers: o.providers, healthy: false, instances: [] };
      const fresh = instances.filter((h) => now - Date.parse(h.lastSeen) < OUTPOST_STALE_MS);
      if (!instances.length) {
        findings.push({
          severity: 'crit',
          kind: 'AuthentikOutpost',
          name: o.name,
          reason: 'OutpostDown',
          message: `no ${o.type} outpost instance is connected: the ${plural(o.providers, 'provider')} it serves cannot be reached`,
        });
      } else if (!fresh.length) {
        const last =
          instances
            .map((h) => h.lastSeen)
            .sort()
            .at(-1) ?? '';
        findings.push({
          severity: 'crit',
          kind: 'AuthentikOutpost',
          name: o.name,
          reason: 'OutpostStale',
          message: `no instance has reported in since ${last}`,
        });
      }
      const outdated = instances.filter((h) => h.versionOutdated);
      if (outdated.length)
        findings.push({
          severity: 'warn',
          kind: 'AuthentikOutpost',
          name: o.name,
          reason: 'OutpostOutdated',
          message: `${outdated.map((h) => `${h.hostname} runs ${h.version}`).join(', ')}; Authentik is ${outdated[0]?.versionShould}`,
        });
      return {
        name: o.name,
        type: o.type,
        providers: o.providers,
        healthy: fresh.length > 0,
        instances: instances.map((h) => ({ hostname: h.hostname, lastSeen: h.lastSeen, version: h.version, outdated: h.versionOutdated })),
      };
    });

    const withoutProvider = (applications?.items ?? []).filter((a) => !a.provider);
    for (const a of applications?.items ?? []) looked.add({ kind: 'AuthentikApplication', name: a.slug });
    for (const a of withoutProvider) {
      findings.push({
        severity: 'warn',
        kind: 'AuthentikApplication',
        name: a.slug,
        reason: 'NoProvider',
        message: `application "${a.name}" has no provider: signing in to it cannot work`,
      });
    }

    if (failed && failed.total >= FAILED_LOGINS_WARN) {
      const byUser = new Map<string, number>();
      for (const e of failed.items) byUser.set(e.username ?? '?', (byUser.get(e.username ?? '?') ?? 0) + 1);
      const top = [...byUser.entries()].sort((a, b) => b[1] - a[1])[0];
      findings.push({
        severity: 'warn',
        kind: 'Authentik',
        name: port.target,
        reason: 'FailedLogins',
        message: `${failed.scanCapped ? 'at least ' : ''}${plural(failed.total, 'failed login')} since ${since.toISOString()}${top ? ` (most recent ones mostly for "${top[0]}")` : ''}`,
      });
    }

    const user = (u: { username: string; name: string; active: boolean; superuser: boolean; lastLogin?: string; type?: string }) => ({
      username: u.username,
      name: u.name || undefined,
      active: u.active,
      superuser: u.superuser,
      lastLogin: u.lastLogin,
      type: u.type,
    });
    return {
      scope: `Authentik ${version.current} (${plural(outposts?.length ?? 0, 'outpost')}, ${plural(applications?.total ?? 0, 'application')})`,
      data: {
        version: version.current,
        latestVersion: version.latest,
        users: counts && recent && superusers ? { ...counts, recent: recent.items.map(user), superuserList: superusers.items.map(user) } : undefined,
        applications: applications
          ? {
              total: applications.total,
              items: applications.items
                .slice(0, limit)
                .map((a) => ({ slug: a.slug, name: a.name, provider: a.provider ? `${a.provider.name} (${a.provider.type})` : undefined })),
              withoutProvider: withoutProvider.map((a) => a.slug),
            }
          : undefined,
        outposts: outposts ? outpostRows : undefined,
        failedLogins: failed
          ? {
              since: since.toISOString(),
              total: failed.total,
              atLeast: failed.scanCapped,
              recent: failed.items.map((e) => ({ at: e.created, username: e.username, clientIp: e.clientIp })),
            }
          : undefined,
      },
    };
  },
});
