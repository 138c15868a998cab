import op from '../../ops/secrets/secrets-status.js';
import { commandFor } from '../../adapters/cli/op-command.js';
import { cutNotes, everyRowUnlessLimited } from '../../adapters/cli/lists.js';
import { formatAge } from '../../core/schemas.js';

export default commandFor(op, {
  adjustInput: everyRowUnlessLimited(op),
  examples: [
    '<%= config.bin %> secrets',
    '<%= config.bin %> secrets -n paperless',
    '<%= config.bin %> secrets --json | jq \'.externalSecrets[] | select(.ready != "True")\'',
  ],
  render(out, ui) {
    const blocks: string[] = [ui.verdict(out.verdict, out.summary)];
    if (!out.installed) return blocks.join('\n');
    const now = Date.now();
    const ready = (r: string, reason?: string) => (r === 'True' ? ui.c.green(reason ?? 'True') : ui.c.red(`${r}${reason ? ` (${reason})` : ''}`));
    blocks.push(
      ui.c.dim(`external-secrets.io/${out.version ?? '?'}`) +
        '\n' +
        (out.externalSecrets.length
          ? ui.table(
              ['NAMESPACE', 'NAME', 'READY', 'LAST REFRESH', 'INTERVAL', 'STORE', 'SECRET'],
              out.externalSecrets.map((e) => [
                e.namespace,
                e.name,
                ready(e.ready, e.reason),
                e.refreshTime ? `${formatAge((now - Date.parse(e.refreshTime)) / 1000)} ago${e.stale ? ui.c.yellow(' (stale)') : ''}` : '-',
                e.refreshPolicy && e.refreshPolicy !== 'Periodic' ? e.refreshPolicy : e.refreshInterval,
                `${e.store.kind}/${e.store.name}`,
                e.target,
              ]),
            )
          : ui.c.dim('no ExternalSecrets')),
    );
    if (out.stores.length) {
      blocks.push(
        ui.table(
          ['STORE', 'NAMESPACE', 'NAME', 'PROVIDER', 'READY', 'MESSAGE'],
          out.stores.map((s) => [s.kind, s.namespace ?? '', s.name, s.provider ?? '', ready(s.ready, s.reason), s.ready === 'True' ? '' : (s.message ?? '')]),
        ),
      );
    }
    if (out.clusterExternalSecrets.length) {
      blocks.push(
        ui.table(
          ['CLUSTEREXTERNALSECRET', 'READY', 'NAMESPACES', 'FAILED'],
          out.clusterExternalSecrets.map((c) => [c.name, ready(c.ready), c.provisionedNamespaces.length, c.failedNamespaces.map((f) => f.namespace).join(',')]),
        ),
      );
    }
    if (out.findings.length) blocks.push(ui.findings(out.findings));
    if (out.truncated) blocks.push(cutNotes(out, ui));
    return blocks.join('\n\n');
  },
});
