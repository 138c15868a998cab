import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callOp, failure } from '../../helpers/ops.js';
import { startSandboxEnv, type SandboxEnv } from '../../helpers/sandbox.js';
import { tailscaleTrouble, type TailscaleJson } from '../../helpers/tailscale.js';

const tailscale = (s: SandboxEnv) => callOp<TailscaleJson>(s, 'tailscale_status');

describe('tailscale_status on the pi-homelab sandbox', () => {
  let s: SandboxEnv;
  beforeAll(async () => {
    s = await startSandboxEnv();
  });
  afterAll(async () => {
    await s?.sandbox.stop();
  });

  it('reports the operator pods and the exit-node Connector with routes, IPs and hostname', async () => {
    const { output: out, summary, log } = await tailscale(s);
    expect(log).toEqual([]);
    expect(summary?.verdict).toBe(out.verdict);
    expect(out).toMatchObject({ installed: true, version: 'v1alpha1', namespace: 'tailscale' });
    expect(out.pods.length).toBeGreaterThan(0);
    expect(out.pods.some((p) => p.name.startsWith('operator-') && p.ready)).toBe(true);
    const exit = out.resources.find((x) => x.kind === 'Connector' && x.name === 'exit-node');
    expect(exit).toMatchObject({
      condition: 'ConnectorReady',
      ready: 'True',
      reason: 'ConnectorCreated',
      connector: { exitNode: true, subnetRoutes: ['192.168.1.0/24'], hostname: 'pi-exit-node' },
    });
    expect(exit?.connector?.tailnetIPs[0]).toMatch(/^100\./);
    // Tailscale 1.78 predates Tailnet and PeerRelay: only what is served is read, never a 404.
    expect(out.kinds.filter((k) => !k.served).map((k) => k.kind)).toEqual(expect.arrayContaining(['Tailnet', 'PeerRelay']));
  });
});

describe('tailscale_status when things go wrong', () => {
  let s: SandboxEnv;
  beforeAll(async () => {
    s = await startSandboxEnv({ scenarioData: tailscaleTrouble() });
  });
  afterAll(async () => {
    await s?.sandbox.stop();
  });

  it('looks in the configured namespace and flags the crash-looping operator and each kind by its own condition', async () => {
    const { output: out, summary } = await tailscale(s);
    expect(summary?.verdict).toBe('crit');
    expect(out.namespace).toBe('tailnet');
    expect(out.kinds.every((k) => k.served)).toBe(true);
    // crit first, then by kind and name.
    expect(out.findings.map((f) => `${f.severity} ${f.kind} ${f.name} ${f.reason}`)).toEqual([
      'crit Connector exit ConnectorCreationFailed',
      expect.stringMatching(/^crit Pod operator-\S+ CrashLoopBackOff$/),
      'crit Tailnet home NotReady',
      'warn DNSConfig ts-dns Stale',
      'warn ProxyGroup ingress ProxyGroupCreating',
    ]);
    expect(out.findings.find((f) => f.kind === 'Connector')?.message).toBe('ConnectorReady=False: ProxyClass "missing" does not exist');
    expect(out.findings.find((f) => f.kind === 'Tailnet')?.message).toContain('TailnetReady=Unknown');
    expect(out.pods.find((p) => p.name.startsWith('ts-subnet-router'))).toMatchObject({ ready: true });
    expect(out.resources.find((x) => x.name === 'subnet-router')?.connector).toEqual({
      hostname: 'lab-subnet',
      subnetRoutes: ['10.0.0.0/24', '10.0.1.0/24'],
      exitNode: false,
      appConnector: false,
      tailnetIPs: ['100.64.0.7'],
    });
  });

  it('says "not installed" on a cluster without the operator (ok), and reports the pods it could read when the kinds are refused', async () => {
    const bare = await startSandboxEnv({ scenarioData: { ...tailscaleTrouble(), apiResources: [], objects: [], workloads: [] } });
    const limited = await startSandboxEnv({ scenarioData: tailscaleTrouble(), rbac: [{ apiGroups: [''], resources: ['pods'], verbs: ['list'] }] });
    try {
      const [r, denied] = await Promise.all([tailscale(bare), tailscale(limited)]);
      expect(r.summary?.verdict).toBe('ok');
      expect(r.output).toMatchObject({ installed: false, verdict: 'ok', pods: [], resources: [], findings: [] });
      expect(r.output.note).toBe('the Tailscale operator is not installed (tailscale.com/v1alpha1 is not served)');
      // Was exit 69 with nothing shown: now the pods, and one finding per refused kind naming the verb.
      expect(denied.summary?.verdict).toBe('crit');
      const partial = denied.output;
      expect(partial.pods.length).toBeGreaterThan(0);
      expect(partial.findings).toContainEqual(expect.objectContaining({ severity: 'crit', kind: 'Pod', reason: 'CrashLoopBackOff' }));
      const refused = partial.findings.filter((f) => f.reason === 'Forbidden');
      expect(refused.map((f) => f.name).sort()).toEqual([
        'connectors.tailscale.com',
        'dnsconfigs.tailscale.com',
        'peerrelays.tailscale.com',
        'proxyclasses.tailscale.com',
        'proxygroups.tailscale.com',
        'recorders.tailscale.com',
        'tailnets.tailscale.com',
      ]);
      expect(refused.find((f) => f.name === 'connectors.tailscale.com')?.message).toBe(
        'forbidden: needs `list` on connectors.tailscale.com across the cluster',
      );
    } finally {
      await Promise.all([bare.sandbox.stop(), limited.sandbox.stop()]);
    }
  });

  it('is an error (69), never "not installed", when discovery fails', async () => {
    // Was "OK the Tailscale operator is not installed", exit 0.
    const remove = s.sandbox.faults.add({ path: '/apis', status: 503 });
    try {
      const err = await failure(tailscale(s));
      expect(err.exitCode).toBe(69);
      expect(err.said).toMatch(/^cannot tell whether tailscale\.com is installed: .* answered GET \/apis with 503/);
    } finally {
      remove();
    }
  });
});
