import op from '../../ops/secrets/secrets-refresh.js';
import { commandFor } from '../../adapters/cli/op-command.js';

export default commandFor(op, {
  examples: [
    '<%= config.bin %> secrets refresh paperless/paperless-db',
    '# from a script: no prompt, do not wait for the controller\n<%= config.bin %> secrets refresh immich/immich-db --yes --no-wait',
    '<%= config.bin %> secrets refresh vaultwarden/vaultwarden-admin --timeout 2m',
  ],
  confirm: (input) => `Force ExternalSecret ${input.externalSecret} to fetch from its store now?`,
  render(out, ui) {
    const what = `ExternalSecret ${out.namespace}/${out.name}`;
    if (!out.waited && out.failure) return ui.verdict('crit', `${what}: force-sync=${out.forceSync} requested, but it cannot sync: ${out.failure}`);
    if (!out.waited) return `${ui.c.green('requested')} a sync of ${what} (force-sync=${out.forceSync}); not waiting for the controller`;
    if (out.ready !== 'True') {
      const head = ui.verdict('crit', `${what}: the sync after force-sync failed: ${out.reason ?? 'NotReady'}${out.message ? `: ${out.message}` : ''}`);
      // The provider's error as the controller reported it, whole: it often spans lines.
      return out.failure && out.failure !== out.message ? `${head}\nProvider error:\n${out.failure.replace(/^(?=.)/gm, '  ')}` : head;
    }
    return `${ui.c.green('refreshed')} ${what} at ${out.refreshTime ?? '?'} (was ${out.previousRefreshTime ?? 'never'}); Ready${out.reason ? ` (${out.reason})` : ''}`;
  },
});
