import op from '../ops/media/media-status.js';
import { formatClock } from '../ops/media/format.js';
import { commandFor } from '../adapters/cli/op-command.js';
import { plural } from '../ops/shared/format.js';

export default commandFor(op, {
  examples: ['<%= config.bin %> media', '<%= config.bin %> media --json'],
  render(out, ui) {
    const blocks = [ui.verdict(out.verdict, out.summary)];
    const j = out.jellyfin;
    if (!j.configured) blocks.push(`${ui.c.bold('Jellyfin')}  ${ui.c.dim('not configured (services.jellyfin in the config)')}`);
    else if (!j.reachable) blocks.push(`${ui.c.bold('Jellyfin')}  ${j.url}  ${ui.c.red(j.error ?? 'unreachable')}`);
    else {
      const c = j.counts;
      const lines = [`${ui.c.bold('Jellyfin')} ${j.version}  ${j.serverName ?? ''}  ${j.url}`.trimEnd()];
      if (c) lines.push(`  ${c.movies} movies, ${c.series} series, ${c.episodes} episodes, ${c.albums} albums, ${c.songs} songs, ${c.books} books`);
      const libs = j.libraries ?? [];
      if (libs.length) {
        lines.push(
          ui.table(
            ['LIBRARY', 'TYPE', 'PATHS', 'SCAN'],
            libs.map((l) => [
              l.name,
              l.type ?? '-',
              l.paths.join(', '),
              l.refreshStatus === 'Active' ? ui.c.cyan(`scanning ${Math.round(l.refreshProgress ?? 0)}%`) : (l.refreshStatus ?? 'Idle'),
            ]),
          ),
        );
      }
      const sessions = j.sessions ?? [];
      const playing = sessions.filter((s) => s.playing);
      lines.push(
        playing.length
          ? ui.table(
              ['USER', 'DEVICE', 'PLAYING', 'AT', 'HOW'],
              playing.map((s) => [
                s.user ?? '-',
                [s.client, s.device].filter(Boolean).join(' on '),
                s.playing,
                `${s.paused ? 'paused ' : ''}${s.position !== undefined ? formatClock(s.position) : '?'}${s.runtime ? ` / ${formatClock(s.runtime)}` : ''}`,
                s.playMethod ?? '',
              ]),
            )
          : `  ${plural(sessions.length, 'session')}, nothing playing`,
      );
      for (const t of j.runningTasks ?? []) lines.push(`  ${ui.c.cyan('running')} ${t.name}${t.progress !== undefined ? ` ${Math.round(t.progress)}%` : ''}`);
      blocks.push(lines.join('\n'));
    }
    const i = out.immich;
    if (!i.configured) blocks.push(`${ui.c.bold('Immich')}  ${ui.c.dim('not configured (services.immich in the config)')}`);
    else if (!i.reachable) blocks.push(`${ui.c.bold('Immich')}  ${i.url}  ${ui.c.red(i.error ?? 'unreachable')}`);
    else {
      const lines = [`${ui.c.bold('Immich')} ${i.version}  ${i.url}`];
      if (i.photos !== undefined) lines.push(`  ${i.photos} photos, ${i.videos} videos, ${i.usageHuman}`);
      else if (i.statisticsError) lines.push(`  ${ui.c.yellow('no statistics')}: ${i.statisticsError}`);
      if (i.storage) lines.push(`  disk: ${i.storage.used} used of ${i.storage.size} (${i.storage.usedPercent.toFixed(1)}%), ${i.storage.available} free`);
      const queues = (i.queues ?? []).filter((q) => q.failed || q.paused || q.waiting);
      if (queues.length)
        lines.push(
          `  queues: ${queues.map((q) => `${q.name} ${[q.failed ? ui.c.yellow(`${q.failed} failed`) : '', q.waiting ? `${q.waiting} waiting` : '', q.paused ? 'paused' : ''].filter(Boolean).join(', ')}`).join('; ')}`,
        );
      if (i.users?.length)
        lines.push(
          ui.table(
            ['USER', 'PHOTOS', 'VIDEOS', 'USAGE'],
            i.users.map((u) => [u.name, u.photos, u.videos, u.usageHuman]),
          ),
        );
      blocks.push(lines.join('\n'));
    }
    if (out.findings.length)
      blocks.push(
        ui.table(
          ['SEVERITY', 'KIND', 'NAME', 'REASON', 'MESSAGE'],
          out.findings.map((f) => [ui.severity(f.severity), f.kind, f.name, f.reason, f.message]),
        ),
      );
    return blocks.join('\n\n');
  },
});
