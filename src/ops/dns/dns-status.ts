import { z } from 'zod';
import { DEFAULT_LIMIT, cutFindings, cutList, limitSchema, readyRank, truncation, truncationShape } from '../shared/bounded.js';
import { defineOp, type OpContext } from '../../core/op.js';
import { HomelabError, describeError } from '../../core/errors.js';
import { formatAge } from '../../core/schemas.js';
import { findingsSchema, sortFindings, summarizeStatus, summaryLineSchema, verdictOf, verdictSchema, type Finding } from '../shared/findings.js';
import { parseObject, podSchema, type Pod } from '../shared/k8s.js';
import { podRow, podRowSchema } from '../shared/pods.js';
import { GRAVITY_STALE_DAYS, isoFromUnix } from './shared.js';
import { plural } from '../shared/format.js';
import { fix, type Fix } from '../shared/fix.js';
import { compareText } from '../../core/compare.js';

const dnsPodRowSchema = podRowSchema.extend({ app: z.string().describe("pihole, unbound, or the pod's app label") });
type DnsPodRow = z.infer<typeof dnsPodRowSchema>;

const piholeSchema = z.object({
  configured: z.boolean().describe('false when the config has no services.pihole: not checked, not an error'),
  url: z.string().optional(),
  reachable: z
    .boolean()
    .optional()
    .describe('false when homelab could not ask it (unreachable, refused credentials, a secret it could not read): see error and the finding'),
  error: z.string().optional().describe('Why the API could not be read'),
  blocking: z
    .object({
      state: z.enum(['enabled', 'disabled', 'failed', 'unknown']),
      timer: z.number().nullable().describe('Seconds until it flips back, if a timer is set'),
    })
    .optional()
    .describe('Read from GET /api/dns/blocking, never assumed'),
  queries: z
    .object({ total: z.number(), blocked: z.number(), percentBlocked: z.number(), uniqueDomains: z.number(), forwarded: z.number(), cached: z.number() })
    .optional(),
  clients: z.object({ active: z.number(), total: z.number() }).optional(),
  gravity: z
    .object({
      domains: z.number().describe('Domains on the blocklists (gravity)'),
      lastUpdate: z.string().optional().describe('When gravity was last updated (ISO); absent when unknown'),
      age: z.string().optional().describe('e.g. 6d'),
      stale: z.boolean().describe(`Older than ${GRAVITY_STALE_DAYS} days, or never updated`),
    })
    .optional(),
  upstreams: z
    .array(z.object({ name: z.string(), ip: z.string(), port: z.number(), count: z.number(), responseMs: z.number() }))
    .optional()
    .describe('Real upstream servers (cache and blocklist left out)'),
  messages: z
    .array(z.object({ type: z.string(), message: z.string(), time: z.string().optional() }))
    .optional()
    .describe('FTL diagnosis messages'),
});

const adguardSchema = z.object({
  configured: z.boolean().describe('false when the config has no services.adguard'),
  url: z.string().optional(),
  reachable: z.boolean().optional().describe('false when homelab could not ask it: see error and the finding'),
  error: z.string().optional(),
  version: z.string().optional(),
  running: z.boolean().optional().describe('The DNS server is up'),
  protection: z.object({ enabled: z.boolean(), pausedForSeconds: z.number().optional() }).optional(),
  stats: z.object({ queries: z.number(), blocked: z.number(), percentBlocked: z.number(), avgProcessingMs: z.number() }).optional(),
  topBlocked: z.array(z.object({ domain: z.string(), count: z.number() })).optional(),
});

const output = z.object({
  verdict: verdictSchema.describe('ok: nothing to do; warn: look soon; crit: DNS is down or not blocking'),
  summary: summaryLineSchema,
  namespace: z.string().describe('Where the DNS pods were looked for (config dns.namespace)'),
  pods: z.array(dnsPodRowSchema).describe('Pi-hole, Unbound and any other long-running pods in the namespace (Job pods left out)'),
  pihole: piholeSchema,
  adguard: adguardSchema,
  findings: findingsSchema,
  ...truncationShape,
});
type Output = z.infer<typeof output>;

export function appOf(pod: Pod): string {
  const labels = pod.metadata.labels ?? {};
  const app = labels['app.kubernetes.io/name'] ?? labels.app ?? pod.metadata.name;
  if (/pihole|pi-hole/i.test(app) || /pihole/i.test(pod.metadata.name)) return 'pihole';
  if (/unbound/i.test(app) || /unbound/i.test(pod.metadata.name)) return 'unbound';
  return app;
}

function dnsPodRow(pod: Pod): DnsPodRow {
  return { ...podRow(pod), app: appOf(pod) };
}

/** Long-running DNS pods: not the pods of Jobs (a teleporter backup, a gravity CronJob), not completed ones. */
async function dnsPods(ctx: OpContext, namespace: string): Promise<DnsPodRow[]> {
  const rows: DnsPodRow[] = [];
  for await (const page of ctx.kube.listPages({ group: '', version: 'v1', resource: 'pods', namespace })) {
    for (const raw of page) {
      const pod = parseObject(podSchema, raw, 'Pod');
      if (pod.status.phase === 'Succeeded' || pod.metadata.ownerReferences?.some((o) => o.kind === 'Job')) continue;
      rows.push(dnsPodRow(pod));
    }
  }
  return rows.sort((a, b) => compareText(a.name, b.name));
}

/**
 * A service homelab could not ask (refused credentials, unreachable, a secret it could not read)
 * is a finding naming the service, its URL and what to do, never the end of the report: the pods
 * and the other service still count. Secrets never appear: the adapters' messages do not carry them.
 */
function couldNotAsk(err: unknown, kind: 'Pi-hole' | 'AdGuard', url: string, findings: Finding[]): string {
  const errorKind = err instanceof HomelabError ? err.kind : 'Upstream';
  const reason =
    errorKind === 'Forbidden'
      ? 'Refused'
      : errorKind === 'Timeout'
        ? 'Timeout'
        : errorKind === 'NotFound'
          ? 'NotFound'
          : errorKind === 'UserError'
            ? 'ConfigError'
            : 'Unreachable';
  const said = describeError(err);
  const error = said.includes(url) ? said : `${kind} at ${url}: ${said}`;
  const hint = err instanceof HomelabError && err.hint ? `; ${err.hint}` : '';
  const unread = kind === 'Pi-hole' ? 'blocking, queries, gravity and upstreams' : 'protection and stats';
  findings.push({ severity: 'crit', kind, name: url, reason, message: `${error}; ${unread} not checked${hint}` });
  return error;
}

type Unreachable = { configured: true; url: string; reachable: false; error: string };

/** Asks a DNS server (or for its client); when that fails, a finding says so and its part of the answer says why. */
async function ask<T>(
  ctx: OpContext,
  kind: 'Pi-hole' | 'AdGuard',
  url: string,
  findings: Finding[],
  question: () => Promise<T>,
): Promise<{ answer: T } | { unreachable: Unreachable }> {
  try {
    return { answer: await question() };
  } catch (err) {
    if (ctx.signal.aborted) throw err;
    return { unreachable: { configured: true, url, reachable: false, error: couldNotAsk(err, kind, url, findings) } };
  }
}

async function checkPihole(ctx: OpContext, now: Date, findings: Finding[]): Promise<Output['pihole']> {
  const configured = ctx.config.services.pihole;
  if (!configured) return { configured: false };
  const client = await ask(ctx, 'Pi-hole', configured.url, findings, () => ctx.services.pihole());
  if ('unreachable' in client) return client.unreachable;
  const pihole = client.answer;
  if (!pihole) return { configured: false };
  const url = pihole.target;
  const add = (severity: Finding['severity'], reason: string, message: string, remedy?: Fix) =>
    findings.push({ severity, kind: 'Pi-hole', name: url, reason, message, ...(remedy ? { fix: remedy } : {}) });
  // Four calls at once: the client logs in once and they share the session.
  const asked = await ask(ctx, 'Pi-hole', url, findings, () => Promise.all([pihole.blocking(), pihole.summary(), pihole.upstreams(), pihole.messages()]));
  if ('unreachable' in asked) return asked.unreachable;
  const [blocking, summary, upstreams, messages] = asked.answer;

  if (blocking.blocking === 'disabled') {
    add(
      'warn',
      'BlockingDisabled',
      blocking.timer
        ? `blocking is disabled; its timer turns it back on in ${formatAge(blocking.timer)}`
        : 'blocking is disabled with no timer: ads and trackers get through until someone enables it',
    );
  } else if (blocking.blocking !== 'enabled') {
    add('warn', blocking.blocking === 'failed' ? 'BlockingFailed' : 'BlockingUnknown', `Pi-hole reports blocking as ${blocking.blocking}`);
  }

  const last = summary.gravity.lastUpdate;
  const ageSeconds = last > 0 ? Math.max(0, now.getTime() / 1000 - last) : undefined;
  const stale = ageSeconds === undefined || ageSeconds > GRAVITY_STALE_DAYS * 86400;
  if (ageSeconds === undefined) add('warn', 'GravityNeverUpdated', 'gravity (the blocklists) has never been updated', fix('dns_gravity_update', {}));
  else if (stale)
    add('warn', 'GravityStale', `gravity was last updated ${formatAge(ageSeconds)} ago (stale after ${GRAVITY_STALE_DAYS}d)`, fix('dns_gravity_update', {}));
  if (summary.gravity.domainsBeingBlocked === 0) add('warn', 'GravityEmpty', 'no domains on the blocklists: nothing is blocked by gravity');

  for (const m of messages) add('warn', m.type, m.plain);

  const real = upstreams.filter((u) => u.port >= 0);
  return {
    configured: true,
    url,
    reachable: true,
    blocking: { state: blocking.blocking, timer: blocking.timer },
    queries: summary.queries,
    clients: summary.clients,
    gravity: {
      domains: summary.gravity.domainsBeingBlocked,
      lastUpdate: isoFromUnix(last),
      age: ageSeconds === undefined ? undefined : formatAge(ageSeconds),
      stale,
    },
    upstreams: real.map((u) => ({ name: u.name, ip: u.ip, port: u.port, count: u.count, responseMs: Math.round(u.responseTime * 100_000) / 100 })),
    messages: messages.map((m) => ({ type: m.type, message: m.plain, time: isoFromUnix(m.timestamp) })),
  };
}

async function checkAdguard(ctx: OpContext, findings: Finding[]): Promise<Output['adguard']> {
  const configured = ctx.config.services.adguard;
  if (!configured) return { configured: false };
  const client = await ask(ctx, 'AdGuard', configured.url, findings, () => ctx.services.adguard());
  if ('unreachable' in client) return client.unreachable;
  const adguard = client.answer;
  if (!adguard) return { configured: false };
  const url = adguard.target;
  const asked = await ask(ctx, 'AdGuard', url, findings, () => Promise.all([adguard.status(), adguard.stats()]));
  if ('unreachable' in asked) return asked.unreachable;
  const [status, stats] = asked.answer;
  const add = (severity: Finding['severity'], reason: string, message: string) => findings.push({ severity, kind: 'AdGuard', name: url, reason, message });
  if (!status.running) add('crit', 'DnsNotRunning', 'AdGuard Home is up but its DNS server is not running');
  if (!status.protectionEnabled) {
    add(
      'warn',
      'ProtectionDisabled',
      status.protectionDisabledMs > 0
        ? `protection is paused; it comes back on in ${formatAge(status.protectionDisabledMs / 1000)}`
        : 'protection is disabled with no timer: nothing is filtered until someone enables it',
    );
  }
  return {
    configured: true,
    url,
    reachable: true,
    version: status.version || undefined,
    running: status.running,
    protection: {
      enabled: status.protectionEnabled,
      pausedForSeconds: status.protectionDisabledMs > 0 ? Math.round(status.protectionDisabledMs / 1000) : undefined,
    },
    stats: {
      queries: stats.queries,
      blocked: stats.blocked,
      percentBlocked: stats.queries ? Math.round((stats.blocked / stats.queries) * 1000) / 10 : 0,
      avgProcessingMs: Math.round(stats.avgProcessingTime * 100_000) / 100,
    },
    topBlocked: stats.topBlocked.slice(0, 10).map((t) => ({ domain: t.name, count: t.count })),
  };
}

const NOT_ASKED: Record<string, string> = {
  Refused: "refused homelab's credentials",
  Timeout: 'did not answer in time',
  NotFound: 'answered 404 (wrong URL?)',
  ConfigError: 'not asked (its secret could not be read)',
  Unreachable: 'unreachable',
};

function notAsked(findings: Finding[], kind: 'Pi-hole' | 'AdGuard'): string {
  const reason = findings.find((f) => f.kind === kind && f.reason in NOT_ASKED)?.reason;
  return NOT_ASKED[reason ?? 'Unreachable'] ?? 'unreachable';
}

function summaryLine(out: Omit<Output, 'summary' | 'truncated' | 'cut'>): string {
  const parts: string[] = [];
  const ready = out.pods.filter((p) => p.ready).length;
  parts.push(out.pods.length ? `${ready}/${plural(out.pods.length, 'DNS pod')} ready in ${out.namespace}` : `no DNS pods in ${out.namespace}`);
  const p = out.pihole;
  if (!p.configured) parts.push('Pi-hole API not configured');
  else if (!p.reachable) parts.push(`Pi-hole ${notAsked(out.findings, 'Pi-hole')}`);
  else if (p.blocking && p.queries && p.gravity) {
    parts.push(
      `Pi-hole blocking ${p.blocking.state}, ${p.queries.total} queries (${p.queries.percentBlocked.toFixed(1)}% blocked), gravity ${p.gravity.domains} domains${p.gravity.age ? ` (${p.gravity.age} old)` : ''}`,
    );
  }
  const a = out.adguard;
  if (!a.configured) parts.push('AdGuard not configured');
  else if (!a.reachable) parts.push(`AdGuard ${notAsked(out.findings, 'AdGuard')}`);
  else
    parts.push(
      `AdGuard protection ${a.protection?.enabled ? 'on' : 'off'}, ${a.stats?.queries ?? 0} queries (${(a.stats?.percentBlocked ?? 0).toFixed(1)}% blocked)`,
    );
  const state = parts.join('; ');
  if (out.verdict === 'ok') return state;
  const crit = out.findings.filter((f) => f.severity === 'crit').length;
  const warn = out.findings.length - crit;
  const counts = [crit && `${crit} critical`, warn && plural(warn, 'warning')].filter(Boolean).join(', ');
  const first = out.findings
    .slice(0, 2)
    .map((f) => `${f.kind} ${f.reason}`)
    .join(', ');
  return `${counts} (${first}${out.findings.length > 2 ? ', …' : ''}): ${state}`;
}

export default defineOp({
  name: 'dns_status',
  title: 'DNS: Pi-hole, Unbound, AdGuard',
  description: "Pi-hole and Unbound pods, Pi-hole's blocking, gravity age and upstreams, AdGuard Home. Use it when names do not resolve or ads get through.",
  effect: 'read',
  input: z.object({ limit: limitSchema() }).strict(),
  output,
  rbac: [{ apiGroup: '', resource: 'pods', verbs: ['list'] }],
  timeoutMs: 30_000,
  async run(ctx, input): Promise<Output> {
    const namespace = ctx.config.dns.namespace;
    const now = ctx.now();
    const findings: Finding[] = [];
    const [pods, pihole, adguard] = await Promise.all([dnsPods(ctx, namespace), checkPihole(ctx, now, findings), checkAdguard(ctx, findings)]);
    for (const pod of pods) {
      if (!pod.ready) {
        findings.push({
          severity: 'crit',
          kind: 'Pod',
          namespace,
          name: pod.name,
          reason: pod.reason ?? 'NotReady',
          message: `${pod.app} pod not ready (${pod.containers} containers ready, ${pod.restarts} restarts, phase ${pod.phase})`,
        });
      }
    }
    if (!pods.length) {
      findings.push({
        severity: 'crit',
        kind: 'Namespace',
        name: namespace,
        reason: 'NoDnsPods',
        message: `no Pi-hole or Unbound pods in namespace ${namespace}: DNS is not running here (or set dns.namespace in the config)`,
      });
    } else if (!pods.some((p) => p.app === 'pihole') && pihole.configured) {
      findings.push({
        severity: 'warn',
        kind: 'Namespace',
        name: namespace,
        reason: 'NoPiholePod',
        message: `no Pi-hole pod in namespace ${namespace} (Pi-hole may run elsewhere)`,
      });
    }
    const sorted = sortFindings(findings);
    const partial = { verdict: verdictOf(sorted), namespace, pods, pihole, adguard, findings: sorted };
    const summary = summaryLine(partial);
    const limit = input.limit ?? DEFAULT_LIMIT;
    const shownPods = cutList(pods, limit, { by: (p) => `${p.app} ${p.ready ? 'ready' : 'not ready'}`, rank: (p) => readyRank(p.ready), narrow: 'limit' });
    const messages = cutList(pihole.messages ?? [], limit, { by: (m) => m.type, narrow: 'limit' });
    const shownFindings = cutFindings(sorted, limit, 'limit');
    return {
      ...partial,
      summary,
      pods: shownPods.rows,
      pihole: pihole.messages ? { ...pihole, messages: messages.rows } : pihole,
      findings: shownFindings.rows,
      ...truncation({ pods: shownPods.cut, messages: messages.cut, findings: shownFindings.cut }),
    };
  },
  summarize: summarizeStatus,
});
