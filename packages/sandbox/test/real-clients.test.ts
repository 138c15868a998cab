/**
 * Real clients against the sandbox, unchanged: kubectl apply -f (validated on the server's side through
 * the OpenAPI documents), kubectl auth can-i / whoami (self-subject reviews against the sandbox's own
 * RBAC), and Debian's Python kubernetes client (watch=True, exec with stdout=True).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type PolicyRule, type Sandbox } from '../src/index.js';
import { api, hasKubectl, KUBECTL, kubectl, python, pythonMissing } from './clients.js';

let sb: Sandbox;
let files: string;
beforeAll(async () => {
  sb = await startSandbox({
    exec: { rules: [{ namespace: 'homepage', podPrefix: 'homepage-', argv: ['sh', '-c', 'echo hello; exit 3'], stdout: 'hello\n', exitCode: 3 }] },
  });
  files = mkdtempSync(path.join(os.tmpdir(), 'hl-manifests-'));
});
afterAll(async () => {
  await sb?.stop();
  if (files) rmSync(files, { recursive: true, force: true });
});

function manifest(name: string, doc: Record<string, unknown>): string {
  const file = path.join(files, name);
  writeFileSync(file, JSON.stringify(doc));
  return file;
}

describe('OpenAPI documents from the kinds registry', () => {
  it('/openapi/v3 lists every served group-version with a hashed URL; each document has PATCH with fieldValidation for each kind', async () => {
    const index = (await api(sb, 'GET', '/openapi/v3')).json() as { paths: Record<string, { serverRelativeURL: string }> };
    expect(Object.keys(index.paths)).toEqual(
      expect.arrayContaining(['api/v1', 'apis/apps/v1', 'apis/helm.toolkit.fluxcd.io/v2', 'apis/authorization.k8s.io/v1']),
    );
    expect(index.paths['apis/apps/v1']?.serverRelativeURL).toMatch(/^\/openapi\/v3\/apis\/apps\/v1\?hash=[0-9A-F]{128}$/);

    const doc = (await api(sb, 'GET', index.paths['apis/apps/v1']?.serverRelativeURL ?? '')).json() as {
      openapi: string;
      paths: Record<
        string,
        Record<
          string,
          { parameters?: { name: string; in: string }[]; 'x-kubernetes-group-version-kind'?: unknown; requestBody?: { content: Record<string, unknown> } }
        >
      >;
      components: { schemas: Record<string, { 'x-kubernetes-group-version-kind'?: unknown }> };
    };
    expect(doc.openapi).toBe('3.0.0');
    const patch = doc.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}']?.patch;
    expect(patch?.['x-kubernetes-group-version-kind']).toEqual({ group: 'apps', version: 'v1', kind: 'Deployment' });
    expect(patch?.parameters).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'fieldValidation', in: 'query' })]));
    expect(Object.keys(patch?.requestBody?.content ?? {})).toEqual([
      'application/json-patch+json',
      'application/merge-patch+json',
      'application/apply-patch+yaml',
    ]);
    for (const kind of ['DaemonSet', 'Deployment', 'ReplicaSet', 'StatefulSet']) {
      expect(doc.components.schemas[`io.k8s.api.apps.v1.${kind}`]?.['x-kubernetes-group-version-kind']).toEqual([{ group: 'apps', version: 'v1', kind }]);
    }
    expect((await api(sb, 'GET', '/openapi/v3/apis/helm.toolkit.fluxcd.io/v2')).json()).toMatchObject({
      components: { schemas: { 'io.fluxcd.toolkit.helm.v2.HelmRelease': { type: 'object' } } },
    });
  });

  it('/openapi/v2 is JSON for a client that takes JSON, 406 for one that wants only protobuf', async () => {
    const v2 = await api(sb, 'GET', '/openapi/v2');
    expect(v2.status).toBe(200);
    expect(v2.json()).toMatchObject({
      swagger: '2.0',
      definitions: { 'io.k8s.api.core.v1.ConfigMap': { 'x-kubernetes-group-version-kind': [{ group: '', version: 'v1', kind: 'ConfigMap' }] } },
    });
    const proto = await api(sb, 'GET', '/openapi/v2', { accept: 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf' });
    expect(proto.status).toBe(406);
    expect(proto.json()).toMatchObject({ kind: 'Status', reason: 'NotAcceptable', code: 406 });
  });
});

describe('query booleans as the API server reads them', () => {
  it('watch=True and watch= are watches; watch=False and watch=0 are lists', async () => {
    for (const [value, watch] of [
      ['True', true],
      ['', true],
      ['False', false],
      ['0', false],
    ] as const) {
      const r = await api(sb, 'GET', `/api/v1/namespaces/default/configmaps?watch=${value}&timeoutSeconds=1`);
      expect(r.status, value).toBe(200);
      if (watch) expect(JSON.parse(r.text.split('\n')[0] ?? '')).toMatchObject({ type: 'ADDED', object: { kind: 'ConfigMap' } });
      else expect(r.json()).toMatchObject({ kind: 'ConfigMapList' });
    }
  });
});

describe('self-subject reviews', () => {
  it('answers a SelfSubjectAccessReview (201, not stored) and refuses one that asks about nothing (422)', async () => {
    const ask = {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SelfSubjectAccessReview',
      spec: { resourceAttributes: { verb: 'delete', resource: 'pods', namespace: 'immich' } },
    };
    const r = await api(sb, 'POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', { body: ask });
    expect(r.status).toBe(201);
    expect(r.json()).toMatchObject({ kind: 'SelfSubjectAccessReview', spec: ask.spec, status: { allowed: true } });
    const empty = await api(sb, 'POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', { body: { spec: {} } });
    expect(empty.status).toBe(422);
    expect(empty.json().message).toBe(
      'SelfSubjectAccessReview.authorization.k8s.io "" is invalid: spec.resourceAttributes: Invalid value: "null": exactly one of nonResourceAttributes or resourceAttributes must be specified',
    );
    expect((await api(sb, 'GET', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews')).status).toBe(405);
  });

  it('SelfSubjectReview says who a client certificate is', async () => {
    const certs = await startSandbox({ clientCertificates: true });
    try {
      const { request } = await import('node:https');
      const body = await new Promise<string>((resolve, reject) => {
        const req = request(
          new URL('/apis/authentication.k8s.io/v1/selfsubjectreviews', certs.url),
          {
            method: 'POST',
            ca: certs.caPem,
            cert: certs.clientCert?.certPem,
            key: certs.clientCert?.keyPem,
            headers: { 'Content-Type': 'application/json' },
          },
          (res) => {
            let t = '';
            res.on('data', (c: Buffer) => (t += c.toString()));
            res.on('end', () => resolve(t));
          },
        );
        req.on('error', reject);
        req.end('{"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"}');
      });
      expect(JSON.parse(body)).toMatchObject({ status: { userInfo: { username: 'system:admin', groups: ['system:masters', 'system:authenticated'] } } });
    } finally {
      await certs.stop();
    }
  });
});

describe.skipIf(!hasKubectl)(`kubectl against the sandbox (${hasKubectl ? KUBECTL : `skipped: no kubectl at ${KUBECTL}`})`, () => {
  it('apply -f creates, then updates, a ConfigMap, a Deployment and a HelmRelease, with validation on', async () => {
    const cm = (value: string) =>
      manifest(`cm-${value}.json`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'applied', namespace: 'default' }, data: { value } });
    const created = await kubectl(sb, ['apply', '-f', cm('1')]);
    expect(created, created.stderr).toMatchObject({ code: 0, stdout: 'configmap/applied created\n', stderr: '' });
    const updated = await kubectl(sb, ['apply', '-f', cm('2')]);
    expect(updated, updated.stderr).toMatchObject({ code: 0, stdout: 'configmap/applied configured\n', stderr: '' });
    expect(sb.store.get('configmaps', 'default', 'applied')?.data).toEqual({ value: '2' });

    const deploy = (image: string) =>
      manifest(`deploy-${image.replace(/\W/g, '-')}.json`, {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'web', namespace: 'default' },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: 'web' } },
          template: {
            metadata: { labels: { app: 'web' } },
            spec: {
              containers: [
                { name: 'web', image },
                { name: 'sidecar', image: 'busybox:1.37' },
              ],
            },
          },
        },
      });
    expect(await kubectl(sb, ['apply', '-f', deploy('nginx:1.27')])).toMatchObject({ code: 0, stdout: 'deployment.apps/web created\n', stderr: '' });
    expect(await kubectl(sb, ['apply', '-f', deploy('nginx:1.28')])).toMatchObject({ code: 0, stdout: 'deployment.apps/web configured\n', stderr: '' });
    const containers = (sb.store.get('deployments', 'default', 'web')?.spec as { template: { spec: { containers: { name: string; image: string }[] } } })
      .template.spec.containers;
    expect(containers).toEqual([
      expect.objectContaining({ name: 'web', image: 'nginx:1.28' }),
      expect.objectContaining({ name: 'sidecar', image: 'busybox:1.37' }),
    ]);

    const hr = (interval: string) =>
      manifest(`hr-${interval}.json`, {
        apiVersion: 'helm.toolkit.fluxcd.io/v2',
        kind: 'HelmRelease',
        metadata: { name: 'applied', namespace: 'default' },
        spec: { interval, chart: { spec: { chart: 'podinfo', sourceRef: { kind: 'HelmRepository', name: 'podinfo' } } } },
      });
    expect(await kubectl(sb, ['apply', '-f', hr('5m')])).toMatchObject({ code: 0, stdout: 'helmrelease.helm.toolkit.fluxcd.io/applied created\n', stderr: '' });
    expect(await kubectl(sb, ['apply', '-f', hr('10m')])).toMatchObject({
      code: 0,
      stdout: 'helmrelease.helm.toolkit.fluxcd.io/applied configured\n',
      stderr: '',
    });
    expect((sb.store.get('helmreleases', 'default', 'applied')?.spec as { interval: string }).interval).toBe('10m');
  });

  it("auth whoami names the token's user and its groups", async () => {
    const r = await kubectl(sb, ['auth', 'whoami', '-o', 'json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      kind: 'SelfSubjectReview',
      status: {
        userInfo: {
          username: 'system:serviceaccount:mcp-homelab:homelab',
          groups: ['system:serviceaccounts', 'system:serviceaccounts:mcp-homelab', 'system:authenticated'],
        },
      },
    });
  });

  describe('auth can-i against an RBAC-restricted sandbox', () => {
    let restricted: Sandbox;
    const rules: PolicyRule[] = [
      { apiGroups: [''], resources: ['pods', 'pods/log'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: ['apps'], resources: ['deployments'], verbs: ['patch'], namespaces: ['homepage'] },
    ];
    beforeAll(async () => {
      restricted = await startSandbox({ rbac: rules });
    });
    afterAll(async () => {
      await restricted?.stop();
    });

    it('says yes (exit 0) to what the rules allow and no (exit 1) to what they do not', async () => {
      for (const [args, answer] of [
        [['list', 'pods', '-A'], 'yes'],
        [['get', 'pods/log', '-n', 'immich'], 'yes'],
        [['patch', 'deployments', '-n', 'homepage'], 'yes'],
        [['patch', 'deployments', '-n', 'immich'], 'no'],
        [['delete', 'pods', '-n', 'immich'], 'no'],
        [['get', 'secrets', '-n', 'default'], 'no'],
      ] as const) {
        const r = await kubectl(restricted, ['auth', 'can-i', ...args]);
        expect({ args, out: r.stdout.trim(), code: r.code }, r.stderr).toEqual({ args, out: answer, code: answer === 'yes' ? 0 : 1 });
      }
    });

    it('--list shows the rules that hold in a namespace', async () => {
      const r = await kubectl(restricted, ['auth', 'can-i', '--list', '-n', 'homepage']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^pods\s+\[\]\s+\[\]\s+\[get list watch\]$/m);
      expect(r.stdout).toMatch(/^deployments\.apps\s+\[\]\s+\[\]\s+\[patch\]$/m);
      const elsewhere = await kubectl(restricted, ['auth', 'can-i', '--list', '-n', 'immich']);
      expect(elsewhere.stdout).not.toMatch(/^deployments\.apps/m);
    });
  });
});

describe.skipIf(pythonMissing !== undefined)(`Python's kubernetes client (${pythonMissing ? `skipped: ${pythonMissing}` : '/usr/bin/python3'})`, () => {
  it('lists pods', async () => {
    const r = await python(sb, ['list', 'homepage']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ pods: sb.store.list('pods', 'homepage').map((p) => p.metadata.name) });
  });

  it('watches (it sends watch=True) and sees the ConfigMap it creates meanwhile', async () => {
    const r = await python(sb, ['watch-configmaps', 'default', 'from-python']);
    expect(r.code, r.stderr).toBe(0);
    const { events } = JSON.parse(r.stdout) as { events: [string, string][] };
    expect(events[0]?.[0]).toBe('ADDED');
    expect(events.at(-1)).toEqual(['ADDED', 'from-python']);
    expect(sb.store.get('configmaps', 'default', 'from-python')?.data).toEqual({ from: 'python' });
  });

  it('execs (stdout=True) and gets the output and the exit code', async () => {
    const pod = sb.store.list('pods', 'homepage')[0]?.metadata.name ?? '';
    const r = await python(sb, ['exec', 'homepage', pod, 'sh', '-c', 'echo hello; exit 3']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ stdout: 'hello\n', stderr: '', open: false, returncode: 3 });
  });
});
