import op from '../../ops/net/net-curl.js';
import { commandFor } from '../../adapters/cli/op-command.js';

export default commandFor(op, {
  examples: [
    '<%= config.bin %> net curl https://jellyfin.home.example.net/health',
    '<%= config.bin %> net curl http://jellyfin.jellyfin.svc.cluster.local:8096/health --from-node pi5-worker-1',
    {
      description: 'Hosts outside the cluster need net.allowTargets in the config (else exit 77)',
      command: '<%= config.bin %> net curl http://192.168.1.20:5000/ --json',
    },
  ],
  render(out, ui) {
    const t = out.timing;
    const lines = [
      ui.verdict(out.verdict, out.summary),
      '',
      `from       ${out.from} (${out.pod})`,
      `admitted   ${out.admittedAs}`,
      out.exitCode === 0
        ? `status     HTTP ${out.status}${out.httpVersion ? ` (HTTP/${out.httpVersion})` : ''}${out.contentType ? `, ${out.contentType}` : ''}${out.bytes !== undefined ? `, ${out.bytes} bytes` : ''}`
        : ui.c.red(`failed     curl exit ${out.exitCode}: ${out.error ?? ''}`),
      out.remote ? `remote     ${out.remote}` : '',
      out.redirectTo ? `redirect   ${out.redirectTo} (not followed)` : '',
    ].filter((l, i) => l || i === 1);
    const timing = ui.table(
      ['DNS', 'CONNECT', 'TLS', 'SERVER', 'TTFB', 'TOTAL'],
      [[t.dnsMs, t.connectMs, t.tlsMs, t.serverMs, t.ttfbMs, t.totalMs].map((v) => `${v} ms`)],
    );
    const blocks = [lines.join('\n'), timing];
    if (out.tls) {
      blocks.push(
        [
          `TLS        ${out.tls.verified ? ui.c.green('verified') : ui.c.red(`not verified (verify result ${out.tls.verifyResult})`)}${out.tls.certificates !== undefined ? `, ${out.tls.certificates} certificates` : ''}`,
          out.tls.subject ? `subject    ${out.tls.subject}` : '',
          out.tls.issuer ? `issuer     ${out.tls.issuer}` : '',
          out.tls.notAfter ? `valid      ${out.tls.notBefore ?? '?'} → ${out.tls.notAfter}` : '',
          out.tls.note ? ui.c.dim(out.tls.note) : '',
        ]
          .filter(Boolean)
          .join('\n'),
      );
    }
    return blocks.join('\n\n');
  },
});
