// `npm run bench`: start-up, MCP and health figures, printed as medians, then the HTTP server under
// load (bench/load.ts). Figures, not pass/fail: targets are printed beside them so a regression is
// visible in review.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { MCP_LIMITS } from '../src/core/config.js';
import { startSandbox, generateScenario } from '@homelab/sandbox';
import { writeSandboxConfig } from '../src/sandbox-config.js';
import { kubeconfigFigures, printKubeconfigFigures } from './kubeconfig.js';
import { loadTest, type Tally } from './load.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = `${root}bin/run.js`;
const RUNS = Number(process.env.BENCH_RUNS ?? 11);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

const GNU_TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;

/**
 * One run of a command: wall time, and peak RSS when GNU time is there. Asynchronous on purpose:
 * the sandbox answers from this process's event loop.
 */
function runOnce(args: string[], env: NodeJS.ProcessEnv): Promise<{ ms: number; rssMiB: number }> {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const [cmd, argv] = GNU_TIME ? [GNU_TIME, ['-f', '%M', process.execPath, ...args]] : [process.execPath, args];
    const child = spawn(cmd, argv, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', () => {
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      resolve({ ms, rssMiB: Number(stderr.trim().split('\n').at(-1)) / 1024 });
    });
  });
}

async function timeCommand(args: string[], env: NodeJS.ProcessEnv = process.env, runs = RUNS): Promise<{ ms: number; rssMiB: number }> {
  const results = [];
  for (let i = 0; i < runs; i++) results.push(await runOnce(args, env));
  return { ms: median(results.map((r) => r.ms)), rssMiB: median(results.map((r) => r.rssMiB)) };
}

/** Peak RSS (VmHWM) of a live process, from /proc. */
function peakRssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? NaN);
  return kb / 1024;
}

/** Spawn an MCP stdio server, time initialize → tools/list, and read its peak RSS before it exits. */
async function mcpListOnce(args: string[], env: NodeJS.ProcessEnv): Promise<{ ms: number; rss: number; tools: number }> {
  const start = process.hrtime.bigint();
  const child = spawn(process.execPath, args, { env, stdio: ['pipe', 'pipe', 'ignore'] });
  let buffer = '';
  const responses = new Map<number, unknown>();
  const waiting = new Map<number, () => void>();
  child.stdout.on('data', (d: Buffer) => {
    buffer += d.toString();
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      const msg = JSON.parse(line) as { id?: number; result?: unknown };
      if (msg.id !== undefined) {
        responses.set(msg.id, msg.result);
        waiting.get(msg.id)?.();
      }
    }
  });
  const send = (msg: object) => child.stdin.write(`${JSON.stringify(msg)}\n`);
  const call = (id: number, method: string, params: object) =>
    new Promise<unknown>((resolve) => {
      waiting.set(id, () => resolve(responses.get(id)));
      send({ jsonrpc: '2.0', id, method, params });
    });
  await call(1, 'initialize', { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'bench', version: '1' } });
  send({ jsonrpc: '2.0', method: 'notifications/initialized' });
  const list = (await call(2, 'tools/list', {})) as { tools: unknown[] };
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  const rss = peakRssMiB(child.pid as number);
  child.kill();
  return { ms, rss, tools: list.tools.length };
}

async function mcpList(args: string[], env: NodeJS.ProcessEnv): Promise<{ ms: number; rss: number; tools: number }> {
  const runs = [];
  for (let i = 0; i < RUNS; i++) runs.push(await mcpListOnce(args, env));
  return { ms: median(runs.map((r) => r.ms)), rss: median(runs.map((r) => r.rss)), tools: runs[0]?.tools ?? 0 };
}

/** NODE_OPTIONS and the memory limit of the server's container in deploy/base/deployment.yaml. */
function deploymentLimits(): { nodeOptions: string; memoryLimit: string } {
  type Container = { env?: Array<{ name: string; value?: string }>; resources?: { limits?: { memory?: string } } };
  const docs = parseAllDocuments(readFileSync(`${root}deploy/base/deployment.yaml`, 'utf8')).map((d) => d.toJS() as { kind?: string; spec?: { template?: { spec?: { containers?: Container[] } } } });
  const container = docs.find((d) => d.kind === 'Deployment')?.spec?.template?.spec?.containers?.[0];
  return {
    nodeOptions: container?.env?.find((e) => e.name === 'NODE_OPTIONS')?.value ?? '',
    memoryLimit: container?.resources?.limits?.memory ?? '?',
  };
}

function row(name: string, value: string, target = ''): void {
  console.log(`${name.padEnd(46)} ${value.padStart(12)}   ${target}`);
}

console.log(`homelab bench — node ${process.version}, ${RUNS} runs each, medians\n`);
const nodeBare = (await timeCommand(['-e', '0'])).ms;
row('node -e 0', `${nodeBare.toFixed(0)} ms`);
const version = (await timeCommand([bin, '--version'])).ms;
row('homelab --version', `${version.toFixed(0)} ms`, `${(version / nodeBare).toFixed(2)}× node`);
const help = (await timeCommand([bin, '--help'])).ms;
row('homelab --help', `${help.toFixed(0)} ms`, `${(help / nodeBare).toFixed(2)}× node (target ≤ 2.50×)`);
const cmdHelp = (await timeCommand([bin, 'health', '--help'])).ms;
row('homelab health --help', `${cmdHelp.toFixed(0)} ms`, `${(cmdHelp / nodeBare).toFixed(2)}× node`);

const bare = await mcpList([`${root}bench/bare-mcp-server.js`], process.env);
row('bare SDK server: initialize → tools/list', `${bare.ms.toFixed(0)} ms`, `peak RSS ${bare.rss.toFixed(1)} MiB, ${bare.tools} tool`);
const ours = await mcpList([bin, 'mcp', 'serve', '--stdio'], process.env);
row('homelab mcp serve --stdio: init → tools/list', `${ours.ms.toFixed(0)} ms`, `${(ours.ms / bare.ms).toFixed(2)}× bare (target ≤ 1.20×)`);
row('  peak RSS', `${ours.rss.toFixed(1)} MiB`, `${ours.tools} tools (target ≤ 90 MiB)`);

console.log('\nReading a kubeconfig and getting request options, in a fresh process:');
printKubeconfigFigures(await kubeconfigFigures(Math.min(RUNS, 7)));
console.log('');

// The simulator's start, as a test file pays it; what is made once per process (TLS material, the parsed
// scenario) shows in the first start, so it is printed beside the median.
const starts: number[] = [];
for (let i = 0; i < RUNS; i++) {
  const t = process.hrtime.bigint();
  const started = await startSandbox({ scenario: 'pi-homelab' });
  starts.push(Number(process.hrtime.bigint() - t) / 1e6);
  await started.stop();
}
row('sandbox start (pi-homelab)', `${median(starts).toFixed(0)} ms`, `first in this process ${(starts[0] ?? NaN).toFixed(0)} ms`);

const sandbox = await startSandbox({ scenario: 'pi-homelab' });
const env = { ...process.env, KUBECONFIG: sandbox.kubeconfigPath, HOMELAB_CONFIG: writeSandboxConfig(sandbox) };
const health = await timeCommand([bin, 'health', '--json'], env);
row('homelab health (pi-homelab, 77 pods)', `${health.ms.toFixed(0)} ms`, GNU_TIME ? `peak RSS ${health.rssMiB.toFixed(1)} MiB` : '');
await sandbox.stop();

const pods = Number(process.env.BENCH_PODS ?? 5000);
const big = await startSandbox({ scenarioData: generateScenario({ pods, nodes: 20, namespaces: 40 }) });
const bigEnv = { ...process.env, KUBECONFIG: big.kubeconfigPath, HOMELAB_CONFIG: writeSandboxConfig(big) };
const bigHealth = await timeCommand([bin, 'health', '--json'], bigEnv, Math.min(RUNS, 5));
row(`homelab health (${pods} pods, 20 nodes)`, `${bigHealth.ms.toFixed(0)} ms`, GNU_TIME ? `peak RSS ${bigHealth.rssMiB.toFixed(1)} MiB` : '');

// The HTTP server under load, as deployed: the Deployment's heap setting, against the same large cluster.
const deployed = deploymentLimits();
const calls = Number(process.env.BENCH_LOAD_CALLS ?? 300);
const load = await loadTest({
  bin,
  env: bigEnv,
  nodeOptions: deployed.nodeOptions,
  concurrentCalls: calls,
  batches: [{ posts: 3, size: 100 }, { posts: 3, size: MCP_LIMITS.maxBatch }],
  silentConnections: 1000,
});
const counts = (t: Tally) => `${t.completed} completed, ${t.refused} refused, ${t.failed} failed`;
const statuses = (t: Tally) => Object.entries(t.statuses).map(([status, n]) => `${n}× ${status}`).join(', ');
const ms = (v: number) => (Number.isFinite(v) ? `${v.toFixed(0)} ms` : '-');
console.log(`\nmcp serve --http under load (${pods} pods, NODE_OPTIONS=${deployed.nodeOptions}, defaults: ${MCP_LIMITS.maxConcurrentCalls} running, ${MCP_LIMITS.maxQueuedCalls} queued, batch ≤ ${MCP_LIMITS.maxBatch})`);
row(`${calls} concurrent cluster_health calls`, counts(load.calls), statuses(load.calls));
row('  latency of the completed ones', `p50 ${ms(load.calls.p50Ms)}`, `p99 ${ms(load.calls.p99Ms)}`);
for (const b of load.batches) row(`${b.posts} POSTs, each a batch of ${b.size} calls`, counts(b.tally), statuses(b.tally));
row('  /healthz meanwhile (every 100 ms)', `max ${load.healthzMaxMs === undefined ? '-' : ms(load.healthzMaxMs)}`, `${load.healthzFailed} failed`);
row('  server peak RSS (VmHWM)', `${load.peakRssMiB.toFixed(1)} MiB`, `Deployment limit ${deployed.memoryLimit}`);
row(`${load.silent.opened} connections that send nothing`, load.silent.stillOpen ? `${load.silent.stillOpen} open` : `closed by ${ms(load.silent.closedWithinMs ?? NaN)}`, 'after 60 s the bench gives up');
row('afterwards', load.aliveAfter ? 'alive' : `GONE (${load.ended})`, `/healthz ${load.healthzAfter ?? '-'}, a call: ${load.callAfter}`);
await big.stop();
