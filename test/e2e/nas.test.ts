import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, lstat, mkdir, readFile, readdir, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { runCli } from '../helpers/cli.js';
import { callConfirmed, stdioClient } from '../helpers/mcp.js';
import { sshdUnavailable, startSshd, type TestSshd } from '../helpers/sshd.js';

const run = promisify(execFile);
const unavailable = sshdUnavailable();

interface DfOut {
  configured: boolean;
  verdict: 'ok' | 'warn' | 'crit';
  volumes: Array<{ volume: string; ok: boolean; sizeBytes?: number; usedBytes?: number; availableBytes?: number; percent?: number; mount?: string; error?: string }>;
  findings: Array<{ severity: string; name: string; reason: string }>;
}

const EXIT = { ok: 0, warn: 1, crit: 2 } as const;

/** Runs the jobs four at a time (a CLI start is CPU-bound), results in order. */
async function inBatches<T>(jobs: Array<() => Promise<T>>, size = 4): Promise<T[]> {
  const results: T[] = [];
  for (let i = 0; i < jobs.length; i += size) results.push(...(await Promise.all(jobs.slice(i, i + size).map((job) => job()))));
  return results;
}

describe.skipIf(unavailable)(`homelab nas against a real OpenSSH server${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  let s: TestSshd;
  let root: string;
  let evil: string;
  /** Outside every root: symbolic links in the root point here. */
  let elsewhere: string;
  /** A root configured through a symbolic link to `root`. */
  let rootLink: string;
  const configs: Record<string, string> = {};
  const marker = `homelab-marker-${randomBytes(4).toString('hex')}`;
  let env: Record<string, string>;

  const nasConfig = (overrides: Record<string, unknown> = {}) => ({
    host: '127.0.0.1',
    port: s.port,
    username: s.user,
    privateKey: { file: s.clientKeyPath },
    hostKey: { fingerprint: s.hostKeyFingerprint },
    roots: [root],
    volumes: [s.homeDir],
    // Generous: CI machines are busy, and these tests are not about timeouts.
    connectTimeoutMs: 20_000,
    commandTimeoutMs: 20_000,
    ...overrides,
  });
  const writeConfig = async (name: string, data: Record<string, unknown>) => {
    const path = join(s.homeDir, `${name}.yaml`);
    await writeFile(path, stringify(data));
    configs[name] = path;
  };
  /** `homelab nas VERB --config FILE ARGS…` (the flag before ARGS, which may hold `--`). */
  const cli = (config: string, args: string[], extraEnv: Record<string, string> = {}) =>
    runCli([...args.slice(0, 2), '--config', configs[config] as string, ...args.slice(2)], { ...env, ...extraEnv });

  beforeAll(async () => {
    s = await startSshd();
    root = join(s.homeDir, 'volume1', 'media');
    evil = join(s.homeDir, 'volume1', 'media-evil');
    await mkdir(join(root, 'TV', 'Show'), { recursive: true });
    await mkdir(evil, { recursive: true });
    // Symbolic links in the root: out of it (absolute and relative), to a sibling sharing its prefix,
    // dangling, a loop, and two that stay inside.
    elsewhere = join(s.homeDir, 'elsewhere');
    rootLink = join(s.homeDir, 'volume1', 'media-link');
    await mkdir(elsewhere);
    await writeFile(join(elsewhere, 'target.mkv'), 'x');
    await writeFile(join(evil, 'target.mkv'), 'x');
    await Promise.all([
      symlink(elsewhere, join(root, 'out')),
      symlink(join(elsewhere, 'target.mkv'), join(root, 'final.mkv')),
      symlink(join(elsewhere, 'not-yet.mkv'), join(root, 'dangling.mkv')),
      symlink('../media-evil', join(root, 'evil')),
      symlink('loop', join(root, 'loop')),
      symlink('TV', join(root, 'alias')),
      symlink('TV/Show', join(root, 'latest')),
      symlink(root, rootLink),
    ]);
    // The NAS ops never call Kubernetes, but the runtime loads a kubeconfig (an unreachable cluster is fine).
    const kubeconfig = join(s.homeDir, 'kubeconfig');
    await writeFile(kubeconfig, stringify({
      apiVersion: 'v1', kind: 'Config', 'current-context': 'none',
      clusters: [{ name: 'none', cluster: { server: 'https://127.0.0.1:9' } }],
      contexts: [{ name: 'none', context: { cluster: 'none', user: 'none' } }],
      users: [{ name: 'none', user: {} }],
    }));
    env = { KUBECONFIG: kubeconfig };

    const wrongKey = await s.makeKey('not-authorized', { authorize: false });
    const lockedKey = await s.makeKey('locked', { passphrase: 'correct horse' });
    const otherFingerprint = `SHA256:${randomBytes(32).toString('base64').replace(/=+$/, '')}`;
    const unknownHosts = join(s.homeDir, 'known_hosts_other');
    await writeFile(unknownHosts, `nas.example ${s.hostPublicKey}\n[127.0.0.1]:1 ${s.hostPublicKey}\n`);
    const hashedHosts = join(s.homeDir, 'known_hosts_hashed');
    await copyFile(s.knownHostsPath, hashedHosts);
    await run('/usr/bin/ssh-keygen', ['-H', '-f', hashedHosts]);
    expect(await readFile(hashedHosts, 'utf8')).toMatch(/^\|1\|/);

    await Promise.all([
      writeConfig('good', { nas: nasConfig() }),
      writeConfig('knownhosts', { nas: nasConfig({ hostKey: { knownHosts: s.knownHostsPath } }) }),
      writeConfig('hashed', { nas: nasConfig({ hostKey: { knownHosts: hashedHosts } }) }),
      writeConfig('firstcontact', { nas: nasConfig({ hostKey: { knownHosts: unknownHosts } }) }),
      writeConfig('mismatch', { nas: nasConfig({ hostKey: { fingerprint: otherFingerprint } }) }),
      writeConfig('wrongkey', { nas: nasConfig({ privateKey: { file: wrongKey } }) }),
      writeConfig('envkey', { nas: nasConfig({ privateKey: { env: 'NAS_KEY' }, passphrase: { env: 'NAS_KEY_PASSPHRASE' } }) }),
      writeConfig('missingvolume', { nas: nasConfig({ volumes: [s.homeDir, join(s.homeDir, 'no-such-volume')] }) }),
      writeConfig('readonly', { readOnly: true, nas: nasConfig() }),
      writeConfig('audited', { nas: nasConfig(), audit: { file: join(s.homeDir, 'audit.log') } }),
      writeConfig('linkedroot', { nas: nasConfig({ roots: [rootLink] }) }),
      writeConfig('none', {}),
    ]);
    env.NAS_KEY = await readFile(lockedKey, 'utf8');
  });
  afterAll(async () => { await s?.stop(); });

  const noMarker = () => {
    for (const dir of [userInfo().homedir, s.homeDir, root, join(s.homeDir, 'volume1'), process.cwd()]) {
      expect(existsSync(join(dir, marker)), `${marker} in ${dir}`).toBe(false);
    }
  };

  it('touches an existing file: its mtime moves to now', async () => {
    const file = join(root, 'TV', 'Show', 'S01E01.mkv');
    await writeFile(file, 'x');
    await utimes(file, new Date('2020-01-01'), new Date('2020-01-01'));
    // A folder too (what Jellyfin's monitor is pointed at), in the human view.
    const [r, dir] = await Promise.all([
      cli('good', ['nas', 'touch', `${root}//TV/./Show/S01E01.mkv/`, '--yes', '--json']),
      cli('good', ['nas', 'touch', join(root, 'TV', 'Show'), '--yes']),
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ nas: `${s.user}@127.0.0.1:${s.port}`, path: file, requested: file, root, existed: true, created: false });
    expect((await stat(file)).mtimeMs).toBeGreaterThan(Date.now() - 60_000);
    expect(dir.code).toBe(0);
    expect(dir.stdout).toContain(`touched ${join(root, 'TV', 'Show')} on the NAS`);
  });

  it('refuses a missing path unless --create, and asks for --yes off a terminal', async () => {
    const path = join(root, 'TV', 'new.mkv');
    const [missing, created, unconfirmed, noParent] = await Promise.all([
      cli('good', ['nas', 'touch', join(root, 'TV', 'absent.mkv'), '--yes']),
      cli('good', ['nas', 'touch', path, '--create', '--yes', '--json']),
      // An existing path: one that is not there is refused by the plan (66) before anyone is asked.
      cli('good', ['nas', 'touch', join(root, 'TV', 'Show')]),
      cli('good', ['nas', 'touch', join(root, 'no', 'parent'), '--create', '--yes']),
    ]);
    expect(missing.code).toBe(66);
    expect(missing.stderr).toContain(`${join(root, 'TV', 'absent.mkv')} does not exist on the NAS`);
    expect(missing.stderr).toContain('--create');
    expect(existsSync(join(root, 'TV', 'absent.mkv'))).toBe(false);
    expect(created.code).toBe(0);
    expect(JSON.parse(created.stdout)).toMatchObject({ path, existed: false, created: true });
    expect(existsSync(path)).toBe(true);
    expect(unconfirmed.code).toBe(64);
    expect(unconfirmed.stderr).toContain('pass --yes');
    expect(noParent.code).toBe(66);
    expect(noParent.stderr).toMatch(/No such file or directory/);
  });

  // Each odd name is either refused before any SSH traffic (64) or touched literally inside the root.
  const literal = [
    `it's`,
    'say "hi"',
    `$(touch ${marker})`,
    `\`touch ${marker}\``,
    `; touch ${marker}`,
    `| touch ${marker}`,
    `&& touch ${marker}`,
    `> ${marker}`,
    '$HOME',
    '*',
    `x' ; touch ${marker} ; '`,
    '\\',
    '-rf',
    'ünïcödé 🎬',
  ];
  const refused = (): Array<[string, string]> => [
    [`${root}/a\nb; touch ${marker}`, 'contains a control character (U+000a)'],
    [`${root}/a\rtouch ${marker}`, 'contains a control character (U+000d)'],
    [`${root}/a\0b`, 'contains a control character (U+0000)'],
    [`${root}/tab\there`, 'contains a control character (U+0009)'],
    [`${root}/esc\u001b[2J`, 'contains a control character (U+001b)'],
    [`${root}/../media-evil/x`, 'has a .. segment'],
    [`${root}/TV/../../media-evil/x`, 'has a .. segment'],
    [`${root}/..`, 'has a .. segment'],
    [`${evil}/x`, 'is not inside a configured root'],
    [root, 'is a root itself'],
    [`${root}/`, 'is a root itself'],
    ['relative/path', 'is not absolute'],
    ['-rf', 'is not absolute'],
    ['/etc/passwd', 'is not inside a configured root'],
  ];

  it('injection corpus through the CLI: odd names touched literally; newline, .., sibling and -rf refused (64)', async () => {
    // The CLI takes a sample; MCP below runs the whole corpus through the same op.
    const names = [`it's`, `$(touch ${marker})`, `\`touch ${marker}\``, `; touch ${marker}`, '-rf'];
    // (argv cannot carry NUL; MCP below sends it.)
    const refusals = refused().filter(([p]) => p.includes('\n') || p.endsWith('../media-evil/x') || p === `${evil}/x` || p === '-rf');
    const results = await inBatches([
      ...names.map((name) => () => cli('good', ['nas', 'touch', '--create', '--yes', '--json', '--', `${root}/${name}`])),
      ...refusals.map(([path]) => () => cli('good', ['nas', 'touch', '--create', '--yes', '--', path])),
    ]);
    names.forEach((name, i) => {
      const r = results[i];
      expect(r?.code, `${name}: ${r?.stderr}`).toBe(0);
      expect((JSON.parse(r?.stdout ?? '{}') as { path: string }).path).toBe(`${root}/${name}`);
      expect(existsSync(join(root, name)), name).toBe(true);
    });
    refusals.forEach(([path, message], i) => {
      const r = results[names.length + i];
      expect(r?.code, `${JSON.stringify(path)}: ${r?.stderr}`).toBe(64);
      expect(r?.stderr).toContain(message);
    });
    expect(existsSync(join(evil, 'x'))).toBe(false);
    noMarker();
  });

  /** Every entry under the folders outside the roots, with its mtime (the folders' own included: a new file moves them). */
  const outsideState = async () => {
    const state: Record<string, number> = {};
    for (const dir of [elsewhere, evil]) {
      state[dir] = (await lstat(dir)).mtimeMs;
      for (const name of await readdir(dir)) state[join(dir, name)] = (await lstat(join(dir, name))).mtimeMs;
    }
    return state;
  };
  const OLD = new Date('2020-01-01');

  // [path as asked, exit code, what stderr says]; each with --create, the strongest ask.
  const symlinkRefused = (): Array<[string, number, string]> => [
    // The last component a link: out of the root, dangling, and even one that stays inside.
    [`${root}/final.mkv`, 77, `${root}/final.mkv is a symbolic link on the NAS`],
    [`${root}/dangling.mkv`, 77, `${root}/dangling.mkv is a symbolic link on the NAS`],
    [`${root}/latest`, 77, `${root}/latest is a symbolic link on the NAS`],
    // A folder on the way a link out of the root: to a new file, to an existing one, to the sibling sharing the root's prefix.
    [`${root}/out/x`, 77, `${root}/out/x resolves on the NAS to ${elsewhere}/x, which is not inside a configured root`],
    [`${root}/out/target.mkv`, 77, `resolves on the NAS to ${elsewhere}/target.mkv, which is not inside`],
    [`${root}/evil/x`, 77, `${root}/evil/x resolves on the NAS to ${evil}/x, which is not inside a configured root`],
    [`${root}/evil/target.mkv`, 77, `resolves on the NAS to ${evil}/target.mkv, which is not inside`],
    // A loop: a clear message, at once.
    [`${root}/loop/x`, 64, `${root}/loop/x cannot be resolved on the NAS: ${root}/loop runs into a symbolic link loop (`],
    [`${root}/loop`, 77, `${root}/loop is a symbolic link on the NAS`],
  ];

  it('symlink corpus through the CLI: a link at the end, out of the root, to a prefix sibling, dangling or looping is refused and nothing outside changes', async () => {
    await Promise.all([join(elsewhere, 'target.mkv'), join(evil, 'target.mkv')].map((f) => utimes(f, OLD, OLD)));
    const before = await outsideState();
    const cases = symlinkRefused();
    const results = await inBatches(cases.map(([path]) => () => cli('audited', ['nas', 'touch', '--create', '--yes', '--', path])));
    cases.forEach(([path, code, message], i) => {
      const r = results[i];
      expect(r?.code, `${path}: ${r?.stderr}`).toBe(code);
      expect(r?.stderr, path).toContain(message);
      expect(r?.stderr, path).toContain('nothing was touched');
    });
    // Nothing created, touched or moved outside the roots: not the link targets, not the folders.
    expect(await outsideState()).toEqual(before);
    expect((await stat(join(elsewhere, 'target.mkv'))).mtime).toEqual(OLD);
    expect(existsSync(join(elsewhere, 'not-yet.mkv'))).toBe(false);
    // The audit log has each refusal, with the path as the NAS resolved it.
    const audit = (await readFile(join(s.homeDir, 'audit.log'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { op: string; outcome: string; error?: string });
    expect(audit).toHaveLength(cases.length);
    expect(audit.every((a) => a.op === 'nas_touch')).toBe(true);
    // Refused by the roots (77) is a refusal; the loop the NAS could not resolve (64) is an error.
    expect(audit.map((a) => a.outcome).sort()).toEqual(cases.map(([, code]) => (code === 77 ? 'refused' : 'error')).sort());
    expect(audit.map((a) => a.error)).toContainEqual(expect.stringContaining(`resolves on the NAS to ${elsewhere}/x`));
  });

  it('follows a link that stays inside a root and reports the resolved path; a root configured through a link is resolved the same way', async () => {
    const show = join(root, 'TV', 'Show');
    await utimes(show, OLD, OLD);
    const [viaAlias, created, human, linkedRoot] = await Promise.all([
      cli('good', ['nas', 'touch', `${root}/alias/Show`, '--yes', '--json']),
      cli('good', ['nas', 'touch', `${root}/alias/via-alias.mkv`, '--create', '--yes', '--json']),
      cli('good', ['nas', 'touch', `${root}/alias/Show`, '--yes']),
      cli('linkedroot', ['nas', 'touch', `${rootLink}/TV/Show`, '--yes', '--json']),
    ]);
    expect(viaAlias.code, viaAlias.stderr).toBe(0);
    expect(JSON.parse(viaAlias.stdout)).toMatchObject({ path: show, requested: `${root}/alias/Show`, root, existed: true, created: false });
    expect((await stat(show)).mtimeMs).toBeGreaterThan(Date.now() - 60_000);
    expect(created.code, created.stderr).toBe(0);
    expect(JSON.parse(created.stdout)).toMatchObject({ path: join(root, 'TV', 'via-alias.mkv'), requested: `${root}/alias/via-alias.mkv`, created: true });
    expect(existsSync(join(root, 'TV', 'via-alias.mkv'))).toBe(true);
    expect(human.stdout).toContain(`touched ${show} on the NAS`);
    expect(human.stdout).toContain(`asked: ${root}/alias/Show`);
    expect(linkedRoot.code, linkedRoot.stderr).toBe(0);
    expect(JSON.parse(linkedRoot.stdout)).toMatchObject({ path: show, requested: `${rootLink}/TV/Show`, root: rootLink });
  });

  it('refuses a host key that does not match the pinned fingerprint, loudly, naming the offered one (69)', async () => {
    const r = await cli('mismatch', ['nas', 'touch', `${root}/TV`, '--yes']);
    expect(r.code).toBe(69);
    expect(r.stderr).toContain('HOST KEY MISMATCH');
    expect(r.stderr).toContain(`offered ssh-ed25519 key ${s.hostKeyFingerprint}`);
    expect(r.stderr).toContain('nothing was run');
  });

  it('checks known_hosts ([host]:port and hashed entries) and refuses first contact with the fingerprint to pin', async () => {
    const [plain, hashed, first] = await Promise.all([
      cli('knownhosts', ['nas', 'touch', `${root}/TV`, '--yes']),
      cli('hashed', ['nas', 'touch', `${root}/TV`, '--yes']),
      cli('firstcontact', ['nas', 'touch', `${root}/TV`, '--yes']),
    ]);
    expect(plain.code, plain.stderr).toBe(0);
    expect(hashed.code, hashed.stderr).toBe(0);
    expect(first.code).toBe(69);
    expect(first.stderr).toContain(`[127.0.0.1]:${s.port} is not in the known_hosts file`);
    expect(first.stderr).toContain('first contact is refused');
    expect(first.stderr).toContain(s.hostKeyFingerprint);
    expect(first.stderr).toContain(`fingerprint: "${s.hostKeyFingerprint}"`);
  });

  it('says Forbidden naming the user when the key is refused; takes an encrypted key from the environment', async () => {
    const [wrong, fromEnv, noPassphrase] = await Promise.all([
      cli('wrongkey', ['nas', 'touch', `${root}/TV`, '--yes']),
      cli('envkey', ['nas', 'touch', `${root}/TV`, '--yes'], { NAS_KEY_PASSPHRASE: 'correct horse' }),
      cli('envkey', ['nas', 'touch', `${root}/TV`, '--yes']),
    ]);
    expect(wrong.code).toBe(69);
    expect(wrong.stderr).toContain(`refused the SSH key for user ${s.user}`);
    expect(fromEnv.code, fromEnv.stderr).toBe(0);
    expect(noPassphrase.code).toBe(64);
    expect(noPassphrase.stderr).toContain('environment variable NAS_KEY_PASSPHRASE is not set');
  });

  it('reports disk use parsed from the real df, with the verdict as exit code', async () => {
    const [good, missing, human] = await Promise.all([cli('good', ['nas', 'df', '--json']), cli('missingvolume', ['nas', 'df', '--json']), cli('good', ['nas', 'df'])]);
    const out = JSON.parse(good.stdout) as DfOut;
    expect(good.code).toBe(EXIT[out.verdict]);
    expect(out.configured).toBe(true);
    const [vol] = out.volumes;
    const local = (await run('df', ['-P', '-k', '--', s.homeDir])).stdout.trim().split('\n')[1]?.split(/\s+/) ?? [];
    expect(vol).toMatchObject({ volume: s.homeDir, ok: true, sizeBytes: Number(local[1]) * 1024, mount: local[5] });
    expect(vol?.percent).toBe(Number(local[4]?.replace('%', '')));
    const m = JSON.parse(missing.stdout) as DfOut;
    expect(missing.code).toBe(EXIT[m.verdict]);
    expect(m.verdict).not.toBe('ok');
    expect(m.volumes[1]).toMatchObject({ ok: false });
    expect(m.volumes[1]?.error).toMatch(/No such file or directory/);
    expect(m.findings).toContainEqual(expect.objectContaining({ severity: 'warn', name: join(s.homeDir, 'no-such-volume'), reason: 'CheckFailed' }));
    expect(human.stdout).toMatch(/VOLUME.*SIZE.*USED.*AVAILABLE/);
    expect(human.stdout).toContain(s.homeDir);
  });

  it('not configured: df says so with verdict ok, touch fails with 64; read-only refuses touch with 77', async () => {
    const [df, touch, readOnly] = await Promise.all([
      cli('none', ['nas', 'df', '--json']),
      cli('none', ['nas', 'touch', '/volume1/x', '--yes']),
      cli('readonly', ['nas', 'touch', `${root}/TV`, '--yes']),
    ]);
    expect(df.code).toBe(0);
    expect(JSON.parse(df.stdout)).toMatchObject({ configured: false, verdict: 'ok', volumes: [] });
    expect(touch.code).toBe(64);
    expect(touch.stderr).toContain('the NAS is not configured');
    expect(touch.stderr).toContain('add a nas: section');
    expect(readOnly.code).toBe(77);
    expect(readOnly.stderr).toContain('read-only mode');
  });

  it('serves both ops over MCP stdio on one connection, the whole injection corpus (symbolic links too) included', async () => {
    const mcp = await stdioClient({ ...env, HOMELAB_CONFIG: configs.good as string });
    try {
      // Concurrent calls: one SSH connection, many channels.
      const touched = await Promise.all(literal.map((name) => callConfirmed(mcp.client, 'nas_touch', { path: `${root}/mcp ${name}`, create: true })));
      literal.forEach((name, i) => {
        const r = touched[i];
        const path = `${root}/mcp ${name}`;
        expect(r?.isError, `${name}: ${JSON.stringify(r?.content)}`).toBeFalsy();
        expect(r?.structuredContent).toMatchObject({ path, created: true });
        expect(existsSync(path), name).toBe(true);
      });
      const refusals = await Promise.all(refused().map(([path]) => mcp.client.callTool({ name: 'nas_touch', arguments: { path, create: true } })));
      refused().forEach(([path, message], i) => {
        expect(refusals[i]?.isError, JSON.stringify(path)).toBe(true);
        expect(JSON.stringify(refusals[i]?.content)).toContain(JSON.stringify(message).slice(1, -1));
      });
      const before = await outsideState();
      const links = await Promise.all(symlinkRefused().map(([path]) => mcp.client.callTool({ name: 'nas_touch', arguments: { path, create: true } })));
      symlinkRefused().forEach(([path, , message], i) => {
        expect(links[i]?.isError, path).toBe(true);
        expect(JSON.stringify(links[i]?.content)).toContain(JSON.stringify(message).slice(1, -1));
      });
      expect(await outsideState()).toEqual(before);
      const df = await mcp.client.callTool({ name: 'nas_df', arguments: {} });
      expect(df.isError).toBeFalsy();
      expect((df.structuredContent as unknown as DfOut).volumes[0]).toMatchObject({ volume: s.homeDir, ok: true });
    } finally {
      await mcp.close();
    }
    expect(existsSync(join(evil, 'x'))).toBe(false);
    noMarker();
  });
});
