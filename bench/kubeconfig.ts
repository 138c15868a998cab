// Reading a kubeconfig and getting request options, in a fresh node each run: our reader
// (dist/adapters/kube/kubeconfig.js) against @kubernetes/client-node's KubeConfig.loadFromDefault()
// + applyToHTTPSOptions(), and a bare `node -e 0` for the floor. Needs `npm run build` first.
// Figures are measured inside the child (CPU, peak RSS, time since the process started), as medians.
// Run alone: `npm run build && tsx bench/kubeconfig.ts`; bench/run.ts can call kubeconfigFigures().
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { stringify } from 'yaml';
import { makeTls } from '@homelab/sandbox';

const root = fileURLToPath(new URL('..', import.meta.url));

export interface LoadFigure {
  name: string;
  ms: number;
  cpuMs: number;
  rssMiB: number;
}

/** What the child prints when it is done: time since it started, CPU used, peak RSS. */
const REPORT = `const u = process.cpuUsage(); console.log(JSON.stringify({ ms: performance.now(), cpuMs: (u.user + u.system) / 1000, rssMiB: process.resourceUsage().maxRSS / 1024 }));`;

const PROGRAMS: Array<[string, string]> = [
  ['node -e 0 (floor)', REPORT],
  // homelab loads both on every path anyway (op schemas, config file): the reader's own cost is the difference
  ['zod + yaml alone', `await import('zod'); await import('yaml'); ${REPORT}`],
  [
    'homelab kubeconfig reader',
    `
    const { loadKubeconfig } = await import(${JSON.stringify(pathToFileURL(path.join(root, 'dist/adapters/kube/kubeconfig.js')).href)});
    const cluster = await loadKubeconfig();
    await cluster.requestOptions();
    ${REPORT}`,
  ],
  [
    '@kubernetes/client-node loadFromDefault',
    `
    const { KubeConfig } = await import('@kubernetes/client-node');
    const kc = new KubeConfig();
    kc.loadFromDefault();
    await kc.applyToHTTPSOptions({});
    ${REPORT}`,
  ],
];

function runOnce(program: string, env: NodeJS.ProcessEnv): Promise<Omit<LoadFigure, 'name'>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', program], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`bench child failed (${code}): ${err}`));
      else resolve(JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as Omit<LoadFigure, 'name'>);
    });
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

/** Medians over `runs` fresh processes, each loading a k3s-style kubeconfig (CA data and a token). */
export async function kubeconfigFigures(runs = 11): Promise<LoadFigure[]> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hl-bench-kubeconfig-'));
  try {
    const { caPem } = await makeTls();
    const file = path.join(dir, 'config');
    writeFileSync(
      file,
      stringify({
        apiVersion: 'v1',
        kind: 'Config',
        'current-context': 'default',
        clusters: [{ name: 'default', cluster: { server: 'https://192.168.1.50:6443', 'certificate-authority-data': Buffer.from(caPem).toString('base64') } }],
        contexts: [{ name: 'default', context: { cluster: 'default', user: 'default' } }],
        users: [{ name: 'default', user: { token: 'bench-token' } }],
      }),
    );
    const env = { PATH: process.env.PATH, HOME: dir, KUBECONFIG: file };
    const figures: LoadFigure[] = [];
    for (const [name, program] of PROGRAMS) {
      const results = [];
      for (let i = 0; i < runs; i++) results.push(await runOnce(program, env));
      figures.push({ name, ms: median(results.map((r) => r.ms)), cpuMs: median(results.map((r) => r.cpuMs)), rssMiB: median(results.map((r) => r.rssMiB)) });
    }
    return figures;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function printKubeconfigFigures(figures: LoadFigure[]): void {
  const floor = figures[0];
  for (const f of figures) {
    const over = floor && f !== floor ? `  (+${(f.cpuMs - floor.cpuMs).toFixed(0)} ms CPU, +${(f.rssMiB - floor.rssMiB).toFixed(1)} MiB over node)` : '';
    console.log(
      `${f.name.padEnd(46)} ${`${f.ms.toFixed(0)} ms`.padStart(8)} ${`${f.cpuMs.toFixed(0)} ms CPU`.padStart(12)} ${`${f.rssMiB.toFixed(1)} MiB`.padStart(10)}${over}`,
    );
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const runs = Number(process.env.BENCH_RUNS ?? 11);
  console.log(`kubeconfig load + request options — node ${process.version}, ${runs} fresh processes each, medians\n`);
  printKubeconfigFigures(await kubeconfigFigures(runs));
}
