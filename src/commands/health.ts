import op from '../ops/cluster/cluster-health.js';
import { commandFor } from '../adapters/cli/op-command.js';
import { formatAge } from '../core/schemas.js';
import { cutNotes, everyRowUnlessLimited } from '../adapters/cli/lists.js';

export default commandFor(op, {
  watch: true,
  adjustInput: everyRowUnlessLimited(op),
  examples: [
    '<%= config.bin %> health',
    '<%= config.bin %> health --context pi-cluster',
    { description: 'In cron: exit 0 ok, 1 warn, 2 crit', command: '<%= config.bin %> health --json > /var/log/homelab-health.json || notify-me' },
    {
      description: 'Only some checks (nodes, pods, events, flux, certs, secrets, tailscale, backups, ingress)',
      command: '<%= config.bin %> health --only flux,certs',
    },
  ],
  render(out, ui) {
    const blocks: string[] = [ui.verdict(out.verdict, out.summary)];
    if (out.nodes) {
      blocks.push(
        ui.table(
          ['NODE', 'STATUS', 'ROLES', 'VERSION', 'ARCH', 'CPU', 'MEMORY'],
          out.nodes.map((n) => [
            n.name,
            n.ready ? ui.c.green(n.status) : ui.c.red(n.status),
            n.roles.join(','),
            n.version,
            n.arch,
            n.cpuPercent === undefined ? '-' : `${n.cpuPercent}%`,
            n.memoryPercent === undefined ? '-' : `${n.memoryPercent}%`,
          ]),
        ),
      );
    }
    if (out.metrics?.note) blocks.push(ui.c.dim(out.metrics.note));
    if (out.subsystems.length) {
      blocks.push(
        out.subsystems.map((s) => (s.state === 'not installed' && s.verdict === 'ok' ? ui.c.dim(`--   ${s.line}`) : ui.verdict(s.verdict, s.line))).join('\n'),
      );
    }
    const p = out.pods;
    if (p)
      blocks.push(
        `Pods: ${p.total} total, ${p.running} running, ${p.pending} pending, ${p.succeeded} completed, ${p.failed} failed; ${p.withProblems} with problems`,
      );
    if (out.findings.length) blocks.push(ui.findings(out.findings));
    if (out.events?.length) {
      const now = Date.now();
      const total = out.eventsTotal ?? out.events.length;
      blocks.push(
        `Warning events (${out.events.length}${total > out.events.length ? ` of ${total}` : ''}, newest first):\n` +
          ui.table(
            ['LAST SEEN', 'NAMESPACE', 'OBJECT', 'REASON', 'COUNT', 'MESSAGE'],
            out.events.map((e) => [formatAge((now - Date.parse(e.lastSeen)) / 1000), e.namespace ?? '', e.object, e.reason, e.count, e.message]),
          ),
      );
    }
    if (out.truncated) blocks.push(cutNotes(out, ui));
    return blocks.join('\n\n');
  },
});
