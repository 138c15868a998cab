import { describe, expect, it } from 'vitest';
import { parseTarget } from '../../../src/ops/why/target.js';

describe('what why takes as its target', () => {
  it('reads a URL or a name with a dot as a hostname (lower case, without the root dot), a URL with its path', () => {
    expect(parseTarget('https://Photos.home.example.net/albums/2024')).toEqual({ type: 'host', host: 'photos.home.example.net', path: '/albums/2024' });
    expect(parseTarget('jellyfin.home.example.net.')).toEqual({ type: 'host', host: 'jellyfin.home.example.net', path: '/' });
  });

  it('reads KIND/NAME with the words kubectl and flux take (svc, deploy, sts, ds, po, ing, hr, ks)', () => {
    const kinds = ['svc/a', 'service/a', 'deploy/a', 'sts/a', 'ds/a', 'po/a', 'ing/a', 'hr/a', 'ks/a', 'Deployment/a'].map((t) => {
      const parsed = parseTarget(t);
      return typeof parsed === 'object' && parsed.type === 'object' ? parsed.kind.kind : parsed;
    });
    expect(kinds).toEqual(['Service', 'Service', 'Deployment', 'StatefulSet', 'DaemonSet', 'Pod', 'Ingress', 'HelmRelease', 'Kustomization', 'Deployment']);
  });

  it('reads anything else as the name of an app', () => {
    expect(parseTarget('paperless')).toEqual({ type: 'name', name: 'paperless' });
  });

  it('says why it cannot read a target: an unknown kind (naming the ones it takes), a bad name, an address, a space', () => {
    expect(parseTarget('secret/db')).toMatch(/"secret" is not a kind why follows: use .*svc.*hr.*ks/);
    expect(parseTarget('svc/Not_A_Name')).toMatch(/is not a Kubernetes object name/);
    expect(parseTarget('http://192.168.1.50/')).toMatch(/must name a host, not an address/);
    expect(parseTarget('192.168.1.50')).toMatch(/host name/);
    expect(parseTarget('my app')).toMatch(/must be a host name, a URL, KIND\/NAME/);
  });
});
