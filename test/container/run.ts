/**
 * The container test: builds deploy/Dockerfile and runs the image as deploy/base runs it, against a
 * sandbox on this machine.
 *
 *   npx tsx test/container/run.ts     as root, after `npm run build`; .ci/run runs it after `npm test`
 *
 * Needs Debian's docker.io and debootstrap (.ci/run installs them), Debian's archive and the npm
 * registry, and no container registry: the Dockerfile's base image is built here first
 * (base-rootfs.sh: Debian minbase + Node 22 from npm) under the name the Dockerfile pulls, then the
 * Dockerfile is built as it is, with the classic builder. Everything (the Docker engine's data, the
 * sandbox, the staged volumes) lives in one /tmp/hl-container-* folder, removed at the end.
 *
 * Checks: the image's user; /healthz, /readyz and /metrics; 401 with WWW-Authenticate without a key and with a wrong one;
 * an MCP initialize, tools/list and a tool call with the key (the real SDK client) that answer from
 * the sandbox; the user, capabilities, no-new-privileges and memory limit in force; /app and the
 * config not writable, /tmp writable; SIGTERM ends it with 0 within the grace period. Prints the image
 * size and the server's RSS idle and after 100 calls; writes .test-results/container.json.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { parseConfig } from '../../src/core/config.js';
import { asDeployed } from './as-deployed.js';
import { startDockerEngine, type DockerEngine } from './docker.js';
import { run, tail, waitFor } from './process.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const IMAGE = 'homelab:container-test';
const CONTAINER = 'homelab-container-test';
const CALLS = 100;

const log = (line: string) => process.stdout.write(`container: ${line}\n`);

// --- results -------------------------------------------------------------------------------------

interface Check {
  name: string;
  ok: boolean;
  detail: string;
}
const checks: Check[] = [];
const figures: Record<string, number | string> = {};

/** Runs one check; a failure is recorded and the next check still runs. */
async function check(name: string, body: () => Promise<string | void>): Promise<void> {
  try {
    const detail = (await body()) ?? '';
    checks.push({ name, ok: true, detail });
    log(`ok    ${name}${detail ? `: ${detail}` : ''}`);
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    checks.push({ name, ok: false, detail });
    log(`FAIL  ${name}: ${detail}`);
  }
}

/** A step the rest depends on: its failure ends the test, named in the error. */
async function step<T>(name: string, body: () => Promise<T>): Promise<T> {
  log(`${name} ...`);
  const started = Date.now();
  try {
    const value = await body();
    log(`${name}: done in ${Math.round((Date.now() - started) / 1000)} s`);
    return value;
  } catch (err) {
    throw new Error(`${name}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

// --- cleanup: everything this run started or made, in reverse order ------------------------------

const cleanups: Array<() => Promise<void>> = [];
async function cleanUp(): Promise<void> {
  while (cleanups.length) {
    try {
      await cleanups.pop()!();
    } catch (err) {
      log(`cleanup: ${(err as Error).message}`);
    }
  }
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void cleanUp().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143)));
}

/** Unmounts whatever is still mounted under `dir` (deepest first), so it can be removed. */
async function unmountUnder(dir: string): Promise<void> {
  const points = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4] ?? '')
    .filter((mountPoint) => mountPoint.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
  for (const mountPoint of points) await run('umount', ['-l', mountPoint], { timeoutMs: 10_000 }).catch(() => undefined);
}

// --- the pieces ----------------------------------------------------------------------------------

function onPath(program: string): boolean {
  return (process.env.PATH ?? '').split(':').some((dir) => dir && existsSync(path.join(dir, program)));
}

/** The one image the Dockerfile builds FROM (its own stages aside). */
function baseImageOf(dockerfile: string): string {
  const stages = new Set<string>();
  const bases = new Set<string>();
  for (const match of dockerfile.matchAll(/^FROM\s+(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?\s*$/gim)) {
    if (!stages.has(match[1]!)) bases.add(match[1]!);
    if (match[2]) stages.add(match[2]);
  }
  if (bases.size !== 1) throw new Error(`deploy/Dockerfile builds FROM ${[...bases].join(', ') || 'nothing'}: the test stands in for exactly one base image`);
  return [...bases][0]!;
}

interface Sandbox {
  kubeconfig: string;
  stop(): Promise<void>;
}

/** `homelab sandbox`, as a user runs it: the simulated cluster on 127.0.0.1. */
async function startSandbox(dir: string): Promise<Sandbox> {
  const child: ChildProcess = spawn(process.execPath, [path.join(root, 'bin/run.js'), 'sandbox', '--dir', dir], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1' },
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  try {
    const kubeconfig = await waitFor('the sandbox', 30_000, async () => {
      if (child.exitCode !== null) throw new Error(`homelab sandbox exited ${child.exitCode}: ${tail(err)}`);
      return /export KUBECONFIG=(\S+)/.exec(out)?.[1];
    });
    return { kubeconfig, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

const kubeconfigSchema = z.object({
  clusters: z.array(z.object({ cluster: z.object({ server: z.string().url(), 'certificate-authority-data': z.string() }) })).min(1),
  users: z.array(z.object({ user: z.object({ token: z.string() }) })).min(1),
});

/** The node names the sandbox's API server lists, read directly (not through homelab). */
function sandboxNodes(kubeconfigPath: string): Promise<string[]> {
  const kubeconfig = kubeconfigSchema.parse(parseYaml(readFileSync(kubeconfigPath, 'utf8')));
  const { server, 'certificate-authority-data': ca } = kubeconfig.clusters[0]!.cluster;
  const { token } = kubeconfig.users[0]!.user;
  return new Promise((resolve, reject) => {
    const req = request(
      new URL('/api/v1/nodes', server),
      { ca: Buffer.from(ca, 'base64'), headers: { Authorization: `Bearer ${token}` }, timeout: 10_000 },
      (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => {
          try {
            resolve(
              z
                .object({ items: z.array(z.object({ metadata: z.object({ name: z.string() }) })) })
                .parse(JSON.parse(body))
                .items.map((n) => n.metadata.name),
            );
          } catch (e) {
            reject(e instanceof Error ? e : new Error(String(e)));
          }
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('the sandbox did not answer GET /api/v1/nodes within 10 s')));
    req.on('error', reject);
    req.end();
  });
}

/** RSS and its peak (MiB) of a host process, from /proc. */
function memoryOf(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s*(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
  return { rss: Math.round(kib('VmRSS') / 1024), peak: Math.round(kib('VmHWM') / 1024) };
}

const INITIALIZE = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'homelab-container-test', version: '1.0.0' } },
});

/** A plain POST of an initialize, as any HTTP client would send it. */
function postInitialize(url: string, headers: Record<string, string>): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream', ...headers },
    body: INITIALIZE,
    signal: AbortSignal.timeout(10_000),
  });
}

/** What `docker exec` sees inside the container, as the container's user. */
const INSIDE = `
const fs = require('node:fs');
const write = (file) => { try { fs.writeFileSync(file, 'x'); fs.unlinkSync(file); return 'ok'; } catch (e) { return e.code; } };
const status = fs.readFileSync('/proc/1/status', 'utf8');
const field = (name) => (new RegExp('^' + name + ':\\\\s*(\\\\S+)', 'm').exec(status) || [])[1];
const limit = ['/sys/fs/cgroup/memory.max', '/sys/fs/cgroup/memory/memory.limit_in_bytes'].filter((f) => fs.existsSync(f)).map((f) => fs.readFileSync(f, 'utf8').trim())[0];
console.log(JSON.stringify({
  uid: process.getuid(), gid: process.getgid(),
  server: fs.readFileSync('/proc/1/cmdline', 'utf8').split('\\0').filter(Boolean).join(' '),
  serverUid: field('Uid'), capEff: field('CapEff'), capBnd: field('CapBnd'), noNewPrivs: field('NoNewPrivs'),
  memoryLimit: limit,
  app: write('/app/probe'), config: write('/etc/homelab/probe'), root: write('/probe'), tmp: write('/tmp/probe'),
}));
`;
const insideSchema = z.object({
  uid: z.number(),
  gid: z.number(),
  server: z.string(),
  serverUid: z.string(),
  capEff: z.string(),
  capBnd: z.string(),
  noNewPrivs: z.string(),
  memoryLimit: z.string().optional(),
  app: z.string(),
  config: z.string(),
  root: z.string(),
  tmp: z.string(),
});

// --- the test ------------------------------------------------------------------------------------

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('run as root: it starts dockerd and runs debootstrap');
  for (const program of ['dockerd', 'debootstrap']) {
    if (!onPath(program)) throw new Error(`${program} is not installed (apt-get install docker.io debootstrap; .ci/run does)`);
  }
  if (!existsSync(path.join(root, 'dist/commands'))) throw new Error('dist/ is missing: npm run build first (the sandbox is started from it)');

  const work = mkdtempSync('/tmp/hl-container-');
  cleanups.push(async () => {
    await unmountUnder(work);
    rmSync(work, { recursive: true, force: true });
  });
  log(`working in ${work}`);

  const engine: DockerEngine = await step('start a Docker engine of our own', () => startDockerEngine(path.join(work, 'docker')));
  cleanups.push(() => engine.stop());
  const { docker } = engine;

  const dockerfile = readFileSync(path.join(root, 'deploy/Dockerfile'), 'utf8');
  const baseImage = baseImageOf(dockerfile);
  await step(`build the stand-in for ${baseImage} (debootstrap + Node 22 from npm)`, async () => {
    const arch = (await run('dpkg', ['--print-architecture'], { timeoutMs: 10_000 })).stdout.trim();
    const tarball = path.join(work, 'base-rootfs.tar');
    await run('bash', [path.join(root, 'test/container/base-rootfs.sh'), arch, tarball, path.join(work, 'base')], {
      timeoutMs: 20 * 60_000,
      log: path.join(work, 'base.log'),
    });
    await docker(
      ['import', '--change', 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', '--change', 'CMD ["node"]', tarball, baseImage],
      { timeoutMs: 5 * 60_000 },
    );
    rmSync(path.join(work, 'base'), { recursive: true, force: true });
    rmSync(tarball, { force: true });
  });

  const buildLog = path.join(work, 'build.log');
  await step('build deploy/Dockerfile (classic builder)', async () => {
    try {
      await docker(['build', '--network', 'host', '--file', 'deploy/Dockerfile', '--tag', IMAGE, '.'], { cwd: root, timeoutMs: 40 * 60_000, log: buildLog });
    } catch (err) {
      throw new Error(`${(err as Error).message.split('\n')[0]}\n${tail(readFileSync(buildLog, 'utf8'), 40)}`);
    }
  });

  const imageSchema = z.object({ Size: z.number(), Config: z.object({ User: z.string(), Entrypoint: z.array(z.string()).nullable() }) });
  const inspectImage = async (name: string) => imageSchema.parse(JSON.parse((await docker(['image', 'inspect', '--format', '{{json .}}', name])).stdout));
  const image = await inspectImage(IMAGE);
  const base = await inspectImage(baseImage);
  figures.imageMB = Math.round(image.Size / 1e6);
  figures.baseImageMB = Math.round(base.Size / 1e6);
  log(`image ${IMAGE}: ${figures.imageMB} MB (the base stand-in ${figures.baseImageMB} MB, homelab's layers ${Math.round((image.Size - base.Size) / 1e6)} MB)`);
  await check('the image runs as a numeric non-root user (what runAsNonRoot can verify)', async () => {
    assert.match(image.Config.User, /^[1-9]\d*(:\d+)?$/, `USER is "${image.Config.User}"`);
    return `USER ${image.Config.User}`;
  });

  const sandbox = await step('start the sandbox (homelab sandbox)', () => startSandbox(path.join(work, 'sandbox')));
  cleanups.push(() => sandbox.stop());

  const key = randomBytes(32).toString('hex');
  const config = parseConfig(parseYaml(readFileSync(path.join(root, 'deploy/base/config.yaml'), 'utf8')), 'deploy/base/config.yaml');
  const keyRef = config.mcp.apiKey;
  if (!keyRef || !('file' in keyRef)) throw new Error('deploy/base/config.yaml: mcp.apiKey is not a file (the Deployment mounts the key from a Secret)');
  const deployed = asDeployed(path.join(root, 'deploy/base'), path.join(work, 'volumes'), {
    secretFiles: { [path.posix.dirname(keyRef.file)]: { [path.posix.basename(keyRef.file)]: `${key}\n` } },
    kubeconfig: sandbox.kubeconfig,
  });

  cleanups.push(async () => {
    await docker(['rm', '--force', CONTAINER]).catch(() => undefined);
  });
  const url = await step('run the image as the Deployment does', async () => {
    await docker(['run', '--detach', '--name', CONTAINER, ...deployed.runFlags, IMAGE, ...deployed.args]);
    return waitFor('the server to listen', 60_000, async () => {
      const logs = await docker(['logs', CONTAINER]);
      const listening = /listening on (http:\/\/\S+)/.exec(logs.stdout + logs.stderr)?.[1];
      if (listening) return listening;
      const state = (await docker(['inspect', '--format', '{{.State.Running}}', CONTAINER])).stdout.trim();
      if (state !== 'true') throw new Error(`the container stopped:\n${tail(logs.stdout + logs.stderr)}`);
      return undefined;
    });
  });
  log(`docker run ${deployed.runFlags.join(' ')} ${IMAGE} ${deployed.args.join(' ')}`);
  const pid = Number((await docker(['inspect', '--format', '{{.State.Pid}}', CONTAINER])).stdout.trim());
  const origin = new URL(url).origin;

  await check('GET /healthz answers 200 {"status":"ok"}', async () => {
    const res = await fetch(`${origin}/healthz`, { signal: AbortSignal.timeout(10_000) });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { status: 'ok' });
  });
  await check('GET /readyz answers 200: the config is loaded and the API server (the sandbox) answers', async () => {
    const res = await fetch(`${origin}/readyz`, { signal: AbortSignal.timeout(10_000) });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { status: 'ready', config: 'loaded', apiServer: 'ok' });
  });
  const idle = memoryOf(pid);
  figures.rssIdleMiB = idle.rss;

  await check('POST /mcp without a key: 401 with WWW-Authenticate', async () => {
    const res = await postInitialize(url, {});
    assert.equal(res.status, 401);
    assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer /);
  });
  await check('POST /mcp with a wrong key: 401', async () => {
    const res = await postInitialize(url, { 'X-API-Key': randomBytes(32).toString('hex') });
    assert.equal(res.status, 401);
  });

  const client = new Client({ name: 'homelab-container-test', version: '1.0.0' });
  await check('MCP initialize and tools/list with the key (the SDK client, X-API-Key)', async () => {
    await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { 'X-API-Key': key } } }));
    assert.equal(client.getServerVersion()?.name, 'homelab');
    const { tools } = await client.listTools();
    assert.ok(
      tools.some((t) => t.name === 'cluster_health'),
      `tools: ${tools.map((t) => t.name).join(', ')}`,
    );
    return `${tools.length} tools`;
  });
  const expectedNodes = (await sandboxNodes(sandbox.kubeconfig)).sort();
  const healthSchema = z.object({ verdict: z.string(), nodes: z.array(z.object({ name: z.string() })) });
  await check("tools/call cluster_health answers from the sandbox's API server", async () => {
    // limit: every node (an assistant gets the worst one unless it asks).
    const result = await client.callTool({ name: 'cluster_health', arguments: { limit: 10 } });
    assert.notEqual(result.isError, true, JSON.stringify(result.content));
    const health = healthSchema.parse(result.structuredContent);
    assert.deepEqual(health.nodes.map((n) => n.name).sort(), expectedNodes);
    return `verdict ${health.verdict}, nodes ${expectedNodes.join(', ')}`;
  });

  await check(`${CALLS} more tool calls, each answered`, async () => {
    const started = Date.now();
    let rateLimited = 0;
    for (let i = 0; i < CALLS; i++) {
      // The Deployment's mcp.rateLimit holds: past its burst a call gets 429, and is sent again after Retry-After.
      for (;;) {
        try {
          const result = await client.callTool({ name: 'cluster_health', arguments: {} });
          assert.notEqual(result.isError, true, `call ${i + 1}: ${JSON.stringify(result.content)}`);
          break;
        } catch (err) {
          const retryIn = /Too many requests: .*retry in (\d+) s/.exec(String(err))?.[1];
          if (!retryIn) throw err;
          rateLimited += 1;
          await new Promise((resolve) => setTimeout(resolve, Number(retryIn) * 1000));
        }
      }
    }
    figures.callsPerSecond = Math.round((CALLS / ((Date.now() - started) / 1000)) * 10) / 10;
    return `${figures.callsPerSecond} calls/s, one at a time${rateLimited ? ` (${rateLimited} answered 429 by the Deployment's rate limit and sent again after Retry-After)` : ''}`;
  });
  await check(`GET /metrics: the ${CALLS + 1} calls counted under homelab_mcp_*, process metrics too`, async () => {
    const res = await fetch(`${origin}/metrics`, { signal: AbortSignal.timeout(10_000) });
    assert.equal(res.status, 200);
    const text = await res.text();
    assert.match(text, new RegExp(`^homelab_mcp_tool_calls_total\\{tool="cluster_health",outcome="ok"\\} ${CALLS + 1}$`, 'm'));
    assert.match(text, /^homelab_mcp_tool_call_duration_seconds_count\{tool="cluster_health"\} \d+$/m);
    assert.match(text, /^process_resident_memory_bytes \d+/m);
  });
  const after = memoryOf(pid);
  figures.rssAfterCallsMiB = after.rss;
  figures.rssPeakMiB = after.peak;
  figures.memoryLimitMiB = Math.round(deployed.memoryBytes / 2 ** 20);
  log(`server RSS: idle ${idle.rss} MiB, after ${CALLS} calls ${after.rss} MiB (peak ${after.peak} MiB; limit ${figures.memoryLimitMiB} MiB)`);
  await client.close();

  await check(
    "inside: the Deployment's user, no capabilities, no-new-privileges, the memory limit; /app, / and the config read-only, /tmp writable",
    async () => {
      const inside = insideSchema.parse(JSON.parse((await docker(['exec', CONTAINER, 'node', '-e', INSIDE])).stdout));
      // One comparison, so a failure shows every difference at once.
      assert.deepEqual(
        { ...inside, serverUid: inside.serverUid.split(/\s+/)[0], memoryLimit: Number(inside.memoryLimit) },
        {
          uid: deployed.user.uid,
          gid: deployed.user.gid,
          server: `node /app/bin/run.js ${deployed.args.join(' ')}`,
          serverUid: String(deployed.user.uid),
          capEff: '0000000000000000',
          capBnd: '0000000000000000',
          noNewPrivs: '1',
          memoryLimit: deployed.memoryBytes,
          // Writes: EROFS, the read-only file system, not a permission: the root and the mounts are read-only.
          app: 'EROFS',
          root: 'EROFS',
          config: 'EROFS',
          tmp: 'ok',
        },
      );
    },
  );

  await check(`SIGTERM: exits 0 within the grace period (${deployed.graceMs / 1000} s)`, async () => {
    const started = Date.now();
    await docker(['kill', '--signal', 'SIGTERM', CONTAINER]);
    const state = await waitFor('the container to exit', deployed.graceMs, async () => {
      const [running, code, oom] = (await docker(['inspect', '--format', '{{.State.Running}} {{.State.ExitCode}} {{.State.OOMKilled}}', CONTAINER])).stdout
        .trim()
        .split(' ');
      return running === 'false' ? { code: Number(code), oom: oom === 'true' } : undefined;
    });
    assert.deepEqual(state, { code: 0, oom: false });
    return `after ${((Date.now() - started) / 1000).toFixed(1)} s`;
  });

  const failed = checks.filter((c) => !c.ok);
  if (failed.length) {
    const logs = await docker(['logs', CONTAINER]).catch((err: Error) => ({ stdout: '', stderr: err.message }));
    log(`the container's log:\n${tail(logs.stdout + logs.stderr, 60)}`);
  }
}

function report(): number {
  const passed = checks.filter((c) => c.ok).length;
  const failed = checks.length - passed;
  mkdirSync(path.join(root, '.test-results'), { recursive: true });
  writeFileSync(path.join(root, '.test-results/container.json'), `${JSON.stringify({ passed, failed, checks, figures }, null, 2)}\n`);
  log(`${passed} passed, ${failed} failed`);
  return failed === 0 && passed > 0 ? 0 : 1;
}

let code = 1;
try {
  await main();
  code = report();
} catch (err) {
  const detail = err instanceof Error ? err.message : String(err);
  log(`stopped: ${detail}`);
  // The checks that could not run are not passes: the run as a whole is one failure more.
  checks.push({ name: 'the test ran to its end', ok: false, detail });
  report();
  code = 1;
} finally {
  await cleanUp();
}
process.exit(code);
