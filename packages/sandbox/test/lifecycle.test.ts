/**
 * A sandbox's life: what start makes once per process (TLS material, parsed scenarios), what reset()
 * puts back, and that stop() leaves the temp directory as it found it.
 */
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { makeTls, startSandbox, type KubeObject, type Sandbox } from '../src/index.js';
import { loadScenarioFile } from '../src/scenario/scenario.js';
import { api } from './clients.js';

/** Points os.tmpdir() at a fresh folder for the test, so "nothing left" is checked on a folder of its own. */
function privateTmpdir(): { dir: () => string } {
  let dir = '';
  let saved: string | undefined;
  beforeEach(() => {
    saved = process.env.TMPDIR;
    dir = mkdtempSync(path.join(os.tmpdir(), 'hl-sandbox-life-'));
    process.env.TMPDIR = dir;
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = saved;
    rmSync(dir, { recursive: true, force: true });
  });
  return { dir: () => dir };
}

describe('stop() leaves nothing behind', () => {
  const tmp = privateTmpdir();

  it('removes the temp dir start made, with the kubeconfig and the secrets, and a second stop is a no-op', async () => {
    const sb = await startSandbox();
    expect(path.dirname(sb.dir)).toBe(tmp.dir());
    expect(readdirSync(sb.dir).sort()).toEqual(['kubeconfig', 'secrets']);
    // One secret file per fake service that has a password, token or API key.
    expect(readdirSync(path.join(sb.dir, 'secrets')).sort()).toEqual([
      'adguard-password',
      'authentik-token',
      'bazarr-api-key',
      'immich-api-key',
      'jellyfin-api-key',
      'pihole-password',
      'prowlarr-api-key',
      'qbittorrent-password',
      'radarr-api-key',
      'rancher-token',
      'sabnzbd-api-key',
      'sonarr-api-key',
    ]);
    await sb.stop();
    expect(readdirSync(tmp.dir())).toEqual([]);
    await sb.stop();
    expect(readdirSync(tmp.dir())).toEqual([]);
  });

  it("in a dir the caller gave: removes what start wrote and the folders it made, keeps the caller's files", async () => {
    const given = path.join(tmp.dir(), 'mine');
    mkdirSync(given);
    writeFileSync(path.join(given, 'notes.txt'), 'mine\n');
    const sb = await startSandbox({ dir: given });
    expect(readdirSync(given).sort()).toEqual(['kubeconfig', 'notes.txt', 'secrets']);
    await sb.stop();
    expect(readdirSync(given)).toEqual(['notes.txt']);

    const fresh = path.join(tmp.dir(), 'new', 'deeper');
    const sb2 = await startSandbox({ dir: fresh });
    await sb2.stop();
    expect(readdirSync(tmp.dir())).toEqual(['mine']);
  });

  it('a start that fails half-way (its port is taken) leaves nothing either', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as { port: number };
    try {
      await expect(startSandbox({ port })).rejects.toThrow(/EADDRINUSE/);
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
    expect(readdirSync(tmp.dir())).toEqual([]);
  });
});

describe('made once per process', () => {
  it('serves one ECDSA P-256 CA and server certificate from every start, valid for 127.0.0.1 and localhost', async () => {
    const a = await startSandbox();
    const b = await startSandbox();
    try {
      expect(b.caPem).toBe(a.caPem);
      const ca = new X509Certificate(a.caPem);
      expect(ca.ca).toBe(true);
      expect(ca.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
      expect(ca.subject).toMatch(/^CN=k3s-server-ca@\d+$/);
      // the certificate the server presents, as a client sees it
      const served = await new Promise<X509Certificate>((resolve, reject) => {
        void import('node:tls').then(({ connect }) => {
          const s = connect({ host: '127.0.0.1', port: Number(new URL(a.url).port), ca: a.caPem, servername: 'localhost' }, () => {
            const cert = s.getPeerX509Certificate();
            s.end();
            if (cert) resolve(cert);
            else reject(new Error('no certificate'));
          });
          s.on('error', reject);
        });
      });
      expect(served.verify(ca.publicKey)).toBe(true);
      expect(served.checkIP('127.0.0.1')).toBe('127.0.0.1');
      expect(served.checkHost('localhost')).toBe('localhost');
      expect(served.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
      expect(b.token).not.toBe(a.token);
      expect(b.url).not.toBe(a.url);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });

  it('makeTls() still makes a CA of its own, which does not vouch for the sandbox', () => {
    const other = makeTls();
    expect(other.caPem).not.toBe(makeTls().caPem);
    expect(new X509Certificate(other.certPem).verify(new X509Certificate(other.caPem).publicKey)).toBe(true);
    expect(new X509Certificate(other.client.certPem).subject).toBe('O=system:masters\nCN=system:admin');
  });

  it('parses a scenario file once (read-only), and again when the file changes', async () => {
    const first = await loadScenarioFile('pi-homelab');
    expect(await loadScenarioFile('pi-homelab')).toBe(first);
    expect(Object.isFrozen(first.workloads[0])).toBe(true);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hl-scenario-'));
    try {
      const file = path.join(dir, 'tiny.yaml');
      const tiny = (name: string): string => `name: ${name}\nnodes:\n  - { name: n1, ip: 10.0.0.1, cpu: 4, memory: 8Gi }\n`;
      writeFileSync(file, tiny('one'));
      const one = await loadScenarioFile(file);
      expect(await loadScenarioFile(file)).toBe(one);
      expect(one.name).toBe('one');
      writeFileSync(file, tiny('two'));
      expect((await loadScenarioFile(file)).name).toBe('two');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('reset()', () => {
  let sb: Sandbox;
  beforeAll(async () => {
    // A clock that stands still: a CronJob's Jobs are named after the minute they were scheduled in,
    // which a reset a minute boundary later would name anew.
    const start = new Date();
    sb = await startSandbox({ now: () => start, faults: [{ method: 'GET', path: '/apis/tailscale.com/v1alpha1', status: 503 }] });
  });
  afterAll(async () => {
    await sb?.stop();
  });

  const names = (kind: string): string[] => sb.store.list(kind).map((o) => `${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`);
  const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

  it('puts objects, logs, faults, pending controller work and the fake services back, on the same port, CA and token', async () => {
    const initial = { pods: names('pods'), configmaps: names('configmaps'), replicasets: names('replicasets') };
    const same = { url: sb.url, token: sb.token, caPem: sb.caPem, kubeconfigPath: sb.kubeconfigPath };
    const homepage = sb.store.list('deployments', 'homepage')[0] as KubeObject;
    const pod = (sb.store.list('pods', 'homepage')[0] as KubeObject).metadata.name ?? '';
    const rvBefore = Number(sb.store.resourceVersion);

    // writes of every kind: an object, a deletion, a rollout the controllers will act on, a log line, faults
    expect((await api(sb, 'POST', '/api/v1/namespaces/default/configmaps', { body: { metadata: { name: 'written' } } })).status).toBe(201);
    expect((await api(sb, 'DELETE', `/api/v1/namespaces/homepage/pods/${pod}`)).status).toBe(200);
    sb.logs.append('homepage', pod, 'homepage', { time: new Date(), text: 'a line after start' });
    expect(
      (
        await api(sb, 'PATCH', '/apis/apps/v1/namespaces/homepage/deployments/homepage', {
          body: { spec: { template: { metadata: { annotations: { restartedAt: 'now' } } } } },
          contentType: 'application/merge-patch+json',
        })
      ).status,
    ).toBe(200);
    sb.faults.add({ path: '/version', status: 500 });
    expect((await api(sb, 'GET', '/apis/tailscale.com/v1alpha1')).status).toBe(503); // the start fault fires once per request, every request
    const watch = api(sb, 'GET', '/api/v1/namespaces/default/configmaps?watch=1');

    // the fakes' state: Pi-hole blocking off and a session, AdGuard protection off, a Jellyfin item refreshed
    const pihole = sb.services.pihole!;
    const sid = (
      (await (await fetch(`${pihole.url}/api/auth`, { method: 'POST', body: JSON.stringify({ password: pihole.password }) })).json()) as {
        session: { sid: string };
      }
    ).session.sid;
    expect((await fetch(`${pihole.url}/api/dns/blocking`, { method: 'POST', headers: { sid }, body: JSON.stringify({ blocking: false }) })).status).toBe(200);
    expect(pihole.blockingState()).toBe('disabled');
    const adguard = sb.services.adguard!;
    const basic = `Basic ${Buffer.from(`${adguard.username}:${adguard.password}`).toString('base64')}`;
    expect(
      (await fetch(`${adguard.url}/control/protection`, { method: 'POST', headers: { Authorization: basic }, body: JSON.stringify({ enabled: false }) }))
        .status,
    ).toBe(200);
    expect(adguard.protectionEnabled()).toBe(false);
    const jellyfin = sb.services.jellyfin!;
    const hidden = jellyfin.items().find((i) => jellyfin.isHidden(i.Id))!;
    expect(
      (
        await fetch(`${jellyfin.url}/Items/${hidden.Id}/Refresh?metadataRefreshMode=FullRefresh`, {
          method: 'POST',
          headers: { 'X-Emby-Token': jellyfin.apiKey },
        })
      ).status,
    ).toBe(204);
    for (let i = 0; i < 50 && jellyfin.isHidden(hidden.Id); i++) await sleep(50);
    expect(jellyfin.isHidden(hidden.Id)).toBe(false);

    sb.reset();

    expect({ url: sb.url, token: sb.token, caPem: sb.caPem, kubeconfigPath: sb.kubeconfigPath }).toEqual(same);
    expect(names('pods')).toEqual(initial.pods);
    expect(names('configmaps')).toEqual(initial.configmaps);
    expect(sb.store.get('deployments', 'homepage', 'homepage')?.spec).toEqual(homepage.spec);
    expect(Number(sb.store.resourceVersion)).toBeGreaterThan(rvBefore);
    expect((await watch).status).toBe(200); // the open watch ended: its client lists again
    const log = await api(sb, 'GET', `/api/v1/namespaces/homepage/pods/${pod}/log`);
    expect(log.status).toBe(200);
    expect(log.text).not.toContain('a line after start');
    expect((await api(sb, 'GET', '/version')).status).toBe(200);
    expect((await api(sb, 'GET', '/apis/tailscale.com/v1alpha1')).status).toBe(503);
    expect(pihole.blockingState()).toBe('enabled');
    expect((await fetch(`${pihole.url}/api/dns/blocking`, { headers: { sid } })).status).toBe(401);
    expect(pihole.logins).toBe(0);
    expect(adguard.protectionEnabled()).toBe(true);
    expect(jellyfin.isHidden(hidden.Id)).toBe(true);

    // the rollout asked for before the reset never happens; the controllers still answer what comes after
    await sleep(400);
    expect(names('replicasets')).toEqual(initial.replicasets);
    expect(names('pods')).toEqual(initial.pods);
    const homepagePods = sb.store.list('pods', 'homepage').length;
    expect((await api(sb, 'DELETE', `/api/v1/namespaces/homepage/pods/${pod}`)).status).toBe(200);
    await sleep(400);
    expect(sb.store.get('pods', 'homepage', pod)).toBeUndefined();
    expect(sb.store.list('pods', 'homepage')).toHaveLength(homepagePods);
  });

  it('a client holding a resourceVersion from before the reset is told to list again (410 Expired)', async () => {
    const rv = sb.store.resourceVersion;
    sb.reset();
    const r = await api(sb, 'GET', `/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${rv}&timeoutSeconds=1`);
    expect(JSON.parse(r.text.trim().split('\n')[0] ?? '{}')).toMatchObject({ type: 'ERROR', object: { code: 410, reason: 'Expired' } });
  });

  it('is refused after stop()', async () => {
    const other = await startSandbox();
    await other.stop();
    expect(() => other.reset()).toThrow(/after stop/);
    expect(existsSync(other.dir)).toBe(false);
  });
});
