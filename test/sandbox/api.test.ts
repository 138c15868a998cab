/** The sandbox's REST semantics over raw HTTPS: what any client sees on the wire. */
import { request } from 'node:https';
import { readFileSync, statSync } from 'node:fs';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateScenario, startSandbox, type Scenario } from '@homelab/sandbox';
import { startConfiguredSandbox, type ConfiguredSandbox } from '../helpers/sandbox.js';
import { api } from './helpers.js';

type Obj = Record<string, unknown> & { metadata: Record<string, unknown> };
const items = (r: Record<string, unknown>): Obj[] => r.items as Obj[];
const names = (r: Record<string, unknown>): string[] => items(r).map((o) => String(o.metadata.name));

describe('sandbox API (pi-homelab)', () => {
  let sb: ConfiguredSandbox;
  beforeAll(async () => {
    sb = await startConfiguredSandbox();
  });
  afterAll(async () => {
    await sb?.stop();
  });

  describe('authentication and files', () => {
    it('answers 401 Unauthorized without the bearer token, and with a wrong one', async () => {
      for (const token of [null, 'wrong']) {
        const r = await api(sb, 'GET', '/api/v1/pods', { token });
        expect(r.status).toBe(401);
        expect(r.json()).toEqual({
          kind: 'Status',
          apiVersion: 'v1',
          metadata: {},
          status: 'Failure',
          message: 'Unauthorized',
          reason: 'Unauthorized',
          code: 401,
        });
      }
    });

    it('writes a 0600 kubeconfig and homelab.yaml pointing at it', () => {
      expect(statSync(sb.kubeconfigPath).mode & 0o777).toBe(0o600);
      expect(statSync(sb.configPath).mode & 0o777).toBe(0o600);
      const cfg = parse(readFileSync(sb.configPath, 'utf8')) as { kubernetes: { kubeconfig: string; context: string } };
      expect(cfg.kubernetes).toEqual({ kubeconfig: sb.kubeconfigPath, context: 'homelab-sandbox' });
      expect(sb.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    });
  });

  describe('discovery', () => {
    it('serves /version, /api, /api/v1 with subresources, /apis with preferred versions', async () => {
      expect((await api(sb, 'GET', '/version')).json()).toMatchObject({ gitVersion: 'v1.31.4+k3s1', platform: 'linux/arm64', major: '1', minor: '31' });
      expect((await api(sb, 'GET', '/api')).json()).toMatchObject({ kind: 'APIVersions', versions: ['v1'] });
      const v1 = (await api(sb, 'GET', '/api/v1')).json() as { resources: { name: string; verbs: string[]; shortNames?: string[] }[] };
      const byName = new Map(v1.resources.map((r) => [r.name, r]));
      expect(byName.get('pods')).toMatchObject({ kind: 'Pod', namespaced: true, singularName: 'pod', shortNames: ['po'], categories: ['all'] });
      expect(byName.get('pods/log')?.verbs).toEqual(['get']);
      expect(byName.get('pods/exec')?.verbs).toEqual(['create', 'get']);
      const apps = (await api(sb, 'GET', '/apis/apps/v1')).json() as { resources: { name: string; group?: string; kind: string }[] };
      expect(apps.resources.find((r) => r.name === 'deployments/scale')).toMatchObject({ group: 'autoscaling', version: 'v1', kind: 'Scale' });
      const groups = (await api(sb, 'GET', '/apis')).json() as { groups: { name: string; preferredVersion: { groupVersion: string } }[] };
      expect(groups.groups.map((g) => g.name)).toEqual(expect.arrayContaining(['apps', 'batch', 'networking.k8s.io', 'metrics.k8s.io']));
      expect(groups.groups.find((g) => g.name === 'metrics.k8s.io')?.preferredVersion.groupVersion).toBe('metrics.k8s.io/v1beta1');
    });

    it('answers 404 Status for versions and paths it does not serve', async () => {
      for (const p of [
        '/apis/apps/v1beta1',
        '/apis/apps/v1beta1/deployments',
        '/apis/nope.example.com/v1',
        '/openapi/v3/apis/nope.example.com/v1',
        '/api/v1/widgets',
      ]) {
        const r = await api(sb, 'GET', p);
        expect(r.status, p).toBe(404);
        expect(r.json()).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'NotFound', code: 404 });
      }
    });
  });

  describe('list: selectors and paging', () => {
    it('filters by label selectors (equality and set-based)', async () => {
      const eq = (await api(sb, 'GET', '/api/v1/pods?labelSelector=app.kubernetes.io/name%3Dpaperless-ngx')).json();
      expect(names(eq)).toHaveLength(1);
      const set = (
        await api(
          sb,
          'GET',
          `/api/v1/namespaces/immich/pods?labelSelector=${encodeURIComponent('app.kubernetes.io/name in (server,redis),app.kubernetes.io/instance')}`,
        )
      ).json();
      expect(names(set).map((n) => n.replace(/-[^-]+-[^-]+$/, ''))).toEqual(['immich-redis', 'immich-server']);
      const notin = (
        await api(
          sb,
          'GET',
          `/api/v1/namespaces/immich/pods?labelSelector=${encodeURIComponent('app.kubernetes.io/name notin (server,redis),!statefulset.kubernetes.io/pod-name')}`,
        )
      ).json();
      expect(names(notin)).toHaveLength(1);
      expect(names(notin)[0]).toMatch(/^immich-machine-learning-/);
      const bad = await api(sb, 'GET', `/api/v1/pods?labelSelector=${encodeURIComponent('a in b')}`);
      expect(bad.status).toBe(400);
    });

    it('filters by field selectors and rejects unsupported fields', async () => {
      const pending = (await api(sb, 'GET', '/api/v1/pods?fieldSelector=status.phase%3DPending')).json();
      expect(names(pending).some((n) => n.startsWith('tdarr-'))).toBe(true);
      expect(items(pending).every((p) => (p.status as { phase: string }).phase === 'Pending')).toBe(true);
      const onPi3 = (await api(sb, 'GET', '/api/v1/pods?fieldSelector=spec.nodeName%3Dpi3-worker-2,status.phase!%3DSucceeded')).json();
      expect(items(onPi3).length).toBeGreaterThan(3);
      expect(items(onPi3).every((p) => (p.spec as { nodeName: string }).nodeName === 'pi3-worker-2')).toBe(true);
      const warnings = (await api(sb, 'GET', '/api/v1/events?fieldSelector=type%3DWarning,involvedObject.kind%3DNode')).json();
      expect(items(warnings).map((e) => e.reason)).toEqual(['OOMKilling']);
      const bad = await api(sb, 'GET', '/api/v1/pods?fieldSelector=spec.colour%3Dblue');
      expect(bad.status).toBe(400);
      expect(bad.json().message).toBe('field label not supported: spec.colour');
    });

    it('pages with limit and continue, with remainingItemCount and a list resourceVersion', async () => {
      const first = (await api(sb, 'GET', '/api/v1/namespaces/backups/pods?limit=4')).json();
      const meta = first.metadata as { continue: string; remainingItemCount: number; resourceVersion: string };
      expect(items(first)).toHaveLength(4);
      expect(meta.remainingItemCount).toBe(7);
      expect(meta.resourceVersion).toMatch(/^\d+$/);
      expect(first.kind).toBe('PodList');
      expect(items(first)[0]).not.toHaveProperty('kind'); // built-in list items carry no TypeMeta, as on a real server
      const second = (await api(sb, 'GET', `/api/v1/namespaces/backups/pods?limit=4&continue=${encodeURIComponent(meta.continue)}`)).json();
      expect(names(second)).toHaveLength(4);
      expect(names(second).some((n) => names(first).includes(n))).toBe(false);
    });

    it('keeps a paged list consistent while objects change, and answers 410 Expired after compaction', async () => {
      const first = (await api(sb, 'GET', '/api/v1/configmaps?limit=3')).json();
      const token = (first.metadata as { continue: string }).continue;
      const created = await api(sb, 'POST', '/api/v1/namespaces/vaultwarden/configmaps', {
        body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'zz-late' } },
      });
      expect(created.status).toBe(201);
      const seen = names(first);
      for (let t: string | undefined = token; t;) {
        const page = (await api(sb, 'GET', `/api/v1/configmaps?limit=3&continue=${encodeURIComponent(t)}`)).json();
        seen.push(...names(page));
        t = (page.metadata as { continue?: string }).continue;
      }
      expect(seen).not.toContain('zz-late'); // the list is served at the revision of its first page
      expect(seen).toHaveLength(sb.store.list('configmaps').length - 1);
      sb.store.compact();
      const r = await api(sb, 'GET', `/api/v1/configmaps?limit=3&continue=${encodeURIComponent(token)}`);
      expect(r.status).toBe(410);
      const st = r.json();
      expect(st).toMatchObject({ kind: 'Status', reason: 'Expired', code: 410 });
      const fresh = (st.metadata as { continue: string }).continue;
      expect(fresh).toBeTruthy();
      expect((await api(sb, 'GET', `/api/v1/configmaps?limit=3&continue=${encodeURIComponent(fresh)}`)).status).toBe(200);
    });

    it('answers 400 for a malformed continue token', async () => {
      for (const t of ['not-a-token!', Buffer.from('{"v":"x"}').toString('base64'), Buffer.from('garbage').toString('base64')]) {
        const r = await api(sb, 'GET', `/api/v1/pods?limit=5&continue=${encodeURIComponent(t)}`);
        expect(r.status, t).toBe(400);
        expect(r.json()).toMatchObject({ reason: 'BadRequest', code: 400 });
      }
    });

    it('ignores unknown query parameters', async () => {
      const r = await api(sb, 'GET', '/api/v1/namespaces/jellyfin/pods?frobnicate=1&pretty=true');
      expect(r.status).toBe(200);
      expect(names(r.json())).toHaveLength(1);
    });
  });

  describe('metadata-only lists', () => {
    it("answers PartialObjectMetadataList without the objects' data, for Secrets whose data must not travel", async () => {
      const r = await api(sb, 'GET', '/api/v1/secrets?fieldSelector=type%3Dkubernetes.io%2Ftls', {
        accept: 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json',
      });
      expect(r.headers['content-type']).toContain('as=PartialObjectMetadataList');
      const list = r.json() as { kind: string; items: Array<Record<string, unknown> & { kind: string; metadata: { name: string } }> };
      expect(list.kind).toBe('PartialObjectMetadataList');
      expect(list.items.length).toBeGreaterThan(0);
      for (const item of list.items) {
        expect(Object.keys(item).sort()).toEqual(['apiVersion', 'kind', 'metadata']);
        expect(item.kind).toBe('PartialObjectMetadata');
      }
    });
  });

  describe('tables', () => {
    it('answers a meta.k8s.io/v1 Table with the pod printer columns and PartialObjectMetadata rows', async () => {
      const r = await api(sb, 'GET', '/api/v1/namespaces/paperless/pods', { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json' });
      expect(r.headers['content-type']).toContain('as=Table');
      const t = r.json() as {
        kind: string;
        columnDefinitions: { name: string; priority: number }[];
        rows: { cells: unknown[]; object: { kind: string; metadata: { namespace: string } } }[];
      };
      expect(t.kind).toBe('Table');
      expect(t.columnDefinitions.map((c) => c.name)).toEqual(['Name', 'Ready', 'Status', 'Restarts', 'Age', 'IP', 'Node', 'Nominated Node', 'Readiness Gates']);
      const crash = t.rows.find((row) => String(row.cells[0]).startsWith('paperless-ngx-'));
      expect(crash?.cells.slice(1, 3)).toEqual(['0/1', 'CrashLoopBackOff']);
      expect(crash?.object).toMatchObject({ kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: { namespace: 'paperless' } });
    });
  });

  describe('writes', () => {
    it('creates with generateName, sets server fields, and answers 409 for a taken name', async () => {
      const body = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { generateName: 'probe-' }, data: { a: '1' } };
      const r = await api(sb, 'POST', '/api/v1/namespaces/homepage/configmaps', { body });
      expect(r.status).toBe(201);
      const cm = r.json() as Obj;
      expect(cm.metadata.name).toMatch(/^probe-[a-z0-9]{5}$/);
      expect(cm.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
      expect(cm.metadata.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      expect(cm.kind).toBe('ConfigMap');
      const dup = await api(sb, 'POST', '/api/v1/namespaces/homepage/configmaps', { body: { ...body, metadata: { name: cm.metadata.name } } });
      expect(dup.status).toBe(409);
      expect(dup.json()).toMatchObject({
        reason: 'AlreadyExists',
        message: `configmaps "${String(cm.metadata.name)}" already exists`,
        details: { name: cm.metadata.name, kind: 'configmaps' },
      });
      const noName = await api(sb, 'POST', '/api/v1/namespaces/homepage/configmaps', { body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: {} } });
      expect(noName.status).toBe(422);
      expect(noName.json()).toMatchObject({
        reason: 'Invalid',
        message: 'ConfigMap "" is invalid: metadata.name: Required value: name or generateName is required',
      });
      const noNs = await api(sb, 'POST', '/api/v1/namespaces/nowhere/configmaps', { body: { ...body } });
      expect(noNs.status).toBe(404);
      expect(noNs.json().message).toBe('namespaces "nowhere" not found');
    });

    it('applies a JSON patch (add/replace/remove/test/copy/move) and refuses a failed test with 422', async () => {
      const p = '/apis/apps/v1/namespaces/pihole/deployments/unbound';
      const ok = await api(sb, 'PATCH', p, {
        contentType: 'application/json-patch+json',
        body: [
          { op: 'test', path: '/spec/replicas', value: 1 },
          { op: 'add', path: '/metadata/labels/tier', value: 'dns' },
          { op: 'copy', from: '/metadata/labels/tier', path: '/metadata/labels/tier-copy' },
          { op: 'move', from: '/metadata/labels/tier-copy', path: '/metadata/labels/tier-moved' },
          { op: 'remove', path: '/metadata/labels/tier-moved' },
          { op: 'replace', path: '/spec/template/spec/containers/0/image', value: 'mvance/unbound-rpi:1.22.0' },
        ],
      });
      expect(ok.status).toBe(200);
      const d = ok.json() as {
        metadata: { labels: Record<string, string>; generation: number };
        spec: { template: { spec: { containers: { image: string }[] } } };
      };
      expect(d.metadata.labels.tier).toBe('dns');
      expect(d.metadata.labels).not.toHaveProperty('tier-moved');
      expect(d.spec.template.spec.containers[0]?.image).toBe('mvance/unbound-rpi:1.22.0');
      expect(d.metadata.generation).toBe(2);
      const failed = await api(sb, 'PATCH', p, { contentType: 'application/json-patch+json', body: [{ op: 'test', path: '/spec/replicas', value: 3 }] });
      expect(failed.status).toBe(422);
      const missing = await api(sb, 'PATCH', p, { contentType: 'application/json-patch+json', body: [{ op: 'remove', path: '/spec/nothing' }] });
      expect(missing.status).toBe(422);
    });

    it('strategic-merges containers and env by name; merge patch replaces the list', async () => {
      const p = '/apis/apps/v1/namespaces/jellyfin/deployments/jellyfin';
      const r = await api(sb, 'PATCH', p, {
        contentType: 'application/strategic-merge-patch+json',
        body: {
          spec: {
            template: {
              spec: {
                containers: [
                  {
                    name: 'jellyfin',
                    env: [
                      { name: 'TZ', value: 'UTC' },
                      { name: 'NEW', value: 'x' },
                    ],
                  },
                ],
              },
            },
          },
        },
      });
      expect(r.status).toBe(200);
      const c = (r.json() as { spec: { template: { spec: { containers: { name: string; image: string; env: { name: string; value: string }[] }[] } } } }).spec
        .template.spec.containers;
      expect(c).toHaveLength(1);
      expect(c[0]?.image).toBe('jellyfin/jellyfin:10.10.3');
      expect(c[0]?.env.map((e) => `${e.name}=${e.value}`)).toEqual(['TZ=UTC', 'JELLYFIN_PublishedServerUrl=https://jellyfin.home.example.net', 'NEW=x']);
      const m = await api(sb, 'PATCH', p, {
        contentType: 'application/merge-patch+json',
        body: { spec: { template: { spec: { containers: [{ name: 'jellyfin', image: 'jellyfin/jellyfin:10.10.5' }] } } } },
      });
      const mc = (m.json() as { spec: { template: { spec: { containers: Record<string, unknown>[] } } } }).spec.template.spec.containers;
      expect(mc).toEqual([{ name: 'jellyfin', image: 'jellyfin/jellyfin:10.10.5' }]);
    });

    it('answers 415 for an unknown patch type and 409 Conflict for a stale resourceVersion', async () => {
      const p = '/api/v1/namespaces/jellyfin/services/jellyfin';
      const r = await api(sb, 'PATCH', p, { contentType: 'application/xml', body: '<x/>' });
      expect(r.status).toBe(415);
      expect(r.json()).toMatchObject({ reason: 'UnsupportedMediaType' });
      const stale = await api(sb, 'PATCH', p, {
        contentType: 'application/merge-patch+json',
        body: { metadata: { resourceVersion: '1', labels: { x: 'y' } } },
      });
      expect(stale.status).toBe(409);
      expect(stale.json()).toMatchObject({
        reason: 'Conflict',
        message:
          'Operation cannot be fulfilled on services "jellyfin": the object has been modified; please apply your changes to the latest version and try again',
      });
    });

    it('deletes a job with its pods (background propagation)', async () => {
      const jobs = sb.store.list('jobs', 'backups').filter((j) => j.metadata.name?.startsWith('restic-prune-'));
      const job = jobs[0]?.metadata.name ?? '';
      const r = await api(sb, 'DELETE', `/apis/batch/v1/namespaces/backups/jobs/${job}`, { body: { propagationPolicy: 'Background' } });
      expect(r.status).toBe(200);
      expect(sb.store.get('jobs', 'backups', job)).toBeUndefined();
      expect(sb.store.list('pods', 'backups').some((p) => p.metadata.name?.startsWith(`${job}-`))).toBe(false);
      const again = await api(sb, 'DELETE', `/apis/batch/v1/namespaces/backups/jobs/${job}`);
      expect(again.status).toBe(404);
      expect(again.json()).toMatchObject({ message: `jobs.batch "${job}" not found`, details: { name: job, group: 'batch', kind: 'jobs' } });
    });

    it('replaces a deleted ReplicaSet pod shortly after', async () => {
      const pod = sb.store.list('pods', 'uptime-kuma')[0]?.metadata.name ?? '';
      const r = await api(sb, 'DELETE', `/api/v1/namespaces/uptime-kuma/pods/${pod}`);
      expect(r.status).toBe(200);
      expect((r.json() as Obj).metadata.deletionTimestamp).toBeTruthy();
      await new Promise((res) => setTimeout(res, 400));
      const now = sb.store.list('pods', 'uptime-kuma');
      expect(now).toHaveLength(1);
      expect(now[0]?.metadata.name).not.toBe(pod);
    });

    it('scales through the scale subresource, keeping the current ReplicaSet', async () => {
      const before = sb.store.list('pods', 'media').find((p) => p.metadata.name?.startsWith('radarr-'));
      const hash = before?.metadata.labels?.['pod-template-hash'];
      const r = await api(sb, 'PATCH', '/apis/apps/v1/namespaces/media/deployments/radarr/scale', {
        contentType: 'application/merge-patch+json',
        body: { spec: { replicas: 2 } },
      });
      expect(r.status).toBe(200);
      expect(r.json()).toMatchObject({ kind: 'Scale', apiVersion: 'autoscaling/v1', spec: { replicas: 2 } });
      await new Promise((res) => setTimeout(res, 400));
      const pods = sb.store.list('pods', 'media').filter((p) => p.metadata.name?.startsWith('radarr-'));
      expect(pods).toHaveLength(2);
      expect(pods.map((p) => p.metadata.labels?.['pod-template-hash'])).toEqual([hash, hash]);
      expect(pods.some((p) => p.metadata.name === before?.metadata.name)).toBe(true);
      const d = sb.store.get('deployments', 'media', 'radarr') as
        { metadata: { generation: number }; status: { observedGeneration: number; readyReplicas: number } } | undefined;
      expect(d?.status.observedGeneration).toBe(d?.metadata.generation);
      expect(d?.status.readyReplicas).toBe(2);
    });
  });

  describe('pods/log', () => {
    const log = (pod: string, ns: string, q = ''): Promise<{ status: number; text: string; json: () => Record<string, unknown> }> =>
      api(sb, 'GET', `/api/v1/namespaces/${ns}/pods/${pod}/log${q}`);

    it('requires a container name for multi-container pods, with the real message', async () => {
      const r = await log('prometheus-kube-prometheus-stack-prometheus-0', 'monitoring');
      expect(r.status).toBe(400);
      expect(r.json().message).toBe(
        'a container name must be specified for pod prometheus-kube-prometheus-stack-prometheus-0, choose one of: [prometheus config-reloader]',
      );
      const ok = await log('prometheus-kube-prometheus-stack-prometheus-0', 'monitoring', '?container=config-reloader');
      expect(ok.status).toBe(200);
      expect(ok.text.length).toBeGreaterThan(0);
    });

    it('answers previous only when there was a terminated container', async () => {
      const r = await log('immich-postgres-0', 'immich', '?previous=true');
      expect(r.status).toBe(400);
      expect(r.json().message).toBe('previous terminated container "postgres" in pod "immich-postgres-0" not found');
      const ml = sb.store.list('pods', 'immich').find((p) => p.metadata.name?.startsWith('immich-machine-learning'))?.metadata.name ?? '';
      const prev = await log(ml, 'immich', '?previous=true&tailLines=1');
      expect(prev.text).toMatch(/^\[\d\d\/\d\d\/\d\d \d\d:\d\d:\d\d\] INFO {5}Loading detection model 'buffalo_l' to memory\n$/);
      // the time the application printed agrees with the kubelet's timestamp
      const stamped = (await log(ml, 'immich', '?previous=true&tailLines=1&timestamps=true')).text;
      const m = /^(\d{4})-(\d\d)-(\d\d)T(\d\d:\d\d:\d\d)\.\d+Z \[(\d\d)\/(\d\d)\/(\d\d) (\d\d:\d\d:\d\d)\]/.exec(stamped);
      expect(m).not.toBeNull();
      expect([m?.[2], m?.[3], m?.[1]?.slice(2), m?.[4]]).toEqual([m?.[5], m?.[6], m?.[7], m?.[8]]);
    });

    it('supports timestamps, sinceSeconds and limitBytes', async () => {
      const pod = 'paperless-postgres-0';
      const ts = await log(pod, 'paperless', '?timestamps=true');
      for (const line of ts.text.trimEnd().split('\n')) expect(line).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z /);
      const recent = await log(pod, 'paperless', '?sinceSeconds=600');
      expect(recent.text.trimEnd().split('\n')).toHaveLength(2);
      const cut = await log(pod, 'paperless', '?limitBytes=10');
      expect(Buffer.byteLength(cut.text)).toBe(10);
    });
  });

  describe('watch', () => {
    it('streams changes after a resourceVersion', async () => {
      const list = (await api(sb, 'GET', '/api/v1/namespaces/homepage/configmaps')).json();
      const rv = (list.metadata as { resourceVersion: string }).resourceVersion;
      const events: { type: string; object: Obj }[] = [];
      await new Promise<void>((resolve, reject) => {
        const req = request(
          new URL(`/api/v1/namespaces/homepage/configmaps?watch=true&resourceVersion=${rv}&timeoutSeconds=5`, sb.url),
          { headers: { Authorization: `Bearer ${sb.token}` }, ca: sb.caPem },
          (res) => {
            let buf = '';
            res.on('data', (c: Buffer) => {
              buf += c.toString();
              for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
                events.push(JSON.parse(buf.slice(0, i)) as { type: string; object: Obj });
                buf = buf.slice(i + 1);
              }
              if (events.length >= 1) {
                req.destroy();
                resolve();
              }
            });
          },
        );
        req.on('error', (e) => {
          if (events.length === 0) reject(e);
        });
        req.end();
        setTimeout(() => {
          void api(sb, 'POST', '/api/v1/namespaces/homepage/configmaps', { body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'watched' } } });
        }, 100);
      });
      expect(events[0]).toMatchObject({ type: 'ADDED', object: { kind: 'ConfigMap', metadata: { name: 'watched' } } });
    });
  });
});

describe('sandbox with custom resources, no metrics, and RBAC', () => {
  let sb: ConfiguredSandbox;
  const scenario: Scenario = {
    name: 'crd-test',
    nodes: [{ name: 'n1', ip: '10.0.0.2', cpu: 4, memory: '8Gi', roles: ['control-plane'] }],
    namespaces: [{ name: 'apps' }],
    apiResources: [{ group: 'external-secrets.io', versions: ['v1beta1'], kind: 'ExternalSecret', plural: 'externalsecrets', shortNames: ['es'] }],
    objects: [
      {
        apiVersion: 'external-secrets.io/v1beta1',
        kind: 'ExternalSecret',
        metadata: { name: 'db', namespace: 'apps', creationTimestamp: '-3d' },
        spec: { refreshInterval: '1h' },
        status: { refreshTime: '-5m' },
      },
    ],
    workloads: [{ kind: 'Deployment', name: 'web', namespace: 'apps', containers: [{ name: 'web', image: 'nginx:1.27' }] }],
    config: { services: { demo: true } },
  };
  beforeAll(async () => {
    sb = await startConfiguredSandbox({
      scenarioData: scenario,
      rbac: [
        { apiGroups: ['external-secrets.io'], resources: ['externalsecrets'], verbs: ['get', 'list', 'patch'] },
        { apiGroups: [''], resources: ['pods', 'pods/log'], verbs: ['get', 'list'] },
        { apiGroups: ['apps'], resources: ['deployments'], verbs: ['get'], resourceNames: ['web'] },
        { apiGroups: ['metrics.k8s.io'], resources: ['nodes'], verbs: ['list'] },
      ],
    });
  });
  afterAll(async () => {
    await sb?.stop();
  });

  it('serves the CRD only at its served version, with apiVersion set', async () => {
    const groups = (await api(sb, 'GET', '/apis')).json() as { groups: { name: string; versions: { version: string }[] }[] };
    expect(groups.groups.find((g) => g.name === 'external-secrets.io')?.versions.map((v) => v.version)).toEqual(['v1beta1']);
    expect(groups.groups.some((g) => g.name === 'metrics.k8s.io')).toBe(false);
    expect((await api(sb, 'GET', '/apis/metrics.k8s.io/v1beta1/nodes')).status).toBe(404);
    expect((await api(sb, 'GET', '/apis/external-secrets.io/v1/namespaces/apps/externalsecrets')).status).toBe(404);
    const list = (await api(sb, 'GET', '/apis/external-secrets.io/v1beta1/namespaces/apps/externalsecrets')).json();
    expect(list.kind).toBe('ExternalSecretList');
    expect(items(list)[0]).toMatchObject({
      apiVersion: 'external-secrets.io/v1beta1',
      kind: 'ExternalSecret',
      status: { refreshTime: expect.stringMatching(/Z$/) },
    });
  });

  it('refuses strategic merge on a custom resource with 415 and accepts merge patch', async () => {
    const p = '/apis/external-secrets.io/v1beta1/namespaces/apps/externalsecrets/db';
    const s = await api(sb, 'PATCH', p, { contentType: 'application/strategic-merge-patch+json', body: { metadata: { annotations: { a: 'b' } } } });
    expect(s.status).toBe(415);
    expect(s.json()).toMatchObject({ reason: 'UnsupportedMediaType', code: 415 });
    expect(String(s.json().message)).not.toContain('strategic');
    const m = await api(sb, 'PATCH', p, { contentType: 'application/merge-patch+json', body: { metadata: { annotations: { 'force-sync': '1' } } } });
    expect(m.status).toBe(200);
    expect((m.json() as Obj).metadata.generation).toBe(1);
    const spec = await api(sb, 'PATCH', p, { contentType: 'application/merge-patch+json', body: { spec: { refreshInterval: '5m' } } });
    expect((spec.json() as Obj).metadata.generation).toBe(2);
  });

  it('forbids with the apiserver wording, per verb, scope, subresource and resourceNames', async () => {
    const ns = await api(sb, 'GET', '/api/v1/namespaces/apps/services');
    expect(ns.status).toBe(403);
    expect(ns.json()).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      reason: 'Forbidden',
      code: 403,
      details: { kind: 'services' },
      message:
        'services is forbidden: User "system:serviceaccount:mcp-homelab:homelab" cannot list resource "services" in API group "" in the namespace "apps"',
    });
    const nodes = await api(sb, 'GET', '/api/v1/nodes/n1');
    expect(nodes.json().message).toBe(
      'nodes "n1" is forbidden: User "system:serviceaccount:mcp-homelab:homelab" cannot get resource "nodes" in API group "" at the cluster scope',
    );
    const other = await api(sb, 'GET', '/apis/apps/v1/namespaces/apps/deployments/other');
    expect(other.json()).toMatchObject({ details: { name: 'other', group: 'apps', kind: 'deployments' } });
    expect((await api(sb, 'GET', '/apis/apps/v1/namespaces/apps/deployments/web')).status).toBe(200);
    const pod = sb.store.list('pods', 'apps')[0]?.metadata.name ?? '';
    expect((await api(sb, 'GET', `/api/v1/namespaces/apps/pods/${pod}/log`)).status).toBe(200);
    const del = await api(sb, 'DELETE', `/api/v1/namespaces/apps/pods/${pod}`);
    expect(del.json().message).toBe(
      `pods "${pod}" is forbidden: User "system:serviceaccount:mcp-homelab:homelab" cannot delete resource "pods" in API group "" in the namespace "apps"`,
    );
    const exec = await api(sb, 'POST', `/api/v1/namespaces/apps/pods/${pod}/exec?command=ls`);
    expect(exec.json().message).toContain('cannot create resource "pods/exec" in API group ""');
    // discovery stays open
    expect((await api(sb, 'GET', '/api/v1')).status).toBe(200);
    expect((await api(sb, 'GET', '/version')).status).toBe(200);
  });

  it('passes the scenario config through into homelab.yaml', () => {
    const cfg = parse(readFileSync(sb.configPath, 'utf8')) as Record<string, unknown>;
    expect(cfg.services).toEqual({ demo: true });
  });
});

describe('scenario data', () => {
  it('rejects a bad scenario with a message naming the key', async () => {
    const bad = {
      name: 'x',
      nodes: [{ name: 'n', ip: '1.2.3.4', cpu: 1, memory: '1Gi', colour: 'red' }],
      workloads: [{ kind: 'Deployment', name: 'a', namespace: 'b', containers: [{ name: 'c', image: 'i' }], created: 'yesterday' }],
    } as unknown as Scenario;
    await expect(startSandbox({ scenarioData: bad })).rejects.toThrow(/nodes\[0\]: Unrecognized key: "colour"[\s\S]*workloads\[0\]\.created: expected a time/);
  });

  it('generates large scenarios for benchmarks', async () => {
    const sb = await startSandbox({ scenarioData: generateScenario({ pods: 2000, nodes: 10 }) });
    try {
      expect(sb.store.list('pods')).toHaveLength(2000);
      const page = (await api(sb, 'GET', '/api/v1/pods?limit=500')).json();
      expect(items(page)).toHaveLength(500);
      expect((page.metadata as { remainingItemCount: number }).remainingItemCount).toBe(1500);
    } finally {
      await sb.stop();
    }
  });
});
