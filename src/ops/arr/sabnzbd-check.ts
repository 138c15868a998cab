import { z } from 'zod';
import type { Check } from '../shared/check.js';
import type { Finding } from '../shared/findings.js';
import { fix } from '../shared/fix.js';
import { plural } from '../shared/format.js';
import { capFindings, diskFinding, serviceCheck } from '../shared/service.js';

/** Failed jobs this recent are findings; older ones are only counted. */
export const RECENT_FAILURE_MS = 24 * 3600_000;
const MAX_FINDINGS = 10;

export const sabnzbdStatusSchema = z.object({
  configured: z.boolean(),
  url: z.string().optional(),
  reachable: z.boolean().optional(),
  version: z.string().optional(),
  status: z.string().optional().describe('Downloading, Paused or Idle'),
  paused: z.boolean().optional(),
  speedKBs: z.number().optional(),
  queued: z.number().int().optional(),
  mbLeft: z.number().optional(),
  disks: z.array(z.object({ folder: z.string(), freeBytes: z.number(), totalBytes: z.number() })).optional(),
  failed: z
    .object({
      total: z.number().int(),
      recent: z.array(z.object({ id: z.string(), name: z.string(), message: z.string().optional(), completed: z.string().optional() })),
    })
    .optional(),
});
export type SabnzbdStatus = z.infer<typeof sabnzbdStatusSchema>;

/** SABnzbd (services.sabnzbd): a paused queue, full disks, jobs that failed in the last day. */
export const sabnzbdCheck: Check<{ limit?: number }, SabnzbdStatus> = serviceCheck({
  name: 'sabnzbd',
  about: 'SABnzbd: queue, paused, disk, failed downloads',
  kind: 'SABnzbd',
  port: (ctx) => ctx.services.sabnzbd(),
  reach: (port) => port.version(),
  async read({ ctx, port, reached: version, findings, looked, part }, params) {
    const limit = params.limit ?? 10;
    const [queue, failed] = await Promise.all([part('its queue', port.queue(limit)), part('its failed downloads', port.failed(50))]);
    if (queue?.paused) {
      findings.push({
        severity: 'warn',
        kind: 'SABnzbd',
        name: port.target,
        reason: 'QueuePaused',
        message: `the download queue is paused${queue.slots.total ? ` with ${plural(queue.slots.total, 'job')} waiting` : ''}`,
      });
    }
    for (const d of queue?.disks ?? []) {
      looked.add({ kind: 'SABnzbdDisk', name: d.folder });
      const full = diskFinding('SABnzbdDisk', d.folder, d.free, d.total, `the disk of the ${d.folder} folder`);
      if (full) findings.push(full);
    }
    const now = ctx.now().getTime();
    const recent = (failed?.items ?? []).filter((j) => j.completed && now - Date.parse(j.completed) < RECENT_FAILURE_MS);
    for (const j of failed?.items ?? []) looked.add({ kind: 'SABnzbdJob', name: j.name });
    findings.push(
      ...capFindings(
        recent.map((j): Finding => ({
          severity: 'warn',
          kind: 'SABnzbdJob',
          name: j.name,
          reason: 'DownloadFailed',
          message: `${j.failMessage ?? 'failed'} (job ${j.id}, ${j.completed})`,
          fix: fix('arr_retry', { app: 'sabnzbd', id: j.id }),
        })),
        MAX_FINDINGS,
        (n) => ({ kind: 'SABnzbd', name: port.target, reason: 'MoreFailedDownloads', message: `and ${plural(n, 'more failed download')} in the last day` }),
      ),
    );
    return {
      scope: `SABnzbd ${version} (${plural(queue?.slots.total ?? 0, 'job')} queued)`,
      data: {
        version,
        status: queue?.status,
        paused: queue?.paused,
        speedKBs: queue?.speedKBs,
        queued: queue?.slots.total,
        mbLeft: queue?.mbLeft,
        disks: queue?.disks.map((d) => ({ folder: d.folder, freeBytes: d.free, totalBytes: d.total })),
        failed: failed
          ? { total: failed.total, recent: recent.slice(0, limit).map((j) => ({ id: j.id, name: j.name, message: j.failMessage, completed: j.completed })) }
          : undefined,
      },
    };
  },
});
