import op from '../../ops/media/jellyfin-fix.js';
import { commandFor } from '../../adapters/cli/op-command.js';

export default commandFor(op, {
  examples: [
    { description: 'Find a series the UI hides and refresh its metadata', command: '<%= config.bin %> jellyfin fix "Better Off Ted" --yes' },
    { description: 'By id, replacing all metadata', command: '<%= config.bin %> jellyfin fix --id f27caa37-e514-2225-cced-ed48f6553502 --replace-all --yes' },
  ],
  confirm: (input) => `Queue a full metadata refresh of the Jellyfin item ${input.id ? `with id ${input.id}` : `titled "${input.title}"`}?`,
  render(out, ui) {
    const rows = out.matches.map((m) => [m.id, m.type, m.name, m.year, m.hasMetadata ? 'yes' : ui.c.yellow('no'), m.foundBy.join(', '), m.path]);
    const table = ui.table(['ID', 'TYPE', 'NAME', 'YEAR', 'METADATA', 'FOUND BY', 'PATH'], rows);
    if (out.outcome !== 'refreshed') {
      const head =
        out.outcome === 'ambiguous'
          ? `${ui.c.yellow(`${out.matches.length} items have exactly that title`)}; nothing was refreshed.`
          : `${ui.c.yellow('No item has exactly that title')}; ${out.matches.length} ${out.matches.length === 1 ? 'contains' : 'contain'} it, and nothing was refreshed.`;
      const commands = out.matches.map((m) => `  ${m.fix.command}   ${ui.c.dim(`# ${m.type} "${m.name}"${m.year ? ` (${m.year})` : ''}`)}`);
      return `${head}\n\n${table}\n\nTo refresh one, run its command:\n${commands.join('\n')}`;
    }
    const r = out.refreshed;
    if (!r) return 'nothing refreshed';
    const what = `${r.type} "${r.name}"${r.year ? ` (${r.year})` : ''} ${ui.c.dim(r.id)}`;
    const lines = [
      `${ui.c.green('✔ queued')} a full metadata refresh${r.replaceAllMetadata ? ' (replace all)' : ''} of ${what}`,
      r.metadata === 'present'
        ? `${ui.c.green('✔ metadata present')}${
            Object.keys(r.providerIds).length
              ? `: ${Object.entries(r.providerIds)
                  .map(([k, v]) => `${k} ${v}`)
                  .join(', ')}`
              : ''
          }`
        : ui.c.yellow('… metadata not there yet; Jellyfin keeps working on it (check again with the same command)'),
    ];
    if (r.overview) lines.push(ui.c.dim(r.overview.length > 160 ? `${r.overview.slice(0, 157)}...` : r.overview));
    if (out.matches.length > 1) lines.push('', table);
    return lines.join('\n');
  },
});
