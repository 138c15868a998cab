/** @kubernetes/client-node, unchanged, against the sandbox. */
import { AppsV1Api, ApiException, CoreV1Api, CustomObjectsApi, Exec, KubeConfig, Metrics, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { LIBRARY_DB_10_10, sqliteArgv } from '../../src/ops/media/library-db.js';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '@homelab/sandbox';

describe('@kubernetes/client-node against the sandbox', () => {
  let sb: Sandbox;
  let kc: KubeConfig;
  beforeAll(async () => {
    sb = await startSandbox();
    kc = new KubeConfig();
    kc.loadFromFile(sb.kubeconfigPath);
  });
  afterAll(async () => {
    await sb?.stop();
  });

  it('loads the kubeconfig the sandbox wrote', () => {
    expect(kc.getCurrentContext()).toBe('homelab-sandbox');
    expect(kc.getCurrentCluster()?.server).toBe(sb.url);
    expect(kc.getCurrentUser()?.token).toBe(sb.token);
  });

  it('pages through every pod exactly once with limit/_continue', async () => {
    const core = kc.makeApiClient(CoreV1Api);
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    let firstRemaining: number | undefined;
    do {
      const page = await core.listPodForAllNamespaces({ limit: 10, _continue: token });
      pages++;
      if (pages === 1) firstRemaining = page.metadata?.remainingItemCount;
      expect(page.items.length).toBeLessThanOrEqual(10);
      for (const p of page.items) seen.push(`${p.metadata?.namespace}/${p.metadata?.name}`);
      token = page.metadata?._continue || undefined;
    } while (token);
    const all = sb.store.list('pods').map((p) => `${p.metadata.namespace}/${p.metadata.name}`);
    expect(seen).toHaveLength(all.length);
    expect(new Set(seen).size).toBe(all.length);
    expect(seen.sort()).toEqual(all.sort());
    expect(pages).toBe(Math.ceil(all.length / 10));
    expect(firstRemaining).toBe(all.length - 10);
  });

  it('merge-patches a deployment and bumps generation', async () => {
    const apps = kc.makeApiClient(AppsV1Api);
    const before = await apps.readNamespacedDeployment({ name: 'uptime-kuma', namespace: 'uptime-kuma' });
    const out = await apps.patchNamespacedDeployment(
      {
        name: 'uptime-kuma',
        namespace: 'uptime-kuma',
        body: { spec: { template: { metadata: { annotations: { 'homelab/restartedAt': '2025-01-01T00:00:00Z' } } } } },
        fieldManager: 'homelab',
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    expect(out.spec?.template.metadata?.annotations?.['homelab/restartedAt']).toBe('2025-01-01T00:00:00Z');
    expect(out.metadata?.generation).toBe((before.metadata?.generation ?? 0) + 1);
    expect(Number(out.metadata?.resourceVersion)).toBeGreaterThan(Number(before.metadata?.resourceVersion));
    expect(out.spec?.template.spec?.containers[0]?.image).toBe('louislam/uptime-kuma:1.23.16');
  });

  it('reads pod logs with tailLines', async () => {
    const core = kc.makeApiClient(CoreV1Api);
    const pod = sb.store.list('pods', 'jellyfin')[0]?.metadata.name ?? '';
    const text = await core.readNamespacedPodLog({ name: pod, namespace: 'jellyfin', tailLines: 2 });
    const lines = text.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain('User policy for anna');
  });

  it('throws ApiException 404 with a Status body for a missing pod', async () => {
    const core = kc.makeApiClient(CoreV1Api);
    const err = await core.readNamespacedPod({ name: 'nope', namespace: 'jellyfin' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiException);
    const e = err as ApiException<string>;
    expect(e.code).toBe(404);
    const body = JSON.parse(e.body) as Record<string, unknown>;
    expect(body).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'pods "nope" not found',
      reason: 'NotFound',
      details: { name: 'nope', kind: 'pods' },
      code: 404,
    });
  });

  it('reads node and pod metrics', async () => {
    const m = new Metrics(kc);
    const nodes = await m.getNodeMetrics();
    expect(nodes.items.map((n) => n.metadata.name).sort()).toEqual(['pi-k3s', 'pi3-worker-2', 'pi5-worker-1', 'pi5-worker-2']);
    expect(nodes.items[0]?.usage.cpu).toMatch(/^\d+n$/);
    expect(nodes.items[0]?.usage.memory).toMatch(/^\d+Ki$/);
    const pods = await m.getPodMetrics('immich');
    expect(pods.items.length).toBe(4);
  });

  it('answers CustomObjectsApi 404 for a group or version the scenario does not serve', async () => {
    const co = kc.makeApiClient(CustomObjectsApi);
    const old = await co.listClusterCustomObject({ group: 'helm.toolkit.fluxcd.io', version: 'v2beta1', plural: 'helmreleases' }).catch((e: unknown) => e);
    expect((old as ApiException<string>).code).toBe(404);
    const none = await co.listClusterCustomObject({ group: 'monitoring.coreos.com', version: 'v1', plural: 'servicemonitors' }).catch((e: unknown) => e);
    expect((none as ApiException<string>).code).toBe(404);
    const hr = (await co.listClusterCustomObject({ group: 'helm.toolkit.fluxcd.io', version: 'v2', plural: 'helmreleases' })) as { items: unknown[] };
    expect(hr.items).toHaveLength(7);
  });

  it('runs a scripted exec and gets its channel-3 status', async () => {
    const pod = sb.store.list('pods', 'jellyfin')[0]?.metadata.name ?? '';
    const chunks: Buffer[] = [];
    const stdout = new Writable({
      write(c: Buffer, _e, done) {
        chunks.push(c);
        done();
      },
    });
    const status = await new Promise<unknown>((resolve, reject) => {
      // The very query jellyfin_fix sends to the library database.
      new Exec(kc).exec('jellyfin', pod, 'jellyfin', sqliteArgv(LIBRARY_DB_10_10), stdout, null, null, false, resolve).catch(reject);
    });
    expect(status).toEqual({ metadata: {}, status: 'Success' });
    expect(Buffer.concat(chunks).toString('utf8')).toContain('"Better Off Ted"');
  });
});

describe('exec upgrade authorization', () => {
  it('needs both get and create on pods/exec', async () => {
    const onlyGet = await startSandbox({ rbac: [{ apiGroups: [''], resources: ['pods/exec'], verbs: ['get'] }] });
    try {
      const kc = new KubeConfig();
      kc.loadFromFile(onlyGet.kubeconfigPath);
      const pod = onlyGet.store.list('pods', 'jellyfin')[0]?.metadata.name ?? '';
      const err = await new Exec(kc).exec('jellyfin', pod, 'jellyfin', ['true'], null, null, null, false).catch((e: unknown) => e);
      expect((err as { message?: string }).message).toBe('Unexpected server response: 403');
    } finally {
      await onlyGet.stop();
    }
  });
});
