import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Scenario } from '../../src/sandbox/scenario.js';
import { runCli } from '../helpers/cli.js';
import { stdioClient } from '../helpers/mcp.js';
import { startSandboxEnv, type SandboxEnv } from '../helpers/sandbox.js';

interface Finding { severity: string; kind: string; namespace?: string; name: string; reason: string; message: string }
interface IngressJson {
  verdict: 'ok' | 'warn' | 'crit';
  summary: string;
  certManager: boolean;
  ingresses: Array<{
    namespace: string; name: string; className?: string; hosts: string[]; state: string;
    paths: Array<{ host: string; path: string; backend: string; serviceExists?: boolean; portExists?: boolean; readyEndpoints?: number; notReadyEndpoints?: number }>;
    tls: Array<{ hosts: string[]; secretName: string; secretPresent: boolean; certificate?: { name: string; ready: string; daysLeft?: number; state: string } }>;
  }>;
  findings: Finding[];
}

const EXIT = { ok: 0, warn: 1, crit: 2 } as const;

/** One Ingress with every way a backend can be broken, one healthy legacy-class Ingress. */
function brokenScenario(): Scenario {
  return {
    name: 'ingress-trouble',
    nodes: [{ name: 'nuc', roles: ['control-plane'], ip: '192.0.2.40', cpu: '4', memory: '16Gi', arch: 'amd64' }],
    namespaces: [{ name: 'web' }],
    apiResources: [{ group: 'cert-manager.io', versions: ['v1'], kind: 'Certificate', plural: 'certificates' }],
    workloads: [
      {
        kind: 'Deployment', name: 'site', namespace: 'web', replicas: 2, created: '-3d',
        containers: [{ name: 'nginx', image: 'nginx:1.27', ports: [{ name: 'http', containerPort: 80 }] }],
        service: { ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
      },
    ],
    objects: [
      {
        apiVersion: 'networking.k8s.io/v1', kind: 'Ingress',
        metadata: { name: 'site', namespace: 'web', creationTimestamp: '-3d' },
        spec: {
          ingressClassName: 'nginx',
          tls: [{ hosts: ['site.lab.example.org'], secretName: 'site-tls' }, { hosts: ['api.lab.example.org'], secretName: 'api-tls' }],
          rules: [
            { host: 'site.lab.example.org', http: { paths: [
              { path: '/', pathType: 'Prefix', backend: { service: { name: 'site', port: { number: 80 } } } },
              { path: '/metrics', pathType: 'Prefix', backend: { service: { name: 'site', port: { name: 'metrics' } } } },
            ] } },
            { host: 'api.lab.example.org', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'api', port: { number: 8080 } } } }] } },
          ],
        },
        status: { loadBalancer: { ingress: [{ ip: '192.0.2.40' }] } },
      },
      {
        apiVersion: 'networking.k8s.io/v1', kind: 'Ingress',
        metadata: { name: 'legacy', namespace: 'web', creationTimestamp: '-300d', annotations: { 'kubernetes.io/ingress.class': 'traefik' } },
        spec: { defaultBackend: { service: { name: 'site', port: { name: 'http' } } } },
      },
      { apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/tls', metadata: { name: 'site-tls', namespace: 'web', creationTimestamp: '-3d' }, data: { 'tls.crt': 'c2VjcmV0', 'tls.key': 'c2VjcmV0' } },
      // An Opaque secret named like the missing TLS secret does not count.
      { apiVersion: 'v1', kind: 'Secret', type: 'Opaque', metadata: { name: 'api-tls', namespace: 'web', creationTimestamp: '-3d' }, data: { token: 'c2VjcmV0' } },
      {
        apiVersion: 'cert-manager.io/v1', kind: 'Certificate',
        metadata: { name: 'site-tls', namespace: 'web', creationTimestamp: '-3d', generation: 2 },
        spec: { secretName: 'site-tls', dnsNames: ['site.lab.example.org'], issuerRef: { name: 'letsencrypt', kind: 'ClusterIssuer' } },
        status: { conditions: [{ type: 'Ready', status: 'False', reason: 'IncorrectIssuer', message: 'Issuing certificate as Secret was previously issued by ClusterIssuer.cert-manager.io/selfsigned', lastTransitionTime: '-1h' }] },
      },
    ],
  };
}

describe('homelab ingress on the pi-homelab sandbox', () => {
  let s: SandboxEnv;
  beforeAll(async () => { s = await startSandboxEnv(); });
  afterAll(async () => { await s?.sandbox.stop(); });

  it('finds the crash-looping backend, the missing wildcard TLS secret and the certificate renewing late', async () => {
    const r = await runCli(['ingress', '--json'], s.env);
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout) as IngressJson;
    expect(r.code).toBe(EXIT[out.verdict]);
    expect(out.verdict).toBe('crit');
    expect(out.certManager).toBe(true);
    const finding = (ns: string, name: string, reason: string) => out.findings.find((f) => f.namespace === ns && f.name === name && f.reason === reason);
    expect(finding('paperless', 'paperless-ngx', 'NoReadyEndpoints')).toMatchObject({ severity: 'crit', kind: 'Ingress' });
    expect(finding('paperless', 'paperless-ngx', 'NoReadyEndpoints')?.message).toMatch(/^backend paperless-ngx:8000 has no ready endpoints \(1 not ready\): docs\.home\.example\.net\/ will answer 503$/);
    expect(finding('vaultwarden', 'vaultwarden', 'TLSSecretMissing')?.message).toBe('TLS Secret wildcard-home-example-net-tls for vault.home.example.net does not exist');
    expect(finding('immich', 'immich-tls', 'ExpiresSoon')).toMatchObject({ severity: 'warn', kind: 'Certificate' });

    const jellyfin = out.ingresses.find((i) => i.name === 'jellyfin');
    expect(jellyfin).toMatchObject({ namespace: 'jellyfin', className: 'nginx', hosts: ['jellyfin.home.example.net'], state: 'ok' });
    expect(jellyfin?.paths).toEqual([expect.objectContaining({ host: 'jellyfin.home.example.net', path: '/', backend: 'jellyfin:8096', serviceExists: true, readyEndpoints: 1 })]);
    expect(jellyfin?.tls).toEqual([expect.objectContaining({ secretName: 'jellyfin-tls', secretPresent: true, certificate: expect.objectContaining({ name: 'jellyfin-tls', ready: 'True', state: 'ok' }) })]);
  });

  it('draws one row per path with endpoints and TLS, verdict first', async () => {
    const r = await runCli(['ingress'], s.env);
    expect(r.code).toBe(2);
    expect(r.stdout.split('\n')[0]).toMatch(/^CRIT ingress: \d+ problems in \d+ ingresses, \d+ hosts; worst: Ingress /);
    expect(r.stdout).toMatch(/paperless\s+paperless-ngx\s+nginx\s+docs\.home\.example\.net\/\s+paperless-ngx:8000\s+0\/1\s+paperless-ngx-tls \(Ready \d+d\)/);
    expect(r.stdout).toMatch(/vaultwarden\s+vaultwarden\s+nginx\s+vault\.home\.example\.net\/\s+vaultwarden:80\s+1\/1\s+wildcard-home-example-net-tls missing/);
  });

  it('answers through MCP stdio, filtered to a namespace', async () => {
    const mcp = await stdioClient(s.env);
    try {
      const result = await mcp.client.callTool({ name: 'ingress_status', arguments: { namespace: 'vaultwarden' } });
      expect(result.isError).toBeFalsy();
      const out = result.structuredContent as unknown as IngressJson;
      expect(out.ingresses.map((i) => i.name)).toEqual(['vaultwarden']);
      expect(out.findings.map((f) => `${f.severity} ${f.reason} ${f.namespace}/${f.name}`)).toEqual(['crit TLSSecretMissing vaultwarden/vaultwarden']);
    } finally {
      await mcp.close();
    }
  });
});

describe('homelab ingress with broken backends', () => {
  let s: SandboxEnv;
  beforeAll(async () => { s = await startSandboxEnv({ scenarioData: brokenScenario() }); });
  afterAll(async () => { await s?.sandbox.stop(); });

  it('names a missing Service, a missing port, a TLS secret of the wrong type and a certificate not Ready', async () => {
    const r = await runCli(['ingress', '--json'], s.env);
    expect(r.code).toBe(2);
    const out = JSON.parse(r.stdout) as IngressJson;
    expect(out.findings.map((f) => `${f.severity} ${f.kind} ${f.name} ${f.reason}`).sort()).toEqual([
      'crit Certificate site-tls NotReady',
      'crit Ingress site ServiceMissing',
      'crit Ingress site ServicePortMissing',
      'crit Ingress site TLSSecretMissing',
    ]);
    const msg = (reason: string) => out.findings.find((f) => f.reason === reason)?.message;
    expect(msg('ServiceMissing')).toBe('backend Service api does not exist (api.lab.example.org/)');
    expect(msg('ServicePortMissing')).toBe('backend Service site has no port metrics (it has http)');
    expect(msg('TLSSecretMissing')).toBe('TLS Secret api-tls for api.lab.example.org does not exist');
    expect(msg('NotReady')).toContain('IncorrectIssuer');

    const site = out.ingresses.find((i) => i.name === 'site');
    expect(site?.paths.map((p) => [p.backend, p.serviceExists, p.portExists, p.readyEndpoints])).toEqual([
      ['site:80', true, true, 2],
      ['site:metrics', true, false, undefined],
      ['api:8080', false, undefined, undefined],
    ]);
    expect(site?.tls.map((t) => [t.secretName, t.secretPresent, t.certificate?.ready])).toEqual([['site-tls', true, 'False'], ['api-tls', false, undefined]]);
    // The legacy class annotation is read; a default backend counts as a path.
    expect(out.ingresses.find((i) => i.name === 'legacy')).toMatchObject({ className: 'traefik', state: 'ok', paths: [expect.objectContaining({ host: '*', path: '(default)', backend: 'site:http', readyEndpoints: 2 })] });
  });

  it('does not hide a refusal by the cluster: without list on secrets it exits 69 naming the resource', async () => {
    const limited = await startSandboxEnv({
      scenarioData: brokenScenario(),
      rbac: [
        { apiGroups: ['networking.k8s.io'], resources: ['ingresses'], verbs: ['list'] },
        { apiGroups: [''], resources: ['services', 'endpoints'], verbs: ['get'] },
      ],
    });
    try {
      const r = await runCli(['ingress'], limited.env);
      expect(r.code).toBe(69);
      expect(r.stderr).toContain('forbidden: needs `list` on secrets');
    } finally {
      await limited.sandbox.stop();
    }
  });
});
