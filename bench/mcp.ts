// The MCP door's figures for `npm run bench` (issue 11): a stdio server spoken to in raw JSON-RPC
// (nothing but the child's own work is timed), kubectl for the yardstick, and per-tool result sizes
// through the real SDK client (test/helpers/budget.ts, shared with the budget test).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export function median(values: number[]): number {
  return percentile(values, 50);
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(((sorted.length - 1) * p) / 100))] ?? NaN;
}

/** Peak RSS (VmHWM) of a live process, from /proc. */
export function peakRssMiB(pid: number): number {
  try {
    return Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN) / 1024;
  } catch {
    return NaN;
  }
}

/** A stdio MCP server spoken to line by line; `request` resolves with the answer's result. */
export class RawMcp {
  readonly started = performance.now();
  private readonly child: ChildProcess;
  private buffer = '';
  private nextId = 1;
  private readonly waiting = new Map<number, (message: { result?: unknown; error?: unknown }) => void>();

  constructor(args: string[], env: NodeJS.ProcessEnv) {
    this.child = spawn(process.execPath, args, { env, stdio: ['pipe', 'pipe', 'ignore'] });
    this.child.stdout?.on('data', (d: Buffer) => {
      this.buffer += d.toString();
      let nl: number;
      while ((nl = this.buffer.indexOf('\n')) >= 0) {
        const line = this.buffer.slice(0, nl);
        this.buffer = this.buffer.slice(nl + 1);
        const message = JSON.parse(line) as { id?: number; result?: unknown; error?: unknown };
        if (message.id !== undefined) this.waiting.get(message.id)?.(message);
      }
    });
  }

  get pid(): number {
    return this.child.pid as number;
  }

  request(method: string, params: object): Promise<{ result?: unknown; error?: unknown; bytes: number }> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.waiting.set(id, (message) => resolve({ ...message, bytes: Buffer.byteLength(JSON.stringify(message.result ?? message.error)) }));
      this.child.stdin?.write(`${JSON.stringify({ jsonrpc: '2.0', id, method, params })}\n`);
    });
  }

  async initialize(): Promise<void> {
    await this.request('initialize', { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'bench', version: '1' } });
    this.child.stdin?.write(`${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' })}\n`);
  }

  async callTool(name: string, args: object = {}): Promise<{ ms: number; isError: boolean }> {
    const start = performance.now();
    const answer = await this.request('tools/call', { name, arguments: args });
    const result = answer.result as { isError?: boolean } | undefined;
    return { ms: performance.now() - start, isError: Boolean(answer.error ?? result?.isError) };
  }

  stop(): Promise<void> {
    return new Promise((resolve) => {
      if (this.child.exitCode !== null) return resolve();
      this.child.once('exit', () => resolve());
      this.child.kill();
    });
  }
}

/** Spawn → initialize → tools/list: time, the server's CPU until then, and the list's bytes as sent. */
export async function listOnce(args: string[], env: NodeJS.ProcessEnv): Promise<{ ms: number; cpuMs: number; bytes: number; tools: number }> {
  const server = new RawMcp(args, env);
  await server.initialize();
  const list = await server.request('tools/list', {});
  const ms = performance.now() - server.started;
  const cpu = cpuMs(server.pid);
  await server.stop();
  return { ms, cpuMs: cpu, bytes: list.bytes, tools: (list.result as { tools: unknown[] }).tools.length };
}

/** Spawn → initialize → the first cluster_health result: what an assistant waits for at the start of a conversation. */
export async function firstHealthOnce(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const server = new RawMcp(args, env);
  await server.initialize();
  const call = await server.callTool('cluster_health');
  const ms = performance.now() - server.started;
  await server.stop();
  if (call.isError) throw new Error('cluster_health failed in the bench');
  return ms;
}

/** CPU time (user + system) a live process has used, from /proc: steadier than wall time on a busy machine. */
export function cpuMs(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    // utime and stime are fields 14 and 15 of stat, in clock ticks (100 a second on Linux).
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return NaN;
  }
}

/**
 * One server, `calls` cluster_health calls after a first one: their p50, the server's CPU per call
 * (mean), and its peak RSS after them.
 */
export async function warmHealth(
  args: string[],
  env: NodeJS.ProcessEnv,
  calls: number,
): Promise<{ p50Ms: number; maxMs: number; cpuMsPerCall: number; peakRssMiB: number }> {
  const server = new RawMcp(args, env);
  await server.initialize();
  await server.callTool('cluster_health');
  const cpuBefore = cpuMs(server.pid);
  const times: number[] = [];
  for (let i = 0; i < calls; i++) times.push((await server.callTool('cluster_health')).ms);
  const cpuMsPerCall = (cpuMs(server.pid) - cpuBefore) / calls;
  const peak = peakRssMiB(server.pid);
  await server.stop();
  return { p50Ms: median(times), maxMs: Math.max(...times), cpuMsPerCall, peakRssMiB: peak };
}

/** kubectl get pods -A -o json, then kubectl get nodes -o json: the yardstick, with a warm discovery cache of its own. */
export async function kubectlPodsAndNodes(kubeconfig: string, runs: number): Promise<{ ms: number; podsMs: number; nodesMs: number }> {
  const cache = mkdtempSync(path.join(os.tmpdir(), 'kubectl-cache-'));
  const env = { ...process.env, KUBECONFIG: kubeconfig, KUBECACHEDIR: cache };
  const time = (args: string[]) =>
    new Promise<number>((resolve, reject) => {
      const start = performance.now();
      const child = spawn('kubectl', args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('error', reject);
      child.on('close', (code) => (code === 0 ? resolve(performance.now() - start) : reject(new Error(`kubectl ${args.join(' ')}: ${stderr}`))));
    });
  try {
    const pods = ['get', 'pods', '-A', '-o', 'json'];
    const nodes = ['get', 'nodes', '-o', 'json'];
    await time(pods); // fills the discovery cache, as any kubectl user's is
    const podsMs: number[] = [];
    const nodesMs: number[] = [];
    for (let i = 0; i < runs; i++) {
      podsMs.push(await time(pods));
      nodesMs.push(await time(nodes));
    }
    return { ms: median(podsMs) + median(nodesMs), podsMs: median(podsMs), nodesMs: median(nodesMs) };
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
}
