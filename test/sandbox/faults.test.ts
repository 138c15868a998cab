import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { api } from './helpers.js';

const PATH = '/apis/helm.toolkit.fluxcd.io/v2/namespaces/jellyfin/helmreleases/jellyfin';

describe('sandbox faults: the Nth request matching METHOD PATH fails', () => {
  let sb: Sandbox;
  beforeAll(async () => { sb = await startSandbox(); });
  afterAll(async () => { await sb?.stop(); });

  it('fails exactly the chosen requests with a Status, changes nothing for them, and leaves other requests alone', async () => {
    sb.faults.add({ method: 'patch', path: PATH, nth: 2, times: 2, code: 503, message: 'etcdserver: leader changed' });
    const patch = (value: string) => api(sb, 'PATCH', PATH, { body: { metadata: { annotations: { probe: value } } }, contentType: 'application/merge-patch+json' });
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
