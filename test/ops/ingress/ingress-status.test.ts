import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PolicyRule } from '@homelab/sandbox';
import ingressOp from '../../../src/ops/ingress/ingress-status.js';
import { configWith } from '../../helpers/config.js';
import { brokenScenario, type IngressJson } from '../../helpers/ingress.js';
import { callOp } from '../../helpers/ops.js';
import { startSandboxEnv, type SandboxEnv } from '../../helpers/sandbox.js';

const ingress = (s: SandboxEnv, input: Record<string, unknown> = {}, config?: string) => callOp<IngressJson>(s, 'ingress_status', input, { config });

describe('ingress_status on the pi-homelab sandbox', () => {
  let s: SandboxEnv;
  beforeAll(async () => {
    s = await startSandboxEnv();
  });
  afterAll(async () => {
    await s?.sandbox.stop();
  });

  it('finds the crash-looping backend and the certificate renewing late, and says which TLS Secret it could not check', async () => {
    const { output: out, summary, log } = await ingress(s);
    expect(log).toEqual([]);
    expect(summary?.verdict).toBe('crit');
    expect(out.verdict).toBe('crit');
    expect(out.certManager).toBe(true);
    const finding = (ns: string, name: string, reason: string) => out.findings.find((f) => f.namespace === ns && f.name === name && f.reason === reason);
    expect(finding('paperless', 'paperless-ngx', 'NoReadyEndpoints')).toMatchObject({ severity: 'crit', kind: 'Ingress' });
    expect(finding('paperless', 'paperless-ngx', 'NoReadyEndpoints')?.message).toMatch(
      /^backend paperless-ngx:8000 has no ready endpoints \(1 not ready\): docs\.home\.example\.net\/ will answer 503$/,
    );
    expect(finding('immich', 'immich-tls', 'ExpiresSoon')).toMatchObject({ severity: 'warn', kind: 'Certificate' });
    // The copied wildcard Secret has no Certificate, and homelab reads no Secrets: not checked, and said so.
    // (Was a TLSSecretMissing finding, read from a cluster-wide list of Secrets.)
    expect(finding('vaultwarden', 'vaultwarden', 'TLSSecretMissing')).toBeUndefined();
    expect(out.ingresses.find((i) => i.name === 'vaultwarden')?.tls).toEqual([
      {
        hosts: ['vault.home.example.net'],
        secretName: 'wildcard-home-example-net-tls',
        checkedBy: 'none',
        note: 'TLS secret not checked: no Certificate manages it, and homelab reads no Secrets (list it in ingress.tlsSecrets to check it by name)',
      },
    ]);
    expect(out.summary).toMatch(/; 1 TLS Secret not checked: no Certificate manages it$/);

    const jellyfin = out.ingresses.find((i) => i.name === 'jellyfin');
    expect(jellyfin).toMatchObject({ namespace: 'jellyfin', className: 'nginx', hosts: ['jellyfin.home.example.net'], state: 'ok' });
    expect(jellyfin?.paths).toEqual([
      expect.objectContaining({ host: 'jellyfin.home.example.net', path: '/', backend: 'jellyfin:8096', serviceExists: true, readyEndpoints: 1 }),
    ]);
    expect(jellyfin?.tls).toEqual([
      expect.objectContaining({
        secretName: 'jellyfin-tls',
        checkedBy: 'certificate',
        certificate: expect.objectContaining({ name: 'jellyfin-tls', ready: 'True', state: 'ok' }),
      }),
    ]);
    expect(jellyfin?.tls[0]?.secretPresent).toBeUndefined();
  });

  it('checks a TLS Secret by name, metadata only, when the config lists it: the missing wildcard is crit', async () => {
    const config = await configWith(s.sandbox, 'tls-secrets', { ingress: { tlsSecrets: ['vaultwarden/wildcard-home-example-net-tls'] } });
    const { output: out, summary } = await ingress(s, { namespace: 'vaultwarden' }, config);
    expect(summary?.verdict).toBe('crit');
    expect(out.findings).toEqual([
      expect.objectContaining({
        severity: 'crit',
        kind: 'Ingress',
        name: 'vaultwarden',
        reason: 'TLSSecretMissing',
        message: 'TLS Secret wildcard-home-example-net-tls for vault.home.example.net does not exist',
      }),
    ]);
    expect(out.ingresses[0]?.tls).toEqual([
      { hosts: ['vault.home.example.net'], secretName: 'wildcard-home-example-net-tls', checkedBy: 'secret', secretPresent: false },
    ]);
  });
});

describe('ingress_status with broken backends', () => {
  let s: SandboxEnv;
  beforeAll(async () => {
    s = await startSandboxEnv({ scenarioData: brokenScenario() });
  });
  afterAll(async () => {
    await s?.sandbox.stop();
  });

  it('names a missing Service, a missing port and a certificate not Ready; a TLS Secret without a Certificate is not checked', async () => {
    const { output: out, summary } = await ingress(s);
    expect(summary?.verdict).toBe('crit');
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
    expect(site?.tls.map((t) => [t.secretName, t.checkedBy, t.certificate?.ready])).toEqual([
      ['site-tls', 'certificate', 'False'],
      ['api-tls', 'none', undefined],
    ]);
    // The legacy class annotation is read; a default backend counts as a path.
    expect(out.ingresses.find((i) => i.name === 'legacy')).toMatchObject({
      className: 'traefik',
      state: 'ok',
      paths: [expect.objectContaining({ host: '*', path: '(default)', backend: 'site:http', readyEndpoints: 2 })],
    });
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
      const { output: out } = await ingress(granted, {}, config);
      const site = out.ingresses.find((i) => i.name === 'site');
      // A Certificate still comes first; the granted name is read; nothing else is asked for.
      expect(site?.tls.map((t) => [t.secretName, t.checkedBy, t.secretPresent])).toEqual([
        ['site-tls', 'certificate', undefined],
        ['api-tls', 'secret', true],
      ]);
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
      const { output: out, summary } = await ingress(limited);
      expect(summary?.verdict).toBe('crit');
      expect(out.findings).toContainEqual({
        severity: 'warn',
        kind: 'Check',
        name: 'certificates.cert-manager.io',
        reason: 'Forbidden',
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

describe('ingress_status with nothing to check', () => {
  it('says what it looked for and where, instead of a bare "OK no Ingresses"', async () => {
    const s = await startSandboxEnv({ scenarioData: { ...brokenScenario(), objects: [] } });
    try {
      expect((await ingress(s)).summary).toEqual({ verdict: 'ok', line: 'no Ingresses in any namespace (networking.k8s.io/v1): nothing to check' });
      expect((await ingress(s, { namespace: 'web' })).output.summary).toBe('no Ingresses in namespace web (networking.k8s.io/v1): nothing to check');
    } finally {
      await s.sandbox.stop();
    }
  });
});
