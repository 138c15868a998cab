/**
 * What `homelab uptime` checks and how it judges an answer. Targets: the URLs of config
 * uptime.targets, the hosts of the cluster's Ingresses when asked, and URLs given on the command
 * line when the one target policy (shared/targets.ts, as net curl) admits their host or they are
 * hosts of configured targets. Every check runs from homelab's own process: it sees the network as
 * the machine homelab runs on does; a name that resolves to a link-local or metadata address is
 * refused there unless net.allowTargets names that address.
 */
import { z } from 'zod';
import type { Config } from '../../core/config.js';
import { PolicyDenied } from '../../core/errors.js';
import type { OpContext } from '../../core/op.js';
import { listAll } from '../../core/ports/kube.js';
import type { ProbeResult } from '../../core/ports/probe.js';
import type { Finding } from '../shared/findings.js';
import { buildTargetPolicy, guardedAddress, loadTargetPolicy, normalizeHost } from '../shared/targets.js';

export interface UptimeTarget {
  name: string;
  url: string;
  admittedAs: string;
  keyword?: string;
  expectStatus?: number[];
  caFile?: string;
}

export const uptimeRowSchema = z.object({
  name: z.string(),
  url: z.string(),
  admittedAs: z.string().describe('Why it may be checked: "uptime.targets in the config", "Ingress NS/NAME", …'),
  up: z.boolean(),
  status: z.number().int().optional(),
  latencyMs: z.number(),
  error: z.string().optional(),
  redirectTo: z.string().optional(),
  tls: z
    .object({
      valid: z.boolean(),
      daysLeft: z.number().optional(),
      expires: z.string().optional(),
      issuer: z.string().optional(),
      error: z.string().optional(),
    })
    .optional(),
  keywordFound: z.boolean().optional(),
  problem: z.string().optional().describe('The worst reason, when not all is well'),
});
export type UptimeRow = z.infer<typeof uptimeRowSchema>;

/** Checks run at once. */
const CONCURRENCY = 8;
/** Targets checked at most in one run. */
export const MAX_TARGETS = 200;

const DAY_MS = 86_400_000;

/** The configured targets, as the config names them. */
export function configuredTargets(config: Config): UptimeTarget[] {
  return config.uptime.targets.map((t) => ({
    name: t.name ?? t.url,
    url: t.url,
    admittedAs: 'uptime.targets in the config',
    keyword: t.keyword,
    expectStatus: t.expectStatus,
    caFile: t.caFile,
  }));
}

const ingressSchema = z.looseObject({
  metadata: z.looseObject({ name: z.string(), namespace: z.string().optional() }),
  spec: z
    .looseObject({
      rules: z.array(z.looseObject({ host: z.string().optional() })).nullish(),
      tls: z.array(z.looseObject({ hosts: z.array(z.string()).nullish() })).nullish(),
    })
    .default({}),
});

/** One target per Ingress host (https when the Ingress terminates TLS for it); wildcard hosts cannot be checked. */
export async function ingressTargets(ctx: OpContext): Promise<UptimeTarget[]> {
  const raw = await listAll(ctx.kube, { group: 'networking.k8s.io', version: 'v1', resource: 'ingresses' });
  const seen = new Set<string>();
  const out: UptimeTarget[] = [];
  for (const item of raw) {
    const parsed = ingressSchema.safeParse(item);
    if (!parsed.success) continue;
    const ing = parsed.data;
    const tlsHosts = new Set((ing.spec.tls ?? []).flatMap((t) => t.hosts ?? []).map(normalizeHost));
    for (const rule of ing.spec.rules ?? []) {
      const host = rule.host ? normalizeHost(rule.host) : undefined;
      if (!host || host.startsWith('*') || seen.has(host)) continue;
      seen.add(host);
      out.push({
        name: host,
        url: `${tlsHosts.has(host) ? 'https' : 'http'}://${host}/`,
        admittedAs: `Ingress ${ing.metadata.namespace ?? ''}/${ing.metadata.name}`,
      });
    }
  }
  return out;
}

/**
 * URLs asked for by the caller: a host of a configured target is admitted as that; any other must
 * pass the target policy (the cluster's Ingress and Service hosts, net.allowTargets), else
 * PolicyDenied before anything is checked.
 */
export async function askedTargets(ctx: OpContext, urls: string[], keyword: string | undefined): Promise<UptimeTarget[]> {
  if (!urls.length) return [];
  const configuredHosts = new Set(ctx.config.uptime.targets.map((t) => normalizeHost(new URL(t.url).hostname)));
  const policy = urls.every((u) => configuredHosts.has(normalizeHost(new URL(u).hostname))) ? undefined : await loadTargetPolicy(ctx, 'http');
  return urls.map((url) => {
    const host = normalizeHost(new URL(url).hostname);
    if (configuredHosts.has(host)) return { name: url, url, admittedAs: 'a host of uptime.targets in the config', keyword };
    const decision = policy?.check(host);
    if (!decision?.allowed)
      throw new PolicyDenied(`homelab uptime may not check ${host}: ${decision?.reason ?? 'not admitted'}`, {
        hint: `${decision?.hint ?? ''}; or add the URL under uptime.targets`,
      });
    return { name: url, url, admittedAs: decision.why, keyword };
  });
}

/** What to say about a resolved address: a reason to refuse it (link-local, metadata), unless net.allowTargets names it. */
export function addressGuard(config: Config): (ip: string) => string | undefined {
  const explicit = buildTargetPolicy('http', {}, config.net.allowTargets);
  return (ip) => {
    const what = guardedAddress(ip);
    if (!what) return undefined;
    return explicit.check(ip).allowed ? undefined : `${ip}, ${what} (add it itself under net.allowTargets if you mean it)`;
  };
}

/** Checks every target, CONCURRENCY at a time, in the order given. */
export async function checkTargets(ctx: OpContext, targets: UptimeTarget[]): Promise<Array<{ target: UptimeTarget; result: ProbeResult }>> {
  const probe = await ctx.services.probe();
  const refuseAddress = addressGuard(ctx.config);
  const results: Array<{ target: UptimeTarget; result: ProbeResult }> = new Array(targets.length);
  let next = 0;
  const worker = async () => {
    while (next < targets.length) {
      const i = next++;
      const target = targets[i] as UptimeTarget;
      results[i] = {
        target,
        result: await probe.check({ url: target.url, timeoutMs: ctx.config.uptime.timeoutMs, keyword: target.keyword, caFile: target.caFile, refuseAddress }),
      };
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, targets.length) }, worker));
  return results;
}

const REASON: Record<NonNullable<ProbeResult['errorKind']>, string> = {
  dns: 'DnsFailed',
  refused: 'Refused',
  connect: 'Unreachable',
  timeout: 'Timeout',
  tls: 'TlsFailed',
  other: 'Down',
};

/** One target's row and findings: down, wrong status, bad or expiring certificate, missing keyword, slow. */
export function judge(target: UptimeTarget, result: ProbeResult, config: Config, now: Date): { row: UptimeRow; findings: Finding[] } {
  const findings: Finding[] = [];
  const add = (severity: 'warn' | 'crit', reason: string, message: string) =>
    findings.push({ severity, kind: 'UptimeTarget', name: target.name, reason, message: `${target.url}: ${message}` });
  const tls = result.tls;
  const daysLeft = tls?.validTo ? Math.floor((Date.parse(tls.validTo) - now.getTime()) / DAY_MS) : undefined;
  if (result.status === undefined) add('crit', REASON[result.errorKind ?? 'other'], result.error ?? 'no answer');
  else {
    const expected = target.expectStatus ? target.expectStatus.includes(result.status) : result.status >= 200 && result.status < 400;
    if (!expected) add('crit', 'HttpStatus', `answered HTTP ${result.status}${target.expectStatus ? ` (expected ${target.expectStatus.join(' or ')})` : ''}`);
    if (tls && !tls.authorized) add('crit', 'TlsInvalid', `the certificate is not valid: ${tls.error ?? 'not verified'}`);
    else if (daysLeft !== undefined && daysLeft < config.uptime.warnDays)
      add(daysLeft < 0 ? 'crit' : 'warn', 'CertExpiring', `the certificate expires in ${daysLeft} days (${tls?.validTo})`);
    if (result.keywordFound === false) add('crit', 'KeywordMissing', `the page does not contain "${target.keyword}"`);
    if (result.latencyMs > config.uptime.slowMs) add('warn', 'Slow', `answered in ${result.latencyMs} ms (slower than ${config.uptime.slowMs} ms)`);
  }
  const worst = findings.find((f) => f.severity === 'crit') ?? findings[0];
  return {
    row: {
      name: target.name,
      url: target.url,
      admittedAs: target.admittedAs,
      up: !findings.some((f) => f.severity === 'crit'),
      status: result.status,
      latencyMs: result.latencyMs,
      error: result.error,
      redirectTo: result.redirectTo,
      tls: tls ? { valid: tls.authorized, daysLeft, expires: tls.validTo, issuer: tls.issuer, error: tls.error } : undefined,
      keywordFound: result.keywordFound,
      problem: worst?.reason,
    },
    findings,
  };
}
