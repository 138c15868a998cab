import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callOp, failure } from '../../helpers/ops.js';
import { startSandboxEnv, type SandboxEnv } from '../../helpers/sandbox.js';
import { staleScenario, type SecretsJson } from '../../helpers/secrets.js';

const secrets = (s: SandboxEnv) => callOp<SecretsJson>(s, 'secrets_status');

describe('secrets_status on the pi-homelab sandbox (External Secrets v1)', () => {
  let s: SandboxEnv;
  beforeAll(async () => {
    s = await startSandboxEnv();
  });
  afterAll(async () => {
    await s?.sandbox.stop();
  });

  it('reads external-secrets.io/v1 and lists ExternalSecrets with refresh state and store, and the stores', async () => {
    const { output: out, summary, log } = await secrets(s);
    expect(log).toEqual([]);
    expect(summary?.verdict).toBe(out.verdict);
    expect(out).toMatchObject({ installed: true, version: 'v1' });
    const immich = out.externalSecrets.find((e) => e.namespace === 'immich' && e.name === 'immich-db');
    expect(immich).toMatchObject({
      ready: 'True',
      reason: 'SecretSynced',
      refreshInterval: '1h',
      store: { kind: 'ClusterSecretStore', name: 'bitwarden' },
      stale: false,
    });
    // Refreshed within its hour: the sandbox's clock is now, as the controller's would be.
    expect(Date.now() - Date.parse(immich?.refreshTime ?? '')).toBeLessThan(3600_000);
    expect(out.externalSecrets.find((e) => e.name === 'vaultwarden-admin-token')).toMatchObject({ refreshPolicy: 'CreatedOnce', stale: false });
    expect(out.stores.find((st) => st.name === 'bitwarden')).toMatchObject({ kind: 'ClusterSecretStore', ready: 'True' });
    expect(out.summary).toContain('(external-secrets.io/v1)');
  });
});

describe('secrets_status on an older External Secrets (v1beta1 only)', () => {
  let s: SandboxEnv;
  beforeAll(async () => {
    s = await startSandboxEnv({ scenario: 'eso-v1beta1' });
  });
  afterAll(async () => {
    await s?.sandbox.stop();
  });

  it('discovers v1beta1, says so, and reports the ExternalSecret that fails to sync as crit', async () => {
    const { output: out, summary } = await secrets(s);
    expect(summary?.verdict).toBe('crit');
    expect(out.version).toBe('v1beta1');
    expect(out.findings).toEqual([
      expect.objectContaining({ severity: 'crit', kind: 'ExternalSecret', namespace: 'apps', name: 'nextcloud-smtp', reason: 'SecretSyncedError' }),
    ]);
    expect(out.externalSecrets.find((e) => e.name === 'nextcloud-db')).toMatchObject({ ready: 'True', stale: false });
    expect(out.stores).toEqual([expect.objectContaining({ kind: 'SecretStore', namespace: 'apps', name: 'vault', provider: 'vault', ready: 'True' })]);
  });

  it('is an error (69), never "not installed", when discovery fails', async () => {
    // Was "OK External Secrets is not installed", exit 0.
    const remove = s.sandbox.faults.add({ path: '/apis', status: 503 });
    try {
      const err = await failure(secrets(s));
      expect(err.exitCode).toBe(69);
      expect(err.said).toMatch(/^cannot tell whether external-secrets\.io is installed: .* answered GET \/apis with 503/);
    } finally {
      remove();
    }
  });
});

describe('secrets_status: stale refreshes, broken stores, no External Secrets', () => {
  it('warns "stale" only for periodic refreshes overdue by twice the interval, and says crit for a store not Ready', async () => {
    const s = await startSandboxEnv({ scenarioData: staleScenario() });
    try {
      const { output: out, summary } = await secrets(s);
      expect(summary?.verdict).toBe('crit');
      const stale = out.findings.filter((f) => f.reason === 'Stale');
      expect(out.findings).toContainEqual(expect.objectContaining({ severity: 'crit', name: 'broken', reason: 'SecretSyncedError' }));
      expect(stale.map((f) => f.name)).toEqual(['hourly']);
      expect(stale[0]).toMatchObject({ severity: 'warn', kind: 'ExternalSecret', namespace: 'apps' });
      expect(stale[0]?.message).toMatch(/^stale: is the controller running\? last refreshed 3h ago, refreshInterval 1h$/);
      expect(out.findings.find((f) => f.kind === 'ClusterSecretStore')).toMatchObject({
        severity: 'crit',
        name: 'onepassword',
        reason: 'InvalidProviderConfig',
        message: 'unable to validate store: 401 Unauthorized',
      });
      expect(out.externalSecrets.filter((e) => e.stale).map((e) => e.name)).toEqual(['hourly']);
    } finally {
      await s.sandbox.stop();
    }
  });

  it('lists the ExternalSecrets when the stores are refused, with a finding naming the verb', async () => {
    const s = await startSandboxEnv({
      scenarioData: staleScenario(),
      rbac: [{ apiGroups: ['external-secrets.io'], resources: ['externalsecrets'], verbs: ['list'] }],
    });
    try {
      const { output: out, summary } = await secrets(s);
      expect(summary?.verdict).toBe('crit');
      expect(out.externalSecrets.map((e) => e.name)).toEqual(['broken', 'hourly', 'on-change', 'once', 'recent']);
      expect(out.findings.filter((f) => f.kind === 'Check').map((f) => [f.name, f.reason, f.message])).toEqual([
        ['clustersecretstores.external-secrets.io', 'Forbidden', 'forbidden: needs `list` on clustersecretstores.external-secrets.io across the cluster'],
        ['secretstores.external-secrets.io', 'Forbidden', 'forbidden: needs `list` on secretstores.external-secrets.io across the cluster'],
      ]);
    } finally {
      await s.sandbox.stop();
    }
  });

  it('reports a cluster without External Secrets as not installed, ok', async () => {
    const s = await startSandboxEnv({ scenarioData: { ...staleScenario(), apiResources: [], externalSecrets: [], objects: [] } });
    try {
      const { output: out, summary } = await secrets(s);
      expect(summary?.verdict).toBe('ok');
      expect(out).toMatchObject({ installed: false, verdict: 'ok', externalSecrets: [], findings: [] });
      expect(out.note).toContain('External Secrets is not installed');
    } finally {
      await s.sandbox.stop();
    }
  });
});
