// The load section of `npm run bench`: `homelab mcp serve --http` under a burst of tool calls, JSON-RPC
// batches and silent connections, with the Deployment's heap setting. Figures, not assertions.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';

export interface LoadOptions {
  bin: string;
  /** Points the server at a sandbox (KUBECONFIG, HOMELAB_CONFIG). */
  env: NodeJS.ProcessEnv;
  /** The Deployment's NODE_OPTIONS (deploy/base/deployment.yaml). */
  nodeOptions: string;
  concurrentCalls: number;
  /** Each entry: that many POSTs at once, each a JSON-RPC batch of `size` cluster_health calls. */
  batches: Array<{ posts: number; size: number }>;
  silentConnections: number;
}

export interface Tally {
  completed: number;
  /** Declined by a limit: 503 (busy), 400 (batch too long) or 413 (body too large), with a JSON-RPC error. */
  refused: number;
  failed: number;
  statuses: Record<string, number>;
  p50Ms: number;
  p99Ms: number;
}

export interface LoadFigures {
  calls: Tally;
  batches: Array<{ posts: number; size: number; tally: Tally }>;
  /** Slowest /healthz answer while the calls ran; undefined when none answered. */
  healthzMaxMs: number | undefined;
  healthzFailed: number;
  peakRssMiB: number;
  silent: { opened: number; closedWithinMs: number | undefined; stillOpen: number };
  aliveAfter: boolean;
  /** How the server ended when it did not survive: its exit code or signal. */
  ended?: string;
  healthzAfter: number | undefined;
  callAfter: string;
}

const HEADERS = { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' };

/** Peak RSS (VmHWM) of a live process; NaN once it is gone. */
export function peakRssMiB(pid: number): number {
  try {
    return Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN) / 1024;
  } catch {
    return NaN;
  }
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? NaN;
}

/** `mcp serve --http` on a free loopback port, resolved with its URL once it says it listens. */
export function startHttpServer(bin: string, env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; url: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, 'mcp', 'serve', '--http', '--port', '0'], {
      env: { ...env, NO_COLOR: '1' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`server did not start: ${stderr}`));
    }, 30_000);
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
      const url = /listening on (http:\/\/\S+)/.exec(stderr)?.[1];
      if (url) {
        clearTimeout(timer);
        resolve({ child, url });
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited ${code}: ${stderr.slice(-2000)}`));
    });
  });
}

const toolCall = (id: number) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'cluster_health', arguments: {} } });

type Outcome = { kind: 'completed' | 'refused' | 'failed'; status: string; ms: number };

/** Completed: a 200 whose every JSON-RPC answer is a tool result without isError. Refused: a limit's JSON-RPC error. */
async function post(url: string, body: unknown): Promise<Outcome> {
  const start = performance.now();
  try {
    const res = await fetch(url, { method: 'POST', headers: HEADERS, body: JSON.stringify(body), signal: AbortSignal.timeout(300_000) });
    const text = await res.text();
    const ms = performance.now() - start;
    const rpcError = () => {
      try {
        return (JSON.parse(text) as { error?: unknown }).error !== undefined;
      } catch {
        return false;
      }
    };
    if ([503, 400, 413].includes(res.status) && rpcError()) return { kind: 'refused', status: String(res.status), ms };
    if (res.status !== 200) return { kind: 'failed', status: String(res.status), ms };
    const answers = [JSON.parse(text) as unknown].flat() as Array<{ result?: { isError?: boolean }; error?: unknown }>;
    const ok = answers.every((a) => a.result && !a.result.isError);
    return { kind: ok ? 'completed' : 'failed', status: ok ? '200' : '200 with an error', ms };
  } catch (err) {
    return { kind: 'failed', status: (err as Error).name, ms: performance.now() - start };
  }
}

function tally(outcomes: Outcome[]): Tally {
  const statuses: Record<string, number> = {};
  for (const o of outcomes) statuses[o.status] = (statuses[o.status] ?? 0) + 1;
  const done = outcomes.filter((o) => o.kind === 'completed').map((o) => o.ms);
  return {
    completed: done.length,
    refused: outcomes.filter((o) => o.kind === 'refused').length,
    failed: outcomes.filter((o) => o.kind === 'failed').length,
    statuses,
    p50Ms: percentile(done, 50),
    p99Ms: percentile(done, 99),
  };
}

/** Polls /healthz every 100 ms until stop() and reports the slowest answer, and the server's peak RSS seen (a server that dies keeps its last). */
function watch(url: string, pid: number): { stop(): Promise<{ maxMs: number | undefined; failed: number; peakRssMiB: number }> } {
  let running = true;
  let maxMs: number | undefined;
  let failed = 0;
  let peak = NaN;
  const loop = (async () => {
    while (running) {
      const now = peakRssMiB(pid);
      if (Number.isFinite(now) && !(now <= peak)) peak = now;
      const start = performance.now();
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
        await res.text();
        if (res.status !== 200) failed++;
        else maxMs = Math.max(maxMs ?? 0, performance.now() - start);
      } catch {
        failed++;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  const stop = async () => {
    running = false;
    await loop;
    const seen = [peak, peakRssMiB(pid)].filter(Number.isFinite);
    return { maxMs, failed, peakRssMiB: seen.length ? Math.max(...seen) : NaN };
  };
  return { stop };
}

/** Opens connections that never send a byte; reports when the server closed them (we give up after waitMs). */
async function silentConnections(url: string, count: number, waitMs: number): Promise<LoadFigures['silent']> {
  const { hostname, port } = new URL(url);
  const start = performance.now();
  const results = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<{ connected: boolean; closedAfterMs?: number }>((resolve) => {
          let connected = false;
          const socket = connect({ host: hostname, port: Number(port) });
          const giveUp = setTimeout(() => {
            resolve({ connected });
            socket.destroy();
          }, waitMs);
          socket.on('connect', () => {
            connected = true;
          });
          socket.on('error', () => undefined);
          socket.on('close', () => {
            clearTimeout(giveUp);
            resolve({ connected, closedAfterMs: performance.now() - start });
          });
        }),
    ),
  );
  const opened = results.filter((r) => r.connected);
  const stillOpen = opened.filter((r) => r.closedAfterMs === undefined).length;
  return { opened: opened.length, closedWithinMs: stillOpen ? undefined : Math.max(...opened.map((r) => r.closedAfterMs ?? 0)), stillOpen };
}

export async function loadTest(options: LoadOptions): Promise<LoadFigures> {
  const { child, url } = await startHttpServer(options.bin, { ...options.env, NODE_OPTIONS: options.nodeOptions });
  const healthzUrl = url.replace(/\/mcp$/, '/healthz');
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    const watching = watch(healthzUrl, child.pid as number);
    const calls = tally(await Promise.all(Array.from({ length: options.concurrentCalls }, (_, i) => post(url, toolCall(i + 1)))));
    const batches = [];
    for (const { posts, size } of options.batches) {
      const body = (b: number) => Array.from({ length: size }, (_, i) => toolCall(b * 1000 + i + 1));
      batches.push({ posts, size, tally: tally(await Promise.all(Array.from({ length: posts }, (_, b) => post(url, body(b))))) });
    }
    const watched = await watching.stop();
    const silent = await silentConnections(url, options.silentConnections, 60_000);
    const aliveAfter = child.exitCode === null && child.signalCode === null;
    const healthzAfter = aliveAfter
      ? await fetch(healthzUrl).then(
          (r) => r.status,
          () => undefined,
        )
      : undefined;
    const after = aliveAfter ? await post(url, toolCall(999_999)) : undefined;
    return {
      calls,
      batches,
      healthzMaxMs: watched.maxMs,
      healthzFailed: watched.failed,
      peakRssMiB: watched.peakRssMiB,
      silent,
      aliveAfter,
      ended: aliveAfter ? undefined : `exit ${child.exitCode ?? child.signalCode ?? '?'}`,
      healthzAfter,
      callAfter: after ? `${after.kind} (${after.status})` : 'not tried: the server is gone',
    };
  } finally {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
  }
}
