import op from '../../ops/arr/arr-missing.js';
import { commandFor } from '../../adapters/cli/op-command.js';

export default commandFor(op, {
  examples: ['<%= config.bin %> arr missing sonarr', '<%= config.bin %> arr missing radarr --limit 50 --json'],
  render(out, ui) {
    const head = `${out.total} monitored ${out.app === 'sonarr' ? 'episodes' : 'movies'} without a file ${ui.c.dim(`(${out.url})`)}`;
    const table = ui.table(
      ['ID', out.app === 'sonarr' ? 'EPISODE' : 'MOVIE', 'DATE'],
      out.items.map((i) => [i.id, i.label, i.date?.slice(0, 10) ?? '']),
    );
    return [head, table, out.narrow ? ui.c.dim(out.narrow) : ''].filter(Boolean).join('\n\n');
  },
});
