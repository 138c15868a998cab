/**
 * Our kubeconfig reader against kubectl's own answers on the same files: `kubectl config view
 * --merge`, `--minify`, `--flatten`, `config current-context`, and `kubectl get --raw /version`
 * against the sandbox for what a context's credentials and TLS settings let through.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadKubeconfig, readKubeconfig, type KubeconfigOptions, type MergedKubeconfig, type ResolvedCluster } from '../../../src/adapters/kube/kubeconfig.js';
import { HomelabError, UserError } from '../../../src/core/errors.js';
import { startSandbox, type Sandbox } from '@homelab/sandbox';
import { KUBECTL, hasKubectl } from '../../sandbox/helpers.js';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

let dir: string;
let home: string;

/** kubectl with the given KUBECONFIG (or none) and a HOME of our own, from `cwd`. */
function kubectl(args: string[], env: { KUBECONFIG?: string; HOME?: string } = {}, cwd = dir): Promise<Run> {
  return new Promise((resolve) => {
    execFile(KUBECTL, args, { cwd, timeout: 20_000, env: { PATH: process.env.PATH ?? '', HOME: home, ...env } }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}

/** Go's omitempty: null, false, "", [] and {} say the same as a missing key. */
function zeroless(value: unknown): unknown {
  if (Array.isArray(value)) {
    const items = value.map(zeroless);
    return items.length ? items : undefined;
  }
  if (value && typeof value === 'object') {
    const entries = Object.entries(value)
      .map(([k, v]) => [k, zeroless(v)] as const)
      .filter(([, v]) => v !== undefined);
    return entries.length ? Object.fromEntries(entries) : undefined;
  }
  return value === null || value === false || value === '' ? undefined : value;
}

interface View {
  currentContext: unknown;
  preferences: unknown;
  clusters: unknown;
  users: unknown;
  contexts: unknown;
}

/** kubectl config view -o json --raw, as maps by name. */
function kubectlView(stdout: string): View {
  const v = JSON.parse(stdout) as Record<string, unknown>;
  const byName = (list: unknown, key: string): unknown =>
    zeroless(Object.fromEntries(((list ?? []) as Array<Record<string, unknown>>).map((e) => [e.name, e[key] ?? {}])));
  return {
    currentContext: zeroless(v['current-context']),
    preferences: zeroless(v.preferences),
    clusters: byName(v.clusters, 'cluster'),
    users: byName(v.users, 'user'),
    contexts: byName(v.contexts, 'context'),
  };
}

function ourView(m: MergedKubeconfig): View {
  const byName = (map: Map<string, { value: unknown }>): unknown => zeroless(Object.fromEntries([...map].map(([k, e]) => [k, e.value ?? {}])));
  return {
    currentContext: zeroless(m.currentContext),
    preferences: zeroless({ colors: m.preferences.colors }),
    clusters: byName(m.clusters),
    users: byName(m.users),
    contexts: byName(m.contexts),
  };
}

/** The same environment for our reader, which runs in the test's cwd: KUBECONFIG entries made absolute. */
function ours(env: { KUBECONFIG?: string; HOME?: string }): NodeJS.ProcessEnv {
  const KUBECONFIG = env.KUBECONFIG?.split(':')
    .map((f) => (f ? path.resolve(dir, f) : f))
    .join(':');
  return { HOME: home, ...env, ...(KUBECONFIG === undefined ? {} : { KUBECONFIG }) };
}

function write(name: string, config: unknown): string {
  const file = path.join(dir, name);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, typeof config === 'string' ? config : stringify(config));
  return file;
}

async function failure(p: Promise<unknown>): Promise<HomelabError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof HomelabError) return e;
    throw e;
  }
  throw new Error('expected a failure');
}

const k3s = (server: string, token: string): Record<string, unknown> => ({
  apiVersion: 'v1',
  kind: 'Config',
  preferences: {},
  clusters: [{ name: 'default', cluster: { server, 'certificate-authority-data': 'Zm9v' } }],
  contexts: [{ name: 'default', context: { cluster: 'default', user: 'default' } }],
  'current-context': 'default',
  users: [{ name: 'default', user: { token } }],
});

/** Our merged view and current context equal kubectl's for the same environment. */
async function sameAsKubectl(env: { KUBECONFIG?: string; HOME?: string }, options: KubeconfigOptions = {}): Promise<MergedKubeconfig> {
  const merged = await readKubeconfig({ env: ours(env), ...options, kubeconfig: options.kubeconfig && path.resolve(dir, options.kubeconfig) });
  const explicit = options.kubeconfig ? ['--kubeconfig', options.kubeconfig] : [];
  const view = await kubectl([...explicit, 'config', 'view', '--merge', '-o', 'json', '--raw'], env);
  expect(view.stderr).toBe('');
  expect(ourView(merged)).toEqual(kubectlView(view.stdout));
  const current = await kubectl([...explicit, 'config', 'current-context'], env);
  if (current.code === 0) expect(merged.currentContext).toBe(current.stdout.trim());
  else expect(merged.currentContext).toBeUndefined();
  return merged;
}

describe.skipIf(!hasKubectl)('kubeconfig files merged as kubectl merges them', () => {
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'hl-kubeconfig-'));
    home = path.join(dir, 'home');
    mkdirSync(home);
    write('a.yaml', {
      apiVersion: 'v1',
      kind: 'Config',
      'current-context': 'a-ctx',
      clusters: [
        { name: 'shared', cluster: { server: 'https://a.example:6443', 'certificate-authority': 'pki/a-ca.crt' } },
        { name: 'only-a', cluster: { server: 'https://only-a:6443', 'tls-server-name': 'k8s.lan' } },
      ],
      contexts: [
        { name: 'a-ctx', context: { cluster: 'shared', user: 'shared', namespace: 'media' } },
        { name: 'shared', context: { cluster: 'only-a', user: 'shared' } },
      ],
      users: [{ name: 'shared', user: { 'client-certificate': 'pki/a.crt', 'client-key': 'pki/a.key' } }],
    });
    write('b.yaml', {
      apiVersion: 'v1',
      kind: 'Config',
      'current-context': 'b-ctx',
      preferences: { colors: true },
      clusters: [
        { name: 'shared', cluster: { server: 'https://b.example:6443', 'insecure-skip-tls-verify': true, 'tls-server-name': 'b' } },
        {
          name: 'only-b',
          cluster: {
            server: 'https://only-b:6443',
            'proxy-url': 'socks5://127.0.0.1:1080',
            extensions: [{ name: 'client.authentication.k8s.io/exec', extension: { audience: 'b' } }],
          },
        },
      ],
      contexts: [
        { name: 'b-ctx', context: { cluster: 'only-b', user: 'plugin' } },
        { name: 'shared', context: { cluster: 'shared', user: 'shared', namespace: 'b-ns' } },
      ],
      users: [
        { name: 'shared', user: { token: 'b-token' } },
        {
          name: 'plugin',
          user: {
            tokenFile: 'tok',
            exec: { apiVersion: 'client.authentication.k8s.io/v1beta1', command: './plugin', args: ['get-token'], env: [{ name: 'A', value: '1' }] },
          },
        },
      ],
    });
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('KUBECONFIG=a:b: current-context from a, each name from the first file that has it', async () => {
    const m = await sameAsKubectl({ KUBECONFIG: 'a.yaml:b.yaml' });
    expect(m.currentContext).toBe('a-ctx');
    expect(m.clusters.get('shared')?.value.server).toBe('https://a.example:6443');
    expect(m.clusters.get('shared')?.file).toBe(path.join(dir, 'a.yaml'));
    // the whole entry wins, fields are not mixed: a's "shared" has no insecure-skip-tls-verify
    expect(m.clusters.get('shared')?.value['insecure-skip-tls-verify']).toBeUndefined();
    expect(m.preferences.colors).toBe(true);
  });

  it('KUBECONFIG=b:a: the other way round', async () => {
    const m = await sameAsKubectl({ KUBECONFIG: 'b.yaml:a.yaml' });
    expect(m.currentContext).toBe('b-ctx');
    expect(m.users.get('shared')?.value.token).toBe('b-token');
    // client-go defaults a v1beta1 plugin's interactiveMode, and kubectl's view shows it
    expect(m.users.get('plugin')?.value.exec?.interactiveMode).toBe('IfAvailable');
  });

  it('two k3s kubeconfigs, both "default": loaded, the first one wins', async () => {
    write('k3s-1.yaml', k3s('https://192.168.1.50:6443', 'one'));
    write('k3s-2.yaml', k3s('https://192.168.1.60:6443', 'two'));
    const m = await sameAsKubectl({ KUBECONFIG: 'k3s-1.yaml:k3s-2.yaml' });
    expect(m.clusters.get('default')?.value.server).toBe('https://192.168.1.50:6443');
    expect(m.users.get('default')?.value.token).toBe('one');
  });

  it('missing files, empty entries and repeats in KUBECONFIG are skipped', async () => {
    const m = await sameAsKubectl({ KUBECONFIG: ':missing.yaml::b.yaml:a.yaml:b.yaml:' });
    expect(m.files).toEqual([path.join(dir, 'b.yaml'), path.join(dir, 'a.yaml')]);
    expect(m.currentContext).toBe('b-ctx');
  });

  it('--kubeconfig reads that file alone, whatever KUBECONFIG says; ~/.kube/config when KUBECONFIG is unset', async () => {
    const explicit = await sameAsKubectl({ KUBECONFIG: 'a.yaml' }, { kubeconfig: 'b.yaml' });
    expect(explicit.files).toEqual([path.join(dir, 'b.yaml')]);
    const otherHome = path.join(dir, 'home2');
    mkdirSync(path.join(otherHome, '.kube'), { recursive: true });
    writeFileSync(path.join(otherHome, '.kube', 'config'), stringify(k3s('https://10.0.0.1:6443', 'home')));
    const fromHome = await sameAsKubectl({ HOME: otherHome });
    expect(fromHome.files).toEqual([path.join(otherHome, '.kube', 'config')]);
    expect(fromHome.source).toBe('~/.kube/config');
  });

  it('a --kubeconfig that does not exist is an error, as in kubectl', async () => {
    const theirs = await kubectl(['--kubeconfig', 'nope.yaml', 'config', 'current-context']);
    expect(theirs.code).not.toBe(0);
    const err = await failure(readKubeconfig({ kubeconfig: path.join(dir, 'nope.yaml') }));
    expect(err).toBeInstanceOf(UserError);
    expect(err.message).toBe(`the kubeconfig ${path.join(dir, 'nope.yaml')} does not exist`);
  });

  it('YAML 1.1 booleans as kubectl reads them; strings that only look like times stay strings', async () => {
    write(
      'yaml11.yaml',
      'clusters:\n- name: yy\n  cluster: {server: "https://y:6443", insecure-skip-tls-verify: yes}\nusers:\n- name: u\n  user: {username: admin, password: 1:20}\n',
    );
    const m = await sameAsKubectl({ KUBECONFIG: 'yaml11.yaml' });
    expect(m.clusters.get('yy')?.value['insecure-skip-tls-verify']).toBe(true);
    expect(m.users.get('u')?.value.password).toBe('1:20');
  });

  it('unknown keys are dropped as kubectl drops them; an empty file is an empty config', async () => {
    write('unknown.yaml', 'weird: 1\nclusters:\n- name: x\n  extra: 2\n  cluster: {server: "https://x:6443", bogus: 3}\n');
    write('empty.yaml', '# nothing yet\n');
    await sameAsKubectl({ KUBECONFIG: 'empty.yaml:unknown.yaml:a.yaml' });
  });

  it('the files kubectl refuses, we refuse, naming the file and the key', async () => {
    const cases: Array<[string, string, RegExp]> = [
      [
        'badtype.yaml',
        'clusters:\n- name: x\n  cluster: {server: "https://x", insecure-skip-tls-verify: "yes"}\n',
        /badtype\.yaml: clusters\[0\] \("x"\)\.cluster\.insecure-skip-tls-verify: .*expected boolean/,
      ],
      [
        'dup.yaml',
        'clusters:\n- {name: x, cluster: {server: "https://1"}}\n- {name: x, cluster: {server: "https://2"}}\n',
        /dup\.yaml: clusters has two entries named "x"/,
      ],
      [
        'b64.yaml',
        'clusters:\n- {name: x, cluster: {server: "https://1", certificate-authority-data: "!!nope"}}\n',
        /b64\.yaml: clusters\[0\] \("x"\)\.cluster\.certificate-authority-data: is not valid base64/,
      ],
      ['notyaml.yaml', 'clusters: [\n', /notyaml\.yaml is not valid YAML/],
      ['list.yaml', '- a\n- b\n', /list\.yaml is not a kubeconfig/],
      ['pod.yaml', 'kind: Pod\napiVersion: v1\n', /pod\.yaml has kind "Pod"/],
      ['v2.yaml', 'kind: Config\napiVersion: v2\n', /v2\.yaml has apiVersion "v2"/],
      ['numtoken.yaml', 'users:\n- {name: u, user: {token: 0x1F}}\n', /numtoken\.yaml: users\[0\] \("u"\)\.user\.token: .*expected string/],
    ];
    for (const [name, text, message] of cases) {
      write(name, text);
      const theirs = await kubectl(['config', 'view'], { KUBECONFIG: `${name}:a.yaml` });
      expect(theirs.code, `kubectl on ${name}`).not.toBe(0);
      const err = await failure(readKubeconfig({ env: ours({ KUBECONFIG: `${name}:a.yaml` }) }));
      expect(err, name).toBeInstanceOf(UserError);
      expect(err.message).toMatch(message);
    }
    // a directory in KUBECONFIG is an error too (only missing files are skipped)
    expect((await kubectl(['config', 'current-context'], { KUBECONFIG: 'home:a.yaml' })).code).not.toBe(0);
    expect((await failure(readKubeconfig({ env: ours({ KUBECONFIG: 'home:a.yaml' }) }))).message).toMatch(/cannot read kubeconfig .*home: it is a directory/);
  });

  it('--context picks the cluster, user and namespace kubectl picks', async () => {
    const env = { KUBECONFIG: 'b.yaml:a.yaml' };
    write('tok', 'file-token\n');
    for (const context of ['shared', 'b-ctx', 'a-ctx']) {
      const minify = await kubectl(['--context', context, 'config', 'view', '--minify', '-o', 'json', '--raw'], env);
      expect(minify.code).toBe(0);
      const v = JSON.parse(minify.stdout) as {
        clusters: Array<{ name: string; cluster: { server: string } }>;
        users: Array<{ name: string }>;
        contexts: Array<{ context: { namespace?: string } }>;
      };
      const cluster = await loadKubeconfig({ env: ours(env), context });
      expect(cluster.contextName).toBe(context);
      expect(cluster.clusterName).toBe(v.clusters[0]?.name);
      expect(cluster.server).toBe(v.clusters[0]?.cluster.server);
      expect(cluster.userName).toBe(v.users[0]?.name);
      expect(cluster.namespace).toBe(v.contexts[0]?.context.namespace ?? 'default');
      cluster.close();
    }
    // with a.yaml alone, a-ctx's cluster and user are a's, whose CA and client certificate files do not exist: kubectl cannot use it either
    const theirs = await kubectl(['--context', 'a-ctx', 'get', '--raw', '/version'], { KUBECONFIG: 'a.yaml' });
    expect(theirs.stderr).toMatch(/unable to read certificate-authority .*pki\/a-ca\.crt for shared/);
    const err = await failure(loadKubeconfig({ env: ours({ KUBECONFIG: 'a.yaml' }), context: 'a-ctx' }));
    const ca = path.join(dir, 'pki/a-ca.crt');
    expect(err.message).toBe(
      `cannot read certificate-authority ${ca} of cluster "shared" in ${path.join(dir, 'a.yaml')}: ENOENT: no such file or directory, open '${ca}'`,
    );
    write('pki/a-ca.crt', 'not a certificate');
    const notPem = await failure(loadKubeconfig({ env: ours({ KUBECONFIG: 'a.yaml' }), context: 'a-ctx' }));
    expect(notPem.message).toMatch(/^the certificate-authority of cluster "shared" in \S+a\.yaml is not a PEM certificate/);
  });

  it('a context that is missing, or names a missing cluster or user: kubectl fails, and so do we, saying which', async () => {
    write('refs.yaml', {
      clusters: [{ name: 'x', cluster: { server: 'https://127.0.0.1:1' } }],
      contexts: [
        { name: 'nocluster', context: { cluster: 'missing', user: 'u' } },
        { name: 'nouser', context: { cluster: 'x', user: 'ghost' } },
      ],
      users: [{ name: 'u', user: { token: 't' } }],
      'current-context': 'nocluster',
    });
    const env = { KUBECONFIG: 'refs.yaml' };
    const cases: Array<[string, RegExp, RegExp]> = [
      ['nocluster', /cannot locate cluster missing/, /context "nocluster" in .*refs\.yaml names cluster "missing", which is not in the kubeconfig/],
      ['nouser', /cannot locate user ghost/, /context "nouser" in .*refs\.yaml names user "ghost", which is not in the kubeconfig/],
      ['nope', /cannot locate context nope/, /context "nope" is not in the kubeconfig \(KUBECONFIG=\/\S+\/refs\.yaml; it has: nocluster, nouser\)/],
    ];
    for (const [context, theirsSays, oursSays] of cases) {
      const theirs = await kubectl(['--context', context, 'config', 'view', '--minify'], env);
      expect(theirs.code).not.toBe(0);
      expect(theirs.stderr).toMatch(theirsSays);
      const err = await failure(loadKubeconfig({ env: ours(env), context }));
      expect(err).toBeInstanceOf(UserError);
      expect(err.message).toMatch(oursSays);
    }
  });

  it('no current-context anywhere: kubectl says it is not set; we say which contexts there are', async () => {
    write('nocurrent.yaml', { clusters: [{ name: 'x', cluster: { server: 'https://127.0.0.1:1' } }], contexts: [{ name: 'c', context: { cluster: 'x' } }] });
    const theirs = await kubectl(['config', 'current-context'], { KUBECONFIG: 'nocurrent.yaml' });
    expect(theirs.stderr).toMatch(/current-context is not set/);
    const err = await failure(loadKubeconfig({ env: ours({ KUBECONFIG: 'nocurrent.yaml' }), serviceAccountDir: path.join(dir, 'no-sa') }));
    expect(err.message).toMatch(/the kubeconfig \(.*nocurrent\.yaml\) sets no current-context \(it has: c\)/);
    expect(err.hint).toBe('pick one with --context c, or: kubectl config use-context c');
    const none = await failure(loadKubeconfig({ env: ours({ KUBECONFIG: 'missing.yaml' }), serviceAccountDir: path.join(dir, 'no-sa') }));
    expect(none.message).toBe(`no kubeconfig found (looked at KUBECONFIG=${path.join(dir, 'missing.yaml')} and the in-cluster service account)`);
  });

  it('exec plugins: v1 without interactiveMode and an unknown mode are refused, as kubectl refuses them', async () => {
    const plugin = (exec: Record<string, unknown>): Record<string, unknown> => ({
      clusters: [{ name: 'x', cluster: { server: 'https://127.0.0.1:1' } }],
      contexts: [{ name: 'c', context: { cluster: 'x', user: 'u' } }],
      'current-context': 'c',
      users: [{ name: 'u', user: { exec: { command: 'true', ...exec } } }],
    });
    const cases: Array<[Record<string, unknown>, RegExp, RegExp]> = [
      [{ apiVersion: 'client.authentication.k8s.io/v1' }, /interactiveMode must be specified for u/, /has no interactiveMode \(Never, IfAvailable or Always\)/],
      [
        { apiVersion: 'client.authentication.k8s.io/v1', interactiveMode: 'Sometimes' },
        /invalid interactiveMode for u: "Sometimes"/,
        /has interactiveMode "Sometimes"/,
      ],
    ];
    for (const [exec, theirsSays, oursSays] of cases) {
      write('exec.yaml', plugin(exec));
      const theirs = await kubectl(['get', '--raw', '/version', '--request-timeout', '2s'], { KUBECONFIG: 'exec.yaml' });
      expect(theirs.stderr).toMatch(theirsSays);
      expect((await failure(loadKubeconfig({ env: ours({ KUBECONFIG: 'exec.yaml' }) }))).message).toMatch(oursSays);
    }
  });
});

/** GET /version with what the resolved cluster says; the status, or the error's message. */
async function version(cluster: ResolvedCluster): Promise<number | string> {
  const options = await cluster.requestOptions();
  return new Promise((resolve) => {
    const req = request(`${cluster.server}/version`, { ...options, timeout: 5_000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e) => resolve(e.message));
    req.end();
  });
}

describe.skipIf(!hasKubectl)('credentials and TLS settings against the sandbox, beside kubectl', () => {
  let sb: Sandbox;
  let ca: string;
  const b64 = (s: string): string => Buffer.from(s).toString('base64');

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'hl-kubeconfig-'));
    home = path.join(dir, 'home');
    mkdirSync(home);
    sb = await startSandbox({ clientCertificates: true, dir: path.join(dir, 'sandbox') });
    ca = sb.caPem;
    const cert = sb.clientCert;
    if (!cert) throw new Error('the sandbox made no client certificate');
    write('pki/ca.crt', ca);
    write('pki/admin.crt', cert.certPem);
    write('pki/admin.key', cert.keyPem);
    write('tokens/good', `  ${sb.token}\n\n`);
    write('tokens/bad', 'wrong\n');
  });
  afterAll(async () => {
    await sb?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A kubeconfig with one context, written under conf/ so its relative paths point one level up. */
  function config(name: string, cluster: Record<string, unknown>, user: Record<string, unknown>): string {
    return write(`conf/${name}.yaml`, {
      apiVersion: 'v1',
      kind: 'Config',
      'current-context': 'c',
      clusters: [{ name: 'x', cluster: { server: sb.url, ...cluster } }],
      contexts: [{ name: 'c', context: { cluster: 'x', user: 'u' } }],
      users: [{ name: 'u', user }],
    });
  }

  it('lets through what kubectl lets through, and refuses what kubectl refuses', async () => {
    const cert = sb.clientCert as { certPem: string; keyPem: string };
    const caFile = { 'certificate-authority': '../pki/ca.crt' };
    // what we answer: the HTTP status, or our error's message; kubectl must succeed exactly when we get 200
    const cases: Array<[string, Record<string, unknown>, Record<string, unknown>, number | RegExp]> = [
      ['token', caFile, { token: sb.token }, 200],
      ['wrong token', caFile, { token: 'wrong' }, 401],
      ['token file wins over token', caFile, { token: 'wrong', tokenFile: '../tokens/good' }, 200],
      ['token file (wrong) wins over a good token', caFile, { token: sb.token, tokenFile: '../tokens/bad' }, 401],
      ['token and basic auth', caFile, { token: sb.token, username: 'a', password: 'b' }, /has both a token and a username\/password; kubectl allows only one/],
      ['token file and basic auth', caFile, { tokenFile: '../tokens/good', username: 'a', password: 'b' }, /has both a tokenFile and a username\/password/],
      ['CA data', { 'certificate-authority-data': b64(ca) }, { token: sb.token }, 200],
      ['no CA: the sandbox CA is unknown', {}, { token: sb.token }, /self-signed certificate in certificate chain/],
      ['insecure-skip-tls-verify', { 'insecure-skip-tls-verify': true }, { token: sb.token }, 200],
      [
        'CA together with insecure',
        { ...caFile, 'insecure-skip-tls-verify': true },
        { token: sb.token },
        /sets insecure-skip-tls-verify together with a certificate authority/,
      ],
      ['tls-server-name in the certificate', { ...caFile, 'tls-server-name': 'kubernetes' }, { token: sb.token }, 200],
      [
        'tls-server-name not in the certificate',
        { ...caFile, 'tls-server-name': 'nothere' },
        { token: sb.token },
        /Host: nothere\. is not in the cert's altnames/,
      ],
      ['client certificate files', caFile, { 'client-certificate': '../pki/admin.crt', 'client-key': '../pki/admin.key' }, 200],
      ['client certificate data', caFile, { 'client-certificate-data': b64(cert.certPem), 'client-key-data': b64(cert.keyPem) }, 200],
      ['client certificate without key', caFile, { 'client-certificate': '../pki/admin.crt' }, /has a client certificate but no client-key or client-key-data/],
      [
        'CA file missing',
        { 'certificate-authority': '../pki/nope.crt' },
        { token: sb.token },
        /cannot read certificate-authority \S+\/pki\/nope\.crt of cluster "x"/,
      ],
      ['token file missing', caFile, { tokenFile: '../tokens/nope' }, /cannot read the token file \S+\/tokens\/nope of user "u"/],
      [
        'proxy-url of an unknown scheme',
        { ...caFile, 'proxy-url': 'ftp://127.0.0.1:21' },
        { token: sb.token },
        /invalid proxy-url "ftp:\/\/127\.0\.0\.1:21" for cluster "x"/,
      ],
    ];
    const elsewhere = path.join(dir, 'home');
    for (const [name, cluster, user, expected] of cases) {
      const file = config(name.replace(/\W+/g, '-'), cluster, user);
      // run from another directory: relative paths resolve against the kubeconfig's, not the cwd
      const theirs = await kubectl(['get', '--raw', '/version', '--request-timeout', '5s'], { KUBECONFIG: file }, elsewhere);
      expect(theirs.code === 0, `kubectl: ${name}: ${theirs.stderr}`).toBe(expected === 200);
      let ours: number | string;
      try {
        const cluster = await loadKubeconfig({ env: { KUBECONFIG: file, HOME: home } });
        ours = await version(cluster);
        cluster.close();
      } catch (e) {
        ours = (e as Error).message;
      }
      if (expected instanceof RegExp) expect(ours, name).toMatch(expected);
      else expect(ours, name).toBe(expected);
    }
  });

  it('relative certificate paths resolve against the kubeconfig that names them, as kubectl --flatten shows', async () => {
    const file = config(
      'relative',
      { 'certificate-authority': '../pki/ca.crt' },
      { 'client-certificate': '../pki/admin.crt', 'client-key': '../pki/admin.key' },
    );
    const flat = await kubectl(['config', 'view', '--minify', '--flatten', '--raw', '-o', 'json'], { KUBECONFIG: path.relative(home, file) }, home);
    expect(flat.code).toBe(0);
    const v = JSON.parse(flat.stdout) as { clusters: Array<{ cluster: Record<string, string> }>; users: Array<{ user: Record<string, string> }> };
    const decode = (s: string | undefined): string => Buffer.from(s ?? '', 'base64').toString('utf8');
    const cluster = await loadKubeconfig({ env: { KUBECONFIG: file, HOME: home } });
    const options = await cluster.requestOptions();
    expect(options.ca).toBe(decode(v.clusters[0]?.cluster['certificate-authority-data']));
    expect(options.cert).toBe(decode(v.users[0]?.user['client-certificate-data']));
    expect(options.key).toBe(decode(v.users[0]?.user['client-key-data']));
    expect(options.headers.Authorization).toBeUndefined();
    expect(await version(cluster)).toBe(200);
    cluster.close();
  });
});
