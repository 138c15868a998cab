import op from '../../ops/arr/arr-status.js';
import { commandFor } from '../../adapters/cli/op-command.js';
import { everyRowUnlessLimited } from '../../adapters/cli/lists.js';
import { formatBytes } from '../../ops/shared/format.js';

export default commandFor(op, {
  watch: true,
  // An assistant gets one row per list and app (its budget); a person the newest 20 unless --limit.
  adjustInput: everyRowUnlessLimited(op, 20),
  examples: ['<%= config.bin %> arr', '<%= config.bin %> arr --apps sonarr --apps radarr --limit 20'],
  render(out, ui) {
    const blocks = [ui.verdict(out.verdict, out.summary)];
    const head = (label: string, s: { configured: boolean; reachable?: boolean; version?: string; url?: string } | undefined) =>
      !s
        ? undefined
        : !s.configured
          ? `${ui.c.bold(label)}  ${ui.c.dim('not configured')}`
          : !s.reachable
            ? `${ui.c.bold(label)}  ${s.url ?? ''}  ${ui.c.red('not answering (see findings)')}`
            : `${ui.c.bold(label)} ${s.version ?? ''}  ${ui.c.dim(s.url ?? '')}`;
    for (const [label, s] of [
      ['Sonarr', out.sonarr],
      ['Radarr', out.radarr],
    ] as const) {
      const line = head(label, s);
      if (!line) continue;
      const lines = [line];
      if (s?.reachable) {
        lines.push(
          `  queue ${s.queue?.total ?? '?'} (${s.queue?.stuckTotal ?? 0} stuck), missing ${s.missing ?? '?'}, indexers ${s.indexers?.enabled ?? '?'}/${s.indexers?.total ?? '?'} enabled`,
        );
        for (const d of s.disks ?? [])
          lines.push(`  disk ${d.path}: ${formatBytes(d.freeBytes)} free of ${formatBytes(d.totalBytes)} (${d.usedPercent}% used)`);
        if (s.queue?.stuck.length)
          lines.push(
            ui.table(
              ['QUEUE ID', 'REASON', 'FOR', 'DOWNLOAD'],
              s.queue.stuck.map((q) => [q.queueId, ui.c.yellow(q.reason), q.item ?? '', q.title]),
            ),
          );
      }
      blocks.push(lines.join('\n'));
    }
    const p = out.prowlarr;
    const pl = head('Prowlarr', p);
    if (pl)
      blocks.push(
        p?.reachable ? `${pl}\n  indexers ${p.indexers?.enabled ?? '?'}/${p.indexers?.total ?? '?'} enabled, ${p.indexers?.failing.length ?? 0} failing` : pl,
      );
    const b = out.bazarr;
    const bl = head('Bazarr', b);
    if (bl) blocks.push(b?.reachable ? `${bl}\n  missing subtitles: ${b.missingEpisodes ?? '?'} episodes, ${b.missingMovies ?? '?'} movies` : bl);
    const s = out.sabnzbd;
    const sl = head('SABnzbd', s);
    if (sl)
      blocks.push(
        s?.reachable
          ? `${sl}\n  ${s.status ?? '?'}${s.paused ? ui.c.yellow(' (paused)') : ''}, ${s.queued ?? 0} queued, ${s.failed?.total ?? 0} failed in history${(s.disks ?? []).map((d) => `\n  ${d.folder} disk: ${formatBytes(d.freeBytes)} free of ${formatBytes(d.totalBytes)}`).join('')}`
          : sl,
      );
    const q = out.qbittorrent;
    const ql = head('qBittorrent', q);
    if (ql) {
      const t = q?.torrents;
      blocks.push(
        q?.reachable && t
          ? `${ql}\n  ${q.connection}, ${t.total} torrents: ${t.downloading} downloading (${t.stalled} stalled), ${t.seeding} seeding, ${t.paused} paused, ${t.errored} errored${q.freeBytes !== undefined ? `\n  ${formatBytes(q.freeBytes)} free` : ''}`
          : ql,
      );
    }
    const findings = ui.findings(out.findings);
    if (findings) blocks.push(findings);
    if (out.findingsCut) blocks.push(ui.c.dim(`${out.findingsCut.total} findings in all; ${out.findingsCut.narrow}`));
    return blocks.join('\n\n');
  },
});
