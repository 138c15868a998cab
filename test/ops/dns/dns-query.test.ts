import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lanTargetsConfig, anyTargetConfig, type DnsQuery } from '../../helpers/net.js';
import { callOp, failure } from '../../helpers/ops.js';
import { startSandboxEnv, type SandboxEnv } from '../../helpers/sandbox.js';

describe('dns_query against the pi-homelab', () => {
  let s: SandboxEnv;
  let allow: string;
  let wide: string;
  beforeAll(async () => {
    s = await startSandboxEnv();
    allow = await lanTargetsConfig(s.sandbox);
    wide = await anyTargetConfig(s.sandbox);
  });
  afterAll(async () => {
    await s?.sandbox.stop();
  });
  const query = (input: Record<string, unknown>, config?: string) => callOp<DnsQuery>(s, 'dns_query', input, { config });

  it('answers an A record from Pi-hole, an NXDOMAIN (warn), a _dmarc TXT from Unbound (validated)', async () => {
    const [a, nx, txt] = await Promise.all([
      query({ name: 'nas.home.lan' }),
      query({ name: 'jellyfn.home.lan' }),
      query({ name: '_dmarc.example.com', type: 'TXT', server: 'unbound' }),
    ]);
    expect(a.summary?.verdict).toBe('ok');
    expect(a.output.result).toMatchObject({ reached: true, status: 'NOERROR', flags: ['qr', 'aa', 'rd', 'ra'], queryTimeMs: 1, exitCode: 0 });
    expect(a.output.result.answers).toEqual([{ name: 'nas.home.lan.', ttl: 0, class: 'IN', type: 'A', data: '192.168.1.20' }]);
    expect(a.output.server).toMatchObject({ requested: 'pihole', address: '127.0.0.1' });
    expect(a.output.from).toMatch(/^pihole\/pihole-/);

    expect(nx.summary?.verdict).toBe('warn');
    expect(nx.output.result).toMatchObject({ status: 'NXDOMAIN', answers: [], authority: [expect.objectContaining({ type: 'SOA' })] });

    expect(txt.summary?.verdict).toBe('ok');
    // Unbound's address is read from its Service in the namespace, not written down anywhere.
    expect(txt.output.server.label).toMatch(/^Unbound Service unbound \(10\.43\.\d+\.\d+\)$/);
    expect(txt.output.result.authenticated).toBe(true);
    expect(txt.output.result.answers[0]).toMatchObject({ type: 'TXT', data: '"v=DMARC1;p=reject;sp=reject;adkim=s;aspf=s"' });
  });

  it('is crit when the server it may ask cannot be reached', async () => {
    const dead = await query({ name: 'example.org', server: '192.168.1.99' }, allow);
    expect(dead.summary?.verdict).toBe('crit');
    expect(dead.output.result).toMatchObject({ reached: false, exitCode: 9, error: 'no servers could be reached' });
  });

  it("asks the cluster's DNS servers: a DNS Service by its IP, a pod behind one", async () => {
    const unboundPod = s.sandbox.store.list('pods', 'pihole').find((p) => p.metadata.name?.startsWith('unbound-')) as unknown as {
      metadata: { name: string };
      status: { podIP: string };
    };
    const kubeDns = s.sandbox.store.get('services', 'kube-system', 'kube-dns') as unknown as { spec: { clusterIP: string } };
    const [viaKubeDns, viaPod] = await Promise.all([
      query({ name: 'jellyfin.home.example.net', server: kubeDns.spec.clusterIP }),
      query({ name: '_dmarc.example.com', type: 'TXT', server: unboundPod.status.podIP }),
    ]);
    expect(viaKubeDns.summary?.verdict).toBe('ok');
    expect(viaKubeDns.output.server).toEqual({
      requested: kubeDns.spec.clusterIP,
      address: kubeDns.spec.clusterIP,
      label: `${kubeDns.spec.clusterIP} (DNS Service kube-system/kube-dns)`,
    });
    expect(viaPod.summary?.verdict).toBe('ok');
    expect(viaPod.output.server.label).toBe(`${unboundPod.status.podIP} (pod pihole/${unboundPod.metadata.name} behind DNS Service pihole/unbound)`);
  });

  it('refuses a metadata, link-local or outside server (77) before dig runs', async () => {
    const refusals = await Promise.all([
      failure(query({ name: 'example.org', server: '169.254.169.254' })),
      failure(query({ name: 'example.org', server: '169.254.169.254' }, wide)),
      failure(query({ name: 'example.org', server: '::ffff:169.254.169.254' }, wide)),
    ]);
    for (const err of refusals) {
      expect(err.exitCode, err.said).toBe(77);
      expect(err.said).toMatch(
        /dns query --server may not reach (169\.254\.169\.254|::ffff:169\.254\.169\.254): \S+ is a link-local address \(cloud metadata endpoints answer at 169\.254\.169\.254\): refused even where a Service, a node or a wider CIDR would admit it/,
      );
      expect(err.said).toContain('add "169.254.169.254" itself under net.allowTargets in the config file');
      expect(err.said).not.toMatch(/no servers could be reached|exec/);
    }
    const outside = await failure(query({ name: 'example.org', server: '192.168.1.99' }));
    expect(outside.exitCode).toBe(77);
    expect(outside.said).toMatch(
      /may not reach 192\.168\.1\.99: it is not a DNS server of this cluster \(a Service with port 53, a pod behind one, or a pod of the DNS namespace\), nor in net\.allowTargets \(empty\)/,
    );
    expect(outside.said).toContain('to allow it, add "192.168.1.99" (or a CIDR such as 192.168.1.0/24) under net.allowTargets');
  });
});
