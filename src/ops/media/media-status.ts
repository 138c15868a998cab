import { z } from 'zod';
import { defineOp } from '../../core/op.js';
import { HomelabError, describeError } from '../../core/errors.js';
import type { JellyfinPort } from '../../core/ports/jellyfin.js';
import type { ImmichPort } from '../../core/ports/immich.js';
import { findingsSchema, problemsLine, sortFindings, summarizeStatus, summaryLineSchema, verdictOf, verdictSchema, type Finding } from '../shared/findings.js';
import { formatBytes } from '../shared/format.js';
import { plural } from '../shared/format.js';

const jellyfinSchema = z.object({
  configured: z.boolean(),
  url: z.string().optional(),
  reachable: z.boolean().optional().describe('Answered with the API key (false: see error)'),
  error: z.string().optional().describe('Why it could not be asked'),
  serverName: z.string().optional(),
  version: z.string().optional(),
  pendingRestart: z.boolean().optional(),
  counts: z
    .object({
      movies: z.number(),
      series: z.number(),
      episodes: z.number(),
      albums: z.number(),
      songs: z.number(),
      musicVideos: z.number(),
      books: z.number(),
      boxSets: z.number(),
      items: z.number(),
    })
    .optional(),
  sessions: z
    .array(
      z.object({
        user: z.string().optional(),
        client: z.string().optional(),
        device: z.string().optional(),
        playing: z.string().optional().describe('What is playing: "Series – Episode" or the title'),
        paused: z.boolean().optional(),
        position: z.number().optional().describe('Seconds into it'),
        runtime: z.number().optional().describe('Seconds long'),
        playMethod: z.string().optional().describe('DirectPlay, DirectStream or Transcode'),
      }),
    )
    .optional()
    .describe('Sessions active in the last 15 minutes'),
  libraries: z
    .array(
      z.object({
        name: z.string(),
        type: z.string().optional(),
        paths: z.array(z.string()),
        refreshStatus: z.string().optional(),
        refreshProgress: z.number().optional(),
      }),
    )
    .optional(),
  failedTasks: z
    .array(z.object({ name: z.string(), key: z.string().optional(), status: z.string(), endTime: z.string().optional(), error: z.string().optional() }))
    .optional()
    .describe('Scheduled tasks whose last run did not complete'),
  runningTasks: z.array(z.object({ name: z.string(), progress: z.number().optional() })).optional(),
});

const immichSchema = z.object({
  configured: z.boolean(),
  url: z.string().optional(),
  reachable: z.boolean().optional(),
  error: z.string().optional(),
  version: z.string().optional(),
  photos: z.number().optional(),
  videos: z.number().optional(),
  usage: z.number().optional().describe('Bytes the library uses'),
  usageHuman: z.string().optional(),
  users: z.array(z.object({ name: z.string(), photos: z.number(), videos: z.number(), usage: z.number(), usageHuman: z.string() })).optional(),
  storage: z.object({ size: z.string(), used: z.string(), available: z.string(), usedPercent: z.number() }).optional().describe('The disk Immich stores on'),
  statisticsError: z.string().optional().describe('Why statistics are missing (they need an admin key)'),
  queues: z
    .array(z.object({ name: z.string(), active: z.number(), waiting: z.number(), failed: z.number(), paused: z.boolean() }))
    .optional()
    .describe('Job queues with work waiting, failed or paused (admin key)'),
});

type JellyfinStatus = z.input<typeof jellyfinSchema>;
type ImmichStatus = z.input<typeof immichSchema>;

/** Disk use at which Immich's storage is reported. */
const DISK_WARN = 85;
const DISK_CRIT = 95;

/** A service that could not be asked is a crit finding; the other service still reports. */
function unreachable(service: string, url: string, err: unknown): Finding {
  const kind = err instanceof HomelabError ? err.kind : 'Upstream';
  const reason = kind === 'Forbidden' ? 'Refused' : kind === 'Timeout' ? 'Timeout' : kind === 'NotFound' ? 'NotFound' : 'Unreachable';
  return { severity: 'crit', kind: 'Service', name: service, reason, message: describeError(err).replace(/^(Jellyfin|Immich) at \S+ /, '') + ` (${url})` };
}

function couldNotAsk(findings: Finding[]): string {
  const reason = findings.find((f) => f.kind === 'Service')?.reason;
  return reason === 'Refused'
    ? 'refused the API key'
    : reason === 'Timeout'
      ? 'did not answer in time'
      : reason === 'NotFound'
        ? 'answered 404 (wrong URL or version?)'
        : 'unreachable';
}

async function jellyfinStatus(jf: JellyfinPort): Promise<{ status: JellyfinStatus; findings: Finding[]; error?: unknown }> {
  const url = jf.target;
  const findings: Finding[] = [];
  let info;
  try {
    info = await jf.systemInfo();
  } catch (err) {
    return { status: { configured: true, url, reachable: false, error: describeError(err) }, findings: [unreachable('jellyfin', url, err)], error: err };
  }
  const [counts, sessions, libraries, tasks] = await Promise.all([jf.counts(), jf.sessions(), jf.libraries(), jf.tasks()]);
  const failedTasks = tasks
    .filter((t) => t.lastResult && t.lastResult.status !== 'Completed' && t.lastResult.status !== 'Cancelled')
    .map((t) => ({ name: t.name, key: t.key, status: t.lastResult?.status ?? '', endTime: t.lastResult?.endTime, error: t.lastResult?.errorMessage }));
  for (const t of failedTasks) {
    findings.push({
      severity: 'warn',
      kind: 'ScheduledTask',
      name: t.name,
      reason: `Task${t.status}`,
      message: `last run ${t.status.toLowerCase()}${t.endTime ? ` at ${t.endTime}` : ''}${t.error ? `: ${t.error}` : ''}`,
    });
  }
  if (info.hasPendingRestart)
    findings.push({ severity: 'warn', kind: 'Service', name: 'jellyfin', reason: 'PendingRestart', message: 'Jellyfin needs a restart to apply changes' });
  for (const lib of libraries) {
    if (!lib.locations.length) findings.push({ severity: 'warn', kind: 'Library', name: lib.name, reason: 'NoFolders', message: 'the library has no folders' });
  }
  return {
    status: {
      configured: true,
      url,
      reachable: true,
      serverName: info.serverName,
      version: info.version,
      pendingRestart: info.hasPendingRestart,
      counts,
      sessions: sessions.map((s) => ({
        user: s.userName,
        client: s.client,
        device: s.deviceName,
        playing: s.nowPlaying ? (s.nowPlaying.seriesName ? `${s.nowPlaying.seriesName} – ${s.nowPlaying.name}` : s.nowPlaying.name) : undefined,
        paused: s.nowPlaying?.paused,
        position: s.nowPlaying?.position,
        runtime: s.nowPlaying?.runtime,
        playMethod: s.nowPlaying?.playMethod,
      })),
      libraries: libraries.map((l) => ({
        name: l.name,
        type: l.collectionType,
        paths: l.locations,
        refreshStatus: l.refreshStatus,
        refreshProgress: l.refreshProgress,
      })),
      failedTasks,
      runningTasks: tasks.filter((t) => t.state === 'Running').map((t) => ({ name: t.name, progress: t.progress })),
    },
    findings,
  };
}

async function immichStatus(im: ImmichPort): Promise<{ status: ImmichStatus; findings: Finding[]; error?: unknown }> {
  const url = im.target;
  const findings: Finding[] = [];
  let about;
  try {
    about = await im.about();
  } catch (err) {
    return { status: { configured: true, url, reachable: false, error: describeError(err) }, findings: [unreachable('immich', url, err)], error: err };
  }
  // Statistics and queues need an admin key; a user's key still gets version and storage.
  const forbiddenAsValue = (err: unknown) => {
    if (err instanceof HomelabError && err.kind === 'Forbidden') return err;
    throw err;
  };
  const [stats, storage, queues] = await Promise.all([
    im.statistics().catch(forbiddenAsValue),
    im.storage(),
    // /api/jobs is the "legacy" queue route: should a later Immich drop it, the status goes on without queues.
    im.queues().catch((err: unknown) => (err instanceof HomelabError && err.kind === 'NotFound' ? err : forbiddenAsValue(err))),
  ]);
  const status: ImmichStatus = {
    configured: true,
    url,
    reachable: true,
    version: about.version,
    storage: { size: storage.diskSize, used: storage.diskUse, available: storage.diskAvailable, usedPercent: storage.diskUsagePercentage },
  };
  if (stats instanceof HomelabError) {
    status.statisticsError = stats.message;
    findings.push({
      severity: 'warn',
      kind: 'Service',
      name: 'immich',
      reason: 'NoStatistics',
      message: 'the API key may not read server statistics (it needs an admin user and the server.statistics permission)',
    });
  } else {
    Object.assign(status, {
      photos: stats.photos,
      videos: stats.videos,
      usage: stats.usage,
      usageHuman: formatBytes(stats.usage),
      users: stats.usageByUser.map((u) => ({ name: u.userName, photos: u.photos, videos: u.videos, usage: u.usage, usageHuman: formatBytes(u.usage) })),
    });
  }
  if (!(queues instanceof HomelabError)) {
    const notable = queues.filter((q) => q.failed > 0 || q.waiting > 0 || q.paused);
    status.queues = notable.map((q) => ({ name: q.name, active: q.active, waiting: q.waiting, failed: q.failed, paused: q.paused }));
    for (const q of notable) {
      if (q.failed > 0)
        findings.push({
          severity: 'warn',
          kind: 'Queue',
          name: q.name,
          reason: 'JobsFailed',
          message: `${plural(q.failed, 'failed job')} in Immich's ${q.name} queue`,
        });
      if (q.paused)
        findings.push({
          severity: 'warn',
          kind: 'Queue',
          name: q.name,
          reason: 'Paused',
          message: `Immich's ${q.name} queue is paused${q.waiting ? ` with ${q.waiting} jobs waiting` : ''}`,
        });
    }
  }
  const pct = storage.diskUsagePercentage;
  if (pct >= DISK_WARN) {
    findings.push({
      severity: pct >= DISK_CRIT ? 'crit' : 'warn',
      kind: 'Storage',
      name: 'immich',
      reason: 'DiskFull',
      message: `the photo disk is ${pct.toFixed(1)}% full (${storage.diskAvailable} free of ${storage.diskSize})`,
    });
  }
  return { status, findings };
}

export default defineOp({
  name: 'media_status',
  title: 'Jellyfin and Immich at a glance',
  description: 'Jellyfin (items, sessions, libraries, scans, failed tasks) and Immich (photos, videos, disk, failed jobs). Returns both services and findings.',
  effect: 'read',
  listedWith: ['jellyfin', 'immich'],
  input: z.object({}).strict(),
  output: z.object({
    verdict: verdictSchema,
    summary: summaryLineSchema,
    jellyfin: jellyfinSchema,
    immich: immichSchema,
    findings: findingsSchema,
  }),
  rbac: [],
  timeoutMs: 60_000,
  async run(ctx) {
    const [jf, im] = await Promise.all([ctx.services.jellyfin(), ctx.services.immich()]);
    type Part<S> = { status: S; findings: Finding[]; error?: unknown };
    const [j, i] = await Promise.all([
      jf ? jellyfinStatus(jf) : ({ status: { configured: false }, findings: [] } as Part<JellyfinStatus>),
      im ? immichStatus(im) : ({ status: { configured: false }, findings: [] } as Part<ImmichStatus>),
    ]);
    // "Could not ask" is an error only when nothing could be asked: a status with no answer in it is not a status.
    const asked = [jf && j, im && i].filter((x): x is NonNullable<typeof x> => Boolean(x));
    const first = asked[0];
    if (first && asked.every((x) => x.error !== undefined)) throw first.error;

    const findings = sortFindings([...j.findings, ...i.findings]);
    const verdict = verdictOf(findings);
    const parts: string[] = [];
    const js = j.status;
    if (!js.configured) parts.push('Jellyfin not configured');
    else if (js.reachable) {
      const playing = js.sessions?.filter((s) => s.playing && !s.paused).length ?? 0;
      parts.push(`Jellyfin ${js.version}: ${js.counts?.movies ?? 0} movies, ${js.counts?.series ?? 0} series, ${playing} playing`);
    } else parts.push(`Jellyfin ${couldNotAsk(j.findings)}`);
    const is = i.status;
    if (!is.configured) parts.push('Immich not configured');
    else if (is.reachable)
      parts.push(`Immich ${is.version}: ${is.photos !== undefined ? `${is.photos} photos, ${is.videos} videos, ${is.usageHuman}` : 'no statistics'}`);
    else parts.push(`Immich ${couldNotAsk(i.findings)}`);
    const problems = problemsLine(findings, 'Jellyfin and Immich');
    const summary = `${parts.join('; ')}${problems ? ` — ${problems}` : ''}`;
    return { verdict, summary, jellyfin: j.status, immich: i.status, findings };
  },
  summarize: summarizeStatus,
});
