/**
 * Real clients against a sandbox, for the tests: raw HTTPS (trusting its CA), the machine's kubectl,
 * and Debian's Python with its kubernetes client. Each says whether it is there; nothing is left in the
 * temp directory.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Sandbox } from '../src/index.js';

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: () => Record<string, unknown>;
}

export function api(
  sb: Sandbox,
  method: string,
  pathAndQuery: string,
  opts: { body?: unknown; contentType?: string; accept?: string; token?: string | null } = {},
): Promise<RawResponse> {
  const url = new URL(pathAndQuery, sb.url);
  const body = opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
  const headers: Record<string, string> = { Accept: opts.accept ?? 'application/json' };
  if (opts.token !== null) headers.Authorization = `Bearer ${opts.token ?? sb.token}`;
  if (body !== undefined) {
    headers['Content-Type'] = opts.contentType ?? 'application/json';
    headers['Content-Length'] = String(Buffer.byteLength(body));
  }
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers, ca: sb.caPem, timeout: 15_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) as Record<string, unknown> });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${pathAndQuery}: no answer in 15 s`)));
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** A program with an argument array (no shell), optional stdin, killed after 20 s; its own temp HOME, removed after. */
function run(program: string, args: (home: string) => string[], stdin?: string): Promise<Run> {
  const home = mkdtempSync(path.join(os.tmpdir(), 'hl-client-'));
  return new Promise<Run>((resolve, reject) => {
    const child = spawn(program, args(home), { env: { PATH: process.env.PATH ?? '', HOME: home, TMPDIR: home }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString('utf8');
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString('utf8');
    });
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
    child.stdin.end(stdin ?? '');
  }).finally(() => rmSync(home, { recursive: true, force: true }));
}

export const KUBECTL = '/usr/bin/kubectl';
export const hasKubectl = existsSync(KUBECTL);

/** kubectl with the sandbox's kubeconfig (or another) and a private cache dir, removed when it exits */
export function kubectl(sb: Sandbox, args: string[], opts: { stdin?: string; kubeconfig?: string } = {}): Promise<Run> {
  return run(KUBECTL, (home) => ['--kubeconfig', opts.kubeconfig ?? sb.kubeconfigPath, '--cache-dir', path.join(home, 'cache'), ...args], opts.stdin);
}

export const PYTHON = '/usr/bin/python3';
/** Debian's python3 with python3-kubernetes, or why not */
export const pythonMissing = ((): string | undefined => {
  if (!existsSync(PYTHON)) return `no ${PYTHON}`;
  try {
    execFileSync(PYTHON, ['-c', 'import kubernetes'], { stdio: 'ignore', timeout: 20_000 });
    return undefined;
  } catch {
    return `${PYTHON} has no kubernetes module (apt-get install python3-kubernetes)`;
  }
})();

const PY_CLIENT = fileURLToPath(new URL('./kube_client.py', import.meta.url));

/** test/kube_client.py COMMAND ARGS... against the sandbox's kubeconfig; prints one JSON document */
export function python(sb: Sandbox, args: string[]): Promise<Run> {
  return run(PYTHON, () => [PY_CLIENT, sb.kubeconfigPath, ...args]);
}
