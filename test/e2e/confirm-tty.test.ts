/**
 * On a terminal, writes ask first. `script` (util-linux, Essential in Debian) gives the CLI a real
 * pseudo-terminal, so this is the prompt a person sees, answered as a person would.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, cliEnv } from '../helpers/cli.js';
import { startSandboxEnv, type SandboxEnv } from '../helpers/sandbox.js';

const SCRIPT = '/usr/bin/script';

/** Runs the CLI on a pty, typing `answer` once the question has been asked (after `meanwhile`, while the person reads). */
function onTerminal(args: string[], env: Record<string, string>, answer: string, meanwhile?: () => void): Promise<{ code: number; screen: string }> {
  return new Promise((resolve, reject) => {
    // script runs its command through /bin/sh -c: the arguments are fixed test strings, quoted.
    const command = [process.execPath, BIN, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
    const child = spawn(SCRIPT, ['-qefc', command, '/dev/null'], { env: cliEnv(env), stdio: ['pipe', 'pipe', 'pipe'] });
    let screen = '';
    let answered = false;
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`no prompt: ${screen}`));
    }, 20_000);
    const onData = (d: Buffer) => {
      screen += d.toString();
      if (!answered && screen.includes('[y/N]')) {
        answered = true;
        meanwhile?.();
        child.stdin.write(`${answer}\r`);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, screen });
    });
  });
}

describe.skipIf(!existsSync(SCRIPT))('a write on a terminal (needs /usr/bin/script for a pty)', () => {
  let s: SandboxEnv;
  beforeAll(async () => {
    s = await startSandboxEnv();
  });
  afterAll(async () => {
    await s?.sandbox.stop();
  });
  const restartedAt = () =>
    (s.sandbox.store.get('deployments', 'homepage', 'homepage') as unknown as { spec: { template: { metadata?: { annotations?: Record<string, string> } } } })
      .spec.template.metadata?.annotations?.['kubectl.kubernetes.io/restartedAt'];

  it('shows the plan, asks, and does nothing when the answer is no', async () => {
    const r = await onTerminal(['restart', 'homepage/homepage'], s.env, 'n');
    expect(r.screen).toContain('Restart deployment homepage/homepage (its pods will be replaced one by one)? [y/N]');
    // The plan comes first: the patch exactly as it will be sent, and the pods that will roll.
    const plan = r.screen.indexOf('Plan: restart deployment homepage/homepage');
    expect(plan).toBeGreaterThanOrEqual(0);
    expect(plan).toBeLessThan(r.screen.indexOf('[y/N]'));
    expect(r.screen).toMatch(
      /1\. patch Deployment homepage\/homepage \(strategic merge\)\r?\n {5}\{"spec":\{"template":\{"metadata":\{"annotations":\{"kubectl\.kubernetes\.io\/restartedAt":/,
    );
    expect(r.screen).toMatch(/What it touches:\r?\n {2}- its pod homepage-\S+ is replaced one by one/);
    expect(r.screen).toContain('cancelled: nothing was changed');
    expect(r.code).toBe(64);
    expect(restartedAt()).toBeUndefined();
  });

  it('does nothing when the deployment changed while the person read the plan, and says so', async () => {
    const editLabel = () => {
      const d = s.sandbox.store.get('deployments', 'homepage', 'homepage') as unknown as { metadata: { labels?: Record<string, string> } };
      s.sandbox.store.put({ ...d, metadata: { ...d.metadata, labels: { ...d.metadata.labels, edited: 'meanwhile' } } } as never);
    };
    const r = await onTerminal(['restart', 'homepage/homepage'], s.env, 'y', editLabel);
    expect(r.code).toBe(64);
    expect(r.screen).toMatch(/Deployment homepage\/homepage changed since the plan \(resourceVersion \d+, now \d+\); nothing was changed/);
    expect(restartedAt()).toBeUndefined();
  });

  it('does it when the answer is yes', async () => {
    const r = await onTerminal(['restart', 'homepage/homepage'], s.env, 'y');
    expect(r.code).toBe(0);
    expect(r.screen).toMatch(/restarted deployment homepage\/homepage at /);
    expect(restartedAt()).toBeTruthy();
  });
});
