/**
 * The exec port against the in-process sandbox: pods/exec over WebSocket (v5, and v4 when the
 * sandbox does not offer v5), real exit codes, stdin, output caps, timeout, abort, and the refused
 * upgrade explained in one line.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeClient } from '../../../src/adapters/kube/client.js';
import { Forbidden, NotFound, Timeout, Upstream, UserError, type HomelabError } from '../../../src/core/errors.js';
import { startSandbox, type ExecRule, type PolicyRule, type Sandbox } from '@homelab/sandbox';

const EXTRA: ExecRule[] = [
  { namespace: 'pihole', podPrefix: 'pihole-', argv: ['sleep', '30'], delayMs: 20_000 },
  { namespace: 'pihole', podPrefix: 'pihole-', argv: ['yes'], stdout: 'y\n'.repeat(40_000), stderr: 'short\n' },
  { namespace: 'pihole', podPrefix: 'pihole-', argv: ['printf', 'ü'], stdout: 'ü'.repeat(10) },
];

const OPTS = { timeoutMs: 10_000, maxBytes: 1024 * 1024 };

function podOf(sb: Sandbox, namespace: string, prefix: string): string {
  const name = sb.store
    .list('pods', namespace)
    .map((p) => p.metadata.name ?? '')
    .find((n) => n.startsWith(prefix));
  if (!name) throw new Error(`no ${prefix} pod in ${namespace}`);
  return name;
}

async function failure(p: Promise<unknown>): Promise<HomelabError> {
  try {
    await p;
  } catch (e) {
    return e as HomelabError;
  }
  throw new Error('expected the exec to fail');
}

/** open TCP handles of this process (client and in-process server side of each connection) */
function tcpHandles(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap').length;
}

async function settles(check: () => boolean, ms = 3000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return check();
}

describe('exec over v5', () => {
  let sb: Sandbox;
  let kube: KubeClient;
  let pihole: string;
  let agent: string;

  beforeAll(async () => {
    sb = await startSandbox({ exec: { rules: EXTRA } });
    kube = new KubeClient({ kubeconfig: sb.kubeconfigPath });
    pihole = podOf(sb, 'pihole', 'pihole-');
    agent = podOf(sb, 'mcp-homelab', 'debug-agent-');
  });
  afterAll(() => sb?.stop());

  it('returns stdout with exit code 0 on v5', async () => {
    const r = await kube.exec('pihole', pihole, 'pihole', ['dig', '@127.0.0.1', 'nas.home.lan', 'A'], OPTS);
    expect(r.protocol).toBe('v5.channel.k8s.io');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('; <<>> DiG 9.18.33 <<>> @127.0.0.1 nas.home.lan A\n');
    expect(r.stdout).toContain('status: NOERROR');
    expect(r.stdout).toContain('nas.home.lan.\t\t0\tIN\tA\t192.168.1.20');
    expect(r.truncated).toEqual({ stdout: false, stderr: false });
  });

  it('uses the only container when none is named; NXDOMAIN is exit 0 as with dig', async () => {
    const r = await kube.exec('pihole', pihole, undefined, ['dig', 'jellyfn.home.lan'], OPTS);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('status: NXDOMAIN');
  });

  it('reports the real non-zero exit code with stdout and stderr', async () => {
    const dig = await kube.exec('mcp-homelab', agent, 'agent', ['dig', '@192.168.1.99', 'example.com'], OPTS);
    expect(dig.exitCode).toBe(9);
    expect(dig.stdout).toContain(';; no servers could be reached');
    const nc = await kube.exec('mcp-homelab', agent, 'agent', ['nc', '-zv', '-w', '3', '192.168.1.99', '8080'], OPTS);
    expect(nc.exitCode).toBe(1);
    expect(nc.stdout).toBe('');
    expect(nc.stderr).toBe('nc: connect to 192.168.1.99 port 8080 (tcp) failed: Connection refused\n');
  });

  it('answers per node on the debug agent (host network)', async () => {
    const r = await kube.exec('mcp-homelab', agent, 'agent', ['ip', '-j', 'addr'], OPTS);
    const node = sb.store.list('pods', 'mcp-homelab').find((p) => p.metadata.name === agent)?.spec as { nodeName: string };
    const links = JSON.parse(r.stdout) as Array<{ ifname: string; addr_info: Array<{ local: string }> }>;
    const eth0 = links.find((l) => l.ifname === 'eth0');
    const ips: Record<string, string> = {
      'pi-k3s': '192.168.1.50',
      'pi5-worker-1': '192.168.1.51',
      'pi5-worker-2': '192.168.1.52',
      'pi3-worker-2': '192.168.1.53',
    };
    expect(eth0?.addr_info[0]?.local).toBe(ips[node.nodeName]);
  });

  it('delivers stdin and half-closes it on v5 (cat ends at EOF)', async () => {
    const r = await kube.exec('pihole', pihole, 'pihole', ['cat'], { ...OPTS, stdin: 'hello\nworld\n' });
    expect(r).toMatchObject({ stdout: 'hello\nworld\n', exitCode: 0, protocol: 'v5.channel.k8s.io' });
    const big = 'abcdefghij'.repeat(10_000); // several stdin frames
    const r2 = await kube.exec('pihole', pihole, 'pihole', ['cat'], { ...OPTS, stdin: big });
    expect(r2.stdout).toBe(big);
  });

  it('caps output per stream and flags the truncation', async () => {
    const r = await kube.exec('pihole', pihole, 'pihole', ['yes'], { ...OPTS, maxBytes: 1000 });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toHaveLength(1000);
    expect(r.stdout).toBe('y\n'.repeat(500));
    expect(r.stderr).toBe('short\n');
    expect(r.truncated).toEqual({ stdout: true, stderr: false });
  });

  it('does not cut a UTF-8 character in half at the cap', async () => {
    const r = await kube.exec('pihole', pihole, 'pihole', ['printf', 'ü'], { ...OPTS, maxBytes: 5 });
    expect(r.stdout).toBe('üü');
    expect(r.truncated.stdout).toBe(true);
  });

  it('times out and closes the socket', async () => {
    const before = tcpHandles();
    // The stub answers after 20 s: without the timeout the call would succeed, and failure() would say so.
    const err = await failure(kube.exec('pihole', pihole, 'pihole', ['sleep', '30'], { ...OPTS, timeoutMs: 400 }));
    expect(err).toBeInstanceOf(Timeout);
    expect(err.message).toBe(`exec of \`sleep\` in pod pihole/${pihole} (container pihole) did not finish within 0.4s`);
    expect(await settles(() => tcpHandles() <= before)).toBe(true);
  });

  it('stops on the op signal (withSignal view and per-call signal)', async () => {
    const before = tcpHandles();
    const ac = new AbortController();
    setTimeout(() => ac.abort(new Timeout('dns_query timed out after 0.2s')), 200);
    const err = await failure(kube.withSignal(ac.signal).exec('pihole', pihole, 'pihole', ['sleep', '30'], OPTS));
    expect(err.message).toBe('dns_query timed out after 0.2s');
    const ac2 = new AbortController();
    setTimeout(() => ac2.abort(), 100);
    const err2 = await failure(kube.exec('pihole', pihole, 'pihole', ['sleep', '30'], { ...OPTS, signal: ac2.signal }));
    expect(err2).toBeInstanceOf(Error);
    expect(await settles(() => tcpHandles() <= before)).toBe(true);
  });

  it('a missing pod is NotFound; a wrong container is a UserError with the API server message', async () => {
    const nf = await failure(kube.exec('pihole', 'pihole-gone', undefined, ['dig', 'x'], OPTS));
    expect(nf).toBeInstanceOf(NotFound);
    expect(nf.message).toBe('pod "pihole-gone" not found in namespace pihole');
    const bad = await failure(kube.exec('pihole', pihole, 'web', ['dig', 'x'], OPTS));
    expect(bad).toBeInstanceOf(UserError);
    expect(bad.message).toBe(`the Kubernetes API refused to exec in pod pihole/${pihole} (container web): container web is not valid for pod ${pihole}`);
  });

  it('a missing executable fails with the runtime message from the status channel', async () => {
    const err = await failure(kube.exec('pihole', pihole, 'pihole', ['traceroute6', '::1'], OPTS));
    expect(err).toBeInstanceOf(Upstream);
    expect(err.message).toMatch(
      /^exec of `traceroute6` in pod pihole\/\S+ \(container pihole\) failed: Internal error occurred: .*OCI runtime exec failed: exec failed: unable to start container process: exec: "traceroute6": executable file not found in \$PATH: unknown$/,
    );
    expect(err.hint).toBe('the image of the container has no `traceroute6`');
  });

  it('refuses an empty argument vector before connecting', async () => {
    await expect(kube.exec('pihole', pihole, 'pihole', [], OPTS)).rejects.toBeInstanceOf(UserError);
  });
});

describe('exec over v4 (the server does not offer v5)', () => {
  let sb: Sandbox;
  let kube: KubeClient;
  beforeAll(async () => {
    sb = await startSandbox({ exec: { v5: false } });
    kube = new KubeClient({ kubeconfig: sb.kubeconfigPath });
  });
  afterAll(() => sb?.stop());

  it('falls back to v4 without losing output or the exit code', async () => {
    const agent = podOf(sb, 'mcp-homelab', 'debug-agent-');
    const r = await kube.exec('mcp-homelab', agent, 'agent', ['iptables-save', '-t', 'filter'], OPTS);
    expect(r.protocol).toBe('v4.channel.k8s.io');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^# Generated by iptables-save v1\.8\.10 \(nf_tables\)/);
    expect(r.stdout).toContain(':KUBE-PROXY-FIREWALL - [0:0]\n');
    expect(r.stdout).not.toContain('-A KUBE-PROXY-FIREWALL');
    expect(r.stdout).toMatch(/COMMIT\n# Completed on .*\n$/);
    const nc = await kube.exec('mcp-homelab', agent, 'agent', ['nc', '-zv', '192.168.1.99', '8080'], OPTS);
    expect(nc.exitCode).toBe(1);
  });

  it('sends stdin on v4 without closing the socket (a command that does not wait for EOF still answers)', async () => {
    const pihole = podOf(sb, 'pihole', 'pihole-');
    const r = await kube.exec('pihole', pihole, 'pihole', ['dig', 'dnssec-failed.org'], { ...OPTS, stdin: 'ignored\n' });
    expect(r).toMatchObject({ exitCode: 0, protocol: 'v4.channel.k8s.io' });
    expect(r.stdout).toContain('status: SERVFAIL');
  });
});

describe('exec RBAC: the upgrade needs both get and create on pods/exec', () => {
  const base: PolicyRule[] = [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] }];
  const cases: Array<[string, PolicyRule[], string]> = [
    ['without get', [...base, { apiGroups: [''], resources: ['pods/exec'], verbs: ['create'] }], 'cannot get resource "pods/exec"'],
    ['without create', [...base, { apiGroups: [''], resources: ['pods/exec'], verbs: ['get'] }], 'cannot create resource "pods/exec"'],
  ];
  for (const [name, rules, serverSays] of cases) {
    it(`${name}: Forbidden, explained in one line naming both verbs and the namespace`, async () => {
      const sb = await startSandbox({ rbac: rules });
      try {
        const kube = new KubeClient({ kubeconfig: sb.kubeconfigPath });
        const pod = podOf(sb, 'pihole', 'pihole-');
        const err = await failure(kube.exec('pihole', pod, 'pihole', ['dig', 'nas.home.lan'], OPTS));
        expect(err).toBeInstanceOf(Forbidden);
        expect(err.message).toBe('forbidden: needs `get` and `create` on pods/exec in namespace pihole (the exec upgrade needs both)');
        expect(err.message).not.toContain('\n');
        expect(err.hint).toContain(
          `the API server said: pods "${pod}" is forbidden: User "system:serviceaccount:mcp-homelab:homelab" ${serverSays} in API group "" in the namespace "pihole"`,
        );
      } finally {
        await sb.stop();
      }
    });
  }

  it('with both verbs the exec runs', async () => {
    const sb = await startSandbox({ rbac: [...base, { apiGroups: [''], resources: ['pods/exec'], verbs: ['get', 'create'] }] });
    try {
      const kube = new KubeClient({ kubeconfig: sb.kubeconfigPath });
      const r = await kube.exec('pihole', podOf(sb, 'pihole', 'pihole-'), 'pihole', ['dig', 'nas.home.lan'], OPTS);
      expect(r.exitCode).toBe(0);
    } finally {
      await sb.stop();
    }
  });
});
