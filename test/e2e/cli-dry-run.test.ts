/**
 * `--dry-run` on every write of the registry, through the CLI as a person types it: it prints the
 * plan (the changes with exactly what is sent, and what they touch), exits 0, and changes nothing:
 * not the cluster (the API server's resourceVersion does not move), not Pi-hole, not Jellyfin,
 * not the NAS (a real sshd).
 */
import { mkdir, stat, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ops } from '../../src/ops/registry.js';
import { commandLine, type ToolName } from '../../src/ops/shared/fix.js';
import { runCli, runCliProcess } from '../helpers/cli.js';
import { configWith } from '../helpers/config.js';
import { startSandboxEnv, type SandboxEnv } from '../helpers/sandbox.js';
import { shellWords } from '../helpers/shell.js';
import { sshdUnavailable, startSshd, type TestSshd } from '../helpers/sshd.js';

const unavailable = sshdUnavailable();
const OLD = new Date('2020-01-01');

describe.skipIf(unavailable)(`--dry-run on every write${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  let s: SandboxEnv;
  let sshd: TestSshd;
  let show: string;
  let config: string;
  /** An input for each write that makes it plan real work on pi-homelab (and the sshd NAS). */
  let inputs: Record<string, Record<string, string | boolean>>;
  beforeAll(async () => {
    [s, sshd] = await Promise.all([startSandboxEnv(), startSshd()]);
    const root = join(sshd.homeDir, 'volume1', 'media');
    show = join(root, 'TV', 'Show');
    await mkdir(show, { recursive: true });
    await utimes(show, OLD, OLD);
    config = await configWith(s.sandbox, 'dry-run', {
      allow: { restart: ['*/*'], flux: ['*/*'], secretsRefresh: ['*/*'], backupsTrigger: ['*/*'], arr: ['*/*'] },
      nas: {
        host: '127.0.0.1',
        port: sshd.port,
        username: sshd.user,
        privateKey: { file: sshd.clientKeyPath },
        hostKey: { fingerprint: sshd.hostKeyFingerprint },
        roots: [root],
        volumes: [sshd.homeDir],
        connectTimeoutMs: 20_000,
        commandTimeoutMs: 20_000,
      },
    });
    inputs = {
      deployment_restart: { deployment: 'homepage/homepage' },
      flux_reconcile: { kind: 'kustomization', name: 'apps', withSource: true },
      flux_suspend: { kind: 'helmrelease', name: 'jellyfin', namespace: 'jellyfin' },
      flux_resume: { kind: 'helmrelease', name: 'jellyfin', namespace: 'jellyfin' },
      flux_heal: { name: 'immich', namespace: 'immich' },
      backups_trigger: { cronJob: 'backups/immich-db-backup' },
      secrets_refresh: { externalSecret: 'paperless/paperless-db' },
      dns_gravity_update: {},
      jellyfin_scan: {},
      jellyfin_fix: { title: 'Better Off Ted' },
      nas_touch: { path: show },
      arr_retry: { app: 'sonarr', id: '1001' },
      arr_search: { app: 'radarr', id: '1' },
    };
  });
  afterAll(async () => {
    await Promise.all([s?.sandbox.stop(), sshd?.stop()]);
  });

  const writes = ops.filter((op) => op.effect === 'write');

  it('has a dry-run input for every write in the registry', () => {
    expect(Object.keys(inputs).sort()).toEqual(writes.map((op) => op.name).sort());
  });

  it('prints each plan, exits 0 and changes nothing anywhere', async () => {
    const clusterBefore = s.sandbox.store.resourceVersion;
    const writesTo = () => [
      ...(s.sandbox.services.pihole?.requests ?? []).filter((r) => r.method !== 'GET' && r.path !== '/api/auth'),
      ...(s.sandbox.services.jellyfin?.requests ?? []).filter((r) => r.method !== 'GET'),
    ];
    expect(writesTo()).toEqual([]);
    for (const op of writes) {
      const command = commandLine(op.name as ToolName, inputs[op.name] ?? {});
      const args = [...shellWords(command).slice(1), '--dry-run', '--config', config];
      const [human, json] = await Promise.all([runCli(args, s.env), runCli([...args, '--json'], s.env)]);
      expect(human.code, `${command}: ${human.stderr}`).toBe(0);
      expect(human.stdout, command).toMatch(/^Plan: .+\nChanges:\n {2}1\. /);
      expect(human.stdout, command).toContain('Dry run: nothing changed. Pass --yes to do it');
      expect(json.code, `${command} --json: ${json.stderr}`).toBe(0);
      const plan = JSON.parse(json.stdout) as { summary: string; changes: Array<{ action: string }>; effects: string[]; observed: unknown[] };
      expect(plan.changes.length, command).toBeGreaterThan(0);
      expect(plan.effects.length, command).toBeGreaterThan(0);
      // The same plan both ways (a Job's name or a time in it may differ by the second between the two runs).
      expect(human.stdout.match(/^ {2}\d+\. /gm)?.length, command).toBe(plan.changes.length);
      expect(human.stdout, command).toContain(`What it touches:\n  - ${plan.effects[0]?.slice(0, 20)}`);
      // Kubernetes writes are bound to the versions they saw; writes to home services have none to bind.
      // A verb that changes an object (creating pods/exec only runs a command in a pod).
      const changesKubernetes = op.rbac.some((rule) => rule.verbs.some((verb) => !['get', 'list', 'watch'].includes(verb)) && rule.resource !== 'pods/exec');
      expect(plan.observed.length > 0, command).toBe(changesKubernetes);
    }
    expect(s.sandbox.store.resourceVersion).toBe(clusterBefore);
    expect(writesTo()).toEqual([]);
    expect((await stat(show)).mtime).toEqual(OLD);
  }, 180_000);

  it('shows a plan that changes nothing as such (a release already suspended)', async () => {
    await runCli(['flux', 'suspend', 'helmrelease', 'jellyfin', '-n', 'jellyfin', '--yes', '--config', config], s.env);
    const r = await runCliProcess(['flux', 'suspend', 'helmrelease', 'jellyfin', '-n', 'jellyfin', '--dry-run', '--config', config], s.env);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('Plan: HelmRelease jellyfin/jellyfin is already suspended: nothing to change\nNothing would change.\nDry run: nothing changed.\n');
  });

  it('still refuses in read-only mode and outside the allow-list, before any plan', async () => {
    const readOnly = await configWith(s.sandbox, 'dry-run-read-only', { readOnly: true });
    const r = await runCli(['restart', 'homepage/homepage', '--dry-run', '--config', readOnly], s.env);
    expect(r.code).toBe(77);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('read-only mode');
    const outside = await runCli(['restart', 'kube-system/coredns', '--dry-run'], s.env);
    expect(outside.code).toBe(77);
    expect(outside.stderr).toContain('not in the allow-list for restart');
  });
});
