/** The add-on APIs (Flux, cert-manager, External Secrets, Tailscale), their data and their simulated controllers. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type KubeObject, type Sandbox } from '@homelab/sandbox';
import { api, hasKubectl, kubectl } from './helpers.js';

const MERGE = 'application/merge-patch+json';
const rec = (v: unknown): Record<string, unknown> => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
const conds = (o: KubeObject | undefined): Record<string, unknown>[] => (rec(o?.status).conditions as Record<string, unknown>[] | undefined) ?? [];
const cond = (o: KubeObject | undefined, type: string): Record<string, unknown> | undefined => conds(o).find((c) => c.type === type);

async function until<T>(fn: () => T | undefined | false, ms = 3000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('pi-homelab add-ons', () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await startSandbox({ delays: { job: 200 } });
  });
  afterAll(async () => {
    await sb?.stop();
  });

  describe('discovery', () => {
    it('serves the Flux groups at their current versions only', async () => {
      const groups = (await api(sb, 'GET', '/apis')).json() as {
        groups: { name: string; versions: { version: string }[]; preferredVersion: { version: string } }[];
      };
      const versions = (g: string): string[] | undefined => groups.groups.find((x) => x.name === g)?.versions.map((v) => v.version);
      expect(versions('kustomize.toolkit.fluxcd.io')).toEqual(['v1']);
      expect(versions('helm.toolkit.fluxcd.io')).toEqual(['v2']);
      expect(versions('source.toolkit.fluxcd.io')).toEqual(['v1']);
      expect(versions('image.toolkit.fluxcd.io')).toEqual(['v1']);
      expect(versions('cert-manager.io')).toEqual(['v1']);
      expect(versions('acme.cert-manager.io')).toEqual(['v1']);
      expect(versions('external-secrets.io')).toEqual(['v1']);
      expect(versions('tailscale.com')).toEqual(['v1alpha1']);
      for (const p of [
        '/apis/source.toolkit.fluxcd.io/v1beta2',
        '/apis/image.toolkit.fluxcd.io/v1beta2/namespaces/flux-system/imagepolicies',
        '/apis/kustomize.toolkit.fluxcd.io/v1beta2',
        '/apis/helm.toolkit.fluxcd.io/v2beta1',
        '/apis/external-secrets.io/v1beta1/externalsecrets',
      ]) {
        expect((await api(sb, 'GET', p)).status, p).toBe(404);
      }
      const src = (await api(sb, 'GET', '/apis/source.toolkit.fluxcd.io/v1')).json() as {
        resources: { name: string; namespaced: boolean; shortNames?: string[] }[];
      };
      expect(src.resources.map((r) => r.name)).toEqual(
        expect.arrayContaining(['gitrepositories', 'helmrepositories', 'helmcharts', 'ocirepositories', 'buckets', 'helmcharts/status']),
      );
      const cm = (await api(sb, 'GET', '/apis/cert-manager.io/v1')).json() as { resources: { name: string; namespaced: boolean; shortNames?: string[] }[] };
      expect(cm.resources.find((r) => r.name === 'clusterissuers')?.namespaced).toBe(false);
      expect(cm.resources.find((r) => r.name === 'certificates')?.shortNames).toEqual(['cert', 'certs']);
    });

    it('serves batch, networking and core secrets', async () => {
      expect((await api(sb, 'GET', '/apis/batch/v1/cronjobs')).status).toBe(200);
      expect((await api(sb, 'GET', '/apis/networking.k8s.io/v1/ingressclasses')).status).toBe(200);
      const secrets = (await api(sb, 'GET', '/api/v1/namespaces/jellyfin/secrets')).json() as { items: KubeObject[] };
      expect(secrets.items.map((s) => s.metadata.name)).toContain('jellyfin-tls');
    });
  });

  describe('data', () => {
    it('has 27 ready Kustomizations on the Git revision and 7 HelmReleases with immich stuck', () => {
      const ks = sb.store.list('kustomizations');
      expect(ks).toHaveLength(27);
      const git = sb.store.get('gitrepositories', 'flux-system', 'flux-system');
      const rev = String(rec(rec(git?.status).artifact).revision);
      expect(rev).toMatch(/^main@sha1:[0-9a-f]{40}$/);
      for (const k of ks.filter((x) => rec(x.spec).sourceRef && rec(rec(x.spec).sourceRef).kind === 'GitRepository')) {
        expect(cond(k, 'Ready')).toMatchObject({ status: 'True', reason: 'ReconciliationSucceeded', message: `Applied revision: ${rev}` });
        expect(rec(k.status).lastAppliedRevision).toBe(rev);
        expect(rec(k.status).observedGeneration).toBe(k.metadata.generation);
      }
      const hrs = sb.store.list('helmreleases');
      expect(hrs).toHaveLength(7);
      const immich = sb.store.get('helmreleases', 'immich', 'immich');
      expect(cond(immich, 'Ready')).toMatchObject({ status: 'False', message: 'upgrade retries exhausted' });
      expect(cond(immich, 'Stalled')).toMatchObject({ status: 'True', reason: 'RetriesExceeded', message: 'Failed to upgrade after 4 attempt(s)' });
      expect(cond(immich, 'Released')?.message).toBe('Helm upgrade failed for release immich/immich with chart immich@0.9.3: context deadline exceeded');
      expect(rec(immich?.status).upgradeFailures).toBe(4);
      expect((rec(immich?.status).history as Record<string, unknown>[])[0]?.status).toBe('failed');
      const since = Date.now() - Date.parse(String(cond(immich, 'Ready')?.lastTransitionTime));
      expect(Math.round(since / 86400_000)).toBe(16);
      for (const h of hrs.filter((x) => x.metadata.name !== 'immich')) expect(cond(h, 'Ready')?.status).toBe('True');
      expect(sb.store.get('helmcharts', 'flux-system', 'immich-immich')).toBeDefined();
      const repo = sb.store.get('imagerepositories', 'tailscale', 'private-exit-node');
      expect(cond(repo, 'Ready')?.message).toContain('UNAUTHORIZED: authentication required');
      expect(rec(repo?.spec).secretRef).toBeUndefined();
    });

    it('has seven TLS ingresses, six certificates (one renewing within 10 days) and one missing secret', () => {
      const ings = sb.store.list('ingresses');
      expect(ings).toHaveLength(7);
      const missing = ings.filter((i) => {
        const tls = (rec(i.spec).tls as { secretName: string }[])[0];
        return !sb.store.get('secrets', i.metadata.namespace, tls?.secretName ?? '');
      });
      expect(missing.map((i) => i.metadata.name)).toEqual(['vaultwarden']);
      const certs = sb.store.list('certificates');
      expect(certs).toHaveLength(6);
      expect(certs.every((c) => cond(c, 'Ready')?.status === 'True')).toBe(true);
      const soon = certs.filter((c) => Date.parse(String(rec(c.status).notAfter)) - Date.now() < 10 * 86400_000);
      expect(soon.map((c) => c.metadata.name)).toEqual(['immich-tls']);
      expect(sb.store.get('secrets', 'jellyfin', 'jellyfin-tls')?.type).toBe('kubernetes.io/tls');
    });

    it('has synced ExternalSecrets with their Secrets, backups and a ready exit node', () => {
      const es = sb.store.list('externalsecrets');
      expect(es.length).toBeGreaterThanOrEqual(5);
      for (const e of es) {
        expect(cond(e, 'Ready')).toMatchObject({ status: 'True', reason: 'SecretSynced' });
        expect(rec(e.status).syncedResourceVersion).toMatch(/^1-[0-9a-f]{32}$/);
        expect(sb.store.get('secrets', e.metadata.namespace, String(rec(rec(e.spec).target).name))).toBeDefined();
      }
      const teleporter = sb.store
        .list('jobs', 'backups')
        .filter((j) => j.metadata.ownerReferences?.[0]?.name === 'pihole-teleporter')
        .sort((a, b) => String(rec(b.status).startTime).localeCompare(String(rec(a.status).startTime)))[0];
      expect(cond(teleporter, 'Failed')?.reason).toBe('BackoffLimitExceeded');
      const stale = sb.store.get('cronjobs', 'paperless', 'paperless-export');
      expect(Date.now() - Date.parse(String(rec(stale?.status).lastSuccessfulTime))).toBeGreaterThan(2 * 86400_000);
      const cn = sb.store.get('connectors', undefined, 'exit-node');
      expect(cond(cn, 'ConnectorReady')).toMatchObject({ status: 'True', reason: 'ConnectorCreated' });
      expect(rec(cn?.status).isExitNode).toBe(true);
    });
  });

  describe.skipIf(!hasKubectl)('kubectl', () => {
    it('gets kustomizations, helmreleases and certificates with the CRD columns', async () => {
      const ks = await kubectl(sb, ['get', 'kustomizations', '-A']);
      expect(ks.stderr).toBe('');
      expect(ks.stdout.split('\n')[0]).toMatch(/^NAMESPACE\s+NAME\s+AGE\s+READY\s+STATUS$/);
      expect(ks.stdout).toMatch(/^flux-system\s+apps-immich\s+250d\s+True\s+Applied revision: main@sha1:[0-9a-f]{40}$/m);
      const hr = await kubectl(sb, ['get', 'hr', '-A']);
      expect(hr.stdout).toMatch(/^immich\s+immich\s+250d\s+False\s+upgrade retries exhausted$/m);
      const certs = await kubectl(sb, ['get', 'certificates', '-A']);
      expect(certs.stdout.split('\n')[0]).toMatch(/^NAMESPACE\s+NAME\s+READY\s+SECRET\s+AGE$/);
      expect(certs.stdout).toMatch(/^jellyfin\s+jellyfin-tls\s+True\s+jellyfin-tls\s+390d$/m);
    });
  });

  describe('controllers', () => {
    it("handles a requestedAt on a Kustomization, keeping its Ready condition's transition time", async () => {
      const token = new Date().toISOString().replace('Z', '123456Z');
      const p = '/apis/kustomize.toolkit.fluxcd.io/v1/namespaces/flux-system/kustomizations/apps-jellyfin';
      const before = sb.store.get('kustomizations', 'flux-system', 'apps-jellyfin');
      const r = await api(sb, 'PATCH', p, { contentType: MERGE, body: { metadata: { annotations: { 'reconcile.fluxcd.io/requestedAt': token } } } });
      expect(r.status).toBe(200);
      const after = await until(() => {
        const k = sb.store.get('kustomizations', 'flux-system', 'apps-jellyfin');
        return rec(k?.status).lastHandledReconcileAt === token && k;
      });
      expect(cond(after, 'Ready')?.lastTransitionTime).toBe(cond(before, 'Ready')?.lastTransitionTime);
      expect(rec(after.status).observedGeneration).toBe(after.metadata.generation);
    });

    it('keeps a failing ImageRepository failing after a reconcile request', async () => {
      const token = `${Date.now()}`;
      await api(sb, 'PATCH', '/apis/image.toolkit.fluxcd.io/v1/namespaces/tailscale/imagerepositories/private-exit-node', {
        contentType: MERGE,
        body: { metadata: { annotations: { 'reconcile.fluxcd.io/requestedAt': token } } },
      });
      const repo = await until(() => {
        const o = sb.store.get('imagerepositories', 'tailscale', 'private-exit-node');
        return rec(o?.status).lastHandledReconcileAt === token && o;
      });
      expect(cond(repo, 'Ready')).toMatchObject({ status: 'False', reason: 'ReadOperationFailed' });
    });

    it('leaves the stuck HelmRelease stuck on a plain reconcile, and heals it on suspend then resume', async () => {
      const p = '/apis/helm.toolkit.fluxcd.io/v2/namespaces/immich/helmreleases/immich';
      const token = `${Date.now()}`;
      await api(sb, 'PATCH', p, { contentType: MERGE, body: { metadata: { annotations: { 'reconcile.fluxcd.io/requestedAt': token } } } });
      const still = await until(() => {
        const o = sb.store.get('helmreleases', 'immich', 'immich');
        return rec(o?.status).lastHandledReconcileAt === token && o;
      });
      expect(cond(still, 'Stalled')?.status).toBe('True');

      expect((await api(sb, 'PATCH', p, { contentType: MERGE, body: { spec: { suspend: true } } })).status).toBe(200);
      await new Promise((r) => setTimeout(r, 400));
      expect(cond(sb.store.get('helmreleases', 'immich', 'immich'), 'Ready')?.status).toBe('False');
      const token2 = `${Date.now()}`;
      await api(sb, 'PATCH', p, {
        contentType: MERGE,
        body: { metadata: { annotations: { 'reconcile.fluxcd.io/requestedAt': token2 } }, spec: { suspend: null } },
      });
      const healed = await until(() => {
        const o = sb.store.get('helmreleases', 'immich', 'immich');
        return cond(o, 'Ready')?.status === 'True' && o;
      });
      const st = rec(healed.status);
      expect(cond(healed, 'Ready')).toMatchObject({
        reason: 'UpgradeSucceeded',
        message: expect.stringMatching(/^Helm upgrade succeeded for release immich\/immich\.v24 with chart immich@0\.9\.3$/),
      });
      expect(cond(healed, 'Stalled')).toBeUndefined();
      expect(st.upgradeFailures ?? 0).toBe(0);
      expect((st.history as Record<string, unknown>[])[0]).toMatchObject({ status: 'deployed', chartVersion: '0.9.3', version: 24 });
      expect(st.lastHandledReconcileAt).toBe(token2);
      expect(st.observedGeneration).toBe(healed.metadata.generation);
    });

    it('runs a Job created from a CronJob to Complete', async () => {
      const cj = sb.store.get('cronjobs', 'backups', 'immich-db-backup') as KubeObject;
      const tpl = rec(rec(cj.spec).jobTemplate);
      const body = {
        apiVersion: 'batch/v1',
        kind: 'Job',
        metadata: {
          name: 'immich-db-backup-manual-x7k2p',
          namespace: 'backups',
          annotations: { 'cronjob.kubernetes.io/instantiate': 'manual' },
          ownerReferences: [{ apiVersion: 'batch/v1', kind: 'CronJob', name: 'immich-db-backup', uid: cj.metadata.uid, controller: true }],
        },
        spec: tpl.spec,
      };
      expect((await api(sb, 'POST', '/apis/batch/v1/namespaces/backups/jobs', { body })).status).toBe(201);
      const pod = await until(() => sb.store.list('pods', 'backups').find((p) => p.metadata.labels?.['job-name'] === 'immich-db-backup-manual-x7k2p'));
      expect(rec(pod.status).phase).toBe('Running');
      const job = await until(() => {
        const j = sb.store.get('jobs', 'backups', 'immich-db-backup-manual-x7k2p');
        return cond(j, 'Complete')?.status === 'True' && j;
      });
      expect(rec(job.status)).toMatchObject({ succeeded: 1, completionTime: expect.any(String), startTime: expect.any(String) });
      expect(rec(sb.store.get('pods', 'backups', pod.metadata.name ?? '')?.status).phase).toBe('Succeeded');
      const after = sb.store.get('cronjobs', 'backups', 'immich-db-backup');
      expect(rec(after?.status).lastSuccessfulTime).toBe(rec(job.status).completionTime);
      expect(rec(after?.status).active).toBeUndefined();
    });

    it('refreshes an ExternalSecret on a force-sync annotation, but not a CreatedOnce one', async () => {
      const before = sb.store.get('externalsecrets', 'immich', 'immich-db');
      const requested = Math.floor(Date.now() / 1000) * 1000; // refreshTime has whole seconds
      await api(sb, 'PATCH', '/apis/external-secrets.io/v1/namespaces/immich/externalsecrets/immich-db', {
        contentType: MERGE,
        body: { metadata: { annotations: { 'force-sync': `${Date.now()}` } } },
      });
      const after = await until(() => {
        const o = sb.store.get('externalsecrets', 'immich', 'immich-db');
        return rec(o?.status).refreshTime !== rec(before?.status).refreshTime && o;
      });
      // Refreshed on the request: a refreshTime at or after it, never a stored or made-up one.
      expect(Date.parse(String(rec(after.status).refreshTime))).toBeGreaterThanOrEqual(requested);
      expect(rec(after.status).syncedResourceVersion).not.toBe(rec(before?.status).syncedResourceVersion);

      const once = sb.store.get('externalsecrets', 'vaultwarden', 'vaultwarden-admin-token');
      await api(sb, 'PATCH', '/apis/external-secrets.io/v1/namespaces/vaultwarden/externalsecrets/vaultwarden-admin-token', {
        contentType: MERGE,
        body: { metadata: { annotations: { 'force-sync': '1' } } },
      });
      await new Promise((r) => setTimeout(r, 400));
      expect(rec(sb.store.get('externalsecrets', 'vaultwarden', 'vaultwarden-admin-token')?.status).refreshTime).toBe(rec(once?.status).refreshTime);
    });
  });
});

describe('other scenarios', () => {
  it('eso-v1beta1 serves External Secrets only as v1beta1, with one failing', async () => {
    const sb = await startSandbox({ scenario: 'eso-v1beta1' });
    try {
      expect((await api(sb, 'GET', '/apis/external-secrets.io/v1/externalsecrets')).status).toBe(404);
      const list = (await api(sb, 'GET', '/apis/external-secrets.io/v1beta1/externalsecrets')).json() as { items: KubeObject[] };
      expect(list.items.map((e) => e.metadata.name)).toEqual(['nextcloud-db', 'nextcloud-smtp']);
      expect(list.items.every((e) => e.apiVersion === 'external-secrets.io/v1beta1')).toBe(true);
      expect(cond(list.items[1], 'Ready')).toMatchObject({ status: 'False', reason: 'SecretSyncedError' });
      const events = sb.store.list('events', 'apps').filter((e) => e.reason === 'UpdateFailed');
      expect(String(events[0]?.message)).toContain('permission denied');
      expect(sb.store.list('secretstores')).toHaveLength(1);
    } finally {
      await sb.stop();
    }
  });

  it('no-flux serves no add-on groups and has one backup CronJob', async () => {
    const sb = await startSandbox({ scenario: 'no-flux' });
    try {
      const groups = ((await api(sb, 'GET', '/apis')).json() as { groups: { name: string }[] }).groups.map((g) => g.name);
      expect(groups.filter((g) => /fluxcd|cert-manager|external-secrets|tailscale/.test(g))).toEqual([]);
      expect((await api(sb, 'GET', '/apis/kustomize.toolkit.fluxcd.io/v1/kustomizations')).status).toBe(404);
      expect(sb.store.list('cronjobs').map((c) => c.metadata.name)).toEqual(['mariadb-backup']);
    } finally {
      await sb.stop();
    }
  });
});
