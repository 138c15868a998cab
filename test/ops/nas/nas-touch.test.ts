import { existsSync } from 'node:fs';
import { readFile, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { literalNames, refusedPaths, startNasFixture, symlinkRefusals, type NasFixture } from '../../helpers/nas.js';
import { callOp, failure } from '../../helpers/ops.js';
import { sshdUnavailable } from '../../helpers/sshd.js';

const unavailable = sshdUnavailable();
const OLD = new Date('2020-01-01');

interface Touched {
  nas: string;
  path: string;
  requested: string;
  root: string;
  existed: boolean;
  created: boolean;
}

describe.skipIf(unavailable)(`nas_touch against a real OpenSSH server${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  let f: NasFixture;
  beforeAll(async () => {
    f = await startNasFixture();
  });
  afterAll(async () => {
    await f?.stop();
  });
  const touch = (input: Record<string, unknown>, config: Parameters<NasFixture['target']>[0] = 'good', env?: Record<string, string>) =>
    callOp<Touched>(f.target(config, env), 'nas_touch', input);

  it('touches an existing file: its mtime moves to now; the path is reported as the NAS resolves it', async () => {
    const file = join(f.root, 'TV', 'Show', 'S01E01.mkv');
    await writeFile(file, 'x');
    await utimes(file, OLD, OLD);
    const { output, log } = await touch({ path: `${f.root}//TV/./Show/S01E01.mkv/` });
    expect(log).toEqual([]);
    expect(output).toEqual({ nas: `${f.sshd.user}@127.0.0.1:${f.sshd.port}`, path: file, requested: file, root: f.root, existed: true, created: false });
    expect((await stat(file)).mtimeMs).toBeGreaterThan(Date.now() - 60_000);
  });

  it('refuses a missing path unless create, and a missing parent even then', async () => {
    const path = join(f.root, 'TV', 'new.mkv');
    const missing = await failure(touch({ path: join(f.root, 'TV', 'absent.mkv') }));
    expect(missing.exitCode).toBe(66);
    expect(missing.said).toContain(`${join(f.root, 'TV', 'absent.mkv')} does not exist on the NAS`);
    expect(missing.said).toContain('--create');
    expect(existsSync(join(f.root, 'TV', 'absent.mkv'))).toBe(false);
    expect((await touch({ path, create: true })).output).toMatchObject({ path, existed: false, created: true });
    expect(existsSync(path)).toBe(true);
    const noParent = await failure(touch({ path: join(f.root, 'no', 'parent'), create: true }));
    expect(noParent.exitCode).toBe(66);
    expect(noParent.said).toMatch(/No such file or directory/);
  });

  it('injection corpus: odd names touched literally; control characters, .., a sibling, a relative path refused (64) before any SSH traffic', async () => {
    // A sample of the names (each an SSH connection of its own); MCP (test/e2e/nas.test.ts) runs them all on one.
    const names = [`it's`, `$(touch ${f.marker})`, `\`touch ${f.marker}\``, `; touch ${f.marker}`, '-rf'];
    expect(literalNames(f.marker)).toEqual(expect.arrayContaining(names));
    const touched = await Promise.all(names.map((name) => touch({ path: `${f.root}/${name}`, create: true })));
    for (const [i, name] of names.entries()) {
      expect(touched[i]?.output.path, name).toBe(`${f.root}/${name}`);
      expect(existsSync(join(f.root, name)), name).toBe(true);
    }
    for (const [path, message] of refusedPaths(f)) {
      const err = await failure(touch({ path, create: true }));
      expect(err.exitCode, JSON.stringify(path)).toBe(64);
      expect(err.said, JSON.stringify(path)).toContain(message);
    }
    expect(existsSync(join(f.evil, 'x'))).toBe(false);
    expect(f.markerFound()).toEqual([]);
  });

  it('symlink corpus: a link at the end, out of the root, to a prefix sibling, dangling or looping is refused, nothing outside changes, and the audit log has each', async () => {
    await Promise.all([join(f.elsewhere, 'target.mkv'), join(f.evil, 'target.mkv')].map((file) => utimes(file, OLD, OLD)));
    const before = await f.outsideState();
    const cases = symlinkRefusals(f);
    const errors = await Promise.all(cases.map(([path]) => failure(touch({ path, create: true }, 'audited'))));
    for (const [i, [path, code, message]] of cases.entries()) {
      const err = errors[i] as Awaited<ReturnType<typeof failure>>;
      expect(err.exitCode, `${path}: ${err.said}`).toBe(code);
      expect(err.said, path).toContain(message);
      expect(err.said, path).toContain('nothing was touched');
    }
    // Nothing created, touched or moved outside the roots: not the link targets, not the folders.
    expect(await f.outsideState()).toEqual(before);
    expect((await stat(join(f.elsewhere, 'target.mkv'))).mtime).toEqual(OLD);
    expect(existsSync(join(f.elsewhere, 'not-yet.mkv'))).toBe(false);
    // The audit log has each refusal, with the path as the NAS resolved it.
    const audit = (await readFile(join(f.sshd.homeDir, 'audit.log'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { op: string; outcome: string; error?: string });
    expect(audit).toHaveLength(cases.length);
    expect(audit.every((a) => a.op === 'nas_touch')).toBe(true);
    // Refused by the roots (77) is a refusal; the loop the NAS could not resolve (64) is an error.
    expect(audit.map((a) => a.outcome).sort()).toEqual(cases.map(([, code]) => (code === 77 ? 'refused' : 'error')).sort());
    expect(audit.map((a) => a.error)).toContainEqual(expect.stringContaining(`resolves on the NAS to ${f.elsewhere}/x`));
  });

  it('follows a link that stays inside a root and reports the resolved path; a root configured through a link is resolved the same way', async () => {
    const show = join(f.root, 'TV', 'Show');
    await utimes(show, OLD, OLD);
    const viaAlias = await touch({ path: `${f.root}/alias/Show` });
    expect(viaAlias.output).toMatchObject({ path: show, requested: `${f.root}/alias/Show`, root: f.root, existed: true, created: false });
    expect((await stat(show)).mtimeMs).toBeGreaterThan(Date.now() - 60_000);
    const created = await touch({ path: `${f.root}/alias/via-alias.mkv`, create: true });
    expect(created.output).toMatchObject({ path: join(f.root, 'TV', 'via-alias.mkv'), requested: `${f.root}/alias/via-alias.mkv`, created: true });
    expect(existsSync(join(f.root, 'TV', 'via-alias.mkv'))).toBe(true);
    const linkedRoot = await touch({ path: `${f.rootLink}/TV/Show` }, 'linkedroot');
    expect(linkedRoot.output).toMatchObject({ path: show, requested: `${f.rootLink}/TV/Show`, root: f.rootLink });
  });

  it('refuses a host key that does not match the pinned fingerprint, loudly, naming the offered one (69)', async () => {
    const err = await failure(touch({ path: `${f.root}/TV` }, 'mismatch'));
    expect(err.exitCode).toBe(69);
    expect(err.said).toContain('HOST KEY MISMATCH');
    expect(err.said).toContain(`offered ssh-ed25519 key ${f.sshd.hostKeyFingerprint}`);
    expect(err.said).toContain('nothing was run');
  });

  it('checks known_hosts ([host]:port and hashed entries) and refuses first contact with the fingerprint to pin', async () => {
    expect((await touch({ path: `${f.root}/TV` }, 'knownhosts')).output.existed).toBe(true);
    expect((await touch({ path: `${f.root}/TV` }, 'hashed')).output.existed).toBe(true);
    const first = await failure(touch({ path: `${f.root}/TV` }, 'firstcontact'));
    expect(first.exitCode).toBe(69);
    expect(first.said).toContain(`[127.0.0.1]:${f.sshd.port} is not in the known_hosts file`);
    expect(first.said).toContain('first contact is refused');
    expect(first.said).toContain(f.sshd.hostKeyFingerprint);
    expect(first.said).toContain(`fingerprint: "${f.sshd.hostKeyFingerprint}"`);
  });

  it('says Forbidden naming the user when the key is refused; takes an encrypted key from the environment', async () => {
    const wrong = await failure(touch({ path: `${f.root}/TV` }, 'wrongkey'));
    expect(wrong.exitCode).toBe(69);
    expect(wrong.said).toContain(`refused the SSH key for user ${f.sshd.user}`);
    expect((await touch({ path: `${f.root}/TV` }, 'envkey', { NAS_KEY_PASSPHRASE: 'correct horse' })).output.existed).toBe(true);
    const noPassphrase = await failure(touch({ path: `${f.root}/TV` }, 'envkey'));
    expect(noPassphrase.exitCode).toBe(64);
    expect(noPassphrase.said).toContain('environment variable NAS_KEY_PASSPHRASE is not set');
  });

  it('not configured: fails with 64 saying how to configure it; read-only refuses it with 77', async () => {
    const none = await failure(touch({ path: '/volume1/x' }, 'none'));
    expect(none.exitCode).toBe(64);
    expect(none.said).toContain('the NAS is not configured');
    expect(none.said).toContain('add a nas: section');
    const readOnly = await failure(touch({ path: `${f.root}/TV` }, 'readonly'));
    expect(readOnly.exitCode).toBe(77);
    expect(readOnly.said).toContain('read-only mode');
  });
});
