import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import type { Scenario } from '@homelab/sandbox';
import { runCli } from '../helpers/cli.js';
import { stdioClient } from '../helpers/mcp.js';
import { startSandboxEnv, type SandboxEnv } from '../helpers/sandbox.js';

interface Finding { severity: string; kind: string; namespace?: string; name: string; reason: string; message: string }
interface SecretsJson {
  installed: boolean;
  version?: string;
  note?: string;
  verdict: 'ok' | 'warn' | 'crit';
  summary: string;
  externalSecrets: Array<{ namespace: string; name: string; ready: string; reason?: string; refreshTime?: string; refreshInterval: string; refreshPolicy?: string; store: { kind: string; name: string }; stale: boolean }>;
  stores: Array<{ kind: string; namespace?: string; name: string; ready: string; reason?: string; provider?: string }>;
  findings: Finding[];
}
interface RefreshJson { namespace: string; name: string; version: string; forceSync: string; waited: boolean; refreshed: boolean; previousRefreshTime?: string; refreshTime?: string; ready: string; reason?: string; message?: string; failure?: string }
interface StoredEvent { reason: string; count: number; lastTimestamp: string; message: string; involvedObject: { name: string } }
interface EsObject { metadata: { annotations?: Record<string, string> }; status: { refreshTime?: string } }

const EXIT = { ok: 0, warn: 1, crit: 2 } as const;

/** The sandbox's own config plus what a test needs; passed with --config as a user would. */
async function configWith(s: SandboxEnv, name: string, extra: Record<string, unknown>): Promise<string> {
  const config = parse(await readFile(s.sandbox.configPath, 'utf8')) as Record<string, unknown> | null;
  const path = join(s.sandbox.dir, name);
  await writeFile(path, stringify({ ...(config ?? {}), ...extra }));
  return path;
}

/** A controller that stopped: Ready, but refreshed long ago; a store whose credentials broke. */
function staleScenario(): Scenario {
  const esCrd = (kind: string, plural: string, namespaced = true) => ({ group: 'external-secrets.io', versions: ['v1'], kind, plural, namespaced });
  return {
    name: 'eso-stale',
    nodes: [{ name: 'nuc', roles: ['control-plane'], ip: '192.0.2.30', cpu: '4', memory: '16Gi', arch: 'amd64' }],
    namespaces: [{ name: 'apps' }],
    apiResources: [esCrd('ExternalSecret', 'externalsecrets'), esCrd('SecretStore', 'secretstores'), esCrd('ClusterSecretStore', 'clustersecretstores', false)],
    externalSecrets: [
      { name: 'hourly', namespace: 'apps', store: 'ClusterSecretStore/onepassword', data: { token: 'app#token' }, refreshInterval: '1h', refreshed: '-3h' },
      { name: 'recent', namespace: 'apps', store: 'ClusterSecretStore/onepassword', data: { token: 'app#token' }, refreshInterval: '1h0m0s', refreshed: '-90m' },
      { name: 'once', namespace: 'apps', store: 'ClusterSecretStore/onepassword', data: { token: 'app#token' }, refreshInterval: '0s', refreshed: '-30d' },
      { name: 'on-change', namespace: 'apps', store: 'ClusterSecretStore/onepassword', data: { token: 'app#token' }, refreshPolicy: 'OnChange', refreshed: '-30d' },
      { name: 'broken', namespace: 'apps', store: 'ClusterSecretStore/onepassword', data: { token: 'app#token' }, refreshed: '-2h', error: 'unable to read item app: 401 Unauthorized' },
    ],
    objects: [
      {
        apiVersion: 'external-secrets.io/v1', kind: 'ClusterSecretStore', metadata: { name: 'onepassword', creationTimestamp: '-100d' },
        spec: { provider: { onepassword: { connectHost: 'http://onepassword-connect:8080', vaults: { homelab: 1 } } } },
        status: { conditions: [{ type: 'Ready', status: 'False', reason: 'InvalidProviderConfig', message: 'unable to validate store: 401 Unauthorized', lastTransitionTime: '-2h' }] },
      },
    ],
  };
}

describe('homelab secrets on the pi-homelab sandbox (External Secrets v1)', () => {
  let s: SandboxEnv;
  beforeAll(async () => { s = await startSandboxEnv(); });
  afterAll(async () => { await s?.sandbox.stop(); });

  it('reads external-secrets.io/v1 and lists ExternalSecrets with refresh state and store, and the stores', async () => {
    const [r, table] = await Promise.all([runCli(['secrets', '--json'], s.env), runCli(['secrets'], s.env)]);
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout) as SecretsJson;
    expect(r.code).toBe(EXIT[out.verdict]);
    expect(out).toMatchObject({ installed: true, version: 'v1' });
    const immich = out.externalSecrets.find((e) => e.namespace === 'immich' && e.name === 'immich-db');
    expect(immich).toMatchObject({ ready: 'True', reason: 'SecretSynced', refreshInterval: '1h', store: { kind: 'ClusterSecretStore', name: 'bitwarden' }, stale: false });
    expect(Date.now() - Date.parse(immich?.refreshTime ?? '')).toBeLessThan(3600_000);
    expect(out.externalSecrets.find((e) => e.name === 'vaultwarden-admin-token')).toMatchObject({ refreshPolicy: 'CreatedOnce', stale: false });
    expect(out.stores.find((st) => st.name === 'bitwarden')).toMatchObject({ kind: 'ClusterSecretStore', ready: 'True' });
    expect(out.summary).toContain('(external-secrets.io/v1)');

    expect(table.stdout.split('\n')[0]).toMatch(/^(OK|WARN|CRIT) secrets: \d+ ExternalSecrets, \d+ stores \(external-secrets\.io\/v1\)/);
    expect(table.stdout).toMatch(/immich\s+immich-db\s+SecretSynced\s+\d+m ago\s+1h\s+ClusterSecretStore\/bitwarden/);
  });

  it('refuses a refresh outside the allow-list (77), in read-only mode (77), and without --yes off a terminal (64)', async () => {
    const readOnly = await configWith(s, 'read-only.yaml', { readOnly: true, allow: { secretsRefresh: ['paperless/*'] } });
    const allowed = await configWith(s, 'allow.yaml', { allow: { secretsRefresh: ['paperless/*'] } });
    const [denied, ro, unconfirmed] = await Promise.all([
      runCli(['secrets', 'refresh', 'paperless/paperless-db', '--yes'], s.env),
      runCli(['secrets', 'refresh', 'paperless/paperless-db', '--yes', '--config', readOnly], s.env),
      runCli(['secrets', 'refresh', 'paperless/paperless-db', '--config', allowed], s.env),
    ]);
    expect(denied.code).toBe(77);
    expect(denied.stderr).toContain('paperless/paperless-db is not in the allow-list for secretsRefresh (allowed: none)');
    expect(ro.code).toBe(77);
    expect(ro.stderr).toContain('secrets_refresh changes the cluster and homelab is in read-only mode');
    expect(unconfirmed.code).toBe(64);
    expect(unconfirmed.stderr).toContain('refusing to change the cluster without confirmation: Force ExternalSecret paperless/paperless-db to fetch from its store now');
    const es = s.sandbox.store.get('externalsecrets', 'paperless', 'paperless-db') as unknown as EsObject;
    expect(es.metadata.annotations?.['force-sync']).toBeUndefined();
  });

  it('force-syncs an allowed ExternalSecret with the force-sync annotation and waits for the new refreshTime', async () => {
    const allowed = await configWith(s, 'allow-sync.yaml', { allow: { secretsRefresh: ['paperless/paperless-db', 'vaultwarden/*'] } });
    const before = s.sandbox.store.get('externalsecrets', 'paperless', 'paperless-db') as unknown as EsObject;
    const r = await runCli(['secrets', 'refresh', 'paperless/paperless-db', '--yes', '--json', '--timeout', '10s', '--config', allowed], s.env);
    expect(r.stderr).toContain('waiting for ExternalSecret paperless/paperless-db to refresh');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as RefreshJson;
    expect(out).toMatchObject({ namespace: 'paperless', name: 'paperless-db', version: 'v1', waited: true, refreshed: true, ready: 'True', previousRefreshTime: before.status.refreshTime });
    expect(Date.parse(out.refreshTime ?? '')).toBeGreaterThan(Date.parse(before.status.refreshTime ?? ''));
    expect(Math.abs(Number(out.forceSync) - Date.now() / 1000)).toBeLessThan(60);
    const after = s.sandbox.store.get('externalsecrets', 'paperless', 'paperless-db') as unknown as EsObject;
    expect(after.metadata.annotations?.['force-sync']).toBe(out.forceSync);
    expect(after.status.refreshTime).toBe(out.refreshTime);

    // A second refresh at once: the annotation still changes, and the wait ends even when the new
    // refreshTime falls in the same second as the last one (syncedResourceVersion moves).
    const human = await runCli(['secrets', 'refresh', 'paperless/paperless-db', '--yes', '--timeout', '10s', '--config', allowed], s.env);
    expect(human.stderr).not.toContain('Error');
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^refreshed ExternalSecret paperless\/paperless-db at \S+ \(was \S+\); Ready \(SecretSynced\)/);
    const again = s.sandbox.store.get('externalsecrets', 'paperless', 'paperless-db') as unknown as EsObject;
    expect(again.metadata.annotations?.['force-sync']).not.toBe(out.forceSync);

    // CreatedOnce never refreshes after the first sync: refused, and nothing is written.
    const once = await runCli(['secrets', 'refresh', 'vaultwarden/vaultwarden-admin-token', '--yes', '--config', allowed], s.env);
    expect(once.code).toBe(64);
    expect(once.stderr).toContain('refreshing ExternalSecret vaultwarden/vaultwarden-admin-token would do nothing: its refreshPolicy is CreatedOnce');
    const untouched = s.sandbox.store.get('externalsecrets', 'vaultwarden', 'vaultwarden-admin-token') as unknown as EsObject;
    expect(untouched.metadata.annotations?.['force-sync']).toBeUndefined();
  });
});

describe('homelab secrets on an older External Secrets (v1beta1 only)', () => {
  let s: SandboxEnv;
  beforeAll(async () => { s = await startSandboxEnv({ scenario: 'eso-v1beta1' }); });
  afterAll(async () => { await s?.sandbox.stop(); });

  it('discovers v1beta1, says so, and reports the ExternalSecret that fails to sync as crit (exit 2)', async () => {
    const r = await runCli(['secrets', '--json'], s.env);
    expect(r.code).toBe(2);
    const out = JSON.parse(r.stdout) as SecretsJson;
    expect(out.version).toBe('v1beta1');
    expect(out.findings).toEqual([expect.objectContaining({ severity: 'crit', kind: 'ExternalSecret', namespace: 'apps', name: 'nextcloud-smtp', reason: 'SecretSyncedError' })]);
    expect(out.externalSecrets.find((e) => e.name === 'nextcloud-db')).toMatchObject({ ready: 'True', stale: false });
    expect(out.stores).toEqual([expect.objectContaining({ kind: 'SecretStore', namespace: 'apps', name: 'vault', provider: 'vault', ready: 'True' })]);
  });

  it('answers through MCP stdio with the version read and the failing ExternalSecret', async () => {
    const mcp = await stdioClient(s.env);
    try {
      const result = await mcp.client.callTool({ name: 'secrets_status', arguments: {} });
      expect(result.isError).toBeFalsy();
      const out = result.structuredContent as unknown as SecretsJson;
      expect(out.version).toBe('v1beta1');
      expect(out.verdict).toBe('crit');
      const text = (result.content as Array<{ type: string; text: string }>).map((c) => c.text).join('\n');
      expect(text).toContain('ExternalSecret apps/nextcloud-smtp SecretSyncedError');
    } finally {
      await mcp.close();
    }
  });

  it('refreshes through v1beta1, and reports the provider\'s error as soon as the controller has tried an ExternalSecret failing at its provider', async () => {
    // Was: waited the whole --timeout, then exit 75 "is the external-secrets controller running?".
    // With --timeout 2m a wait for the timeout would outlast this test.
    const allowed = await configWith(s, 'allow.yaml', { allow: { secretsRefresh: ['apps/*'] } });
    const eventsBefore = s.sandbox.store.list('events', 'apps') as unknown as StoredEvent[];
    const countBefore = eventsBefore.find((e) => e.reason === 'UpdateFailed' && e.involvedObject.name === 'nextcloud-smtp')?.count ?? 0;
    const [okRun, failing] = await Promise.all([
      runCli(['secrets', 'refresh', 'apps/nextcloud-db', '--yes', '--json', '--config', allowed], s.env),
      runCli(['secrets', 'refresh', 'apps/nextcloud-smtp', '--yes', '--json', '--timeout', '2m', '--config', allowed], s.env),
    ]);
    expect(JSON.parse(okRun.stdout)).toMatchObject({ version: 'v1beta1', refreshed: true, ready: 'True' });
    expect(failing.code).toBe(2);
    const out = JSON.parse(failing.stdout) as RefreshJson;
    expect(out).toMatchObject({ waited: true, refreshed: false, ready: 'False', reason: 'SecretSyncedError', message: 'could not get secret data from provider' });
    expect(out.failure).toContain('cannot read secret data from Vault');
    expect(out.failure).toContain('\t* permission denied');
    // The controller did try: its UpdateFailed event repeated after the request.
    const event = (s.sandbox.store.list('events', 'apps') as unknown as StoredEvent[]).find((e) => e.reason === 'UpdateFailed' && e.involvedObject.name === 'nextcloud-smtp');
    expect(event?.count).toBeGreaterThan(countBefore);

    const human = await runCli(['secrets', 'refresh', 'apps/nextcloud-smtp', '--yes', '--timeout', '2m', '--config', allowed], s.env);
    expect(human.code).toBe(2);
    const lines = human.stdout.split('\n');
    expect(lines[0]).toBe('CRIT ExternalSecret apps/nextcloud-smtp: the sync after force-sync failed: SecretSyncedError: could not get secret data from provider');
    expect(lines[1]).toBe('Provider error:');
    expect(human.stdout).toContain('\n  \t* permission denied');
    expect(human.stderr).not.toContain('is the external-secrets controller running');

    const noWait = JSON.parse((await runCli(['secrets', 'refresh', 'apps/nextcloud-smtp', '--yes', '--no-wait', '--json', '--config', allowed], s.env)).stdout) as RefreshJson;
    expect(noWait).toMatchObject({ waited: false, refreshed: false, ready: 'False' });
  });

  it('blames the controller only when it gives no sign of handling the request, and says what failed before', async () => {
    const stopped = await startSandboxEnv({ scenario: 'eso-v1beta1', delays: { externalSecret: 600_000 } });
    try {
      const allowed = await configWith(stopped, 'allow.yaml', { allow: { secretsRefresh: ['apps/*'] } });
      const r = await runCli(['secrets', 'refresh', 'apps/nextcloud-smtp', '--yes', '--timeout', '1s', '--config', allowed], stopped.env);
      expect(r.code).toBe(75);
      expect(r.stderr).toContain('ExternalSecret apps/nextcloud-smtp was not refreshed within 1s of force-sync=');
      expect(r.stderr).toContain('no failed sync reported since): is the external-secrets controller running? It was failing before: error retrieving secret at .data[0]');
    } finally {
      await stopped.sandbox.stop();
    }
  });

  it('is an error, never "not installed", when discovery fails', async () => {
    // Was "OK External Secrets is not installed", exit 0, and a refresh said "not installed".
    const remove = s.sandbox.faults.add({ path: '/apis', status: 503 });
    try {
      const allowed = await configWith(s, 'allow.yaml', { allow: { secretsRefresh: ['apps/*'] } });
      const [status, refresh] = await Promise.all([
        runCli(['secrets'], s.env),
        runCli(['secrets', 'refresh', 'apps/nextcloud-db', '--yes', '--config', allowed], s.env),
      ]);
      for (const r of [status, refresh]) {
        expect(r.code).toBe(69);
        expect(r.stderr).toMatch(/^Error: cannot tell whether external-secrets\.io is installed: .* answered GET \/apis with 503/);
      }
    } finally {
      remove();
    }
  });
});

describe('homelab secrets: stale refreshes, broken stores, no External Secrets', () => {
  it('warns "stale" only for periodic refreshes overdue by twice the interval, and says crit for a store not Ready', async () => {
    const s = await startSandboxEnv({ scenarioData: staleScenario() });
    try {
      const allowed = await configWith(s, 'allow.yaml', { allow: { secretsRefresh: ['apps/*'] } });
      const [r, refused] = await Promise.all([runCli(['secrets', '--json'], s.env), runCli(['secrets', 'refresh', 'apps/once', '--yes', '--config', allowed], s.env)]);
      expect(r.code).toBe(2);
      const out = JSON.parse(r.stdout) as SecretsJson;
      const stale = out.findings.filter((f) => f.reason === 'Stale');
      expect(out.findings).toContainEqual(expect.objectContaining({ severity: 'crit', name: 'broken', reason: 'SecretSyncedError' }));
      expect(stale.map((f) => f.name)).toEqual(['hourly']);
      expect(stale[0]).toMatchObject({ severity: 'warn', kind: 'ExternalSecret', namespace: 'apps' });
      expect(stale[0]?.message).toMatch(/^stale: is the controller running\? last refreshed 3h ago, refreshInterval 1h$/);
      expect(out.findings.find((f) => f.kind === 'ClusterSecretStore')).toMatchObject({ severity: 'crit', name: 'onepassword', reason: 'InvalidProviderConfig', message: 'unable to validate store: 401 Unauthorized' });
      expect(out.externalSecrets.filter((e) => e.stale).map((e) => e.name)).toEqual(['hourly']);

      expect(refused.code).toBe(64);
      expect(refused.stderr).toContain('its refreshInterval is 0s (fetch once) and it has already synced');

      // Nothing will change while its store is not Ready: said at once, not after the timeout.
      const blocked = await runCli(['secrets', 'refresh', 'apps/broken', '--yes', '--json', '--timeout', '2m', '--config', allowed], s.env);
      expect(blocked.code).toBe(2);
      expect(blocked.stderr).not.toContain('waiting for');
      expect(JSON.parse(blocked.stdout)).toMatchObject({
        waited: false, refreshed: false, ready: 'False',
        failure: 'its ClusterSecretStore onepassword is not Ready (InvalidProviderConfig: unable to validate store: 401 Unauthorized): External Secrets will not sync from it until it is',
      });
      // The request is still made, so it syncs once the store is fixed.
      const es = s.sandbox.store.get('externalsecrets', 'apps', 'broken') as unknown as EsObject;
      expect(es.metadata.annotations?.['force-sync']).toBe((JSON.parse(blocked.stdout) as RefreshJson).forceSync);
    } finally {
      await s.sandbox.stop();
    }
  });

  it('lists the ExternalSecrets when the stores are refused, with a finding naming the verb', async () => {
    const s = await startSandboxEnv({ scenarioData: staleScenario(), rbac: [{ apiGroups: ['external-secrets.io'], resources: ['externalsecrets'], verbs: ['list'] }] });
    try {
      const r = await runCli(['secrets', '--json'], s.env);
      expect(r.code).toBe(2);
      const out = JSON.parse(r.stdout) as SecretsJson;
      expect(out.externalSecrets.map((e) => e.name)).toEqual(['broken', 'hourly', 'on-change', 'once', 'recent']);
      expect(out.findings.filter((f) => f.kind === 'Check').map((f) => [f.name, f.reason, f.message])).toEqual([
        ['clustersecretstores.external-secrets.io', 'Forbidden', 'forbidden: needs `list` on clustersecretstores.external-secrets.io across the cluster'],
        ['secretstores.external-secrets.io', 'Forbidden', 'forbidden: needs `list` on secretstores.external-secrets.io across the cluster'],
      ]);
    } finally {
      await s.sandbox.stop();
    }
  });

  it('reports a cluster without External Secrets as not installed (exit 0), and a refresh there as not found', async () => {
    const s = await startSandboxEnv({ scenarioData: { ...staleScenario(), apiResources: [], externalSecrets: [], objects: [] } });
    try {
      const allowed = await configWith(s, 'allow.yaml', { allow: { secretsRefresh: ['*/*'] } });
      const [r, refresh] = await Promise.all([runCli(['secrets', '--json'], s.env), runCli(['secrets', 'refresh', 'apps/x', '--yes', '--config', allowed], s.env)]);
      expect(r.code).toBe(0);
      const out = JSON.parse(r.stdout) as SecretsJson;
      expect(out).toMatchObject({ installed: false, verdict: 'ok', externalSecrets: [], findings: [] });
      expect(out.note).toContain('External Secrets is not installed');
      expect(refresh.code).toBe(66);
      expect(refresh.stderr).toContain('External Secrets is not installed');
    } finally {
      await s.sandbox.stop();
    }
  });
});
