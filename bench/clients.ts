// `npx tsx bench/clients.ts`: `homelab mcp serve --http` under 4 clients, each making tool calls one
// after another (cluster_health on the pi-homelab sandbox, with an API key), as a small household of
// assistants would. Prints calls/s, p50/p99 latency and the server's peak RSS. Figures, not pass/fail.
//
// To compare builds, name each: `--bin before=/path/to/bin/run.js --bin after=bin/run.js`; they are
// measured in alternating rounds (BENCH_ROUNDS, default 3) so a busy machine weighs on both alike.
// `--config LABEL=JSON` merges JSON into that build's `mcp:` config (a build that rate-limits needs a
// limit above what the bench sends).
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { startSandbox } from '@homelab/sandbox';
import { sandboxConfig } from '../src/sandbox-config.js';
import { peakRssMiB, percentile, startHttpServer } from './load.js';

const CLIENTS = 4;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const KEY = 'bench-key-0123456789abcdef0123456789';

const { values } = parseArgs({ options: { bin: { type: 'string', multiple: true }, config: { type: 'string', multiple: true } } });
const named = (entries: string[] | undefined) => new Map((entries ?? []).map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
const bins = named(values.bin);
if (bins.size === 0) bins.set('this', fileURLToPath(new URL('../bin/run.js', import.meta.url)));
const extra = named(values.config);

const sandbox = await startSandbox({ scenario: 'pi-homelab' });
const configs = new Map(
  [...bins.keys()].map((label) => {
    const base = sandboxConfig(sandbox);
    const file = `${sandbox.dir}/bench-${label}.yaml`;
    writeFileSync(file, stringify({ ...base, mcp: { ...(base.mcp as object | undefined), ...(JSON.parse(extra.get(label) ?? '{}') as object) } }), {
      mode: 0o600,
    });
    return [label, file] as const;
  }),
);

const HEADERS = { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream', 'X-API-Key': KEY };

/** One client: calls until the deadline, one at a time; returns each completed call's latency. */
async function client(url: string, deadline: number, failures: string[]): Promise<number[]> {
  const latencies: number[] = [];
  for (let id = 1; performance.now() < deadline; id++) {
    const start = performance.now();
    const body = JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'cluster_health', arguments: {} } });
    const res = await fetch(url, { method: 'POST', headers: HEADERS, body, signal: AbortSignal.timeout(60_000) });
    const answer = (await res.json()) as { result?: { isError?: boolean } };
    if (res.status !== 200 || !answer.result || answer.result.isError) failures.push(`${res.status} ${JSON.stringify(answer).slice(0, 300)}`);
    else latencies.push(performance.now() - start);
  }
  return latencies;
}

interface Round {
  callsPerSecond: number;
  p50: number;
  p99: number;
  peakRss: number;
  failed: number;
}

async function round(bin: string, config: string): Promise<Round> {
  const { child, url } = await startHttpServer(bin, { ...process.env, KUBECONFIG: sandbox.kubeconfigPath, HOMELAB_CONFIG: config, HOMELAB_API_KEY: KEY });
  try {
    // One call first, so every round measures a server with its op modules loaded.
    await client(url, performance.now(), []);
    const failures: string[] = [];
    const start = performance.now();
    const all = (await Promise.all(Array.from({ length: CLIENTS }, () => client(url, start + SECONDS * 1000, failures)))).flat();
    const seconds = (performance.now() - start) / 1000;
    if (failures.length) console.error(`${failures.length} failed, e.g. ${failures[0]}`);
    return {
      callsPerSecond: all.length / seconds,
      p50: percentile(all, 50),
      p99: percentile(all, 99),
      peakRss: peakRssMiB(child.pid!),
      failed: failures.length,
    };
  } finally {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
}

const results = new Map<string, Round[]>([...bins.keys()].map((l) => [l, []]));
for (let r = 0; r < ROUNDS; r++) {
  for (const [label, bin] of bins) results.get(label)!.push(await round(bin, configs.get(label)!));
}
await sandbox.stop();

const median = (xs: number[]) => percentile(xs, 50);
console.log(`mcp serve --http, ${CLIENTS} clients calling cluster_health one after another for ${SECONDS} s; median of ${ROUNDS} rounds`);
for (const [label, rounds] of results) {
  const m = (f: (r: Round) => number) => median(rounds.map(f));
  console.log(
    `${label.padEnd(8)} ${m((r) => r.callsPerSecond)
      .toFixed(1)
      .padStart(6)} calls/s   p50 ${m((r) => r.p50)
      .toFixed(0)
      .padStart(4)} ms   p99 ${m((r) => r.p99)
      .toFixed(0)
      .padStart(4)} ms   peak RSS ${m((r) => r.peakRss).toFixed(1)} MiB   failed ${rounds.reduce((n, r) => n + r.failed, 0)}`,
  );
}
