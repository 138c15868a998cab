// `npm run bench`: start-up, MCP and health figures, printed as medians. Figures, not pass/fail:
// targets are printed beside them so a regression is visible in review.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startSandbox, generateScenario } from '../src/sandbox/index.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = `${root}bin/run.js`;
const RUNS = Number(process.env.BENCH_RUNS ?? 11);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

function timeCommand(args: string[], env: NodeJS.ProcessEnv = process.env, runs = RUNS): number {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    spawnSync(process.execPath, args, { env, stdio: 'ignore' });
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return median(times);
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

function row(name: string, value: string, target = ''): void {
  console.log(`${name.padEnd(46)} ${value.padStart(12)}   ${target}`);
}

console.log(`homelab bench — node ${process.version}, ${RUNS} runs each, medians\n`);
const nodeBare = timeCommand(['-e', '0']);
row('node -e 0', `${nodeBare.toFixed(0)} ms`);
const version = timeCommand([bin, '--version']);
row('homelab --version', `${version.toFixed(0)} ms`, `${(version / nodeBare).toFixed(2)}× node`);
const help = timeCommand([bin, '--help']);
row('homelab --help', `${help.toFixed(0)} ms`, `${(help / nodeBare).toFixed(2)}× node (target ≤ 2.50×)`);
const cmdHelp = timeCommand([bin, 'health', '--help']);
row('homelab health --help', `${cmdHelp.toFixed(0)} ms`, `${(cmdHelp / nodeBare).toFixed(2)}× node`);

const bare = await mcpList([`${root}bench/bare-mcp-server.js`], process.env);
row('bare SDK server: initialize → tools/list', `${bare.ms.toFixed(0)} ms`, `peak RSS ${bare.rss.toFixed(1)} MiB, ${bare.tools} tool`);
const ours = await mcpList([bin, 'mcp', 'serve', '--stdio'], process.env);
row('homelab mcp serve --stdio: init → tools/list', `${ours.ms.toFixed(0)} ms`, `${(ours.ms / bare.ms).toFixed(2)}× bare (target ≤ 1.20×)`);
row('  peak RSS', `${ours.rss.toFixed(1)} MiB`, `${ours.tools} tools (target ≤ 90 MiB)`);

const sandbox = await startSandbox({ scenario: 'pi-homelab' });
const env = { ...process.env, KUBECONFIG: sandbox.kubeconfigPath, HOMELAB_CONFIG: sandbox.configPath };
const health = timeCommand([bin, 'health', '--json'], env);
row('homelab health (pi-homelab, ~77 pods)', `${health.toFixed(0)} ms`);
await sandbox.stop();

const pods = Number(process.env.BENCH_PODS ?? 5000);
const big = await startSandbox({ scenarioData: generateScenario({ pods, nodes: 20, namespaces: 40 }) });
const bigEnv = { ...process.env, KUBECONFIG: big.kubeconfigPath, HOMELAB_CONFIG: big.configPath };
const bigRuns: Array<{ ms: number; rss: number }> = [];
for (let i = 0; i < Math.min(RUNS, 5); i++) {
  const start = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, bin, 'health', '--json'], { env: bigEnv, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  const kb = Number(r.stderr.trim().split('\n').at(-1));
  bigRuns.push({ ms, rss: kb / 1024 });
}
row(`homelab health (${pods} pods, 20 nodes)`, `${median(bigRuns.map((r) => r.ms)).toFixed(0)} ms`, Number.isNaN(bigRuns[0]?.rss) ? '' : `peak RSS ${median(bigRuns.map((r) => r.rss)).toFixed(1)} MiB`);
await big.stop();
