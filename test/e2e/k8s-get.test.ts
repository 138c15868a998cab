import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoggedRequest, PolicyRule } from '@homelab/sandbox';
import { runCli, runCliProcess } from '../helpers/cli.js';
import { callOp } from '../helpers/ops.js';
import { stdioClient } from '../helpers/mcp.js';
import { startSandboxEnv, type SandboxEnv } from '../helpers/sandbox.js';
import { shellWords } from '../helpers/shell.js';
import { VIEW_RBAC } from '../../src/ops/k8s/view.js';

const KUBECTL = '/usr/bin/kubectl';
const hasKubectl = existsSync(KUBECTL);

interface Fix {
  tool: string;
  input: Record<string, unknown>;
  command: string;
}
interface GetJson {
  kind: string;
  resource: string;
  apiVersion: string;
  namespaced: boolean;
  namespace?: string;
  columns?: string[];
  rows?: Array<{ namespace?: string; name: string; cells: unknown[] }>;
  objects?: Array<Record<string, unknown> & { metadata: Record<string, unknown> }>;
  shown: number;
  total?: number;
  truncated: boolean;
  next?: Fix;
  notes: string[];
}
interface DescribeJson {
  kind: string;
  namespace?: string;
  name: string;
  printed: Record<string, unknown>;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  conditions: Array<{ type: string; status: string; reason?: string }>;
  owners: Array<{ kind: string; name: string; namespace?: string; via: string; state: string; note?: string }>;
  events: Array<{ type: string; reason: string; count: number; message: string }>;
  eventsTotal: number;
  eventReasons: Record<string, number>;
  object?: Record<string, unknown>;
  notes: string[];
}
type ToolResult = { isError?: boolean; structuredContent?: unknown; content: Array<{ type: string; text: string }> };

/** A Secret's value that must never reach homelab's output, and its base64 form as the API holds it. */
const SECRET_VALUE = 'hunter2-do-not-print';
const SECRET_B64 = Buffer.from(SECRET_VALUE).toString('base64');
/** The bytes an MCP result may take (text plus structuredContent as sent): the door's budget. */
const BUDGET = 8 * 1024;
const resultBytes = (r: ToolResult) => Buffer.byteLength(JSON.stringify(r.content)) + Buffer.byteLength(JSON.stringify(r.structuredContent ?? null));

describe('homelab get and describe: any kind the cluster serves, as kubectl shows it', () => {
  let s: SandboxEnv;
  let cacheDir: string;
  const kubectl = (args: string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        KUBECTL,
        ['--kubeconfig', s.sandbox.kubeconfigPath, '--cache-dir', cacheDir, ...args],
        { timeout: 20_000, env: { PATH: process.env.PATH ?? '', HOME: cacheDir } },
        (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
      );
    });
  /** `homelab get ARGS -o json`: the objects (rows are for -o table and MCP's output table). */
  const getObjects = async (args: string[]) => {
    const r = await runCli(['get', ...args, '-o', 'json'], s.env);
    expect(r.stderr, args.join(' ')).toBe('');
    return JSON.parse(r.stdout) as GetJson;
  };
  const names = (out: GetJson) => (out.objects ?? []).map((o) => `${String(o.metadata.namespace ?? '')}/${String(o.metadata.name)}`);
  /** kubectl's table and ours, word by word (the column padding differs: 3 spaces there, 2 here). */
  const words = (text: string) =>
    text
      .trim()
      .split('\n')
      .map((line) => line.trim().split(/\s+/).join(' '));

  beforeAll(async () => {
    // One clock for the server's printer: AGE is the same for kubectl and homelab.
    const start = new Date();
    s = await startSandboxEnv({ now: () => start });
    cacheDir = await mkdtemp(path.join(os.tmpdir(), 'hl-k8sget-kubectl-'));
    const store = s.sandbox.store;
    // A Secret applied with kubectl: its last-applied annotation copies the data.
    store.put({
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'Opaque',
      metadata: {
        name: 'gitea-admin',
        namespace: 'paperless',
        labels: { app: 'gitea' },
        annotations: {
          'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify({
            apiVersion: 'v1',
            kind: 'Secret',
            data: { password: SECRET_B64 },
            metadata: { name: 'gitea-admin', namespace: 'paperless' },
          }),
        },
      },
      data: { password: SECRET_B64, username: Buffer.from('admin').toString('base64') },
    });
    // A ConfigMap with a long value, the same name in two namespaces, and managedFields as the server keeps them.
    for (const namespace of ['paperless', 'media']) {
      store.put({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: {
          name: 'app-settings',
          namespace,
          managedFields: [{ manager: 'kubectl-client-side-apply', operation: 'Update', apiVersion: 'v1', fieldsType: 'FieldsV1', fieldsV1: { 'f:data': {} } }],
        },
        data: { 'settings.json': `{"dsn":"postgres://app:${'x'.repeat(400)}@db/app"}`, mode: 'production' },
      });
    }
    // A pod whose ReplicaSet is gone: an orphan.
    store.put({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: 'lidarr-5d9c8-abcde',
        namespace: 'media',
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'lidarr-5d9c8', uid: '0f0f0f0f-0000-4000-8000-000000000001', controller: true }],
      },
      spec: { containers: [{ name: 'lidarr', image: 'lscr.io/linuxserver/lidarr:2.8.2' }], nodeName: 'pi5-worker-1' },
      status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: start.toISOString() }] },
    });
  });
  afterAll(async () => {
    await s?.sandbox.stop();
    if (cacheDir) await rm(cacheDir, { recursive: true, force: true });
  });

  it.skipIf(!hasKubectl)(
    'resolves what kubectl resolves, to the same objects: short names, plurals, kinds, RESOURCE.GROUP and .VERSION.GROUP',
    async () => {
      const typed = [
        'po',
        'Pod',
        'deploy',
        'deployments.v1.apps',
        'rs',
        'sts',
        'ev',
        'no',
        'pvc',
        'pv',
        'storageclass.storage',
        'hr',
        'ks',
        'helmreleases.helm.toolkit.fluxcd.io',
        'HelmRelease',
        'certs',
        'Certificate',
        'es',
        'css',
        'cn',
      ];
      // What k8s_get resolves, in process (the door's parsing of `get KIND -o json` is the other tests' business).
      const compare = async (kind: string) => {
        const [{ output: ours, log }, theirs] = await Promise.all([
          callOp<GetJson>(s, 'k8s_get', { kind, limit: 500, maxBytes: 4_000_000, output: 'json' }),
          kubectl(['get', kind, '-A', '-o', 'name']),
        ]);
        expect(log, kind).toEqual([]);
        expect(theirs.code, `kubectl get ${kind}: ${theirs.stderr}`).toBe(0);
        const lines = theirs.stdout.trim().split('\n');
        // kubectl -o name: kind.group/name, per object.
        const group = ours.apiVersion.includes('/') ? `.${ours.apiVersion.split('/')[0]}` : '';
        expect(lines[0]?.split('/')[0], kind).toBe(`${ours.kind.toLowerCase()}${group}`);
        expect(ours.objects?.map((o) => o.metadata.name).sort(), kind).toEqual(lines.map((l) => l.split('/')[1]).sort());
        expect(ours.truncated, kind).toBe(false);
      };
      for (let i = 0; i < typed.length; i += 4) await Promise.all(typed.slice(i, i + 4).map(compare));
    },
    180_000,
  );

  it.skipIf(!hasKubectl)(
    "prints the server's printer columns as kubectl get does (wide too, and -A with NAMESPACE)",
    async () => {
      for (const args of [
        ['pods', '-n', 'media'],
        ['deploy', '-A', '-o', 'wide'],
        ['pvc', '-A'],
        ['pv', '-o', 'wide'],
        ['sc'],
        ['hr', '-n', 'jellyfin'],
        ['certs', '-A', '-o', 'wide'],
        ['ev', '-n', 'paperless', '-o', 'wide'],
        ['secrets', '-n', 'paperless'],
        ['cn'],
      ]) {
        const [ours, theirs] = await Promise.all([runCli(['get', ...args, '--limit', '500', '--max-bytes', '4000000'], s.env), kubectl(['get', ...args])]);
        expect(theirs.code, theirs.stderr).toBe(0);
        const table = ours.stdout.split('\n\n')[0] ?? '';
        expect(words(table), args.join(' ')).toEqual(words(theirs.stdout));
      }
      // The default class as kubectl marks it, from the server's own name cell.
      expect((await runCli(['get', 'sc'], s.env)).stdout).toMatch(/^local-path \(default\)\s+rancher\.io\/local-path\s+Delete\s+WaitForFirstConsumer\s+false/m);
    },
    120_000,
  );

  it('finds an object by name in whichever namespace it is, and says so when it is nowhere or the kind is unknown', async () => {
    expect(names(await getObjects(['deploy', 'jellyfin']))).toEqual(['jellyfin/jellyfin']);
    expect(names(await getObjects(['deploy/jellyfin', '-n', 'jellyfin']))).toEqual(['jellyfin/jellyfin']);
    expect((await runCli(['get', 'deploy', 'jellyfin'], s.env)).stdout).toMatch(
      /^NAMESPACE\s+NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\njellyfin\s+jellyfin\s+1\/1\s+1\s+1\s+390d\n$/,
    );

    const missing = await runCli(['get', 'pod', 'nope', '-n', 'media'], s.env);
    expect(missing.code).toBe(66);
    expect(missing.stderr).toMatch(/pods "nope" not found in namespace media/);
    const nowhere = await runCli(['get', 'deploy', 'nope'], s.env);
    expect(nowhere.code).toBe(66);
    expect(nowhere.stderr).toMatch(/deployments\.apps "nope" not found in any namespace/);

    const typo = await runCli(['get', 'deploymnets'], s.env);
    expect(typo.code).toBe(66);
    expect(typo.stderr).toMatch(/the server doesn't have a resource type "deploymnets"/);
    expect(typo.stderr).toMatch(/did you mean deployments/);
    const category = await runCli(['get', 'all'], s.env);
    expect(category.code).toBe(64);
    expect(category.stderr).toMatch(/"all" is a category of kinds \(pods, services, daemonsets\.apps/);
    const selector = await runCliProcess(['get', 'pods', '-l', 'app=$(rm -rf /)'], s.env);
    expect(selector.code).toBe(64);
    expect(selector.stderr).toMatch(/--label-selector: must be a label selector/);
    expect(names(await getObjects(['pods', '-l', 'app.kubernetes.io/name=paperless-ngx']))).toEqual([expect.stringMatching(/^paperless\/paperless-ngx-/)]);
  }, 120_000);

  it('bounds a long list and goes on from where it stopped with the command it prints, to every object once', async () => {
    const every = s.sandbox.store
      .list('pods')
      .map((p) => `${p.metadata.namespace}/${p.metadata.name}`)
      .sort();
    const first = await getObjects(['pods', '--limit', '30', '--max-bytes', '60000']);
    expect(first).toMatchObject({ truncated: true, total: every.length });
    const seen = names(first);
    let next = first.next;
    for (let page = 0; next && page < 20; page++) {
      const argv = shellWords(next.command);
      expect(argv.slice(0, 3)).toEqual(['homelab', 'get', 'pods']);
      const r = await runCli(argv.slice(1), s.env);
      expect(r.stderr).toBe('');
      const more = JSON.parse(r.stdout) as GetJson;
      seen.push(...names(more));
      next = more.next;
    }
    expect(next).toBeUndefined();
    expect(seen.sort()).toEqual(every);

    // A table is cut by bytes as well as rows; it says how many of how many and the command that goes on.
    const table = await runCli(['get', 'pods'], s.env);
    const shown = table.stdout.split('\n\n')[0]?.trim().split('\n').length ?? 0;
    expect(table.stdout).toMatch(new RegExp(`# ${shown - 1} of ${every.length} shown; the next: homelab get pods --continue [A-Za-z0-9_-]+\n$`));
    const bad = await runCli(['get', 'pods', '--continue', 'bm90LWEtdG9rZW4'], s.env);
    expect(bad.code).toBe(64);
    expect(bad.stderr).toMatch(/continue: not a continue token of a previous answer/);
  }, 120_000);

  it('answers over MCP within the budget, and the next call it names goes on', async () => {
    const mcp = await stdioClient(s.env);
    try {
      const first = (await mcp.client.callTool({ name: 'k8s_get', arguments: { kind: 'pods' } })) as ToolResult;
      expect(first.isError).toBeFalsy();
      expect(resultBytes(first)).toBeLessThanOrEqual(BUDGET);
      const out = first.structuredContent as GetJson;
      expect(out).toMatchObject({ kind: 'Pod', truncated: true, next: { tool: 'k8s_get', input: { kind: 'pods', continue: expect.any(String) } } });
      expect(first.content[0]?.text).toMatch(new RegExp(`^OK: ${out.shown} pods in every namespace \\(more follow: ${out.total} in all\\)`));
      // Page after page, each within the budget, to every pod once.
      const seen = (out.rows ?? []).map((r) => `${r.namespace}/${r.name}`);
      let next = out.next;
      for (let page = 0; next && page < 20; page++) {
        const more = (await mcp.client.callTool({ name: 'k8s_get', arguments: next.input })) as ToolResult;
        expect(resultBytes(more)).toBeLessThanOrEqual(BUDGET);
        const body = more.structuredContent as GetJson;
        seen.push(...(body.rows ?? []).map((r) => `${r.namespace}/${r.name}`));
        next = body.next;
      }
      expect(next).toBeUndefined();
      expect(seen.sort()).toEqual(
        s.sandbox.store
          .list('pods')
          .map((p) => `${p.metadata.namespace}/${p.metadata.name}`)
          .sort(),
      );
      // A big object is cut to the budget, never sent whole past it.
      const big = (await mcp.client.callTool({ name: 'k8s_get', arguments: { kind: 'pods', namespace: 'paperless', output: 'json' } })) as ToolResult;
      expect(resultBytes(big)).toBeLessThanOrEqual(BUDGET);
      const described = (await mcp.client.callTool({
        name: 'k8s_describe',
        arguments: { kind: 'deploy', name: 'qbittorrent', namespace: 'media' },
      })) as ToolResult;
      expect(described.isError).toBeFalsy();
      expect(resultBytes(described)).toBeLessThanOrEqual(BUDGET);
      expect((described.structuredContent as DescribeJson).conditions).toContainEqual(
        expect.objectContaining({ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' }),
      );
    } finally {
      await mcp.close();
    }
  }, 120_000);

  it('returns the objects for -o json and yaml: typed, without managedFields or the last-applied copy, ConfigMap values cut and said so', async () => {
    const deploy = await getObjects(['deploy', 'jellyfin', '-n', 'jellyfin', '--max-bytes', '100000']);
    expect(deploy.objects?.[0]).toMatchObject({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'jellyfin', namespace: 'jellyfin' },
      spec: { replicas: 1 },
    });
    expect(deploy.rows).toBeUndefined();
    const cm = await getObjects(['cm', 'app-settings', '-n', 'paperless']);
    const object = cm.objects?.[0] as { metadata: Record<string, unknown>; data: Record<string, string> };
    expect(object.metadata.managedFields).toBeUndefined();
    expect(object.data.mode).toBe('production');
    expect(object.data['settings.json']).toMatch(/^\{"dsn":"postgres:\/\/app:x+… \(\d+ characters\)$/);
    expect(object.data['settings.json']?.length).toBeLessThan(260);
    expect(cm.notes).toContainEqual(expect.stringMatching(/^ConfigMap values may be sensitive/));
    const yaml = await runCli(['get', 'cm', 'app-settings', '-n', 'paperless', '-o', 'yaml'], s.env);
    expect(yaml.stdout).toMatch(/^kind: ConfigMap\n/);
    expect(yaml.stdout).toContain('mode: production');
    // Over its bound an object keeps who it is and says what it left out.
    const cut = await getObjects(['pods', '-n', 'paperless', '--max-bytes', '1000']);
    expect(cut.objects?.[0]).toMatchObject({ kind: 'Pod', metadata: { namespace: 'paperless' }, spec: expect.stringMatching(/not shown: over maxBytes/) });
    expect(cut.truncated).toBe(true);
  }, 120_000);

  it("never asks for a Secret's data: Tables and metadata only, no fallback, and none of it in any answer", async () => {
    s.sandbox.requests.clear();
    const answers = await Promise.all([
      runCli(['get', 'secrets', '-n', 'paperless'], s.env),
      runCli(['get', 'secrets', '-A', '-o', 'json'], s.env),
      runCli(['get', 'secret', 'gitea-admin', '-n', 'paperless', '-o', 'yaml'], s.env),
      runCli(['get', 'Secret', 'gitea-admin'], s.env),
      runCli(['describe', 'secret', 'gitea-admin', '-n', 'paperless'], s.env),
      runCli(['describe', 'secrets/gitea-admin', '--json'], s.env),
    ]);
    const mcp = await stdioClient(s.env);
    try {
      for (const call of [
        { name: 'k8s_get', arguments: { kind: 'secrets', output: 'json' } },
        { name: 'k8s_describe', arguments: { kind: 'secret', name: 'gitea-admin', namespace: 'paperless' } },
      ]) {
        const r = (await mcp.client.callTool(call)) as ToolResult;
        expect(r.isError).toBeFalsy();
        answers.push({ code: 0, stdout: JSON.stringify(r), stderr: '' });
      }
    } finally {
      await mcp.close();
    }
    for (const a of answers) {
      expect(a.code, a.stderr).toBe(0);
      expect(a.stdout).not.toContain(SECRET_B64);
      expect(a.stdout).not.toContain(SECRET_VALUE);
    }
    expect(answers[0]?.stdout).toMatch(/^gitea-admin\s+Opaque\s+2\s+/m);
    const described = JSON.parse(answers[5]?.stdout ?? '{}') as DescribeJson;
    expect(described).toMatchObject({ kind: 'Secret', namespace: 'paperless', printed: { Type: 'Opaque', Data: 2 }, labels: { app: 'gitea' } });
    expect(described.object).toBeUndefined();
    expect(described.annotations['kubectl.kubernetes.io/last-applied-configuration']).toMatch(
      /^\(not shown: kubectl's \d+ B copy of the object as last applied\)$/,
    );
    expect(described.notes).toContainEqual(expect.stringMatching(/their data is never asked for, so the keys' names are not available either/));

    const secretReads: LoggedRequest[] = s.sandbox.requests.entries.filter((r) => /\/secrets(\/|$)/.test(r.path));
    // Every form above asked the server: the proof covers them all.
    expect(secretReads.length).toBeGreaterThanOrEqual(8);
    for (const r of secretReads) {
      expect(r.method, r.path).toBe('GET');
      expect(
        r.accept
          .split(',')
          .every((part) =>
            /^application\/json;as=(Table|PartialObjectMetadata|PartialObjectMetadataList);(v=v1;g=meta\.k8s\.io|g=meta\.k8s\.io;v=v1)$/.test(part.trim()),
          ),
        `${r.path} Accept: ${r.accept}`,
      ).toBe(true);
      expect(r.query.includeObject ?? 'Metadata', r.path).not.toBe('Object');
    }
  }, 120_000);

  it("describes an object: printer columns, conditions, its owner chain and Flux's label, and its newest events", async () => {
    const pod = s.sandbox.store.list('pods', 'paperless').find((p) => p.metadata.name?.startsWith('paperless-ngx-'));
    const r = await runCli(['describe', 'pod', pod?.metadata.name ?? '', '-n', 'paperless'], s.env);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Status:\s+CrashLoopBackOff$/m);
    expect(r.stdout).toMatch(/^Owned by:\s+ReplicaSet paperless\/paperless-ngx-\S+ → Deployment paperless\/paperless-ngx$/m);
    expect(r.stdout).toMatch(/^Ready\s+False\s+ContainersNotReady/m);
    expect(r.stdout).toMatch(/^Warning\s+BackOff\s+\S+\s+187\s+kubelet\s+Back-off restarting failed container/m);
    const json = JSON.parse((await runCli(['describe', 'pod', pod?.metadata.name ?? '', '-n', 'paperless', '--json'], s.env)).stdout) as DescribeJson;
    expect(json.owners.map((o) => `${o.kind} ${o.state} ${o.via}`)).toEqual(['ReplicaSet found ownerReference', 'Deployment found ownerReference']);
    expect(json.eventReasons).toEqual({ BackOff: 1, Pulled: 1 });
    expect(json.object).toHaveProperty('status.containerStatuses');

    const secret = JSON.parse((await runCli(['describe', 'secret', 'paperless-db', '-n', 'paperless', '--json'], s.env)).stdout) as DescribeJson;
    expect(secret.owners).toEqual([
      { kind: 'ExternalSecret', namespace: 'paperless', name: 'paperless-db', via: 'ownerReference', state: 'found' },
      {
        kind: 'Kustomization',
        namespace: 'flux-system',
        name: 'apps-paperless',
        via: 'label',
        state: 'not read',
        note: 'label kustomize.toolkit.fluxcd.io/name',
      },
    ]);
    const orphan = JSON.parse((await runCli(['describe', 'pod', 'lidarr-5d9c8-abcde', '--json'], s.env)).stdout) as DescribeJson;
    expect(orphan.owners).toEqual([
      expect.objectContaining({ kind: 'ReplicaSet', name: 'lidarr-5d9c8', state: 'missing', note: expect.stringMatching(/orphan/) }),
    ]);

    const twice = await runCli(['describe', 'cm', 'app-settings'], s.env);
    expect(twice.code).toBe(64);
    expect(twice.stderr).toMatch(/configmaps "app-settings" exists in 2 namespaces \(media, paperless\): say which with namespace \(-n\)/);
    const noName = await runCli(['describe', 'pod'], s.env);
    expect(noName.code).toBe(64);
    expect(noName.stderr).toMatch(/NAME is required/);
  }, 120_000);
});

describe("homelab get with the role homelab deploys (view's resources)", () => {
  let s: SandboxEnv;
  const rules: PolicyRule[] = VIEW_RBAC.map((r) => ({ apiGroups: [r.apiGroup], resources: [r.resource], verbs: [...r.verbs] }));
  beforeAll(async () => {
    s = await startSandboxEnv({ rbac: rules });
  });
  afterAll(async () => {
    await s?.sandbox.stop();
  });

  it('reads what view reads, and says which verb a Secret or a node needs instead of showing nothing', async () => {
    const deploy = await runCli(['get', 'deploy', '-n', 'media'], s.env);
    expect(deploy.code).toBe(0);
    expect(deploy.stdout).toMatch(/^qbittorrent\s+1\/1\s+1\s+1\s+/m);
    const secrets = await runCli(['get', 'secrets', '-n', 'paperless'], s.env);
    expect(secrets.code).toBe(69);
    expect(secrets.stderr).toMatch(/forbidden: needs `list` on secrets in namespace paperless/);
    const nodes = await runCli(['get', 'nodes'], s.env);
    expect(nodes.code).toBe(69);
    expect(nodes.stderr).toMatch(/forbidden: needs `list` on nodes across the cluster/);
  }, 120_000);
});
