/** Fault injection: the sandbox answers chosen requests like a sick cluster, then recovers. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '@homelab/sandbox';
import { api } from './helpers.js';

describe('sandbox faults', () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await startSandbox({ scenario: 'no-flux', faults: [{ path: '/apis/batch/v1', status: 503, times: 1 }] });
  });
  afterAll(async () => {
    await sb?.stop();
  });

  it('answers a fault given at start, as many times as asked, then serves the real answer again', async () => {
    const down = await api(sb, 'GET', '/apis/batch/v1');
    expect(down.status).toBe(503);
    expect(down.json()).toMatchObject({ kind: 'Status', reason: 'ServiceUnavailable', code: 503 });
    const up = await api(sb, 'GET', '/apis/batch/v1');
    expect(up.status).toBe(200);
    expect(up.json()).toMatchObject({ kind: 'APIResourceList', groupVersion: 'batch/v1' });
  });

  it('adds a fault while running (a raw body, a path pattern, one method) and removes it', async () => {
    const remove = sb.faults.add({ path: /^\/apis\/?$/, status: 200, body: '<html>502 Bad Gateway</html>', contentType: 'text/html' });
    const odd = await api(sb, 'GET', '/apis');
    expect({ status: odd.status, text: odd.text, type: odd.headers['content-type'] }).toEqual({
      status: 200,
      text: '<html>502 Bad Gateway</html>',
      type: 'text/html',
    });
    // Other paths are untouched.
    expect((await api(sb, 'GET', '/api/v1/namespaces')).status).toBe(200);
    remove();
    expect((await api(sb, 'GET', '/apis')).json()).toMatchObject({ kind: 'APIGroupList' });

    sb.faults.add({ method: 'POST', path: /\/jobs$/, status: 500 });
    expect((await api(sb, 'GET', '/apis/batch/v1/jobs')).status).toBe(200);
    expect((await api(sb, 'POST', '/apis/batch/v1/namespaces/default/jobs', { body: {} })).status).toBe(500);
    sb.faults.clear();
    expect((await api(sb, 'POST', '/apis/batch/v1/namespaces/default/jobs', { body: {} })).status).not.toBe(500);
  });

  it('still asks for the token first: a fault never answers an unauthenticated request', async () => {
    sb.faults.add({ path: '/apis', status: 503 });
    try {
      expect((await api(sb, 'GET', '/apis', { token: null })).status).toBe(401);
    } finally {
      sb.faults.clear();
    }
  });
});

const PATH = '/apis/helm.toolkit.fluxcd.io/v2/namespaces/jellyfin/helmreleases/jellyfin';

describe('sandbox faults: the Nth request matching METHOD PATH fails', () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await startSandbox();
  });
  afterAll(async () => {
    await sb?.stop();
  });

  it('fails exactly the chosen requests with a Status, changes nothing for them, and leaves other requests alone', async () => {
    sb.faults.add({ method: 'patch', path: PATH, nth: 2, times: 2, status: 503, message: 'etcdserver: leader changed' });
    const patch = (value: string) =>
      api(sb, 'PATCH', PATH, { body: { metadata: { annotations: { probe: value } } }, contentType: 'application/merge-patch+json' });
    const annotation = () => (sb.store.get('helmreleases.helm.toolkit.fluxcd.io', 'jellyfin', 'jellyfin')?.metadata.annotations ?? {}).probe;

    expect((await patch('1')).status).toBe(200);
    expect((await api(sb, 'GET', PATH)).status).toBe(200); // another method: not counted
    const second = await patch('2');
    expect(second.status).toBe(503);
    expect(second.json()).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'ServiceUnavailable', message: 'etcdserver: leader changed', code: 503 });
    expect(annotation()).toBe('1');
    expect((await patch('3')).status).toBe(503);
    expect((await patch('4')).status).toBe(200);
    expect(annotation()).toBe('4');

    sb.faults.add({ method: 'PATCH', path: PATH });
    expect((await patch('5')).status).toBe(500);
    sb.faults.clear();
    expect((await patch('6')).status).toBe(200);
  });
});
