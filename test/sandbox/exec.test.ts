/**
 * The machine's kubectl (v1.32 speaks v5.channel.k8s.io over WebSocket for exec) against the
 * sandbox: scripted output, scripted exit codes, stdin with -i, and the runtime's error for a
 * missing executable.
 */
import path from 'node:path';
import { LIBRARY_DB_10_10, sqliteArgv } from '../../src/ops/media/library-db.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answer, loadExecRuleFile, startSandbox, scenariosDir, type Sandbox } from '@homelab/sandbox';
import { hasKubectl, KUBECTL, kubectl } from './helpers.js';

function podOf(sb: Sandbox, namespace: string, prefix: string): string {
  const name = sb.store
    .list('pods', namespace)
    .map((p) => p.metadata.name ?? '')
    .find((n) => n.startsWith(prefix));
  if (!name) throw new Error(`no ${prefix} pod in ${namespace}`);
  return name;
}

describe.skipIf(!hasKubectl)(`kubectl exec against the sandbox (${hasKubectl ? KUBECTL : `skipped: no kubectl at ${KUBECTL}`})`, () => {
  let sb: Sandbox;
  let pihole: string;
  let agent: string;
  beforeAll(async () => {
    sb = await startSandbox();
    pihole = podOf(sb, 'pihole', 'pihole-');
    agent = podOf(sb, 'mcp-homelab', 'debug-agent-');
  });
  afterAll(() => sb?.stop());

  it('prints the scripted dig answer and exits 0', async () => {
    const r = await kubectl(sb, ['exec', '-n', 'pihole', pihole, '--', 'dig', '@127.0.0.1', 'nas.home.lan']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('; <<>> DiG 9.18.33 <<>> @127.0.0.1 nas.home.lan\n');
    expect(r.stdout).toContain('nas.home.lan.\t\t0\tIN\tA\t192.168.1.20');
  });

  it('exits with the scripted exit code (dig 9, nc 1) and prints stderr', async () => {
    const dig = await kubectl(sb, ['exec', '-n', 'pihole', pihole, '-c', 'pihole', '--', 'dig', '@192.168.1.99', 'example.com']);
    expect(dig.code).toBe(9);
    expect(dig.stdout).toContain(';; no servers could be reached');
    expect(dig.stderr).toBe('command terminated with exit code 9\n');
    const nc = await kubectl(sb, ['exec', '-n', 'mcp-homelab', agent, '--', 'nc', '-zv', '192.168.1.99', '8080']);
    expect(nc.code).toBe(1);
    expect(nc.stderr).toBe('nc: connect to 192.168.1.99 port 8080 (tcp) failed: Connection refused\ncommand terminated with exit code 1\n');
  });

  it('-i sends stdin (and its end) to the command', async () => {
    const r = await kubectl(sb, ['exec', '-i', '-n', 'pihole', pihole, '--', 'cat'], { stdin: 'from stdin\nline two\n' });
    expect(r).toEqual({ code: 0, stdout: 'from stdin\nline two\n', stderr: '' });
  });

  it('a missing executable fails as with containerd', async () => {
    const r = await kubectl(sb, ['exec', '-n', 'pihole', pihole, '--', 'ps', 'aux']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^error: Internal error occurred: error executing command in container: failed to exec in container: failed to start exec "[0-9a-f]{64}": OCI runtime exec failed: exec failed: unable to start container process: exec: "ps": executable file not found in \$PATH: unknown\n$/,
    );
  });

  it('a container that is not in the pod is refused with the apiserver message', async () => {
    const r = await kubectl(sb, ['exec', '-n', 'pihole', pihole, '-c', 'web', '--', 'dig', 'x']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`container web is not valid for pod ${pihole}`);
  });
});

describe('the pi-homelab exec data', () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await startSandbox();
  });
  afterAll(() => sb?.stop());

  it('loads, and answers every tool the network ops need on the Pi-hole and debug-agent pods', async () => {
    const rules = await loadExecRuleFile(path.join(scenariosDir(), 'exec', 'pi-homelab.yaml'));
    for (const r of rules) if (r.argvRegex !== undefined) expect(() => new RegExp(r.argvRegex as string)).not.toThrow();
    const pods = (ns: string, prefix: string) => sb.store.list('pods', ns).filter((p) => (p.metadata.name ?? '').startsWith(prefix));
    const pihole = pods('pihole', 'pihole-')[0];
    const agents = pods('mcp-homelab', 'debug-agent-');
    const jellyfin = pods('jellyfin', 'jellyfin-')[0];
    expect(pihole && jellyfin && agents.length).toBeTruthy();
    const expectations: Array<[typeof pihole, string, string[], number]> = [
      [pihole, 'pihole', ['dig', '@127.0.0.1', 'nas.home.lan', 'A'], 0],
      [pihole, 'pihole', ['dig', 'jellyfn.home.lan'], 0],
      [pihole, 'pihole', ['dig', 'dnssec-failed.org'], 0],
      [pihole, 'pihole', ['dig', '@192.168.1.99', 'example.com'], 9],
      [jellyfin, 'jellyfin', sqliteArgv(LIBRARY_DB_10_10), 0],
    ];
    for (const a of agents) {
      expectations.push(
        [a, 'agent', ['ip', '-j', 'addr'], 0],
        [a, 'agent', ['ip', '-j', 'route'], 0],
        [a, 'agent', ['ip', '-j', 'rule'], 0],
        [a, 'agent', ['iptables-save'], 0],
        [a, 'agent', ['iptables-save', '-t', 'nat'], 0],
        [a, 'agent', ['ip6tables-save'], 0],
        [a, 'agent', ['conntrack', '-L'], 0],
        [a, 'agent', ['curl', '-sS', '-o', '/dev/null', '-w', '%{json}', 'https://jellyfin.home.example.net/health'], 0],
        [a, 'agent', ['curl', '-sS', '-o', '/dev/null', '-w', '%{json}', 'http://192.168.1.99:8080'], 7],
        [a, 'agent', ['ping', '-c', '3', '-W', '1', '192.168.1.20'], 0],
        [a, 'agent', ['ping', '-c', '3', '192.168.1.99'], 1],
        [a, 'agent', ['nc', '-zv', '-w', '3', '192.168.1.20', '445'], 0],
        [a, 'agent', ['nc', '-zv', '192.168.1.99', '8080'], 1],
        [a, 'agent', ['traceroute', '-n', '1.1.1.1'], 0],
        [a, 'agent', ['dig', '@192.168.1.50', 'nas.home.lan'], 0],
      );
    }
    for (const [pod, container, argv, exitCode] of expectations) {
      const got = answer(rules, { pod: pod as NonNullable<typeof pod>, container, argv });
      expect(got.kind, `${argv.join(' ')} in ${pod?.metadata.name}`).toBe('rule');
      if (got.kind === 'rule') expect(got.rule.exitCode, argv.join(' ')).toBe(exitCode);
    }
    // unscripted arguments of a known program say which rule is missing; an unknown program is "not found"
    expect(answer(rules, { pod: pihole as NonNullable<typeof pihole>, container: 'pihole', argv: ['dig', 'nowhere.example'] }).kind).toBe('unscripted');
    expect(answer(rules, { pod: pihole as NonNullable<typeof pihole>, container: 'pihole', argv: ['strace', '-p', '1'] }).kind).toBe('not-found');
  });
});
