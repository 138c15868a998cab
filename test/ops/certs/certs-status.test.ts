import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CERT_CRDS, certificate, DAY, FAILING_DISCOVERY, iso, ready, troubleScenario, type CertsJson } from '../../helpers/certs.js';
import { callOp, failure } from '../../helpers/ops.js';
import { startSandboxEnv, type SandboxEnv } from '../../helpers/sandbox.js';

const certs = (s: SandboxEnv, input: Record<string, unknown> = {}) => callOp<CertsJson>(s, 'certs_status', input);

describe('certs_status on the pi-homelab sandbox', () => {
  let s: SandboxEnv;
  beforeAll(async () => {
    s = await startSandboxEnv();
  });
  afterAll(async () => {
    await s?.sandbox.stop();
  });

  it('lists every Certificate with expiry and issuer, and warns about the one renewing late', async () => {
    const { output: out, summary, log } = await certs(s);
    expect(log).toEqual([]);
    expect(summary?.verdict).toBe(out.verdict);
    expect(out).toMatchObject({ installed: true, version: 'v1' });
    expect(out.certificates.map((c) => `${c.namespace}/${c.name}`)).toEqual(
      expect.arrayContaining(['jellyfin/jellyfin-tls', 'immich/immich-tls', 'homepage/homepage-tls']),
    );
    const immich = out.certificates.find((c) => c.name === 'immich-tls');
    expect(immich).toMatchObject({
      ready: 'True',
      issuer: { kind: 'ClusterIssuer', name: 'letsencrypt-prod' },
      dnsNames: ['photos.home.example.net'],
      secretName: 'immich-tls',
      state: 'warn',
    });
    expect(immich?.daysLeft).toBeLessThan(14);
    const finding = out.findings.find((f) => f.name === 'immich-tls');
    expect(finding).toMatchObject({ severity: 'warn', kind: 'Certificate', namespace: 'immich', reason: 'ExpiresSoon' });
    expect(finding?.message).toMatch(/^expires in \d+ days .*renewal was due .* and has not happened/);
    // Soonest expiry first.
    const days = out.certificates.map((c) => c.daysLeft ?? Infinity);
    expect(days).toEqual([...days].sort((a, b) => a - b));
  });

  it('moves the line with warnDays/critDays, and refuses critDays over warnDays (64)', async () => {
    const strict = (await certs(s, { critDays: 10, warnDays: 20 })).output;
    expect(strict.findings.find((f) => f.name === 'immich-tls')).toMatchObject({ severity: 'crit', reason: 'ExpiresSoon' });
    const lax = (await certs(s, { warnDays: 5, critDays: 1 })).output;
    expect(lax.findings.find((f) => f.name === 'immich-tls')?.reason).not.toBe('ExpiresSoon');
    const bad = await failure(certs(s, { critDays: 20 }));
    expect(bad.exitCode).toBe(64);
    expect(bad.said).toContain('critDays (20) must not be more than warnDays (14)');
  });
});

describe('certs_status when things go wrong', () => {
  let s: SandboxEnv;
  beforeAll(async () => {
    s = await startSandboxEnv({ scenarioData: troubleScenario() });
  });
  afterAll(async () => {
    await s?.sandbox.stop();
  });

  it('says crit for expired and not-Ready certificates and names the failing ACME challenge of a renewal', async () => {
    const { output: out, summary } = await certs(s);
    expect(summary?.verdict).toBe('crit');
    const by = (name: string) => out.findings.filter((f) => f.name === name).map((f) => `${f.severity} ${f.reason}`);
    expect(by('old')).toEqual(['crit Expired']);
    expect(by('missing')).toEqual(['crit NotReady']);
    expect(out.findings.find((f) => f.name === 'missing')?.message).toBe('Ready=False (DoesNotExist): Issuing certificate as Secret does not exist');
    expect(by('jellyfin').sort()).toEqual(['warn ExpiresSoon', 'warn RenewalFailing']);
    expect(out.findings.find((f) => f.name === 'jellyfin' && f.reason === 'RenewalFailing')?.message).toMatch(
      /^The certificate request has failed to complete and will be retried: .*\(2 failed attempts, last at /,
    );
    expect(by('fresh')).toEqual([]);

    expect(out.failing.map((f) => `${f.kind} ${f.name} ${f.state}`).sort()).toEqual([
      'CertificateRequest jellyfin-5 Failed',
      'Challenge jellyfin-5-123-9 pending',
      'Order jellyfin-5-123 invalid',
    ]);
    expect(out.failing.every((f) => f.certificate === 'jellyfin')).toBe(true);
    expect(out.failing.find((f) => f.kind === 'Challenge')?.reason).toBe(
      "HTTP-01 for jellyfin.lab.example.org: Waiting for HTTP-01 challenge propagation: wrong status code '404', expected '200'",
    );
  });

  for (const c of FAILING_DISCOVERY) {
    it(`is an error, never "not installed", on ${c.what}`, async () => {
      const remove = s.sandbox.faults.add(c.fault);
      try {
        const err = await failure(certs(s));
        expect(err.exitCode).toBe(69);
        expect(err.said).toMatch(c.says);
        expect(err.said).not.toContain('not installed:');
        expect(err.hint).toContain('discovery is failing, so this is not "not installed"');
      } finally {
        remove();
      }
    });
  }
});

describe('certs_status on other clusters', () => {
  it('reports a cluster without cert-manager as not installed, ok', async () => {
    const bare = await startSandboxEnv({ scenarioData: { ...troubleScenario(), apiResources: [], objects: [] } });
    try {
      const { output: out, summary } = await certs(bare);
      expect(summary?.verdict).toBe('ok');
      expect(out).toMatchObject({ installed: false, verdict: 'ok', certificates: [], findings: [] });
      expect(out.note).toContain('cert-manager is not installed');
    } finally {
      await bare.sandbox.stop();
    }
  });

  it('reports what it could read when one kind is refused: the certificates, plus a finding naming the missing verb', async () => {
    // Was exit 69 with nothing shown; now the certificates are reported and the refusal is a finding.
    const limited = await startSandboxEnv({
      scenarioData: troubleScenario(),
      rbac: [{ apiGroups: ['cert-manager.io'], resources: ['certificates'], verbs: ['list'] }],
    });
    try {
      const { output: out, summary } = await certs(limited);
      expect(summary?.verdict).toBe('crit');
      expect(out.certificates.map((c) => c.name).sort()).toEqual(['fresh', 'jellyfin', 'missing', 'old']);
      expect(out.findings).toContainEqual(expect.objectContaining({ severity: 'crit', name: 'old', reason: 'Expired' }));
      expect(out.findings).toContainEqual({
        severity: 'warn',
        kind: 'Check',
        name: 'certificaterequests.cert-manager.io',
        reason: 'Forbidden',
        message: 'forbidden: needs `list` on certificaterequests.cert-manager.io across the cluster; failing issuance attempts are not shown',
      });
      // Orders and challenges are refused too, each named once.
      expect(
        out.findings
          .filter((f) => f.reason === 'Forbidden')
          .map((f) => f.name)
          .sort(),
      ).toEqual(['certificaterequests.cert-manager.io', 'challenges.acme.cert-manager.io', 'orders.acme.cert-manager.io']);
    } finally {
      await limited.sandbox.stop();
    }
  });

  it('is an error, not a report, when nothing at all can be read (69)', async () => {
    const none = await startSandboxEnv({ scenarioData: troubleScenario(), rbac: [{ apiGroups: [''], resources: ['pods'], verbs: ['list'] }] });
    try {
      const err = await failure(certs(none));
      expect(err.exitCode).toBe(69);
      expect(err.said).toContain('forbidden: needs `list` on certificates.cert-manager.io across the cluster');
    } finally {
      await none.sandbox.stop();
    }
  });

  it('keeps the certificate that expires in 3 days when cert-manager serves no certificaterequests', async () => {
    const s = await startSandboxEnv({
      scenarioData: {
        ...troubleScenario(),
        apiResources: CERT_CRDS?.filter((r) => r.plural !== 'certificaterequests'),
        objects: [certificate('web', 'soon', { conditions: [ready], notAfter: iso(3 * DAY - 3_600_000), renewalTime: iso(-27 * DAY), revision: 2 })],
      },
    });
    try {
      const { output: out, summary } = await certs(s);
      expect(summary?.verdict).toBe('crit');
      expect(out.certificates.map((c) => c.name)).toEqual(['soon']);
      expect(out.findings).toContainEqual(expect.objectContaining({ severity: 'crit', kind: 'Certificate', name: 'soon', reason: 'ExpiresSoon' }));
      expect(out.findings).toContainEqual({
        severity: 'warn',
        kind: 'Check',
        name: 'certificaterequests.cert-manager.io',
        reason: 'NotServed',
        message: 'cert-manager.io/v1 serves no certificaterequests here (404); failing issuance attempts are not shown',
      });
    } finally {
      await s.sandbox.stop();
    }
  });

  it('reports a Certificate it cannot read as a finding, and still checks the others', async () => {
    // Was: one malformed object failed the whole command (exit 69).
    const odd = { ...certificate('web', 'odd', { conditions: [ready] }), spec: { secretName: 'odd-tls', dnsNames: 'odd.lab.example.org' } };
    const s = await startSandboxEnv({
      scenarioData: { ...troubleScenario(), objects: [odd, certificate('web', 'soon', { conditions: [ready], notAfter: iso(2 * DAY) })] },
    });
    try {
      const { output: out, summary } = await certs(s);
      expect(summary?.verdict).toBe('crit');
      expect(out.certificates.map((c) => c.name)).toEqual(['soon']);
      expect(out.findings).toContainEqual({
        severity: 'warn',
        kind: 'Certificate',
        namespace: 'web',
        name: 'odd',
        reason: 'Malformed',
        message: 'not checked: the API answered it in a shape homelab cannot read (spec.dnsNames: Invalid input: expected array, received string)',
      });
    } finally {
      await s.sandbox.stop();
    }
  });

  it('says what it looked for when cert-manager has no Certificates', async () => {
    const s = await startSandboxEnv({ scenarioData: { ...troubleScenario(), objects: [] } });
    try {
      const all = await certs(s);
      expect(all.summary).toEqual({ verdict: 'ok', line: 'no Certificates in any namespace (cert-manager.io/v1 is served): nothing to check' });
      const scoped = (await certs(s, { namespace: 'web' })).output;
      expect(scoped).toMatchObject({
        installed: true,
        verdict: 'ok',
        note: 'no Certificates in namespace web (cert-manager.io/v1 is served): nothing to check',
      });
    } finally {
      await s.sandbox.stop();
    }
  });
});
