/**
 * Credentials from the kubeconfig, used against real servers: the sandbox's HTTPS API server
 * (bearer tokens, client certificates, its CA), a recording HTTP server (the headers kubectl
 * sends), a CONNECT proxy and a SOCKS5 proxy on 127.0.0.1, and exec credential plugins that are
 * real programs. Where kubectl can run the same file, its answer is the expectation.
 */
import { execFile, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import {
  createServer as createHttpServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer, request, type Server as HttpsServer } from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { stringify } from 'yaml';
import { loadKubeconfig, type KubeconfigOptions, type KubeRequestOptions, type ResolvedCluster } from '../../../src/adapters/kube/kubeconfig.js';
import { TOKEN_FILE_REREAD_MS } from '../../../src/adapters/kube/credentials.js';
import { Forbidden, HomelabError, Timeout, Upstream, UserError } from '../../../src/core/errors.js';
import { makeTls, startSandbox, type Sandbox } from '@homelab/sandbox';
import { KUBECTL, hasKubectl } from '../../sandbox/helpers.js';

const V1 = 'client.authentication.k8s.io/v1';
const V1BETA1 = 'client.authentication.k8s.io/v1beta1';

let dir: string;
let sb: Sandbox;

function write(name: string, text: string): string {
  const file = path.join(dir, name);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
  return file;
}

/** A one-context kubeconfig under conf/ (relative paths in it point there). */
function kubeconfig(name: string, cluster: Record<string, unknown>, user: Record<string, unknown>): string {
  return write(
    `conf/${name}.yaml`,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      'current-context': 'c',
      clusters: [{ name: 'x', cluster: { server: sb.url, 'certificate-authority-data': Buffer.from(sb.caPem).toString('base64'), ...cluster } }],
      contexts: [{ name: 'c', context: { cluster: 'x', user: 'u' } }],
      users: [{ name: 'u', user }],
    }),
  );
}

function load(file: string, options: KubeconfigOptions = {}): Promise<ResolvedCluster> {
  return loadKubeconfig({ env: { KUBECONFIG: file, HOME: dir, PATH: process.env.PATH }, pluginStderr: null, stdinIsTerminal: false, ...options });
}

/** GET path with the options the cluster gives; the HTTP status. */
async function get(cluster: ResolvedCluster, options?: KubeRequestOptions, urlPath = '/version'): Promise<number> {
  const opts = options ?? (await cluster.requestOptions());
  const send = cluster.server.startsWith('https:') ? request : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(`${cluster.server}${urlPath}`, { ...opts, timeout: 10_000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy(new Error('no answer')));
    req.on('error', reject);
    req.end();
  });
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

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}
function kubectl(args: string[], kubeconfigFile: string): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      KUBECTL,
      ['--kubeconfig', kubeconfigFile, '--request-timeout', '10s', ...args],
      { timeout: 20_000, env: { PATH: process.env.PATH ?? '', HOME: dir } },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}

// ---------------------------------------------------------------------------------------------
// A credential plugin: a real program that logs each run and answers from its environment.

const PLUGIN = `#!${process.execPath}
import { appendFileSync, readFileSync, realpathSync } from 'node:fs';
const env = process.env;
const info = JSON.parse(env.KUBERNETES_EXEC_INFO ?? 'null');
let stdin;
try { stdin = realpathSync('/proc/self/fd/0'); } catch { stdin = 'closed'; }
appendFileSync(env.PLUGIN_LOG, JSON.stringify({ info, stdin, argv: process.argv.slice(2) }) + '\\n');
const runs = readFileSync(env.PLUGIN_LOG, 'utf8').trim().split('\\n').length;
if (env.PLUGIN_SLEEP) await new Promise((r) => setTimeout(r, Number(env.PLUGIN_SLEEP)));
if (env.PLUGIN_FAIL) { process.stderr.write(env.PLUGIN_FAIL + '\\n'); process.exit(3); }
const tokens = (env.PLUGIN_TOKENS ?? '').split(',');
const status = {};
const token = tokens[Math.min(runs, tokens.length) - 1];
if (token) status.token = token;
if (env.PLUGIN_CERT) { status.clientCertificateData = readFileSync(env.PLUGIN_CERT, 'utf8'); status.clientKeyData = readFileSync(env.PLUGIN_KEY, 'utf8'); }
if (env.PLUGIN_EXPIRES) status.expirationTimestamp = env.PLUGIN_EXPIRES;
process.stdout.write(JSON.stringify({ kind: 'ExecCredential', apiVersion: env.PLUGIN_API_VERSION ?? info.apiVersion, status }));
`;

interface PluginRun {
  info: { apiVersion: string; kind: string; spec: { interactive: boolean; cluster?: Record<string, unknown> } };
  stdin: string;
  argv: string[];
}

let logCount = 0;
/** A fresh log for one test, and a reader of the runs it records. */
function pluginLog(): { file: string; runs: () => PluginRun[] } {
  const file = path.join(dir, `plugin-${++logCount}.log`);
  return {
    file,
    runs: () =>
      existsSync(file)
        ? readFileSync(file, 'utf8')
            .trim()
            .split('\n')
            .map((l) => JSON.parse(l) as PluginRun)
        : [],
  };
}

/** An exec user running conf/bin/plugin.mjs (relative to the kubeconfig) with these env entries. */
function execUser(env: Record<string, string>, exec: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    exec: {
      apiVersion: V1,
      interactiveMode: 'Never',
      command: './bin/plugin.mjs',
      args: ['get-token', '--cluster', 'home'],
      env: Object.entries(env).map(([name, value]) => ({ name, value })),
      installHint: 'install it with: apt install homelab-login',
      ...exec,
    },
  };
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'hl-kube-credentials-'));
  sb = await startSandbox({
    clientCertificates: true,
    dir: path.join(dir, 'sandbox'),
    exec: { rules: [{ namespace: 'pihole', podPrefix: 'pihole-', argv: ['echo', 'through'], stdout: 'through\n' }] },
  });
  write('conf/bin/plugin.mjs', PLUGIN);
  chmodSync(path.join(dir, 'conf/bin/plugin.mjs'), 0o755);
  write('pki/admin.crt', sb.clientCert?.certPem ?? '');
  write('pki/admin.key', sb.clientCert?.keyPem ?? '');
});
afterAll(async () => {
  await sb?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('exec credential plugins', () => {
  it.skipIf(!hasKubectl)('are run as kubectl runs them: same KUBERNETES_EXEC_INFO, args, env, no stdin, path relative to the kubeconfig', async () => {
    for (const [apiVersion, provideClusterInfo] of [
      [V1, true],
      [V1BETA1, false],
    ] as const) {
      const log = pluginLog();
      const file = kubeconfig(
        `exec-${provideClusterInfo}`,
        {
          'tls-server-name': 'kubernetes',
          extensions: [{ name: 'client.authentication.k8s.io/exec', extension: { audience: 'homelab' } }],
        },
        execUser({ PLUGIN_LOG: log.file, PLUGIN_TOKENS: sb.token }, { apiVersion, provideClusterInfo, interactiveMode: 'IfAvailable' }),
      );
      const theirs = await kubectl(['get', '--raw', '/version'], file);
      expect(theirs.code, theirs.stderr).toBe(0);
      const cluster = await load(file);
      expect(await get(cluster)).toBe(200);
      cluster.close();
      // Debian's kubectl is Google's dispatcher, which may ask the server first: kubectl's own run is the one before ours
      const [kubectlRun, ourRun] = log.runs().slice(-2);
      expect(ourRun).toEqual(kubectlRun);
      expect(ourRun?.info.apiVersion).toBe(apiVersion);
      expect(ourRun?.info.spec.interactive).toBe(false);
      expect(ourRun?.stdin).toBe('/dev/null');
      expect(ourRun?.argv).toEqual(['get-token', '--cluster', 'home']);
      if (provideClusterInfo) {
        expect(ourRun?.info.spec.cluster).toEqual({
          server: sb.url,
          'tls-server-name': 'kubernetes',
          'certificate-authority-data': Buffer.from(sb.caPem).toString('base64'),
          config: { audience: 'homelab' },
        });
      } else {
        expect(ourRun?.info.spec.cluster).toBeUndefined();
      }
    }
  });

  it('keeps the credential until its expirationTimestamp, and shares one run between parallel requests', async () => {
    const log = pluginLog();
    let now = Date.parse('2030-01-01T00:00:00Z') - 60_000;
    const cluster = await load(kubeconfig('expiry', {}, execUser({ PLUGIN_LOG: log.file, PLUGIN_TOKENS: sb.token, PLUGIN_EXPIRES: '2030-01-01T00:00:00Z' })), {
      now: () => now,
    });
    const parallel = await Promise.all([1, 2, 3, 4, 5].map(() => cluster.requestOptions()));
    expect(log.runs()).toHaveLength(1);
    expect(new Set(parallel.map((o) => o.headers.Authorization))).toEqual(new Set([`Bearer ${sb.token}`]));
    now = Date.parse('2030-01-01T00:00:00Z');
    expect(await get(cluster)).toBe(200);
    expect(log.runs()).toHaveLength(1);
    now += 1000;
    expect(await get(cluster)).toBe(200);
    expect(log.runs()).toHaveLength(2);
    cluster.close();
  });

  it('runs again after a 401, once for the credential that was refused', async () => {
    const log = pluginLog();
    const cluster = await load(kubeconfig('rerun', {}, execUser({ PLUGIN_LOG: log.file, PLUGIN_TOKENS: `stale,${sb.token}` })));
    const refused = await cluster.requestOptions();
    expect(await get(cluster, refused)).toBe(401);
    expect(cluster.onUnauthorized(refused)).toBe(true);
    expect(cluster.onUnauthorized(refused)).toBe(false);
    const fresh = await cluster.requestOptions();
    expect(await get(cluster, fresh)).toBe(200);
    expect(log.runs()).toHaveLength(2);
    // a late 401 for the old credential does not throw the new one away
    expect(cluster.onUnauthorized(refused)).toBe(false);
    expect(await get(cluster)).toBe(200);
    expect(log.runs()).toHaveLength(2);
    cluster.close();
  });

  it('can answer with a client certificate and key instead of a token', async () => {
    const log = pluginLog();
    const cluster = await load(
      kubeconfig(
        'exec-cert',
        {},
        execUser({ PLUGIN_LOG: log.file, PLUGIN_CERT: path.join(dir, 'pki/admin.crt'), PLUGIN_KEY: path.join(dir, 'pki/admin.key') }),
      ),
    );
    const options = await cluster.requestOptions();
    expect(options.headers.Authorization).toBeUndefined();
    expect(options.cert).toBe(sb.clientCert?.certPem);
    expect(await get(cluster, options)).toBe(200);
    cluster.close();
  });

  it('is not run when the user also has a token, as in client-go', async () => {
    const log = pluginLog();
    const cluster = await load(kubeconfig('exec-and-token', {}, { ...execUser({ PLUGIN_LOG: log.file, PLUGIN_TOKENS: 'other' }), token: sb.token }));
    expect(await get(cluster)).toBe(200);
    expect(log.runs()).toHaveLength(0);
    cluster.close();
  });

  it('a failing plugin: its exit code, its stderr (also copied through) and the install hint', async () => {
    const log = pluginLog();
    const stderr = new PassThrough();
    let copied = '';
    stderr.on('data', (d: Buffer) => (copied += d.toString()));
    const cluster = await load(kubeconfig('fails', {}, execUser({ PLUGIN_LOG: log.file, PLUGIN_FAIL: 'your session expired; run: homelab-login' })), {
      pluginStderr: stderr,
    });
    const err = await failure(cluster.requestOptions());
    expect(err).toBeInstanceOf(Upstream);
    expect(err.message).toBe(
      `the exec credential plugin ${path.join(dir, 'conf/bin/plugin.mjs')} of user "u" in ${path.join(dir, 'conf/fails.yaml')} failed with exit code 3: your session expired; run: homelab-login`,
    );
    expect(err.hint).toBe('install it with: apt install homelab-login');
    expect(copied).toBe('your session expired; run: homelab-login\n');
  });

  it('a plugin that is not installed, or answers nonsense, or takes too long: said so', async () => {
    const missing = await load(kubeconfig('missing-plugin', {}, execUser({}, { command: 'homelab-test-no-such-plugin' })));
    const notFound = await failure(missing.requestOptions());
    expect(notFound).toBeInstanceOf(UserError);
    expect(notFound.message).toMatch(/^the exec credential plugin homelab-test-no-such-plugin of user "u" in \S+ is not installed \(not found on PATH\)$/);
    expect(notFound.hint).toBe('install it with: apt install homelab-login');

    const log = pluginLog();
    const wrongVersion = await load(kubeconfig('wrong-version', {}, execUser({ PLUGIN_LOG: log.file, PLUGIN_TOKENS: 't', PLUGIN_API_VERSION: V1BETA1 })));
    expect((await failure(wrongVersion.requestOptions())).message).toMatch(
      /is configured for client\.authentication\.k8s\.io\/v1 but answered client\.authentication\.k8s\.io\/v1beta1$/,
    );

    const empty = await load(kubeconfig('empty-answer', {}, execUser({ PLUGIN_LOG: log.file })));
    expect((await failure(empty.requestOptions())).message).toMatch(/answered without a token or a client certificate and key$/);

    const slow = await load(kubeconfig('slow', {}, execUser({ PLUGIN_LOG: log.file, PLUGIN_SLEEP: '20000', PLUGIN_TOKENS: 't' })), { pluginTimeoutMs: 300 });
    const timeout = await failure(slow.requestOptions());
    expect(timeout).toBeInstanceOf(Timeout);
    expect(timeout.message).toMatch(/did not finish within 0\.3s and was stopped$/);
  });

  it('interactiveMode against whether stdin is a terminal, and whether it is free (MCP over stdio: it is not)', async () => {
    const modes: Array<[string, Partial<KubeconfigOptions>, boolean | RegExp]> = [
      ['Never', { stdinIsTerminal: true }, false],
      ['IfAvailable', { stdinIsTerminal: false }, false],
      ['IfAvailable', { stdinIsTerminal: true }, true],
      ['IfAvailable', { stdinIsTerminal: true, stdinUnavailable: 'it carries the MCP protocol' }, false],
      ['Always', { stdinIsTerminal: false }, /needs a person at a terminal \(interactiveMode: Always\), and standard input is not a terminal$/],
      ['Always', { stdinIsTerminal: true, stdinUnavailable: 'it carries the MCP protocol' }, /and standard input is unavailable: it carries the MCP protocol$/],
    ];
    for (const [mode, options, expected] of modes) {
      const log = pluginLog();
      const cluster = await load(
        kubeconfig(`mode-${mode}`, {}, execUser({ PLUGIN_LOG: log.file, PLUGIN_TOKENS: sb.token }, { interactiveMode: mode })),
        options,
      );
      if (expected instanceof RegExp) {
        const err = await failure(cluster.requestOptions());
        expect(err).toBeInstanceOf(UserError);
        expect(err.message).toMatch(expected);
        expect(log.runs()).toHaveLength(0);
      } else {
        expect(await get(cluster)).toBe(200);
        expect(log.runs()[0]?.info.spec.interactive, `${mode} ${JSON.stringify(options)}`).toBe(expected);
        if (!expected) expect(log.runs()[0]?.stdin).toBe('/dev/null');
      }
      cluster.close();
    }
  });

  it.skipIf(!existsSync('/usr/bin/script'))('on a real terminal, IfAvailable hands the plugin the terminal', async () => {
    const log = pluginLog();
    const file = kubeconfig('tty', {}, execUser({ PLUGIN_LOG: log.file, PLUGIN_TOKENS: sb.token }, { interactiveMode: 'IfAvailable' }));
    const program = write(
      'tty.mts',
      `import { loadKubeconfig } from ${JSON.stringify(path.resolve('src/adapters/kube/kubeconfig.ts'))};
const cluster = await loadKubeconfig({ kubeconfig: ${JSON.stringify(file)} });
console.log('auth:', (await cluster.requestOptions()).headers.Authorization === 'Bearer ${sb.token}');
`,
    );
    // script runs its command through /bin/sh -c: the words are fixed paths, quoted
    const command = [process.execPath, '--import', 'tsx', program].map((a) => `'${a}'`).join(' ');
    const screen = await new Promise<string>((resolve, reject) => {
      const child = spawn('/usr/bin/script', ['-qefc', command, '/dev/null'], {
        cwd: process.cwd(),
        env: { PATH: process.env.PATH, HOME: dir },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      child.on('error', reject);
      child.on('close', () => resolve(out));
    });
    expect(screen).toContain('auth: true');
    const [run] = log.runs();
    expect(run?.info.spec.interactive).toBe(true);
    expect(run?.stdin).toMatch(/^\/dev\/pts\/\d+$/);
  });
});

describe('token files', () => {
  it('are re-read every minute and after a 401; a failed re-read keeps the last good token', async () => {
    const tokenFile = write('conf/token', `${sb.token}\n`);
    let now = 1_000_000;
    const cluster = await load(kubeconfig('token-file', {}, { tokenFile: 'token' }), { now: () => now });
    expect(await get(cluster)).toBe(200);
    writeFileSync(tokenFile, 'rotated-away\n');
    expect(await get(cluster)).toBe(200);
    now += TOKEN_FILE_REREAD_MS;
    const refused = await cluster.requestOptions();
    expect(await get(cluster, refused)).toBe(401);
    writeFileSync(tokenFile, `${sb.token}\n`);
    expect(cluster.onUnauthorized(refused)).toBe(true);
    expect(await get(cluster)).toBe(200);
    rmSync(tokenFile);
    now += TOKEN_FILE_REREAD_MS;
    expect(await get(cluster)).toBe(200);
    cluster.close();
  });
});

// ---------------------------------------------------------------------------------------------
// Proxies: a CONNECT proxy and a SOCKS5 proxy, each counting the tunnels it opened.

interface Proxy {
  port: number;
  tunnels: string[];
  auth: Array<string | undefined>;
  close: () => Promise<void>;
}

function listen(server: net.Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)));
}

function closer(server: net.Server, sockets: Set<net.Socket>): () => Promise<void> {
  return () =>
    new Promise((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
}

/** An HTTP CONNECT proxy; spoken to over TLS when given a certificate. */
async function connectProxy(requireAuth?: string, tls?: { certPem: string; keyPem: string }): Promise<Proxy> {
  const tunnels: string[] = [];
  const auth: Array<string | undefined> = [];
  const sockets = new Set<net.Socket>();
  const refuse = (_req: IncomingMessage, res: ServerResponse): void => {
    res.statusCode = 405;
    res.end();
  };
  const server = tls ? createHttpsServer({ cert: tls.certPem, key: tls.keyPem }, refuse) : createHttpServer(refuse);
  server.on(tls ? 'secureConnection' : 'connection', (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('connect', (req, client: net.Socket, head: Buffer) => {
    auth.push(req.headers['proxy-authorization']);
    if (requireAuth && req.headers['proxy-authorization'] !== requireAuth) {
      client.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="test"\r\n\r\n');
      return;
    }
    tunnels.push(req.url ?? '');
    const [host, port] = (req.url ?? '').split(':');
    const upstream = net.connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.add(upstream);
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  const port = await listen(server);
  return { port, tunnels, auth, close: closer(server, sockets) };
}

/** RFC 1928 with no auth or RFC 1929 username/password; CONNECT to IPv4 or a name. */
async function socksProxy(credentials?: { user: string; pass: string }): Promise<Proxy> {
  const tunnels: string[] = [];
  const auth: Array<string | undefined> = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => undefined);
    let buf = Buffer.alloc(0);
    let stage: 'greet' | 'auth' | 'connect' = 'greet';
    const onData = (d: Buffer): void => {
      buf = Buffer.concat([buf, d]);
      if (stage === 'greet' && buf.length >= 2 && buf.length >= 2 + (buf[1] as number)) {
        const methods = [...buf.subarray(2, 2 + (buf[1] as number))];
        buf = buf.subarray(2 + (buf[1] as number));
        const want = credentials ? 2 : 0;
        client.write(Buffer.from([5, methods.includes(want) ? want : 0xff]));
        stage = credentials ? 'auth' : 'connect';
      }
      if (stage === 'auth' && buf.length >= 2) {
        const ulen = buf[1] as number;
        if (buf.length < 3 + ulen) return;
        const plen = buf[2 + ulen] as number;
        if (buf.length < 3 + ulen + plen) return;
        const user = buf.subarray(2, 2 + ulen).toString();
        const pass = buf.subarray(3 + ulen, 3 + ulen + plen).toString();
        buf = buf.subarray(3 + ulen + plen);
        auth.push(`${user}:${pass}`);
        const ok = user === credentials?.user && pass === credentials.pass;
        client.write(Buffer.from([1, ok ? 0 : 1]));
        if (!ok) {
          client.end();
          return;
        }
        stage = 'connect';
      }
      if (stage === 'connect' && buf.length >= 5) {
        const type = buf[3];
        const len = type === 1 ? 4 : type === 3 ? 1 + (buf[4] as number) : 16;
        if (buf.length < 4 + len + 2) return;
        const host = type === 1 ? [...buf.subarray(4, 8)].join('.') : buf.subarray(5, 5 + (buf[4] as number)).toString();
        const port = buf.readUInt16BE(4 + len);
        const rest = buf.subarray(4 + len + 2);
        client.off('data', onData);
        tunnels.push(`${host}:${port}`);
        const upstream = net.connect(port, host, () => {
          client.write(Buffer.from([5, 0, 0, 1, 127, 0, 0, 1, 0, 0]));
          upstream.write(rest);
          upstream.pipe(client);
          client.pipe(upstream);
        });
        sockets.add(upstream);
        upstream.on('error', () => client.destroy());
      }
    };
    client.on('data', onData);
  });
  const port = await listen(server);
  return { port, tunnels, auth, close: closer(server, sockets) };
}

describe('proxy-url', () => {
  const target = (): string => new URL(sb.url).host;

  it.skipIf(!hasKubectl)('http://: CONNECT with the credentials of the URL, kept alive between requests, as kubectl goes through it', async () => {
    const proxy = await connectProxy('Basic ' + Buffer.from('me:s3cret/!').toString('base64'));
    try {
      const file = kubeconfig('http-proxy', { 'proxy-url': `http://me:${encodeURIComponent('s3cret/!')}@127.0.0.1:${proxy.port}` }, { token: sb.token });
      const theirs = await kubectl(['get', '--raw', '/version'], file);
      expect(theirs.code, theirs.stderr).toBe(0);
      const kubectlTunnels = proxy.tunnels.length;
      expect(proxy.tunnels).toContain(target());
      const cluster = await load(file);
      expect(await get(cluster)).toBe(200);
      expect(await get(cluster)).toBe(200);
      expect(proxy.tunnels.slice(kubectlTunnels)).toEqual([target()]);
      expect(new Set(proxy.auth)).toEqual(new Set(['Basic ' + Buffer.from('me:s3cret/!').toString('base64')]));
      cluster.close();
    } finally {
      await proxy.close();
    }
  });

  it.skipIf(!hasKubectl)("https://: TLS to the proxy, trusted as Go trusts it (the cluster's TLS settings), as kubectl goes through it", async () => {
    const material = await makeTls();
    const proxy = await connectProxy(undefined, { certPem: material.certPem, keyPem: material.keyPem });
    try {
      // the proxy's certificate is not from the sandbox's CA: only an insecure cluster gets through, in kubectl as in ours
      const insecure = kubeconfig(
        'https-proxy',
        { 'certificate-authority-data': undefined, 'insecure-skip-tls-verify': true, 'proxy-url': `https://127.0.0.1:${proxy.port}` },
        { token: sb.token },
      );
      const theirs = await kubectl(['get', '--raw', '/version'], insecure);
      expect(theirs.code, theirs.stderr).toBe(0);
      const kubectlTunnels = proxy.tunnels.length;
      const cluster = await load(insecure);
      expect(await get(cluster)).toBe(200);
      expect(proxy.tunnels.slice(kubectlTunnels)).toEqual([target()]);
      cluster.close();
      const verified = kubeconfig('https-proxy-verified', { 'proxy-url': `https://127.0.0.1:${proxy.port}` }, { token: sb.token });
      expect((await kubectl(['get', '--raw', '/version'], verified)).code).not.toBe(0);
      const refused = await load(verified);
      await expect(get(refused)).rejects.toThrow(/cannot reach the API server through the proxy https:\/\/127\.0\.0\.1:\d+: .*(certificate|self.signed)/i);
      refused.close();
    } finally {
      await proxy.close();
    }
  });

  it('a proxy that wants credentials we did not give: 407 said, with what to do', async () => {
    const proxy = await connectProxy('Basic bm8=');
    try {
      const cluster = await load(kubeconfig('proxy-407', { 'proxy-url': `http://127.0.0.1:${proxy.port}` }, { token: sb.token }));
      const err = await get(cluster).catch((e: unknown) => e as HomelabError);
      expect(err).toBeInstanceOf(Upstream);
      expect((err as HomelabError).message).toBe(
        `the proxy http://127.0.0.1:${proxy.port} refused to connect to ${target()}: 407 Proxy Authentication Required`,
      );
      expect((err as HomelabError).hint).toBe('the proxy wants credentials: put them in proxy-url (http://USER:PASSWORD@HOST:PORT)');
      cluster.close();
    } finally {
      await proxy.close();
    }
  });

  it.skipIf(!hasKubectl)('socks5://: with and without a username and password, as kubectl goes through it', async () => {
    for (const credentials of [undefined, { user: 'me', pass: 'pw' }]) {
      const proxy = await socksProxy(credentials);
      try {
        const userinfo = credentials ? `${credentials.user}:${credentials.pass}@` : '';
        const file = kubeconfig('socks', { 'proxy-url': `socks5://${userinfo}127.0.0.1:${proxy.port}` }, { token: sb.token });
        const theirs = await kubectl(['get', '--raw', '/version'], file);
        expect(theirs.code, theirs.stderr).toBe(0);
        const kubectlTunnels = proxy.tunnels.length;
        expect(proxy.tunnels).toContain(target());
        const cluster = await load(file);
        expect(await get(cluster)).toBe(200);
        expect(await get(cluster)).toBe(200);
        expect(proxy.tunnels.slice(kubectlTunnels)).toEqual([target()]);
        expect(new Set(proxy.auth)).toEqual(new Set(credentials ? ['me:pw'] : []));
        cluster.close();
      } finally {
        await proxy.close();
      }
    }
  });

  it('the exec WebSocket goes through the same agent and proxy', async () => {
    const proxy = await connectProxy();
    try {
      const cluster = await load(kubeconfig('ws-proxy', { 'proxy-url': `http://127.0.0.1:${proxy.port}` }, { token: sb.token }));
      const pod = sb.store
        .list('pods', 'pihole')
        .map((p) => p.metadata.name ?? '')
        .find((n) => n.startsWith('pihole-'));
      const url = `${cluster.server.replace(/^https/, 'wss')}/api/v1/namespaces/pihole/pods/${pod}/exec?command=echo&command=through&stdout=true&stderr=true`;
      const options = await cluster.requestOptions();
      const stdout = await new Promise<string>((resolve, reject) => {
        const ws = new WebSocket(url, ['v5.channel.k8s.io'], { ...options, headers: { ...options.headers } });
        let out = '';
        ws.on('message', (data: Buffer) => {
          if (data[0] === 1) out += data.subarray(1).toString();
        });
        ws.on('close', () => resolve(out));
        ws.on('error', reject);
      });
      expect(stdout).toBe('through\n');
      expect(proxy.tunnels).toEqual([target()]);
      cluster.close();
    } finally {
      await proxy.close();
    }
  });
});

// ---------------------------------------------------------------------------------------------

describe.skipIf(!hasKubectl)('headers: the same as kubectl sends', () => {
  const servers: Array<Server | HttpsServer> = [];
  let seen: IncomingHttpHeaders[];
  let httpsUrl: string;
  let httpUrl: string;
  let tlsCa: string;
  beforeAll(async () => {
    seen = [];
    const record = (req: IncomingMessage, res: ServerResponse): void => {
      seen.push(req.headers);
      res.setHeader('Content-Type', 'application/json');
      res.end('{"major":"1","minor":"31","gitVersion":"v1.31.4"}');
    };
    const material = await makeTls();
    tlsCa = material.caPem;
    const secure = createHttpsServer({ key: material.keyPem, cert: material.certPem }, record);
    const plain = createHttpServer(record);
    servers.push(secure, plain);
    httpsUrl = `https://127.0.0.1:${await listen(secure)}`;
    httpUrl = `http://127.0.0.1:${await listen(plain)}`;
  });
  afterAll(() => Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve())))));

  function headersFile(name: string, cluster: Record<string, unknown>, user: Record<string, unknown>): string {
    return write(
      `conf/${name}.yaml`,
      stringify({
        apiVersion: 'v1',
        kind: 'Config',
        'current-context': 'c',
        clusters: [{ name: 'x', cluster }],
        contexts: [{ name: 'c', context: { cluster: 'x', user: 'u' } }],
        users: [{ name: 'u', user }],
      }),
    );
  }
  const pick = (h: IncomingHttpHeaders): Record<string, unknown> =>
    Object.fromEntries(Object.entries(h).filter(([k]) => k === 'authorization' || k.startsWith('impersonate-')));

  /** kubectl's request and ours to the same server, from the same file. */
  async function both(file: string): Promise<[IncomingHttpHeaders, IncomingHttpHeaders]> {
    const theirs = await kubectl(['get', '--raw', '/version'], file);
    expect(theirs.code, theirs.stderr).toBe(0);
    const cluster = await load(file);
    expect(await get(cluster)).toBe(200);
    cluster.close();
    // Debian's kubectl is Google's dispatcher, which may ask the server first: kubectl's own request is the one before ours
    return seen.slice(-2) as [IncomingHttpHeaders, IncomingHttpHeaders];
  }

  it('basic auth and impersonation (user, uid, groups, extra with a key that needs escaping)', async () => {
    const [kubectlSent, weSent] = await both(
      headersFile(
        'headers',
        { server: httpsUrl, 'certificate-authority-data': Buffer.from(tlsCa).toString('base64') },
        {
          username: 'admin',
          password: 'pä:ss',
          as: 'jane',
          'as-uid': '42',
          'as-groups': ['ops', 'media'],
          'as-user-extra': { 'example.com/scopes': ['view', 'edit'] },
        },
      ),
    );
    expect(pick(weSent)).toEqual(pick(kubectlSent));
    expect(pick(weSent)).toMatchObject({
      authorization: `Basic ${Buffer.from('admin:pä:ss').toString('base64')}`,
      'impersonate-user': 'jane',
      'impersonate-extra-example.com%2fscopes': 'view, edit',
    });
  });

  it('over plain http no credentials go out (impersonation does), as with kubectl', async () => {
    const [kubectlSent, weSent] = await both(headersFile('plain-http', { server: httpUrl }, { token: 'secret-token', as: 'jane' }));
    expect(pick(weSent)).toEqual(pick(kubectlSent));
    expect(pick(weSent)).toEqual({ 'impersonate-user': 'jane' });
  });
});

describe('in-cluster', () => {
  let sa: string;
  beforeAll(() => {
    sa = path.join(dir, 'serviceaccount');
    write('serviceaccount/token', `${sb.token}\n`);
    write('serviceaccount/ca.crt', sb.caPem);
    write('serviceaccount/namespace', 'mcp-homelab\n');
  });
  const podEnv = (): NodeJS.ProcessEnv => ({
    KUBECONFIG: path.join(dir, 'none.yaml'),
    KUBERNETES_SERVICE_HOST: '127.0.0.1',
    KUBERNETES_SERVICE_PORT: new URL(sb.url).port,
  });

  it('uses the service account when no kubeconfig chooses a context', async () => {
    const cluster = await loadKubeconfig({ env: podEnv(), serviceAccountDir: sa });
    expect(cluster.server).toBe(sb.url);
    expect(cluster.contextName).toBeUndefined();
    expect(cluster.namespace).toBe('mcp-homelab');
    expect(cluster.describe()).toBe(`the in-cluster service account (${sa}) at ${sb.url}`);
    expect(await get(cluster)).toBe(200);
    cluster.close();
    expect((await loadKubeconfig({ env: { ...podEnv(), POD_NAMESPACE: 'elsewhere' }, serviceAccountDir: sa })).namespace).toBe('elsewhere');
    const v6 = await loadKubeconfig({ env: { ...podEnv(), KUBERNETES_SERVICE_HOST: 'fd00:10:43::1', KUBERNETES_SERVICE_PORT: '443' }, serviceAccountDir: sa });
    // the URL's default port is left out, as WHATWG URLs do
    expect(v6.server).toBe('https://[fd00:10:43::1]');
  });

  it('a kubeconfig with a current-context wins; --context names a context, which in-cluster has none of', async () => {
    const file = kubeconfig('beside-sa', {}, { token: sb.token });
    const fromFile = await loadKubeconfig({ env: { ...podEnv(), KUBECONFIG: file }, serviceAccountDir: sa });
    expect(fromFile.contextName).toBe('c');
    const err = await failure(loadKubeconfig({ env: podEnv(), serviceAccountDir: sa, context: 'home' }));
    expect(err.message).toBe(`context "home" is not in the kubeconfig (KUBECONFIG=${path.join(dir, 'none.yaml')}; it has: no contexts)`);
  });
});

describe('auth-provider', () => {
  const jwt = (exp: number): string =>
    ['{"alg":"none"}', JSON.stringify({ sub: 'me', exp })].map((s) => Buffer.from(s).toString('base64url')).join('.') + '.sig';
  const oidc = (config: Record<string, string>): Record<string, unknown> => ({
    'auth-provider': { name: 'oidc', config: { 'idp-issuer-url': 'https://id.example', 'client-id': 'k8s', ...config } },
  });

  it('oidc: the id-token while it is valid; expired, a clear refusal and what to use instead', async () => {
    const now = Date.parse('2030-01-01T00:00:00Z');
    const valid = jwt(now / 1000 + 3600);
    const cluster = await load(kubeconfig('oidc', {}, oidc({ 'id-token': valid, 'refresh-token': 'r' })), { now: () => now });
    expect((await cluster.requestOptions()).headers.Authorization).toBe(`Bearer ${valid}`);
    const expired = await load(kubeconfig('oidc-expired', {}, oidc({ 'id-token': jwt(now / 1000 - 1), 'refresh-token': 'r' })), { now: () => now });
    const err = await failure(expired.requestOptions());
    expect(err).toBeInstanceOf(Forbidden);
    expect(err.message).toMatch(
      /the oidc id-token of user "u" in \S+ is expired, and homelab does not refresh oidc tokens \(kubectl does, with the refresh-token\)$/,
    );
    expect(err.hint).toMatch(/kubelogin/);
  });

  it('gcp and azure: removed from kubectl, and the plugin to use named', async () => {
    const gcp = await failure(load(kubeconfig('gcp', {}, { 'auth-provider': { name: 'gcp' } })));
    expect(gcp.message).toMatch(/uses the gcp auth-provider, which kubectl removed$/);
    expect(gcp.hint).toMatch(/gke-gcloud-auth-plugin/);
    const azure = await failure(load(kubeconfig('azure', {}, { 'auth-provider': { name: 'azure' } })));
    expect(azure.hint).toMatch(/kubelogin convert-kubeconfig/);
  });
});
