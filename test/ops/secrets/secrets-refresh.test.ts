import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configWith } from '../../helpers/config.js';
import { callOp, failure } from '../../helpers/ops.js';
import { startSandboxEnv, type SandboxEnv } from '../../helpers/sandbox.js';
import { staleScenario, type EsObject, type RefreshJson, type StoredEvent } from '../../helpers/secrets.js';

const refresh = (s: SandboxEnv, input: Record<string, unknown>, config?: string) => callOp<RefreshJson>(s, 'secrets_refresh', input, { config });

describe('secrets_refresh on the pi-homelab sandbox (External Secrets v1)', () => {
  let s: SandboxEnv;
  beforeAll(async () => {
    s = await startSandboxEnv();
  });
  afterAll(async () => {
    await s?.sandbox.stop();
  });
  const stored = (ns: string, name: string) => s.sandbox.store.get('externalsecrets', ns, name) as unknown as EsObject;

  it('refuses a refresh outside the allow-list (77) and in read-only mode (77), writing nothing', async () => {
    const readOnly = await configWith(s.sandbox, 'read-only', { readOnly: true, allow: { secretsRefresh: ['paperless/*'] } });
    const denied = await failure(refresh(s, { externalSecret: 'paperless/paperless-db' }));
    expect(denied.exitCode).toBe(77);
    expect(denied.said).toContain('paperless/paperless-db is not in the allow-list for secretsRefresh (allowed: none)');
    const ro = await failure(refresh(s, { externalSecret: 'paperless/paperless-db' }, readOnly));
    expect(ro.exitCode).toBe(77);
    expect(ro.said).toContain('secrets_refresh changes the cluster and homelab is in read-only mode');
    expect(stored('paperless', 'paperless-db').metadata.annotations?.['force-sync']).toBeUndefined();
  });

  it('force-syncs an allowed ExternalSecret with the force-sync annotation and waits for the new refreshTime; at once again; never a CreatedOnce one', async () => {
    const allowed = await configWith(s.sandbox, 'allow-sync', { allow: { secretsRefresh: ['paperless/paperless-db', 'vaultwarden/*'] } });
    const before = stored('paperless', 'paperless-db');
    const requested = Math.floor(Date.now() / 1000);
    const { output: out, summary, log } = await refresh(s, { externalSecret: 'paperless/paperless-db', timeout: '10s' }, allowed);
    const answered = Date.now() / 1000;
    expect(log.join('\n')).toContain('waiting for ExternalSecret paperless/paperless-db to refresh');
    expect(summary?.verdict).toBe('ok');
    expect(out).toMatchObject({
      namespace: 'paperless',
      name: 'paperless-db',
      version: 'v1',
      waited: true,
      refreshed: true,
      ready: 'True',
      previousRefreshTime: before.status.refreshTime,
    });
    expect(Date.parse(out.refreshTime ?? '')).toBeGreaterThan(Date.parse(before.status.refreshTime ?? ''));
    // force-sync is the time of the request, in seconds (what kubectl annotate … force-sync=$(date +%s) writes).
    expect(Number(out.forceSync)).toBeGreaterThanOrEqual(requested);
    expect(Number(out.forceSync)).toBeLessThanOrEqual(answered);
    const after = stored('paperless', 'paperless-db');
    expect(after.metadata.annotations?.['force-sync']).toBe(out.forceSync);
    expect(after.status.refreshTime).toBe(out.refreshTime);

    // A second refresh at once: the annotation still changes, and the wait ends even when the new
    // refreshTime falls in the same second as the last one (syncedResourceVersion moves).
    const again = await refresh(s, { externalSecret: 'paperless/paperless-db', timeout: '10s' }, allowed);
    expect(again.summary?.verdict).toBe('ok');
    expect(again.output).toMatchObject({ refreshed: true, ready: 'True' });
    expect(stored('paperless', 'paperless-db').metadata.annotations?.['force-sync']).not.toBe(out.forceSync);

    // CreatedOnce never refreshes after the first sync: refused, and nothing is written.
    const once = await failure(refresh(s, { externalSecret: 'vaultwarden/vaultwarden-admin-token' }, allowed));
    expect(once.exitCode).toBe(64);
    expect(once.said).toContain('refreshing ExternalSecret vaultwarden/vaultwarden-admin-token would do nothing: its refreshPolicy is CreatedOnce');
    expect(stored('vaultwarden', 'vaultwarden-admin-token').metadata.annotations?.['force-sync']).toBeUndefined();
  });
});

describe('secrets_refresh on an older External Secrets (v1beta1 only)', () => {
  let s: SandboxEnv;
  let allowed: string;
  beforeAll(async () => {
    s = await startSandboxEnv({ scenario: 'eso-v1beta1' });
    allowed = await configWith(s.sandbox, 'allow', { allow: { secretsRefresh: ['apps/*'] } });
  });
  afterAll(async () => {
    await s?.sandbox.stop();
  });

  it("refreshes through v1beta1, and reports the provider's error as soon as the controller has tried an ExternalSecret failing at its provider", async () => {
    // Was: waited the whole timeout, then exit 75 "is the external-secrets controller running?".
    // With a timeout of 2m a wait for the timeout would outlast this test.
    const eventsBefore = s.sandbox.store.list('events', 'apps') as unknown as StoredEvent[];
    const countBefore = eventsBefore.find((e) => e.reason === 'UpdateFailed' && e.involvedObject.name === 'nextcloud-smtp')?.count ?? 0;
    const [ok, failing] = await Promise.all([
      refresh(s, { externalSecret: 'apps/nextcloud-db' }, allowed),
      refresh(s, { externalSecret: 'apps/nextcloud-smtp', timeout: '2m' }, allowed),
    ]);
    expect(ok.output).toMatchObject({ version: 'v1beta1', refreshed: true, ready: 'True' });
    expect(failing.summary?.verdict).toBe('crit');
    expect(failing.output).toMatchObject({
      waited: true,
      refreshed: false,
      ready: 'False',
      reason: 'SecretSyncedError',
      message: 'could not get secret data from provider',
    });
    expect(failing.output.failure).toContain('cannot read secret data from Vault');
    expect(failing.output.failure).toContain('\t* permission denied');
    expect(failing.log.join('\n')).not.toContain('is the external-secrets controller running');
    // The controller did try: its UpdateFailed event repeated after the request.
    const event = (s.sandbox.store.list('events', 'apps') as unknown as StoredEvent[]).find(
      (e) => e.reason === 'UpdateFailed' && e.involvedObject.name === 'nextcloud-smtp',
    );
    expect(event?.count).toBeGreaterThan(countBefore);

    const noWait = (await refresh(s, { externalSecret: 'apps/nextcloud-smtp', wait: false }, allowed)).output;
    expect(noWait).toMatchObject({ waited: false, refreshed: false, ready: 'False' });
  });

  it('is an error (69), never "not installed", when discovery fails', async () => {
    // Was: a refresh said "not installed".
    const remove = s.sandbox.faults.add({ path: '/apis', status: 503 });
    try {
      const err = await failure(refresh(s, { externalSecret: 'apps/nextcloud-db' }, allowed));
      expect(err.exitCode).toBe(69);
      expect(err.said).toMatch(/^cannot tell whether external-secrets\.io is installed: .* answered GET \/apis with 503/);
    } finally {
      remove();
    }
  });
});

describe('secrets_refresh when the controller does not answer', () => {
  let stopped: SandboxEnv;
  beforeAll(async () => {
    stopped = await startSandboxEnv({ scenario: 'eso-v1beta1', delays: { externalSecret: 600_000 } });
  });
  afterAll(async () => {
    await stopped?.sandbox.stop();
  });

  it('blames the controller only when it gives no sign of handling the request, and says what failed before (75)', async () => {
    const allowed = await configWith(stopped.sandbox, 'allow', { allow: { secretsRefresh: ['apps/*'] } });
    const err = await failure(refresh(stopped, { externalSecret: 'apps/nextcloud-smtp', timeout: '1s' }, allowed));
    expect(err.exitCode).toBe(75);
    expect(err.said).toContain('ExternalSecret apps/nextcloud-smtp was not refreshed within 1s of force-sync=');
    expect(err.said).toContain(
      'no failed sync reported since): is the external-secrets controller running? It was failing before: error retrieving secret at .data[0]',
    );
  });
});

describe('secrets_refresh: stale refreshes, broken stores, no External Secrets', () => {
  it('refuses to refresh a fetch-once secret that has synced (64); says at once that a store not Ready blocks it, and still asks', async () => {
    const s = await startSandboxEnv({ scenarioData: staleScenario() });
    try {
      const allowed = await configWith(s.sandbox, 'allow', { allow: { secretsRefresh: ['apps/*'] } });
      const refused = await failure(refresh(s, { externalSecret: 'apps/once' }, allowed));
      expect(refused.exitCode).toBe(64);
      expect(refused.said).toContain('its refreshInterval is 0s (fetch once) and it has already synced');

      // Nothing will change while its store is not Ready: said at once, not after the timeout.
      const blocked = await refresh(s, { externalSecret: 'apps/broken', timeout: '2m' }, allowed);
      expect(blocked.summary?.verdict).toBe('crit');
      expect(blocked.log.join('\n')).not.toContain('waiting for');
      expect(blocked.output).toMatchObject({
        waited: false,
        refreshed: false,
        ready: 'False',
        failure:
          'its ClusterSecretStore onepassword is not Ready (InvalidProviderConfig: unable to validate store: 401 Unauthorized): External Secrets will not sync from it until it is',
      });
      // The request is still made, so it syncs once the store is fixed.
      const es = s.sandbox.store.get('externalsecrets', 'apps', 'broken') as unknown as EsObject;
      expect(es.metadata.annotations?.['force-sync']).toBe(blocked.output.forceSync);
    } finally {
      await s.sandbox.stop();
    }
  });

  it('says an ExternalSecret cannot be found on a cluster without External Secrets (66)', async () => {
    const s = await startSandboxEnv({ scenarioData: { ...staleScenario(), apiResources: [], externalSecrets: [], objects: [] } });
    try {
      const allowed = await configWith(s.sandbox, 'allow', { allow: { secretsRefresh: ['*/*'] } });
      const err = await failure(refresh(s, { externalSecret: 'apps/x' }, allowed));
      expect(err.exitCode).toBe(66);
      expect(err.said).toContain('External Secrets is not installed');
    } finally {
      await s.sandbox.stop();
    }
  });
});
