import { z } from 'zod';
import type { QbittorrentTorrent } from '../../core/ports/arr.js';
import type { Check } from '../shared/check.js';
import type { Finding } from '../shared/findings.js';
import { formatBytes, plural } from '../shared/format.js';
import { capFindings, serviceCheck } from '../shared/service.js';

const MAX_FINDINGS = 10;

/** qBittorrent's torrent states, v4 and v5 names (5.0 renamed paused* to stopped*). */
const ERRORED = new Set(['error', 'missingFiles']);
const PAUSED = new Set(['pausedDL', 'pausedUP', 'stoppedDL', 'stoppedUP']);
const STALLED = new Set(['stalledDL']);
const INCOMPLETE = new Set(['downloading', 'metaDL', 'forcedMetaDL', 'forcedDL', 'queuedDL', 'stalledDL', 'checkingDL', 'allocating']);

export const qbittorrentStatusSchema = z.object({
  configured: z.boolean(),
  url: z.string().optional(),
  reachable: z.boolean().optional(),
  version: z.string().optional(),
  connection: z.string().optional().describe('connected, firewalled or disconnected'),
  downloadBps: z.number().optional(),
  uploadBps: z.number().optional(),
  freeBytes: z.number().optional().describe('Free space where torrents are saved'),
  torrents: z
    .object({
      total: z.number().int(),
      downloading: z.number().int(),
      stalled: z.number().int(),
      paused: z.number().int(),
      errored: z.number().int(),
      seeding: z.number().int(),
    })
    .optional(),
  problems: z
    .array(z.object({ name: z.string(), state: z.string(), progress: z.number() }))
    .optional()
    .describe('Errored and stalled torrents, the first few'),
});
export type QbittorrentStatus = z.infer<typeof qbittorrentStatusSchema>;

const left = (t: QbittorrentTorrent) => Math.max(0, t.size * (1 - t.progress));

/** qBittorrent (services.qbittorrent): connection, errored and stalled torrents, paused ones, and whether the disk can hold what is still downloading. */
export const qbittorrentCheck: Check<{ limit?: number }, QbittorrentStatus> = serviceCheck({
  name: 'qbittorrent',
  about: 'qBittorrent: connection, errored, stalled and paused torrents, disk',
  kind: 'qBittorrent',
  port: (ctx) => ctx.services.qbittorrent(),
  reach: (port) => Promise.all([port.version(), port.state()]),
  async read({ port, reached: [version, state], findings, looked }, params) {
    const limit = params.limit ?? 10;
    for (const t of state.torrents) looked.add({ kind: 'Torrent', name: t.name });
    if (state.connectionStatus === 'disconnected')
      findings.push({
        severity: 'crit',
        kind: 'qBittorrent',
        name: port.target,
        reason: 'Disconnected',
        message: 'qBittorrent has no network connection: nothing downloads',
      });
    if (state.connectionStatus === 'firewalled')
      findings.push({
        severity: 'warn',
        kind: 'qBittorrent',
        name: port.target,
        reason: 'Firewalled',
        message: 'the listening port is not reachable from outside: fewer peers, slower downloads',
      });
    const errored = state.torrents.filter((t) => ERRORED.has(t.state));
    const stalled = state.torrents.filter((t) => STALLED.has(t.state));
    findings.push(
      ...capFindings(
        errored.map((t): Finding => ({
          severity: 'warn',
          kind: 'Torrent',
          name: t.name,
          reason: t.state === 'missingFiles' ? 'MissingFiles' : 'TorrentError',
          message: `${t.state} at ${Math.round(t.progress * 100)}%`,
        })),
        MAX_FINDINGS,
        (n) => ({ kind: 'qBittorrent', name: port.target, reason: 'MoreErroredTorrents', message: `and ${plural(n, 'more errored torrent')}` }),
      ),
    );
    findings.push(
      ...capFindings(
        stalled.map((t): Finding => ({
          severity: 'warn',
          kind: 'Torrent',
          name: t.name,
          reason: 'Stalled',
          message: `no peers to download from, stuck at ${Math.round(t.progress * 100)}%`,
        })),
        MAX_FINDINGS,
        (n) => ({ kind: 'qBittorrent', name: port.target, reason: 'MoreStalledTorrents', message: `and ${plural(n, 'more stalled torrent')}` }),
      ),
    );
    const incomplete = state.torrents.filter((t) => INCOMPLETE.has(t.state));
    const needed = incomplete.reduce((n, t) => n + left(t), 0);
    if (state.freeSpace !== undefined && needed > state.freeSpace) {
      findings.push({
        severity: 'crit',
        kind: 'qBittorrent',
        name: port.target,
        reason: 'DiskTooSmall',
        message: `the ${plural(incomplete.length, 'unfinished torrent')} need ${formatBytes(needed)} more, but only ${formatBytes(state.freeSpace)} is free`,
      });
    }
    const counts = {
      total: state.torrents.length,
      downloading: incomplete.length,
      stalled: stalled.length,
      paused: state.torrents.filter((t) => PAUSED.has(t.state)).length,
      errored: errored.length,
      seeding: state.torrents.filter((t) => /UP$|^uploading$/.test(t.state) && !PAUSED.has(t.state)).length,
    };
    return {
      scope: `qBittorrent ${version} (${plural(counts.total, 'torrent')})`,
      data: {
        version,
        connection: state.connectionStatus,
        downloadBps: state.dlSpeed,
        uploadBps: state.upSpeed,
        freeBytes: state.freeSpace,
        torrents: counts,
        problems: [...errored, ...stalled].slice(0, limit).map((t) => ({ name: t.name, state: t.state, progress: Math.round(t.progress * 1000) / 10 })),
      },
    };
  },
});
