import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Scenario } from '@homelab/sandbox';
import { runCli } from '../helpers/cli.js';
import { stdioClient } from '../helpers/mcp.js';
import { startSandboxEnv, type SandboxEnv } from '../helpers/sandbox.js';

interface Finding { severity: string; kind: string; namespace?: string; name: string; reason: string; message: string }
interface CertsJson {
  installed: boolean;
  version?: string;
  note?: string;
  verdict: 'ok' | 'warn' | 'crit';
  summary: string;
  certificates: Array<{ namespace: string; name: string; ready: string; readyReason?: string; daysLeft?: number; notAfter?: string; issuer: { kind: string; name: string }; dnsNames: string[]; secretName?: string; state: string; renewalFailure?: string }>;
  failing: Array<{ kind: string; namespace: string; name: string; certificate?: string; state: string; reason: string }>;
  findings: Finding[];
}

const EXIT = { ok: 0, warn: 1, crit: 2 } as const;
const DAY = 86_400_000;
const iso = (ms: number) => new Date(Date.now() + ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

const CERT_CRDS: Scenario['apiResources'] = [
  { group: 'cert-manager.io', versions: ['v1'], kind: 'Certificate', plural: 'certificates' },
  { group: 'cert-manager.io', versions: ['v1'], kind: 'CertificateRequest', plural: 'certificaterequests' },
  { group: 'acme.cert-manager.io', versions: ['v1'], kind: 'Order', plural: 'orders' },
  { group: 'acme.cert-manager.io', versions: ['v1'], kind: 'Challenge', plural: 'challenges' },
];

function certificate(namespace: string, name: string, status: Record<string, unknown>) {
  return {
    apiVersion: 'cert-manager.io/v1', kind: 'Certificate',
    metadata: { name, namespace, creationTimestamp: '-200d', generation: 1 },
    spec: { secretName: `${name}-tls`, dnsNames: [`${name}.lab.example.org`], issuerRef: { name: 'letsencrypt', kind: 'ClusterIssuer', group: 'cert-manager.io' } },
    status,
  };
}
const ready = { type: 'Ready', status: 'True', reason: 'Ready', message: 'Certificate is up to date and has not expired', lastTransitionTime: '-20d' };

/** Certificates in every state cert-manager can leave them in, with the ACME objects of a failing renewal. */
function troubleScenario(): Scenario {
  const owner = (kind: string, name: string) => [{ apiVersion: 'cert-manager.io/v1', kind, name, uid: `uid-${name}`, controller: true }];
  return {
    name: 'certs-trouble',
    nodes: [{ name: 'nuc', roles: ['control-plane'], ip: '192.0.2.20', cpu: '4', memory: '16Gi', arch: 'amd64' }],
    namespaces: [{ name: 'web' }, { name: 'media' }],
    apiResources: CERT_CRDS,
    objects: [
      certificate('web', 'fresh', { conditions: [ready], notBefore: iso(-10 * DAY), notAfter: iso(80 * DAY), renewalTime: iso(50 * DAY), revision: 3 }),
      certificate('web', 'old', {
        conditions: [{ type: 'Ready', status: 'False', reason: 'Expired', message: 'Certificate expired on Sun, 01 Jun 2025 00:00:00 UTC', lastTransitionTime: '-2d' }],
        notAfter: iso(-2 * DAY), renewalTime: iso(-32 * DAY), revision: 1,
      }),
      certificate('web', 'missing', {
        conditions: [{ type: 'Ready', status: 'False', reason: 'DoesNotExist', message: 'Issuing certificate as Secret does not exist', lastTransitionTime: '-1h' }],
      }),
      // Renewing for three days: HTTP-01 self-check fails; the last request failed and is retried.
      certificate('media', 'jellyfin', {
        conditions: [ready, { type: 'Issuing', status: 'False', reason: 'Failed', message: 'The certificate request has failed to complete and will be retried: Failed to wait for order resource "jellyfin-5-123" to become ready', lastTransitionTime: '-3d' }],
        notAfter: iso(10 * DAY), renewalTime: iso(-20 * DAY), revision: 4, lastFailureTime: '-3d', failedIssuanceAttempts: 2,
      }),
      {
        apiVersion: 'cert-manager.io/v1', kind: 'CertificateRequest',
        metadata: { name: 'jellyfin-5', namespace: 'media', creationTimestamp: '-3d', annotations: { 'cert-manager.io/certificate-name': 'jellyfin', 'cert-manager.io/certificate-revision': '5' }, ownerReferences: owner('Certificate', 'jellyfin') },
        status: { conditions: [{ type: 'Approved', status: 'True', reason: 'cert-manager.io' }, { type: 'Ready', status: 'False', reason: 'Failed', message: 'Failed to wait for order resource "jellyfin-5-123" to become ready: order is in "invalid" state' }], failureTime: '-3d' },
      },
      // An old failure that a later issuance superseded: history, not a problem.
      {
        apiVersion: 'cert-manager.io/v1', kind: 'CertificateRequest',
        metadata: { name: 'fresh-2', namespace: 'web', creationTimestamp: '-60d', annotations: { 'cert-manager.io/certificate-name': 'fresh', 'cert-manager.io/certificate-revision': '2' } },
        status: { conditions: [{ type: 'Ready', status: 'False', reason: 'Failed', message: 'rate limited' }] },
      },
      {
        apiVersion: 'acme.cert-manager.io/v1', kind: 'Order',
        metadata: { name: 'jellyfin-5-123', namespace: 'media', creationTimestamp: '-3d', ownerReferences: [{ apiVersion: 'cert-manager.io/v1', kind: 'CertificateRequest', name: 'jellyfin-5', uid: 'uid-jellyfin-5', controller: true }] },
        status: { state: 'invalid', reason: 'Failed to finalize order: 403 urn:ietf:params:acme:error:unauthorized' },
      },
      {
        apiVersion: 'acme.cert-manager.io/v1', kind: 'Challenge',
        metadata: { name: 'jellyfin-5-123-9', namespace: 'media', creationTimestamp: '-3d', ownerReferences: [{ apiVersion: 'acme.cert-manager.io/v1', kind: 'Order', name: 'jellyfin-5-123', uid: 'uid-order', controller: true }] },
        spec: { dnsName: 'jellyfin.lab.example.org', type: 'HTTP-01' },
        status: { processing: true, presented: true, state: 'pending', reason: "Waiting for HTTP-01 challenge propagation: wrong status code '404', expected '200'" },
      },
    ],
  };
}

describe('homelab certs on the pi-homelab sandbox', () => {
  let s: SandboxEnv;
  beforeAll(async () => { s = await startSandboxEnv(); });
  afterAll(async () => { await s?.sandbox.stop(); });

  it('lists every Certificate with expiry and issuer, and warns about the one renewing late', async () => {
    const r = await runCli(['certs', '--json'], s.env);
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout) as CertsJson;
    expect(r.code).toBe(EXIT[out.verdict]);
    expect(out).toMatchObject({ installed: true, version: 'v1' });
    expect(out.certificates.map((c) => `${c.namespace}/${c.name}`)).toEqual(expect.arrayContaining(['jellyfin/jellyfin-tls', 'immich/immich-tls', 'homepage/homepage-tls']));
    const immich = out.certificates.find((c) => c.name === 'immich-tls');
    expect(immich).toMatchObject({ ready: 'True', issuer: { kind: 'ClusterIssuer', name: 'letsencrypt-prod' }, dnsNames: ['photos.home.example.net'], secretName: 'immich-tls', state: 'warn' });
    expect(immich?.daysLeft).toBeLessThan(14);
    const finding = out.findings.find((f) => f.name === 'immich-tls');
    expect(finding).toMatchObject({ severity: 'warn', kind: 'Certificate', namespace: 'immich', reason: 'ExpiresSoon' });
    expect(finding?.message).toMatch(/^expires in \d+ days .*renewal was due .* and has not happened/);
    // Soonest expiry first.
    const days = out.certificates.map((c) => c.daysLeft ?? Infinity);
    expect(days).toEqual([...days].sort((a, b) => a - b));
  });

  it('draws a table with the verdict first, and moves the line with --warn-days/--crit-days', async () => {
    const table = await runCli(['certs'], s.env);
    const lines = table.stdout.split('\n');
    expect(lines[0]).toMatch(/^(WARN|CRIT) certificates: \d+ problems? in \d+ certificates/);
    expect(table.stdout).toMatch(/NAMESPACE\s+NAME\s+READY\s+EXPIRES\s+DAYS LEFT/);
    expect(table.stdout).toMatch(/immich\s+immich-tls\s+True/);
    expect(table.stdout).toMatch(/warn\s+Certificate\s+immich\s+immich-tls\s+ExpiresSoon/);

    const strict = JSON.parse((await runCli(['certs', '--json', '--crit-days', '10', '--warn-days', '20'], s.env)).stdout) as CertsJson;
    expect(strict.findings.find((f) => f.name === 'immich-tls')).toMatchObject({ severity: 'crit', reason: 'ExpiresSoon' });
    const lax = JSON.parse((await runCli(['certs', '--json', '--warn-days', '5', '--crit-days', '1'], s.env)).stdout) as CertsJson;
    expect(lax.findings.find((f) => f.name === 'immich-tls')?.reason).not.toBe('ExpiresSoon');

    const bad = await runCli(['certs', '--crit-days', '20'], s.env);
    expect(bad.code).toBe(64);
    expect(bad.stderr).toContain('critDays (20) must not be more than warnDays (14)');
  });

  it('answers the same through MCP stdio, with the verdict in text and the certificates in structuredContent', async () => {
    const mcp = await stdioClient(s.env);
    try {
      const result = await mcp.client.callTool({ name: 'certs_status', arguments: { namespace: 'immich' } });
      expect(result.isError).toBeFalsy();
      const out = result.structuredContent as unknown as CertsJson;
      expect(out.certificates.map((c) => c.name)).toEqual(['immich-tls']);
      expect(out.findings.map((f) => `${f.reason} ${f.namespace}/${f.name}`)).toContain('ExpiresSoon immich/immich-tls');
      const text = (result.content as Array<{ type: string; text: string }>).map((c) => c.text).join('\n');
      expect(text).toMatch(/immich-tls ExpiresSoon/);
    } finally {
      await mcp.close();
    }
  });
});

describe('homelab certs when things go wrong', () => {
  let s: SandboxEnv;
  beforeAll(async () => { s = await startSandboxEnv({ scenarioData: troubleScenario() }); });
  afterAll(async () => { await s?.sandbox.stop(); });

  it('says crit for expired and not-Ready certificates and names the failing ACME challenge of a renewal', async () => {
    const r = await runCli(['certs', '--json'], s.env);
    expect(r.code).toBe(2);
    const out = JSON.parse(r.stdout) as CertsJson;
    const by = (name: string) => out.findings.filter((f) => f.name === name).map((f) => `${f.severity} ${f.reason}`);
    expect(by('old')).toEqual(['crit Expired']);
    expect(by('missing')).toEqual(['crit NotReady']);
    expect(out.findings.find((f) => f.name === 'missing')?.message).toBe('Ready=False (DoesNotExist): Issuing certificate as Secret does not exist');
    expect(by('jellyfin').sort()).toEqual(['warn ExpiresSoon', 'warn RenewalFailing']);
    expect(out.findings.find((f) => f.name === 'jellyfin' && f.reason === 'RenewalFailing')?.message).toMatch(/^The certificate request has failed to complete and will be retried: .*\(2 failed attempts, last at /);
    expect(by('fresh')).toEqual([]);

    expect(out.failing.map((f) => `${f.kind} ${f.name} ${f.state}`).sort()).toEqual([
      'CertificateRequest jellyfin-5 Failed',
      'Challenge jellyfin-5-123-9 pending',
      'Order jellyfin-5-123 invalid',
    ]);
    expect(out.failing.every((f) => f.certificate === 'jellyfin')).toBe(true);
    expect(out.failing.find((f) => f.kind === 'Challenge')?.reason).toBe("HTTP-01 for jellyfin.lab.example.org: Waiting for HTTP-01 challenge propagation: wrong status code '404', expected '200'");

    const table = await runCli(['certs'], s.env);
    expect(table.code).toBe(2);
    expect(table.stdout.split('\n')[0]).toMatch(/^CRIT certificates: 4 problems in 4 certificates; worst: Certificate web\/missing NotReady: Ready=False \(DoesNotExist\)/);
    expect(table.stdout).toContain('Failing issuance:');
    expect(table.stdout).toMatch(/Challenge\s+media\s+jellyfin-5-123-9\s+jellyfin\s+pending/);
  });

  it('reports a cluster without cert-manager as not installed, exit 0', async () => {
    const bare = await startSandboxEnv({ scenarioData: { ...troubleScenario(), apiResources: [], objects: [] } });
    try {
      const r = await runCli(['certs', '--json'], bare.env);
      expect(r.code).toBe(0);
      const out = JSON.parse(r.stdout) as CertsJson;
      expect(out).toMatchObject({ installed: false, verdict: 'ok', certificates: [], findings: [] });
      expect(out.note).toContain('cert-manager is not installed');
      expect((await runCli(['certs'], bare.env)).stdout).toMatch(/^OK cert-manager is not installed/);
    } finally {
      await bare.sandbox.stop();
    }
  });

  it('reports what it could read when one kind is refused: the certificates, plus a finding naming the missing verb', async () => {
    // Was exit 69 with nothing shown; now the certificates are reported and the refusal is a finding.
    const limited = await startSandboxEnv({ scenarioData: troubleScenario(), rbac: [{ apiGroups: ['cert-manager.io'], resources: ['certificates'], verbs: ['list'] }] });
    try {
      const r = await runCli(['certs', '--json'], limited.env);
      expect(r.code).toBe(2);
      const out = JSON.parse(r.stdout) as CertsJson;
      expect(out.certificates.map((c) => c.name).sort()).toEqual(['fresh', 'jellyfin', 'missing', 'old']);
      expect(out.findings).toContainEqual(expect.objectContaining({ severity: 'crit', name: 'old', reason: 'Expired' }));
      expect(out.findings).toContainEqual({
        severity: 'warn', kind: 'Check', name: 'certificaterequests.cert-manager.io', reason: 'Forbidden',
        message: 'forbidden: needs `list` on certificaterequests.cert-manager.io across the cluster; failing issuance attempts are not shown',
      });
      // Orders and challenges are refused too, each named once.
      expect(out.findings.filter((f) => f.reason === 'Forbidden').map((f) => f.name).sort()).toEqual(['certificaterequests.cert-manager.io', 'challenges.acme.cert-manager.io', 'orders.acme.cert-manager.io']);
    } finally {
      await limited.sandbox.stop();
    }
  });

  it('is an error, not a report, when nothing at all can be read', async () => {
    const none = await startSandboxEnv({ scenarioData: troubleScenario(), rbac: [{ apiGroups: [''], resources: ['pods'], verbs: ['list'] }] });
    try {
      const r = await runCli(['certs'], none.env);
      expect(r.code).toBe(69);
      expect(r.stderr).toContain('forbidden: needs `list` on certificates.cert-manager.io across the cluster');
    } finally {
      await none.sandbox.stop();
    }
  });
});

describe('homelab certs on an odd or failing cert-manager', () => {
  it('keeps the certificate that expires in 3 days when cert-manager serves no certificaterequests', async () => {
    const scenario = troubleScenario();
    const s = await startSandboxEnv({
      scenarioData: {
        ...scenario,
        apiResources: CERT_CRDS.filter((r) => r.plural !== 'certificaterequests'),
        objects: [certificate('web', 'soon', { conditions: [ready], notAfter: iso(3 * DAY - 3_600_000), renewalTime: iso(-27 * DAY), revision: 2 })],
      },
    });
    try {
      const r = await runCli(['certs', '--json'], s.env);
      expect(r.code).toBe(2);
      const out = JSON.parse(r.stdout) as CertsJson;
      expect(out.certificates.map((c) => c.name)).toEqual(['soon']);
      expect(out.findings).toContainEqual(expect.objectContaining({ severity: 'crit', kind: 'Certificate', name: 'soon', reason: 'ExpiresSoon' }));
      expect(out.findings).toContainEqual({
        severity: 'warn', kind: 'Check', name: 'certificaterequests.cert-manager.io', reason: 'NotServed',
        message: 'cert-manager.io/v1 serves no certificaterequests here (404); failing issuance attempts are not shown',
      });
    } finally {
      await s.sandbox.stop();
    }
  });

  it('reports a Certificate it cannot read as a finding, and still checks the others', async () => {
    // Was: one malformed object failed the whole command (exit 69).
    const odd = { ...certificate('web', 'odd', { conditions: [ready] }), spec: { secretName: 'odd-tls', dnsNames: 'odd.lab.example.org' } };
    const s = await startSandboxEnv({ scenarioData: { ...troubleScenario(), objects: [odd, certificate('web', 'soon', { conditions: [ready], notAfter: iso(2 * DAY) })] } });
    try {
      const r = await runCli(['certs', '--json'], s.env);
      expect(r.code).toBe(2);
      const out = JSON.parse(r.stdout) as CertsJson;
      expect(out.certificates.map((c) => c.name)).toEqual(['soon']);
      expect(out.findings).toContainEqual({
        severity: 'warn', kind: 'Certificate', namespace: 'web', name: 'odd', reason: 'Malformed',
        message: 'not checked: the API answered it in a shape homelab cannot read (spec.dnsNames: Invalid input: expected array, received string)',
      });
    } finally {
      await s.sandbox.stop();
    }
  });

  it('says what it looked for when cert-manager has no Certificates', async () => {
    const s = await startSandboxEnv({ scenarioData: { ...troubleScenario(), objects: [] } });
    try {
      const r = await runCli(['certs'], s.env);
      expect(r.code).toBe(0);
      expect(r.stdout.split('\n')[0]).toBe('OK no Certificates in any namespace (cert-manager.io/v1 is served): nothing to check');
      const scoped = JSON.parse((await runCli(['certs', '--json', '-n', 'web'], s.env)).stdout) as CertsJson;
      expect(scoped).toMatchObject({ installed: true, verdict: 'ok', note: 'no Certificates in namespace web (cert-manager.io/v1 is served): nothing to check' });
    } finally {
      await s.sandbox.stop();
    }
  });

  // Was "OK cert-manager is not installed", exit 0, for every one of these.
  const FAILING_DISCOVERY = [
    { what: 'a 503 on /apis', fault: { path: '/apis', status: 503 }, says: /cannot tell whether cert-manager\.io is installed: the Kubernetes API at https:\/\/127\.0\.0\.1:\d+ answered GET \/apis with 503 Service Unavailable: the server is currently unable to handle the request/ },
    { what: 'a 503 on the group-version', fault: { path: '/apis/cert-manager.io/v1', status: 503 }, says: /cannot tell whether cert-manager\.io\/v1 serves certificates: .* answered GET \/apis\/cert-manager\.io\/v1 with 503/ },
    { what: 'a proxy\'s HTML page', fault: { path: '/apis', status: 200, body: '<html><body>upstream connect error</body></html>', contentType: 'text/html' }, says: /answered GET \/apis with something that is not JSON \("<html><body>upstream/ },
    { what: 'a discovery document of the wrong shape', fault: { path: '/apis', status: 200, body: '{"kind":"APIGroupList","groups":"none"}' }, says: /answered GET \/apis with a malformed discovery document \(groups: / },
    { what: 'a 500 on the group-version', fault: { path: '/apis/cert-manager.io/v1', status: 500 }, says: /answered GET \/apis\/cert-manager\.io\/v1 with 500 Internal Server Error/ },
  ];
  for (const c of FAILING_DISCOVERY) {
    it(`is an error, never "not installed", on ${c.what}`, async () => {
      const s = await startSandboxEnv({ scenarioData: troubleScenario(), faults: [c.fault] });
      try {
        const r = await runCli(['certs', '--json'], s.env);
        expect(r.code).toBe(69);
        expect(r.stdout).toBe('');
        expect(r.stderr).toMatch(c.says);
        expect(r.stderr).not.toContain('not installed:');
        expect(r.stderr).toContain('Hint: discovery is failing, so this is not "not installed"');
      } finally {
        await s.sandbox.stop();
      }
    });
  }
});
