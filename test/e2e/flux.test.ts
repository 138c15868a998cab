import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { z } from 'zod';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type fluxStatus from '../../src/ops/flux/flux-status.js';
import { spawnCli, runCli } from '../helpers/cli.js';
import { configWith } from '../helpers/config.js';
import { callConfirmed, stdioClient } from '../helpers/mcp.js';
import { callOp } from '../helpers/ops.js';
import { startSandboxEnv, type SandboxEnv } from '../helpers/sandbox.js';
import { shellWords } from '../helpers/shell.js';

/** What flux_status answers: its own output schema. */
type FluxStatus = z.output<typeof fluxStatus.output>;
interface Reconciled {
  kind: string;
  namespace: string;
  name: string;
  requestedAt?: string;
  waited: boolean;
  ready: string;
  message?: string;
  sources?: Reconciled[];
}
interface Stored {
  metadata: { annotations?: Record<string, string> };
  spec: { suspend?: boolean };
  status: { lastHandledReconcileAt?: string; conditions?: Array<{ type: string; status: string }> };
}

const HR = 'helmreleases.helm.toolkit.fluxcd.io';

/** The command a partly-done write says finishes the job (its hint), as argv. */
function finishCommand(stderr: string): string[] {
  const line = /finish with: (homelab [^\n]+)/.exec(stderr)?.[1];
  if (!line) throw new Error(`no "finish with" command in: ${stderr}`);
  return shellWords(line.trim());
}

const json = <T>(stdout: string) => JSON.parse(stdout) as T;

/**
 * The flux commands through the doors: the tables and exit codes of the CLI, its errors on stderr,
 * the refusals of its parser, a dry run, Ctrl-C, and flux_heal over MCP. What the ops answer is
 * tested in process in test/ops/flux/.
 */
describe('homelab flux on the CLI and over MCP', () => {
  let s: SandboxEnv;
  beforeAll(async () => {
    s = await startSandboxEnv({ delays: { flux: 50 } });
  });
  beforeEach(() => {
    s.sandbox.reset();
  });
  afterAll(async () => {
    await s?.sandbox.stop();
  });
  const release = () => s.sandbox.store.get(HR, 'immich', 'immich') as unknown as Stored;

  it('prints a table with the failing release and how long it has failed, exit 2', async () => {
    const r = await runCli(['flux', 'status', '--kind', 'helmrelease'], s.env);
    expect(r.code).toBe(2);
    expect(r.stdout.split('\n')[0]).toMatch(/^CRIT 1 problem in 7 HelmReleases; worst: HelmRelease immich\/immich RetriesExhausted/);
    expect(r.stdout).toMatch(/HelmRelease\s+immich\s+immich\s+NotReady\s+\S+\s+16d/);
  });

  it("is a line of homelab health's table", async () => {
    const table = await runCli(['health'], s.env);
    expect(table.stdout).toMatch(/^CRIT flux: 2 problems/m);
  });

  it('says on stderr why it cannot tell, exit 69 and nothing on stdout, on a 503 from /apis', async () => {
    s.sandbox.faults.add({ path: '/apis', status: 503 });
    const r = await runCli(['flux', 'status'], s.env);
    expect(r.code).toBe(69);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      /^Error: cannot tell whether kustomize\.toolkit\.fluxcd\.io is installed: the Kubernetes API at \S+ answered GET \/apis with 503 Service Unavailable/,
    );
  });

  it('does not call a kind that failed to read "not served" in the table', async () => {
    s.sandbox.faults.add({ path: /^\/apis\/image\.toolkit\.fluxcd\.io\//, status: 503 });
    const table = await runCli(['flux', 'status'], s.env);
    expect(table.code).toBe(2);
    expect(table.stdout).not.toMatch(/not served here: .*ImageRepository/);
  });

  it('reconcile --with-source prints each source, then the object, as it gets ready', async () => {
    const table = await runCli(['flux', 'reconcile', 'helmrelease', 'jellyfin', '-n', 'jellyfin', '--with-source', '--yes'], s.env);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(
      /✔ HelmRepository flux-system\/jellyfin ready.*\n✔ HelmChart flux-system\/jellyfin-jellyfin ready.*\n✔ HelmRelease jellyfin\/jellyfin ready/,
    );
    expect(table.stderr).toContain('waiting for HelmRelease jellyfin/jellyfin');
  });

  it("reports a reconcile that ends in failure as crit (exit 2), with the controller's message", async () => {
    const r = await runCli(['flux', 'reconcile', 'imagerepository', 'private-exit-node', '-n', 'tailscale', '--yes'], s.env);
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/✗ ImageRepository tailscale\/private-exit-node failed: .*UNAUTHORIZED/);
  });

  it('asks for --yes off a terminal, and refuses bad kinds and names', async () => {
    expect((await runCli(['flux', 'reconcile', 'kustomization', 'apps'], s.env)).code).toBe(64);
    const kind = await runCli(['flux', 'reconcile', 'deployment', 'apps', '--yes'], s.env);
    expect(kind.code).toBe(64);
    expect(kind.stderr).toContain('KIND');
    const name = await runCli(['flux', 'reconcile', 'kustomization', 'Apps;rm', '--yes'], s.env);
    expect(name.code).toBe(64);
    const missing = await runCli(['flux', 'reconcile', 'kustomization', 'nope', '--yes'], s.env);
    expect(missing.code).toBe(66);
    expect(missing.stderr).toContain('kustomizations "nope" not found in namespace flux-system');
  });

  it('refuses writes in read-only mode and outside the flux allow-list, exit 77', async () => {
    const readOnly = await configWith(s.sandbox, 'ro', { readOnly: true });
    expect((await runCli(['flux', 'reconcile', 'kustomization', 'apps', '--yes', '--config', readOnly], s.env)).code).toBe(77);
    const narrow = await configWith(s.sandbox, 'narrow', { allow: { flux: ['flux-system/*'] } });
    const denied = await runCli(['flux', 'suspend', 'helmrelease', 'jellyfin', '-n', 'jellyfin', '--yes', '--config', narrow], s.env);
    expect(denied.code).toBe(77);
    expect(denied.stderr).toContain('jellyfin/jellyfin is not in the allow-list for flux (allowed: flux-system/*)');
  });

  it('heal shows what it would do without --yes, and changes nothing', async () => {
    const before = JSON.stringify(release());
    const r = await runCli(['flux', 'heal', 'immich', '-n', 'immich'], s.env);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('HelmRelease immich/immich is stuck (failing for 16d)');
    expect(r.stdout).toMatch(
      /Changes:\n {2}1\. suspend HelmRelease immich\/immich \(merge patch\)\n {5}\{"spec":\{"suspend":true\}\}\n {2}2\. resume HelmRelease immich\/immich/,
    );
    expect(r.stdout).toContain('Dry run: nothing changed');
    expect(JSON.stringify(release())).toBe(before);
  });

  it('heals the stuck release over MCP (suspend, resume, wait) and says what it did', async () => {
    const mcp = await stdioClient(s.env);
    try {
      const result = await callConfirmed(mcp.client, 'flux_heal', { name: 'immich', namespace: 'immich' });
      expect(result.isError).toBeFalsy();
      const out = result.structuredContent as { done: string[]; result?: { ready: string; message?: string } };
      expect(out.done[0]).toBe('suspend HelmRelease immich/immich');
      expect(out.result?.ready).toBe('True');
      expect(release().spec.suspend).toBe(false);
      expect(release().status.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
      expect(mcp.stderr()).toContain('"op":"flux_heal"');
    } finally {
      await mcp.close();
    }
    const status = (await callOp<FluxStatus>(s, 'flux_status', { kind: 'helmrelease' })).output;
    expect(status.findings).toEqual([]);
  });

  describe('when the resume fails', () => {
    // The first PATCH (suspend) goes through, the second (resume) is refused by the API server.
    beforeEach(() => {
      s.sandbox.faults.add({
        method: 'PATCH',
        path: '/apis/helm.toolkit.fluxcd.io/v2/namespaces/immich/helmreleases/immich',
        nth: 2,
        times: 1,
        status: 503,
        message: 'etcdserver: request timed out',
      });
    });

    it('heal says the release is left suspended and prints the command that finishes the job, which works as printed', async () => {
      const r = await runCli(['flux', 'heal', 'immich', '-n', 'immich', '--yes'], s.env);
      expect(r.code).toBe(69);
      expect(r.stderr).toContain('etcdserver: request timed out');
      expect(r.stderr).toContain('HelmRelease immich/immich is left suspended: heal suspended it, then resuming it failed');
      expect(release().spec.suspend).toBe(true);
      const finish = finishCommand(r.stderr);
      expect(finish).toEqual(['homelab', 'flux', 'resume', 'helmrelease', 'immich', '-n', 'immich']);
      const done = await runCli([...finish.slice(1), '--yes', '--json'], s.env);
      expect(done.code, done.stderr).toBe(0);
      expect(json<Reconciled>(done.stdout)).toMatchObject({ kind: 'HelmRelease', ready: 'True', waited: true });
      expect(release().spec.suspend).toBe(false);
    });

    it('over MCP the tool error carries the same state and command, and the resume it names finishes the job', async () => {
      const mcp = await stdioClient(s.env);
      try {
        const failed = await callConfirmed(mcp.client, 'flux_heal', { name: 'immich', namespace: 'immich' });
        expect(failed.isError).toBe(true);
        const text = (failed.content as Array<{ text: string }>)[0]?.text ?? '';
        expect(text).toContain('is left suspended');
        expect(text).toContain('finish with: homelab flux resume helmrelease immich -n immich');
        expect(release().spec.suspend).toBe(true);
        const resumed = await callConfirmed(mcp.client, 'flux_resume', { kind: 'helmrelease', name: 'immich', namespace: 'immich' });
        expect(resumed.isError).toBeFalsy();
        expect(resumed.structuredContent).toMatchObject({ wasSuspended: true, ready: 'True' });
        expect(release().spec.suspend).toBe(false);
        expect(mcp.stderr()).toMatch(/"op":"flux_heal".*"outcome":"error"/);
      } finally {
        await mcp.close();
      }
    });
  });

  it('heal cancelled half-way (Ctrl-C) says the release is left suspended and how to finish, exits 130, and the audit log has it', async () => {
    // The resume PATCH hangs (an API server that does not answer), so Ctrl-C lands between the two writes.
    s.sandbox.faults.add({ method: 'PATCH', path: '/apis/helm.toolkit.fluxcd.io/v2/namespaces/immich/helmreleases/immich', nth: 2, times: 1, delayMs: 60_000 });
    const auditFile = join(s.sandbox.dir, 'audit.log');
    const config = await configWith(s.sandbox, 'audited', { audit: { file: auditFile } });
    const child = spawnCli(['flux', 'heal', 'immich', '-n', 'immich', '--yes', '--config', config], s.env);
    let stderr = '';
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    await new Promise<void>((resolve) => {
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        if (stderr.includes('resuming')) resolve();
      });
    });
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(stderr).toContain('cancelling');
    expect(stderr).toContain('HelmRelease immich/immich is left suspended');
    expect(finishCommand(stderr)).toEqual(['homelab', 'flux', 'resume', 'helmrelease', 'immich', '-n', 'immich']);
    expect(release().spec.suspend).toBe(true);
    const audit = (await readFile(auditFile, 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { op: string; outcome: string; error: string });
    expect(audit).toEqual([
      expect.objectContaining({ op: 'flux_heal', phase: 'plan', outcome: 'ok' }),
      expect.objectContaining({ op: 'flux_heal', phase: 'confirmation', outcome: 'ok', confirmation: 'preconfirmed' }),
      expect.objectContaining({ op: 'flux_heal', phase: 'apply', outcome: 'error', error: expect.stringContaining('is left suspended') }),
    ]);
  });
});
