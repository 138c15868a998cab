import op from '../ops/authentik/authentik-status.js';
import { commandFor } from '../adapters/cli/op-command.js';

export default commandFor(op, {
  examples: ['<%= config.bin %> authentik', { description: 'Failed logins of the last week', command: '<%= config.bin %> authentik --since 7d --limit 30' }],
  render(out, ui) {
    const blocks = [ui.verdict(out.verdict, out.summary)];
    if (out.reachable === false) return blocks.join('\n');
    blocks.push(
      `${ui.c.bold('Authentik')} ${out.version ?? ''}${out.latestVersion && out.latestVersion !== out.version ? ui.c.dim(` (latest ${out.latestVersion})`) : ''}  ${out.url ?? ''}`,
    );
    if (out.outposts?.length) {
      blocks.push(
        ui.table(
          ['OUTPOST', 'TYPE', 'PROVIDERS', 'HEALTHY', 'INSTANCES'],
          out.outposts.map((o) => [
            o.name,
            o.type,
            o.providers,
            o.healthy ? ui.c.green('yes') : ui.c.red('no'),
            o.instances.map((i) => `${i.hostname} ${i.version}${i.outdated ? ' (outdated)' : ''}`).join(', ') || '-',
          ]),
        ),
      );
    }
    if (out.applications) {
      blocks.push(
        ui.table(
          ['APPLICATION', 'SLUG', 'PROVIDER'],
          out.applications.items.map((a) => [a.name, a.slug, a.provider ?? ui.c.yellow('none')]),
        ) +
          (out.applications.total > out.applications.items.length
            ? ui.c.dim(`\n${out.applications.total - out.applications.items.length} more applications`)
            : ''),
      );
    }
    if (out.users) {
      blocks.push(`${out.users.total} users, ${out.users.active} active, ${out.users.superusers} superusers`);
      blocks.push(
        ui.table(
          ['USER', 'ACTIVE', 'SUPERUSER', 'LAST LOGIN'],
          out.users.recent.map((u) => [u.username, u.active ? 'yes' : 'no', u.superuser ? ui.c.yellow('yes') : 'no', u.lastLogin ?? ui.c.dim('never')]),
        ),
      );
    }
    if (out.failedLogins) {
      const f = out.failedLogins;
      blocks.push(
        `${f.atLeast ? 'at least ' : ''}${f.total} failed logins since ${f.since}` +
          (f.recent.length
            ? `\n${ui.table(
                ['AT', 'USERNAME', 'FROM'],
                f.recent.map((e) => [e.at, e.username ?? '?', e.clientIp ?? '?']),
              )}`
            : ''),
      );
    }
    const findings = ui.findings(out.findings);
    if (findings) blocks.push(findings);
    return blocks.join('\n\n');
  },
});
