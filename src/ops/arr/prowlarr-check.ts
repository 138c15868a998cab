import { z } from 'zod';
import type { Check } from '../shared/check.js';
import { plural } from '../shared/format.js';
import { serviceCheck } from '../shared/service.js';
import { failingIndexers, healthFindings, healthRowSchema, indexerRow, indexerRowSchema } from './starr.js';

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
export const prowlarrCheck: Check<object, ProwlarrStatus> = serviceCheck({
  name: 'prowlarr',
  about: 'Prowlarr: failing indexers, health',
  kind: 'Prowlarr',
  port: (ctx) => ctx.services.prowlarr(),
  reach: async (port) => (await port.system()).version,
  async read({ port, reached: version, findings, looked, part }) {
    const [health, indexers] = await Promise.all([part('its health', port.health()), part('its indexers', port.indexers())]);
    const healthRows = healthFindings('Prowlarr', health, findings, looked);
    const failing = failingIndexers(indexers);
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
      scope: `Prowlarr ${version} (${plural(indexers?.length ?? 0, 'indexer')})`,
      data: {
        version,
        health: healthRows,
        indexers: indexers ? { total: indexers.length, enabled, failing: failing.map(indexerRow) } : undefined,
      },
    };
  },
});
