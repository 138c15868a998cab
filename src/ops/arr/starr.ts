/**
 * The Sonarr and Radarr checks (one API, one shape): the app's own health messages, downloads
 * stuck in its queue, monitored items without a file, its disks and its indexers.
 */
import { z } from 'zod';

import type { ArrHealth, ArrIndexer, StarrApp, StarrPort, StarrQueueItem } from '../../core/ports/arr.js';
import type { Check } from '../shared/check.js';
import type { Finding } from '../shared/findings.js';
import { clip } from '../shared/bounded.js';
import { fix } from '../shared/fix.js';
import { plural } from '../shared/format.js';
import { capFindings, diskFinding, serviceCheck, type Looked, type ServiceRead, type ServiceState } from '../shared/service.js';

export const APP_LABEL: Record<StarrApp, string> = { sonarr: 'Sonarr', radarr: 'Radarr' };
const ITEM_WORD: Record<StarrApp, string> = { sonarr: 'episode', radarr: 'movie' };

/** Queue items read to judge (the page size asked for); the total is the app's own count. */
export const QUEUE_READ = 250;
/** Findings per kind of problem before the rest are counted in one. */
export const MAX_FINDINGS_EACH = 10;

export const healthRowSchema = z.object({ type: z.string(), source: z.string(), message: z.string() });
type HealthRow = z.infer<typeof healthRowSchema>;
export const diskRowSchema = z.object({ path: z.string(), freeBytes: z.number(), totalBytes: z.number(), usedPercent: z.number() });
export const indexerRowSchema = z.object({ name: z.string(), disabledTill: z.string().optional(), lastFailure: z.string().optional() });
export const stuckRowSchema = z.object({
  queueId: z.number().int(),
  title: z.string(),
  reason: z.string(),
  item: z.string().optional().describe('The episode or movie it is for'),
  message: z.string().optional(),
});

export const starrStatusSchema = z.object({
  configured: z.boolean(),
  url: z.string().optional(),
  reachable: z.boolean().optional(),
  version: z.string().optional(),
  health: z.array(healthRowSchema).optional().describe("The app's own warnings and errors (System → Status)"),
  queue: z.object({ total: z.number().int(), stuck: z.array(stuckRowSchema), stuckTotal: z.number().int(), truncated: z.boolean() }).optional(),
  missing: z.number().int().optional().describe('Monitored items without a file (Wanted → Missing)'),
  disks: z.array(diskRowSchema).optional(),
  indexers: z.object({ total: z.number().int(), enabled: z.number().int(), failing: z.array(indexerRowSchema) }).optional(),
});
export type StarrStatus = z.infer<typeof starrStatusSchema>;

/** Why a queue item is stuck, as a reason word; undefined while it is fine. */
export function stuckReason(q: StarrQueueItem): string | undefined {
  const state = q.trackedDownloadState;
  if (q.status === 'downloadClientUnavailable') return 'ClientUnavailable';
  if (state === 'importBlocked') return 'ImportBlocked';
  if (state === 'failedPending' || state === 'failed' || q.status === 'failed') return 'DownloadFailed';
  if (q.trackedDownloadStatus === 'error') return 'DownloadError';
  if (q.trackedDownloadStatus === 'warning' || q.status === 'warning') {
    return q.messages.some((m) => /stalled/i.test(m)) ? 'Stalled' : state === 'importPending' ? 'ImportPending' : 'DownloadWarning';
  }
  return undefined;
}

/**
 * The warnings and errors of an *arr app's own health check (System → Status) as findings of kind
 * LABELHealth; the rows its data lists (undefined when the health could not be read).
 */
export function healthFindings(label: string, health: ArrHealth[] | undefined, findings: Finding[], looked: Looked): HealthRow[] | undefined {
  const problems = (health ?? []).filter((h) => h.type === 'warning' || h.type === 'error');
  for (const h of problems) {
    looked.add({ kind: `${label}Health`, name: h.source || 'health' });
    findings.push({
      severity: h.type === 'error' ? 'crit' : 'warn',
      kind: `${label}Health`,
      name: h.source || 'health',
      reason: h.type === 'error' ? 'HealthError' : 'HealthWarning',
      message: h.message,
    });
  }
  return health ? problems.map((h) => ({ type: h.type, source: h.source, message: h.message })) : undefined;
}

/** Enabled indexers the app has stopped using after failures, until a time still to come. */
export function failingIndexers(indexers: ArrIndexer[] | undefined): ArrIndexer[] {
  const now = Date.now();
  return (indexers ?? []).filter((i) => i.enabled && i.disabledTill && Date.parse(i.disabledTill) > now);
}

/** A failing indexer as the data lists it. */
export const indexerRow = (i: ArrIndexer): z.infer<typeof indexerRowSchema> => ({
  name: i.name,
  disabledTill: i.disabledTill,
  lastFailure: i.mostRecentFailure,
});

export interface StarrParams {
  /** Stuck downloads listed in the data (all are counted). */
  limit?: number;
}

export function starrCheck(app: StarrApp): Check<StarrParams, StarrStatus> {
  const label = APP_LABEL[app];
  return serviceCheck({
    name: app,
    about: `${label}: health, stuck downloads, missing ${ITEM_WORD[app]}s, disks, indexers`,
    kind: label,
    port: (ctx) => ctx.services.starr(app),
    reach: async (port) => (await port.system()).version,
    read: (r, params: StarrParams) => starrRead(r, label, params.limit ?? 10),
  });
}

async function starrRead(
  { port, reached: version, findings, looked, part }: ServiceRead<StarrPort, string>,
  label: string,
  limit: number,
): Promise<{ scope: string; data: Omit<StarrStatus, keyof ServiceState> }> {
  const app = port.app;
  const [health, queue, missing, disks, indexers] = await Promise.all([
    part('its health', port.health()),
    part('its queue', port.queue(QUEUE_READ)),
    part(`its missing ${ITEM_WORD[app]}s`, port.missing(1)),
    part('its disk space', port.diskSpace()),
    part('its indexers', port.indexers()),
  ]);

  const healthRows = healthFindings(label, health, findings, looked);

  const stuck: Array<z.infer<typeof stuckRowSchema>> = [];
  const stuckFindings: Finding[] = [];
  for (const q of queue?.items ?? []) {
    looked.add({ kind: `${label}Download`, name: q.title });
    const reason = stuckReason(q);
    if (!reason) continue;
    const message = q.messages[0];
    // The row's message cut to a line (its finding below has it whole).
    stuck.push({ queueId: q.id, title: q.title, reason, item: q.item?.label, message: message === undefined ? undefined : clip(message, 100) });
    stuckFindings.push({
      severity: 'warn',
      kind: `${label}Download`,
      name: q.title,
      reason,
      message: `${q.item ? `${q.item.label}: ` : ''}${message ?? reason} (queue id ${q.id}${q.downloadClient ? `, ${q.downloadClient}` : ''})`,
      fix: fix('arr_retry', { app, id: String(q.id) }),
    });
  }
  findings.push(
    ...capFindings(stuckFindings, MAX_FINDINGS_EACH, (n) => ({
      kind: label,
      name: port.target,
      reason: 'MoreStuckDownloads',
      message: `and ${plural(n, 'more stuck download')} (homelab arr lists them)`,
    })),
  );

  for (const d of disks ?? []) {
    looked.add({ kind: `${label}Disk`, name: d.path });
    const full = diskFinding(`${label}Disk`, d.path, d.free, d.total, `${d.label ? `${d.label} ` : ''}${d.path}`);
    if (full) findings.push(full);
  }

  const failing = failingIndexers(indexers);
  for (const i of indexers ?? []) looked.add({ kind: `${label}Indexer`, name: i.name });
  for (const i of failing) {
    findings.push({
      severity: 'warn',
      kind: `${label}Indexer`,
      name: i.name,
      reason: 'IndexerDisabled',
      message: `${label} stopped using it after failures${i.initialFailure ? ` since ${i.initialFailure}` : ''}, until ${i.disabledTill}`,
    });
  }
  if (indexers && !indexers.some((i) => i.enabled)) {
    findings.push({
      severity: 'warn',
      kind: label,
      name: port.target,
      reason: 'NoIndexers',
      message: `${label} has no enabled indexer: it cannot search for anything`,
    });
  }

  const data: Omit<StarrStatus, keyof ServiceState> = {
    version,
    health: healthRows,
    queue: queue
      ? { total: queue.total, stuck: stuck.slice(0, limit), stuckTotal: stuck.length, truncated: stuck.length > limit || queue.total > QUEUE_READ }
      : undefined,
    missing: missing?.total,
    // The fullest first, `limit` of them (a disk past its threshold is a finding either way).
    disks: disks
      ?.map((d) => ({
        path: d.path,
        freeBytes: d.free,
        totalBytes: d.total,
        usedPercent: d.total ? Math.round((1 - d.free / d.total) * 1000) / 10 : 0,
      }))
      .sort((a, b) => b.usedPercent - a.usedPercent)
      .slice(0, limit),
    indexers: indexers
      ? {
          total: indexers.length,
          enabled: indexers.filter((i) => i.enabled).length,
          failing: failing.map(indexerRow),
        }
      : undefined,
  };
  const scope = `${label} ${version} (${plural(queue?.total ?? 0, 'queued download')}, ${plural(indexers?.length ?? 0, 'indexer')})`;
  return { scope, data };
}

/** One line about an app for the stack's summary. */
export function starrLine(label: string, s: StarrStatus, word: string): string {
  if (!s.configured) return `${label} not configured`;
  if (!s.reachable) return `${label} unreachable`;
  const stuck = s.queue?.stuckTotal ?? 0;
  return `${label} ${s.version}: ${plural(s.queue?.total ?? 0, 'download')} queued${stuck ? ` (${stuck} stuck)` : ''}, ${plural(s.missing ?? 0, `missing ${word}`)}`;
}
