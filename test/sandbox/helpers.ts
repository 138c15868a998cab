/** Raw HTTPS requests to a sandbox (trusting its CA), and kubectl runs against it. */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { request } from 'node:https';
import os from 'node:os';
import path from 'node:path';
import type { Sandbox } from '@homelab/sandbox';

export interface RawResponse { status: number; headers: Record<string, string | string[] | undefined>; text: string; json: () => Record<string, unknown> }

export function api(sb: Sandbox, method: string, pathAndQuery: string, opts: { body?: unknown; contentType?: string; accept?: string; token?: string | null } = {}): Promise<RawResponse> {
  const url = new URL(pathAndQuery, sb.url);
  const body = opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
  const headers: Record<string, string> = { Accept: opts.accept ?? 'application/json' };
  if (opts.token !== null) headers.Authorization = `Bearer ${opts.token ?? sb.token}`;
  if (body !== undefined) { headers['Content-Type'] = opts.contentType ?? 'application/json'; headers['Content-Length'] = String(Buffer.byteLength(body)); }
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers, ca: sb.caPem }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) as Record<string, unknown> });
      });
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

export const KUBECTL = '/usr/bin/kubectl';
export const hasKubectl = existsSync(KUBECTL);

export interface Run { code: number; stdout: string; stderr: string }

/** kubectl with an argument array (no shell), the sandbox kubeconfig and a private cache dir */
export function kubectl(sb: Sandbox, args: string[]): Promise<Run> {
  const cache = mkdtempSync(path.join(os.tmpdir(), 'kubectl-cache-'));
  return new Promise((resolve) => {
    execFile(KUBECTL, ['--kubeconfig', sb.kubeconfigPath, '--cache-dir', cache, ...args], { timeout: 15_000, env: { PATH: process.env.PATH ?? '', HOME: os.tmpdir() } },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }));
  });
}
