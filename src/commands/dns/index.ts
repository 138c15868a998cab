import op from '../../ops/dns/dns-status.js';
import { commandFor } from '../../adapters/cli/op-command.js';
import { cutNotes, everyRowUnlessLimited } from '../../adapters/cli/lists.js';

export default commandFor(op, {
  adjustInput: everyRowUnlessLimited(op),
  examples: [
    '<%= config.bin %> dns',
    { description: 'In cron: exit 0 ok, 1 warn, 2 crit', command: '<%= config.bin %> dns --json > /var/log/homelab-dns.json || notify-me' },
  ],
  render(out, ui) {
    const blocks: string[] = [ui.verdict(out.verdict, out.summary)];
    if (out.pods.length) {
      blocks.push(
        `Pods in ${out.namespace}:\n` +
          ui.table(
            ['POD', 'APP', 'READY', 'STATUS', 'RESTARTS', 'NODE'],
            out.pods.map((p) => [
              p.name,
              p.app,
              p.ready ? p.containers : ui.c.red(p.containers),
              p.ready ? p.phase : ui.c.red(p.reason ?? p.phase),
              p.restarts,
              p.node ?? '',
            ]),
          ),
      );
    } else {
      blocks.push(ui.c.red(`no DNS pods in namespace ${out.namespace}`));
    }
    const p = out.pihole;
    if (!p.configured) blocks.push(`Pi-hole: ${ui.c.dim('not configured (add services.pihole to the config)')}`);
    else if (!p.reachable) blocks.push(`Pi-hole at ${p.url ?? ''}: ${ui.c.red(p.error ?? 'unreachable')}`);
    else {
      const blocking =
        p.blocking?.state === 'enabled'
          ? ui.c.green('enabled')
          : ui.c.yellow(`${p.blocking?.state ?? '?'}${p.blocking?.timer ? ` (timer: ${Math.round(p.blocking.timer)}s left)` : ''}`);
      const lines = [
        `Pi-hole at ${p.url ?? ''}`,
        `  blocking   ${blocking}`,
        p.queries
          ? `  queries    ${p.queries.total} today, ${p.queries.blocked} blocked (${p.queries.percentBlocked.toFixed(1)}%), ${p.queries.cached} cached, ${p.queries.forwarded} forwarded`
          : '',
        p.clients ? `  clients    ${p.clients.active} active of ${p.clients.total}` : '',
        p.gravity
          ? `  gravity    ${p.gravity.domains} domains, updated ${p.gravity.age ? `${p.gravity.age} ago` : 'never'}${p.gravity.stale ? ui.c.yellow(' (stale)') : ''}`
          : '',
      ].filter(Boolean);
      blocks.push(lines.join('\n'));
      if (p.upstreams?.length) {
        blocks.push(
          ui.table(
            ['UPSTREAM', 'ADDRESS', 'QUERIES', 'RESPONSE'],
            p.upstreams.map((u) => [u.name, `${u.ip}#${u.port}`, u.count, `${u.responseMs} ms`]),
          ),
        );
      }
    }
    const a = out.adguard;
    if (!a.configured) blocks.push(`AdGuard Home: ${ui.c.dim('not configured')}`);
    else if (!a.reachable) blocks.push(`AdGuard Home at ${a.url ?? ''}: ${ui.c.red(a.error ?? 'unreachable')}`);
    else {
      const lines = [
        `AdGuard Home ${a.version ?? ''} at ${a.url ?? ''}`,
        `  dns        ${a.running ? ui.c.green('running') : ui.c.red('not running')}`,
        `  protection ${a.protection?.enabled ? ui.c.green('on') : ui.c.yellow(`off${a.protection?.pausedForSeconds ? ` (back in ${a.protection.pausedForSeconds}s)` : ''}`)}`,
        a.stats
          ? `  queries    ${a.stats.queries}, ${a.stats.blocked} blocked (${a.stats.percentBlocked.toFixed(1)}%), ${a.stats.avgProcessingMs} ms average`
          : '',
        a.topBlocked?.length
          ? `  top blocked ${a.topBlocked
              .slice(0, 5)
              .map((t) => `${t.domain} (${t.count})`)
              .join(', ')}`
          : '',
      ].filter(Boolean);
      blocks.push(lines.join('\n'));
    }
    const findings = ui.findings(out.findings);
    if (findings) blocks.push(findings);
    if (out.truncated) blocks.push(cutNotes(out, ui));
    return blocks.join('\n\n');
  },
});
