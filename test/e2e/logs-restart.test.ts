/**
 * homelab logs and restart through the doors: what is printed (a cut-short output, followed lines
 * until Ctrl-C), the parser's refusals, confirmation, a follow over MCP, and the audit log of refusals
 * on both doors. What pods_logs and deployment_restart answer is tested in process in test/ops/cluster/.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { spawnCli, runCli } from '../helpers/cli.js';
import { stdioClient } from '../helpers/mcp.js';
import { callOp } from '../helpers/ops.js';
import { startSandboxEnv, type SandboxEnv } from '../helpers/sandbox.js';

interface PodLike {
  metadata: { name: string; namespace?: string };
  spec?: { containers?: Array<{ name: string }> };
  status?: { containerStatuses?: Array<{ name: string; state?: { waiting?: { reason?: string } } }> };
}

describe('homelab logs and restart against the sandbox', () => {
  let s: SandboxEnv;
  let crashing: PodLike;
  beforeAll(async () => {
    s = await startSandboxEnv();
    const pods = s.sandbox.store.list('pods') as unknown as PodLike[];
    const found = pods.find((p) => p.status?.containerStatuses?.some((c) => c.state?.waiting?.reason === 'CrashLoopBackOff'));
    if (!found) throw new Error('the pi-homelab scenario has no CrashLoopBackOff pod');
    crashing = found;
  });
  afterAll(async () => {
    await s?.sandbox.stop();
  });

  it('says on the page when --max-bytes cut the output short', async () => {
    const { name, namespace } = crashing.metadata;
    const [bytes, { output: full }] = await Promise.all([
      runCli(['logs', name, '-n', namespace as string, '--max-bytes', '1024', '--tail', '10000'], s.env),
      callOp<{ lines: string[] }>(s, 'pods_logs', { pod: name, namespace, tail: 10000 }),
    ]);
    expect(bytes.code).toBe(0);
    if (full.lines.join('\n').length > 1024) expect(bytes.stdout).toContain('output truncated');
    else expect(bytes.stdout).not.toContain('output truncated');
  });

  it('follows a log (-f) until Ctrl-C, printing new lines as they are written', async () => {
    const pod = s.sandbox.store.list('pods', 'jellyfin')[0] as unknown as PodLike;
    const container = pod.spec?.containers?.[0]?.name as string;
    const child = spawnCli(['logs', '-f', 'jellyfin', '-n', 'jellyfin', '--tail', '1'], s.env);
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    const seen = (text: string) =>
      new Promise<void>((resolve) => {
        const check = () => {
          if (stdout.includes(text)) resolve();
        };
        child.stdout.on('data', (d: Buffer) => {
          stdout += d.toString();
          check();
        });
        check();
      });
    const first = seen('\n');
    await first;
    s.sandbox.logs.append('jellyfin', pod.metadata.name, container, { time: new Date(), text: 'a line written while following' });
    await seen('a line written while following');
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(stderr).not.toContain('Error');
  });

  it('follows over MCP for followFor, bounded, and returns what came', async () => {
    const pod = s.sandbox.store.list('pods', 'jellyfin')[0] as unknown as PodLike;
    const container = pod.spec?.containers?.[0]?.name as string;
    const mcp = await stdioClient(s.env);
    try {
      const call = mcp.client.callTool({ name: 'pods_logs', arguments: { pod: 'jellyfin', namespace: 'jellyfin', follow: true, followFor: '3s', tail: 1 } });
      setTimeout(() => s.sandbox.logs.append('jellyfin', pod.metadata.name, container, { time: new Date(), text: 'written during an MCP follow' }), 1000);
      const result = (await call) as unknown as { isError?: boolean; structuredContent: { followed: boolean; lines: string[] } };
      expect(result.isError).toBeFalsy();
      expect(result.structuredContent.followed).toBe(true);
      expect(result.structuredContent.lines.at(-1)).toBe('written during an MCP follow');
    } finally {
      await mcp.close();
    }
  });

  it('refuses bad input with exit 64 and names the flag', async () => {
    const r = await runCli(['logs', 'x', '--since', 'yesterday'], s.env);
    expect(r.code).toBe(64);
    expect(r.stderr).toContain('--since: must be a duration like 30s, 10m, 1h or 2d');
    const bad = await runCli(['logs', 'x', '--grep', '(unclosed'], s.env);
    expect(bad.code).toBe(64);
    expect(bad.stderr).toContain('--grep: must be a valid regular expression');
    const unknown = await runCli(['logs', 'x', '--timestamps'], s.env);
    expect(unknown.code).toBe(64);
    expect(unknown.stderr).toMatch(/Nonexistent flag: --timestamps/);
  });

  it('restart asks for --yes when not on a terminal, and changes nothing', async () => {
    const refused = await runCli(['restart', 'homepage/homepage'], s.env);
    expect(refused.code).toBe(64);
    expect(refused.stderr).toContain('refusing to change the cluster without confirmation');
    expect(refused.stderr).toContain('pass --yes');
    const deployment = s.sandbox.store.get('deployments', 'homepage', 'homepage') as {
      spec: { template: { metadata?: { annotations?: Record<string, string> } } };
    };
    expect(deployment.spec.template.metadata?.annotations?.['kubectl.kubernetes.io/restartedAt']).toBeUndefined();
  });

  it('restart refuses a deployment outside the allow-list with exit 77, and one without its namespace with 64 naming DEPLOYMENT', async () => {
    const [outside, bad] = await Promise.all([runCli(['restart', 'kube-system/coredns', '--yes'], s.env), runCli(['restart', 'coredns', '--yes'], s.env)]);
    expect(outside.code).toBe(77);
    expect(outside.stderr).toContain('kube-system/coredns is not in the allow-list for restart (allowed: jellyfin/jellyfin, pihole/pihole');
    expect(bad.code).toBe(64);
    expect(bad.stderr).toContain('DEPLOYMENT: must be NAMESPACE/NAME');
  });
});

describe('restart when the config says no', () => {
  it('refuses every write in read-only mode (exit 77), and records each refusal in the audit log (CLI and MCP)', async () => {
    const s = await startSandboxEnv();
    try {
      const config = parse(await readFile(s.sandbox.configPath, 'utf8')) as Record<string, unknown>;
      const auditFile = join(s.sandbox.dir, 'audit.log');
      const readOnlyConfig = join(s.sandbox.dir, 'read-only.yaml');
      await writeFile(readOnlyConfig, stringify({ ...config, readOnly: true, audit: { file: auditFile } }));
      const r = await runCli(['restart', 'jellyfin/jellyfin', '--yes', '--config', readOnlyConfig], s.env);
      expect(r.code).toBe(77);
      expect(r.stderr).toContain('read-only mode');
      const outsideConfig = join(s.sandbox.dir, 'audited.yaml');
      await writeFile(outsideConfig, stringify({ ...config, audit: { file: auditFile } }));
      const outside = await runCli(['restart', 'kube-system/coredns', '--yes', '--config', outsideConfig], s.env);
      expect(outside.code).toBe(77);

      const mcp = await stdioClient({ ...s.env, HOMELAB_CONFIG: outsideConfig }, ['--read-only']);
      try {
        const result = (await mcp.client.callTool({ name: 'deployment_restart', arguments: { deployment: 'jellyfin/jellyfin' } })) as {
          isError?: boolean;
          content: Array<{ text: string }>;
        };
        expect(result.isError).toBe(true);
        expect(result.content[0]?.text).toContain('read-only mode');
      } finally {
        await mcp.close();
      }
      const records = (await readFile(auditFile, 'utf8'))
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(records).toEqual([
        expect.objectContaining({
          op: 'deployment_restart',
          via: 'cli',
          outcome: 'refused',
          input: expect.objectContaining({ deployment: 'jellyfin/jellyfin' }),
          error: expect.stringContaining('read-only mode'),
        }),
        expect.objectContaining({
          op: 'deployment_restart',
          via: 'cli',
          outcome: 'refused',
          input: expect.objectContaining({ deployment: 'kube-system/coredns' }),
          error: expect.stringContaining('not in the allow-list for restart'),
        }),
        expect.objectContaining({
          op: 'deployment_restart',
          via: 'mcp',
          outcome: 'refused',
          input: expect.objectContaining({ deployment: 'jellyfin/jellyfin' }),
          error: expect.stringContaining('read-only mode'),
        }),
      ]);
      const deployment = s.sandbox.store.get('deployments', 'jellyfin', 'jellyfin') as {
        spec: { template: { metadata?: { annotations?: Record<string, string> } } };
      };
      expect(deployment.spec.template.metadata?.annotations?.['kubectl.kubernetes.io/restartedAt']).toBeUndefined();
    } finally {
      await s.sandbox.stop();
    }
  });
});
