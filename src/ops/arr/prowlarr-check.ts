import { z } from 'zod';
import type { Check, ObjectRef } from '../shared/check.js';
import type { Finding } from '../shared/findings.js';
import { plural } from '../shared/format.js';
import { Looked, notConfigured, partOf, unreachableReport } from '../shared/service.js';
import { healthRowSchema, indexerRowSchema } from './starr.js';

export const prowlarrStatusSchema = z.object({
  configured: z.boolean(),
  url: z.string().optional(),
  reachable: z.boolean().optional(),
  version: z.string().optional(),
  health: z.array(healthRowSchema).optional(),
  indexers: z.object({ total: z.number().int(), enabled: z.number().int(), failing: z.array(indexerRowSchema) }).optional(),
});
export type ProwlarrStatus = z.infer<typeof prowlarrStatusSchema>;

/** Prowlarr (services.prowlarr): indexers it has disabled after failures, and its own health messages. */
export const prowlarrCheck: Check<object, ProwlarrStatus> = {
  name: 'prowlarr',
  about: 'Prowlarr: failing indexers, health',
  rbac: [],
  async run(ctx) {
    const port = await ctx.services.prowlarr();
    if (!port) return notConfigured('services.prowlarr', { configured: false });
    const service: ObjectRef = { kind: 'Prowlarr', name: port.target };
    let version: string;
    try {
      version = (await port.system()).version;
    } catch (err) {
      return unreachableReport(service, err, { configured: true, url: port.target, reachable: false });
    }
    const findings: Finding[] = [];
    const looked = new Looked();
    looked.add(service);
    const [health, indexers] = await Promise.all([
      partOf(service, 'its health', findings, port.health()),
      partOf(service, 'its indexers', findings, port.indexers()),
    ]);
    const problems = (health ?? []).filter((h) => h.type === 'warning' || h.type === 'error');
    for (const h of problems) {
      looked.add({ kind: 'ProwlarrHealth', name: h.source || 'health' });
      findings.push({
        severity: h.type === 'error' ? 'crit' : 'warn',
        kind: 'ProwlarrHealth',
        name: h.source || 'health',
        reason: h.type === 'error' ? 'HealthError' : 'HealthWarning',
        message: h.message,
      });
    }
    const now = Date.now();
    const failing = (indexers ?? []).filter((i) => i.enabled && i.disabledTill && Date.parse(i.disabledTill) > now);
    for (const i of indexers ?? []) looked.add({ kind: 'ProwlarrIndexer', name: i.name });
    for (const i of failing) {
      findings.push({
        severity: 'warn',
        kind: 'ProwlarrIndexer',
        name: i.name,
        reason: 'IndexerFailing',
        message: `disabled after failures${i.initialFailure ? ` since ${i.initialFailure}` : ''}, until ${i.disabledTill}: Sonarr and Radarr get no results from it`,
      });
    }
    const enabled = (indexers ?? []).filter((i) => i.enabled).length;
    if (indexers && enabled > 0 && failing.length === enabled) {
      findings.push({
        severity: 'crit',
        kind: 'Prowlarr',
        name: port.target,
        reason: 'AllIndexersFailing',
        message: `every enabled indexer (${enabled}) is disabled after failures: no searches can succeed`,
      });
    }
    return {
      installed: true,
      scope: `Prowlarr ${version} (${plural(indexers?.length ?? 0, 'indexer')})`,
      findings,
      looked: looked.refs,
      lookedTotal: looked.total,
      data: {
        configured: true,
        url: port.target,
        reachable: true,
        version,
        health: health ? problems.map((h) => ({ type: h.type, source: h.source, message: h.message })) : undefined,
        indexers: indexers
          ? { total: indexers.length, enabled, failing: failing.map((i) => ({ name: i.name, disabledTill: i.disabledTill, lastFailure: i.mostRecentFailure })) }
          : undefined,
      },
    };
  },
};
