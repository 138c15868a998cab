import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PolicyRule, Scenario } from '@homelab/sandbox';
import { runCli } from '../helpers/cli.js';
import { stdioClient } from '../helpers/mcp.js';
import { startSandboxEnv, type SandboxEnv } from '../helpers/sandbox.js';
import { configWith } from '../helpers/config.js';
import ingressOp from '../../src/ops/ingress/ingress-status.js';

interface Finding { severity: string; kind: string; namespace?: string; name: string; reason: string; message: string }
interface IngressJson {
  verdict: 'ok' | 'warn' | 'crit';
  summary: string;
  certManager: boolean;
  ingresses: Array<{
    namespace: string; name: string; className?: string; hosts: string[]; state: string;
    paths: Array<{ host: string; path: string; backend: string; serviceExists?: boolean; portExists?: boolean; readyEndpoints?: number; notReadyEndpoints?: number }>;
    tls: Array<{ hosts: string[]; secretName: string; checkedBy: string; secretPresent?: boolean; note?: string; certificate?: { name: string; ready: string; daysLeft?: number; state: string } }>;
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

  it('finds the crash-looping backend and the certificate renewing late, and says which TLS Secret it could not check', async () => {
    const r = await runCli(['ingress', '--json'], s.env);
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout) as IngressJson;
    expect(r.code).toBe(EXIT[out.verdict]);
    expect(out.verdict).toBe('crit');
    expect(out.certManager).toBe(true);
    const finding = (ns: string, name: string, reason: string) => out.findings.find((f) => f.namespace === ns && f.name === name && f.reason === reason);
    expect(finding('paperless', 'paperless-ngx', 'NoReadyEndpoints')).toMatchObject({ severity: 'crit', kind: 'Ingress' });
    expect(finding('paperless', 'paperless-ngx', 'NoReadyEndpoints')?.message).toMatch(/^backend paperless-ngx:8000 has no ready endpoints \(1 not ready\): docs\.home\.example\.net\/ will answer 503$/);
    expect(finding('immich', 'immich-tls', 'ExpiresSoon')).toMatchObject({ severity: 'warn', kind: 'Certificate' });
    // The copied wildcard Secret has no Certificate, and homelab reads no Secrets: not checked, and said so.
    // (Was a TLSSecretMissing finding, read from a cluster-wide list of Secrets.)
    expect(finding('vaultwarden', 'vaultwarden', 'TLSSecretMissing')).toBeUndefined();
    expect(out.ingresses.find((i) => i.name === 'vaultwarden')?.tls).toEqual([{
      hosts: ['vault.home.example.net'], secretName: 'wildcard-home-example-net-tls', checkedBy: 'none',
      note: 'TLS secret not checked: no Certificate manages it, and homelab reads no Secrets (list it in ingress.tlsSecrets to check it by name)',
    }]);
    expect(out.summary).toMatch(/; 1 TLS Secret not checked: no Certificate manages it$/);

    const jellyfin = out.ingresses.find((i) => i.name === 'jellyfin');
    expect(jellyfin).toMatchObject({ namespace: 'jellyfin', className: 'nginx', hosts: ['jellyfin.home.example.net'], state: 'ok' });
    expect(jellyfin?.paths).toEqual([expect.objectContaining({ host: 'jellyfin.home.example.net', path: '/', backend: 'jellyfin:8096', serviceExists: true, readyEndpoints: 1 })]);
    expect(jellyfin?.tls).toEqual([expect.objectContaining({ secretName: 'jellyfin-tls', checkedBy: 'certificate', certificate: expect.objectContaining({ name: 'jellyfin-tls', ready: 'True', state: 'ok' }) })]);
    expect(jellyfin?.tls[0]?.secretPresent).toBeUndefined();
  });

  it('checks a TLS Secret by name, metadata only, when the config lists it: the missing wildcard is crit', async () => {
    const config = await configWith(s.sandbox, 'tls-secrets', { ingress: { tlsSecrets: ['vaultwarden/wildcard-home-example-net-tls'] } });
    const r = await runCli(['ingress', '--json', '-n', 'vaultwarden', '--config', config], s.env);
    expect(r.code).toBe(2);
    const out = JSON.parse(r.stdout) as IngressJson;
    expect(out.findings).toEqual([expect.objectContaining({ severity: 'crit', kind: 'Ingress', name: 'vaultwarden', reason: 'TLSSecretMissing', message: 'TLS Secret wildcard-home-example-net-tls for vault.home.example.net does not exist' })]);
    expect(out.ingresses[0]?.tls).toEqual([{ hosts: ['vault.home.example.net'], secretName: 'wildcard-home-example-net-tls', checkedBy: 'secret', secretPresent: false }]);
  });

  it('draws one row per path with endpoints and TLS, verdict first', async () => {
    const r = await runCli(['ingress'], s.env);
    expect(r.code).toBe(2);
    expect(r.stdout.split('\n')[0]).toMatch(/^CRIT ingress: \d+ problems in \d+ ingresses, \d+ hosts; worst: Ingress /);
    expect(r.stdout).toMatch(/paperless\s+paperless-ngx\s+nginx\s+docs\.home\.example\.net\/\s+paperless-ngx:8000\s+0\/1\s+paperless-ngx-tls \(Ready \d+d\)/);
    expect(r.stdout).toMatch(/vaultwarden\s+vaultwarden\s+nginx\s+vault\.home\.example\.net\/\s+vaultwarden:80\s+1\/1\s+wildcard-home-example-net-tls \(not checked\)/);
    expect(r.stdout).toContain('TLS secret not checked: no Certificate manages it, and homelab reads no Secrets (list it in ingress.tlsSecrets to check it by name): vaultwarden/wildcard-home-example-net-tls');
  });

  it('answers through MCP stdio, filtered to a namespace', async () => {
    const mcp = await stdioClient(s.env);
    try {
      const result = await mcp.client.callTool({ name: 'ingress_status', arguments: { namespace: 'vaultwarden' } });
      expect(result.isError).toBeFalsy();
      const out = result.structuredContent as unknown as IngressJson;
      expect(out.ingresses.map((i) => i.name)).toEqual(['vaultwarden']);
      expect(out.findings).toEqual([]);
      expect(out.ingresses[0]?.tls.map((t) => t.checkedBy)).toEqual(['none']);
    } finally {
      await mcp.close();
    }
  });
});

describe('homelab ingress with broken backends', () => {
  let s: SandboxEnv;
  beforeAll(async () => { s = await startSandboxEnv({ scenarioData: brokenScenario() }); });
  afterAll(async () => { await s?.sandbox.stop(); });

  it('names a missing Service, a missing port and a certificate not Ready; a TLS Secret without a Certificate is not checked', async () => {
    const r = await runCli(['ingress', '--json'], s.env);
    expect(r.code).toBe(2);
    const out = JSON.parse(r.stdout) as IngressJson;
    expect(out.findings.map((f) => `${f.severity} ${f.kind} ${f.name} ${f.reason}`).sort()).toEqual([
      'crit Certificate site-tls NotReady',
      'crit Ingress site ServiceMissing',
      'crit Ingress site ServicePortMissing',
    ]);
    const msg = (reason: string) => out.findings.find((f) => f.reason === reason)?.message;
    expect(msg('ServiceMissing')).toBe('backend Service api does not exist (api.lab.example.org/)');
    expect(msg('ServicePortMissing')).toBe('backend Service site has no port metrics (it has http)');
    expect(msg('NotReady')).toContain('IncorrectIssuer');

    const site = out.ingresses.find((i) => i.name === 'site');
    expect(site?.paths.map((p) => [p.backend, p.serviceExists, p.portExists, p.readyEndpoints])).toEqual([
      ['site:80', true, true, 2],
      ['site:metrics', true, false, undefined],
      ['api:8080', false, undefined, undefined],
    ]);
    expect(site?.tls.map((t) => [t.secretName, t.checkedBy, t.certificate?.ready])).toEqual([['site-tls', 'certificate', 'False'], ['api-tls', 'none', undefined]]);
    // The legacy class annotation is read; a default backend counts as a path.
    expect(out.ingresses.find((i) => i.name === 'legacy')).toMatchObject({ className: 'traefik', state: 'ok', paths: [expect.objectContaining({ host: '*', path: '(default)', backend: 'site:http', readyEndpoints: 2 })] });
  });

  it('with the opt-in grant (get on named Secrets, as deploy/overlays/tls-secrets gives) checks exactly the names the config lists', async () => {
    // The op's own rules plus a Role allowing `get` on one Secret name in web: nothing else on Secrets.
    const rules: PolicyRule[] = [
      ...ingressOp.rbac.map((r) => ({ apiGroups: [r.apiGroup], resources: [r.resource], verbs: [...r.verbs] })),
      { apiGroups: [''], resources: ['secrets'], verbs: ['get'], resourceNames: ['api-tls'], namespaces: ['web'] },
    ];
    const granted = await startSandboxEnv({ scenarioData: brokenScenario(), rbac: rules });
    try {
      const config = await configWith(granted.sandbox, 'tls', { ingress: { tlsSecrets: ['web/api-tls', 'web/site-tls', 'web/other-tls'] } });
      const r = await runCli(['ingress', '--json', '--config', config], granted.env);
      const out = JSON.parse(r.stdout) as IngressJson;
      const site = out.ingresses.find((i) => i.name === 'site');
      // A Certificate still comes first; the granted name is read; nothing else is asked for.
      expect(site?.tls.map((t) => [t.secretName, t.checkedBy, t.secretPresent])).toEqual([['site-tls', 'certificate', undefined], ['api-tls', 'secret', true]]);
      expect(out.findings.filter((f) => f.kind === 'Check')).toEqual([]);
    } finally {
      await granted.sandbox.stop();
    }
  });

  it('reports what it could read when Certificates are refused: the backends, and a finding naming the verb', async () => {
    // Was exit 69 (the cluster-wide list of Secrets was refused); now no Secret is read at all.
    const limited = await startSandboxEnv({
      scenarioData: brokenScenario(),
      rbac: [
        { apiGroups: ['networking.k8s.io'], resources: ['ingresses'], verbs: ['list'] },
        { apiGroups: [''], resources: ['services', 'endpoints'], verbs: ['get'] },
      ],
    });
    try {
      const r = await runCli(['ingress', '--json'], limited.env);
      expect(r.code).toBe(2);
      const out = JSON.parse(r.stdout) as IngressJson;
      expect(out.findings).toContainEqual({
        severity: 'warn', kind: 'Check', name: 'certificates.cert-manager.io', reason: 'Forbidden',
        message: 'forbidden: needs `list` on certificates.cert-manager.io across the cluster; TLS is not checked through Certificates',
      });
      expect(out.findings).toContainEqual(expect.objectContaining({ reason: 'ServiceMissing' }));
      expect(out.certManager).toBe(false);
      expect(out.ingresses.find((i) => i.name === 'site')?.tls.map((t) => t.note)).toEqual([
        'TLS secret not checked: the Certificates could not be read (see the findings), and homelab reads no Secrets (list it in ingress.tlsSecrets to check it by name)',
        'TLS secret not checked: the Certificates could not be read (see the findings), and homelab reads no Secrets (list it in ingress.tlsSecrets to check it by name)',
      ]);
    } finally {
      await limited.sandbox.stop();
    }
  });
});

describe('homelab ingress with nothing to check', () => {
  it('says what it looked for and where, instead of a bare "OK no Ingresses"', async () => {
    const s = await startSandboxEnv({ scenarioData: { ...brokenScenario(), objects: [] } });
    try {
      const r = await runCli(['ingress'], s.env);
      expect(r.code).toBe(0);
      expect(r.stdout.trim()).toBe('OK no Ingresses in any namespace (networking.k8s.io/v1): nothing to check');
      const scoped = JSON.parse((await runCli(['ingress', '--json', '-n', 'web'], s.env)).stdout) as IngressJson;
      expect(scoped.summary).toBe('no Ingresses in namespace web (networking.k8s.io/v1): nothing to check');
    } finally {
      await s.sandbox.stop();
    }
  });
});
