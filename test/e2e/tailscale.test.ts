import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Scenario } from '@homelab/sandbox';
import { runCli } from '../helpers/cli.js';
import { stdioClient } from '../helpers/mcp.js';
import { startSandboxEnv, type SandboxEnv } from '../helpers/sandbox.js';

interface Finding { severity: string; kind: string; namespace?: string; name: string; reason: string; message: string }
interface TailscaleJson {
  installed: boolean;
  version?: string;
  note?: string;
  namespace: string;
  verdict: 'ok' | 'warn' | 'crit';
  summary: string;
  pods: Array<{ name: string; phase: string; ready: boolean; containers: string; restarts: number; reason?: string }>;
  kinds: Array<{ kind: string; served: boolean; count: number }>;
  resources: Array<{ kind: string; name: string; condition: string; ready: string; reason?: string; connector?: { hostname?: string; subnetRoutes: string[]; exitNode: boolean; tailnetIPs: string[] } }>;
  findings: Finding[];
}

const EXIT = { ok: 0, warn: 1, crit: 2 } as const;
const ts = (kind: string, plural: string) => ({ group: 'tailscale.com', versions: ['v1alpha1'], kind, plural, namespaced: false });
const cond = (type: string, status: string, reason: string, message: string, observedGeneration = 1) => ({ type, status, reason, message, observedGeneration, lastTransitionTime: '-1h' });

/** A newer operator (every kind) in its own namespace, with a crash-looping operator and trouble in each kind. */
function troubleScenario(): Scenario {
  return {
    name: 'tailscale-trouble',
    nodes: [{ name: 'nuc', roles: ['control-plane'], ip: '192.0.2.50', cpu: '4', memory: '16Gi', arch: 'amd64' }],
    namespaces: [{ name: 'tailnet' }],
    apiResources: [ts('Connector', 'connectors'), ts('ProxyClass', 'proxyclasses'), ts('ProxyGroup', 'proxygroups'), ts('Recorder', 'recorders'), ts('DNSConfig', 'dnsconfigs'), ts('Tailnet', 'tailnets'), ts('PeerRelay', 'peerrelays')],
    workloads: [
      {
        kind: 'Deployment', name: 'operator', namespace: 'tailnet', created: '-30d',
        containers: [{ name: 'operator', image: 'tailscale/k8s-operator:v1.96.0' }],
        pods: [{ containers: { operator: { restarts: 14, waiting: { reason: 'CrashLoopBackOff', message: 'back-off 5m0s restarting failed container' } } } }],
      },
      { kind: 'StatefulSet', name: 'ts-subnet-router', namespace: 'tailnet', created: '-30d', containers: [{ name: 'tailscale', image: 'tailscale/tailscale:v1.96.0' }] },
    ],
    objects: [
      {
        apiVersion: 'tailscale.com/v1alpha1', kind: 'Connector', metadata: { name: 'subnet-router', creationTimestamp: '-30d', generation: 1 },
        spec: { hostname: 'lab-subnet', subnetRouter: { advertiseRoutes: ['10.0.0.0/24', '10.0.1.0/24'] } },
        status: { conditions: [cond('ConnectorReady', 'True', 'ConnectorCreated', 'Connector created')], subnetRoutes: '10.0.0.0/24,10.0.1.0/24', isExitNode: false, tailnetIPs: ['100.64.0.7'], hostname: 'lab-subnet' },
      },
      {
        apiVersion: 'tailscale.com/v1alpha1', kind: 'Connector', metadata: { name: 'exit', creationTimestamp: '-2d', generation: 1 },
        spec: { exitNode: true, proxyClass: 'missing' },
        status: { conditions: [cond('ConnectorReady', 'False', 'ConnectorCreationFailed', 'ProxyClass "missing" does not exist')] },
      },
      {
        apiVersion: 'tailscale.com/v1alpha1', kind: 'ProxyGroup', metadata: { name: 'ingress', creationTimestamp: '-10d', generation: 1 },
        spec: { type: 'ingress', replicas: 2 },
        status: { conditions: [cond('ProxyGroupReady', 'False', 'ProxyGroupCreating', '1/2 ProxyGroup pods running'), cond('ProxyGroupAvailable', 'True', 'ProxyGroupAvailable', '1/2 ProxyGroup pods running')] },
      },
      {
        apiVersion: 'tailscale.com/v1alpha1', kind: 'DNSConfig', metadata: { name: 'ts-dns', creationTimestamp: '-10d', generation: 3 },
        spec: { nameserver: { image: { repo: 'tailscale/k8s-nameserver', tag: 'stable' } } },
        status: { conditions: [cond('NameserverReady', 'True', 'NameserverCreated', 'Nameserver created', 2)], nameserver: { ip: '10.43.0.53' } },
      },
      { apiVersion: 'tailscale.com/v1alpha1', kind: 'Tailnet', metadata: { name: 'home', creationTimestamp: '-10d', generation: 1 }, spec: { credentials: { secretName: 'oauth' } } },
    ],
    config: { tailscale: { namespace: 'tailnet' } },
  };
}

describe('homelab tailscale on the pi-homelab sandbox', () => {
  let s: SandboxEnv;
  beforeAll(async () => { s = await startSandboxEnv(); });
  afterAll(async () => { await s?.sandbox.stop(); });

  it('reports the operator pods and the exit-node Connector with routes, IPs and hostname', async () => {
    const r = await runCli(['tailscale', '--json'], s.env);
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout) as TailscaleJson;
    expect(r.code).toBe(EXIT[out.verdict]);
    expect(out).toMatchObject({ installed: true, version: 'v1alpha1', namespace: 'tailscale' });
    expect(out.pods.length).toBeGreaterThan(0);
    expect(out.pods.some((p) => p.name.startsWith('operator-') && p.ready)).toBe(true);
    const exit = out.resources.find((x) => x.kind === 'Connector' && x.name === 'exit-node');
    expect(exit).toMatchObject({ condition: 'ConnectorReady', ready: 'True', reason: 'ConnectorCreated', connector: { exitNode: true, subnetRoutes: ['192.168.1.0/24'], hostname: 'pi-exit-node' } });
    expect(exit?.connector?.tailnetIPs[0]).toMatch(/^100\./);
    // Tailscale 1.78 predates Tailnet and PeerRelay: only what is served is read, never a 404.
    expect(out.kinds.filter((k) => !k.served).map((k) => k.kind)).toEqual(expect.arrayContaining(['Tailnet', 'PeerRelay']));

    const table = await runCli(['tailscale'], s.env);
    expect(table.stdout.split('\n')[0]).toMatch(/^(OK|WARN|CRIT) /);
    expect(table.stdout).toMatch(/Connector\s+exit-node\s+ConnectorCreated\s+pi-exit-node\s+192\.168\.1\.0\/24\s+yes\s+100\./);
    expect(table.stdout).toMatch(/not served by this operator version: .*Tailnet/);
  });

  it('answers through MCP stdio', async () => {
    const mcp = await stdioClient(s.env);
    try {
      const result = await mcp.client.callTool({ name: 'tailscale_status', arguments: {} });
      expect(result.isError).toBeFalsy();
      const out = result.structuredContent as unknown as TailscaleJson;
      expect(out.resources.map((x) => `${x.kind}/${x.name}`)).toEqual(expect.arrayContaining(['Connector/exit-node', 'ProxyClass/default']));
    } finally {
      await mcp.close();
    }
  });
});

describe('homelab tailscale when things go wrong', () => {
  let s: SandboxEnv;
  beforeAll(async () => { s = await startSandboxEnv({ scenarioData: troubleScenario() }); });
  afterAll(async () => { await s?.sandbox.stop(); });

  it('looks in the configured namespace and flags the crash-looping operator and each kind by its own condition', async () => {
    const r = await runCli(['tailscale', '--json'], s.env);
    expect(r.code).toBe(2);
    const out = JSON.parse(r.stdout) as TailscaleJson;
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
    expect(out.resources.find((x) => x.name === 'subnet-router')?.connector).toEqual({ hostname: 'lab-subnet', subnetRoutes: ['10.0.0.0/24', '10.0.1.0/24'], exitNode: false, appConnector: false, tailnetIPs: ['100.64.0.7'] });
  });

  it('says "not installed" on a cluster without the operator (exit 0), and reports the pods it could read when the kinds are refused', async () => {
    const bare = await startSandboxEnv({ scenarioData: { ...troubleScenario(), apiResources: [], objects: [], workloads: [] } });
    const limited = await startSandboxEnv({ scenarioData: troubleScenario(), rbac: [{ apiGroups: [''], resources: ['pods'], verbs: ['list'] }] });
    try {
      const [r, denied] = await Promise.all([runCli(['tailscale', '--json'], bare.env), runCli(['tailscale', '--json'], limited.env)]);
      expect(r.code).toBe(0);
      const out = JSON.parse(r.stdout) as TailscaleJson;
      expect(out).toMatchObject({ installed: false, verdict: 'ok', pods: [], resources: [], findings: [] });
      expect(out.note).toBe('the Tailscale operator is not installed (tailscale.com/v1alpha1 is not served)');
      // Was exit 69 with nothing shown: now the pods, and one finding per refused kind naming the verb.
      expect(denied.code).toBe(2);
      const partial = JSON.parse(denied.stdout) as TailscaleJson;
      expect(partial.pods.length).toBeGreaterThan(0);
      expect(partial.findings).toContainEqual(expect.objectContaining({ severity: 'crit', kind: 'Pod', reason: 'CrashLoopBackOff' }));
      const refused = partial.findings.filter((f) => f.reason === 'Forbidden');
      expect(refused.map((f) => f.name).sort()).toEqual([
        'connectors.tailscale.com', 'dnsconfigs.tailscale.com', 'peerrelays.tailscale.com', 'proxyclasses.tailscale.com',
        'proxygroups.tailscale.com', 'recorders.tailscale.com', 'tailnets.tailscale.com',
      ]);
      expect(refused.find((f) => f.name === 'connectors.tailscale.com')?.message).toBe('forbidden: needs `list` on connectors.tailscale.com across the cluster');
    } finally {
      await Promise.all([bare.sandbox.stop(), limited.sandbox.stop()]);
    }
  });

  it('is an error, never "not installed", when discovery fails', async () => {
    // Was "OK the Tailscale operator is not installed", exit 0.
    const remove = s.sandbox.faults.add({ path: '/apis', status: 503 });
    try {
      const r = await runCli(['tailscale'], s.env);
      expect(r.code).toBe(69);
      expect(r.stderr).toMatch(/^Error: cannot tell whether tailscale\.com is installed: .* answered GET \/apis with 503/);
    } finally {
      remove();
    }
  });
});
