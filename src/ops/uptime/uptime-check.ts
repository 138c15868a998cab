import { z } from 'zod';
import type { Check } from '../shared/check.js';
import type { Finding } from '../shared/findings.js';
import { plural } from '../shared/format.js';
import { TARGET_RBAC } from '../shared/targets.js';
import { Looked, notConfigured } from '../shared/service.js';
import { MAX_TARGETS, checkTargets, configuredTargets, ingressTargets, judge, uptimeRowSchema, type UptimeTarget } from './uptime.js';

export const uptimeDataSchema = z.object({
  targets: z.array(uptimeRowSchema),
  checked: z.number().int(),
  down: z.number().int(),
  skipped: z.number().int().describe('Targets beyond the most one run checks'),
});
export type UptimeData = z.infer<typeof uptimeDataSchema>;

export interface UptimeParams {
  /** Also every Ingress host (default: uptime.ingresses). */
  ingresses?: boolean;
  /** Targets asked for on top of the configured ones (already admitted by the policy). */
  extra?: UptimeTarget[];
  /** Leave out the configured targets (only `extra` and Ingresses). */
  onlyExtra?: boolean;
}

/** Uptime (config uptime.targets, and every Ingress host with uptime.ingresses): each URL answers, in time, with a valid certificate. */
export const uptimeCheck: Check<UptimeParams, UptimeData> = {
  name: 'uptime',
  about: 'Uptime: the configured URLs (and Ingress hosts) answer, in time, with valid certificates',
  rbac: TARGET_RBAC.http,
  async run(ctx, params) {
    const withIngresses = params.ingresses ?? ctx.config.uptime.ingresses;
    const targets = [...(params.onlyExtra ? [] : configuredTargets(ctx.config)), ...(params.extra ?? [])];
    if (withIngresses) {
      const urls = new Set(targets.map((t) => t.url));
      targets.push(...(await ingressTargets(ctx)).filter((t) => !urls.has(t.url)));
    }
    if (!targets.length) {
      if (!withIngresses && !params.extra) return notConfigured('uptime.targets', { targets: [], checked: 0, down: 0, skipped: 0 });
      return {
        installed: true,
        scope: 'no URL',
        note: withIngresses ? 'no Ingress has a host to check, and no uptime.targets are configured' : 'no URL to check',
        findings: [],
        looked: [],
        lookedTotal: 0,
        data: { targets: [], checked: 0, down: 0, skipped: 0 },
      };
    }
    const checked = targets.slice(0, MAX_TARGETS);
    const results = await checkTargets(ctx, checked);
    const now = ctx.now();
    const findings: Finding[] = [];
    const looked = new Looked();
    const rows = results.map(({ target, result }) => {
      looked.add({ kind: 'UptimeTarget', name: target.name });
      const judged = judge(target, result, ctx.config, now);
      findings.push(...judged.findings);
      return judged.row;
    });
    const down = rows.filter((r) => !r.up).length;
    return {
      installed: true,
      scope: `${plural(rows.length, 'URL')}${down ? `, ${down} down` : ''}`,
      findings,
      looked: looked.refs,
      lookedTotal: looked.total,
      data: { targets: rows, checked: rows.length, down, skipped: targets.length - checked.length },
    };
  },
};
