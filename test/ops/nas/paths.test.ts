import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { lstat, mkdir, mkdtemp, readdir, realpath, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../../src/core/errors.js';
import { commandLine } from '../../../src/adapters/ssh/quote.js';
import { isInside, normaliseRoots, resolveNasPath, splitNasPath } from '../../../src/ops/nas/paths.js';
import { parseRemoteTouch, remoteTouchArgv, type RemoteTouchOutcome } from '../../../src/ops/nas/remote-touch.js';
import { parseDfOutput, volumeFindings } from '../../../src/ops/nas/nas-df.js';

const ROOTS = ['/volume1/media', '/volume2/photos/'];

function refused(path: string): string {
  try {
    resolveNasPath(path, ROOTS);
  } catch (err) {
    expect(err).toBeInstanceOf(UserError);
    return (err as Error).message;
  }
  throw new Error(`${JSON.stringify(path)} was admitted`);
}

describe('NAS path rules', () => {
  it('normalises . segments, repeated and trailing slashes, and names the admitting root', () => {
    expect(resolveNasPath('/volume1/media/TV/Show', ROOTS)).toEqual({ path: '/volume1/media/TV/Show', root: '/volume1/media' });
    expect(resolveNasPath('/volume1//media/./TV///Show/', ROOTS)).toEqual({ path: '/volume1/media/TV/Show', root: '/volume1/media' });
    expect(resolveNasPath('/volume2/photos/2024', ROOTS).root).toBe('/volume2/photos');
  });

  it('keeps odd but harmless names literally', () => {
    for (const name of [`it's`, '$(rm -rf /)', '`id`', '; ls', '| sh', '> x', '-rf', '*', '...', '.hidden', 'a b', 'ünï 🎬', '\\']) {
      expect(resolveNasPath(`/volume1/media/${name}`, ROOTS).path).toBe(`/volume1/media/${name}`);
    }
  });

  it('refuses .. segments outright instead of resolving them', () => {
    expect(refused('/volume1/media/../media/x')).toContain('has a .. segment');
    expect(refused('/volume1/media/TV/../../../etc/passwd')).toContain('has a .. segment');
    expect(refused('/volume1/media/..')).toContain('has a .. segment');
  });

  it('refuses control characters: NUL, newline, carriage return, tab, escape, DEL, C1', () => {
    for (const c of ['\0', '\n', '\r', '\t', '\u001b', '\u007f', '\u0085']) {
      expect(refused(`/volume1/media/a${c}b`)).toContain('contains a control character');
    }
  });

  it('admits only paths strictly inside a root: not the root, not a prefix sibling, not elsewhere', () => {
    expect(refused('/volume1/media')).toContain('is a root itself');
    expect(refused('/volume1/media/')).toContain('is a root itself');
    expect(refused('/volume1/media-evil/x')).toContain('is not inside a configured root');
    expect(refused('/volume1/mediax')).toContain('is not inside a configured root');
    expect(refused('/volume1')).toContain('is not inside a configured root');
    expect(refused('/etc/passwd')).toContain('is not inside a configured root (nas.roots: /volume1/media, /volume2/photos)');
    expect(refused('volume1/media/x')).toContain('is not absolute');
    expect(refused('-rf')).toContain('is not absolute');
    expect(refused('')).toContain('is empty');
    expect(refused(`/volume1/media/${'a'.repeat(5000)}`)).toContain('longer than 4096');
    expect(isInside('/x', '/')).toBe(true);
    expect(isInside('/', '/')).toBe(false);
  });

  it('refuses a root that is itself not a clean absolute path', () => {
    expect(() => resolveNasPath('/a/b', ['/a/../b'])).toThrow(/configured root.*has a .. segment/);
  });
});

describe('a path split for the NAS', () => {
  it('names the folder and the last component; roots come in normal form', () => {
    expect(splitNasPath('/volume1/media/TV/Show')).toEqual({ parent: '/volume1/media/TV', name: 'Show' });
    expect(splitNasPath('/volume1/media/x')).toEqual({ parent: '/volume1/media', name: 'x' });
    expect(splitNasPath('/x')).toEqual({ parent: '/', name: 'x' });
    expect(normaliseRoots(['/volume1//media/', '/'])).toEqual(['/volume1/media', '/']);
  });
});

describe('the status line of the remote resolve-and-touch', () => {
  it('reads the tag, the root and the path, newlines and spaces in it included', () => {
    expect(parseRemoteTouch('touched 1 /v/media/TV/Show\n', 1)).toEqual({ kind: 'touched', rootIndex: 0, path: '/v/media/TV/Show' });
    expect(parseRemoteTouch('created 2 /v/photos/a b\nc\n', 2)).toEqual({ kind: 'created', rootIndex: 1, path: '/v/photos/a b\nc' });
    expect(parseRemoteTouch('outside - /elsewhere/x\n', 1)).toEqual({ kind: 'outside', path: '/elsewhere/x' });
    expect(parseRemoteTouch('unresolved - /v/media/loop\n', 1)).toEqual({ kind: 'unresolved', path: '/v/media/loop' });
  });

  it('is undefined for anything else: no line, a root out of range, a root on outside, a relative path, junk', () => {
    for (const bad of [
      '',
      'touched 1 /x',
      'touched 3 /x\n',
      'touched 0 /x\n',
      'touched - /x\n',
      'outside 1 /x\n',
      'touched 1 x\n',
      'pwned 1 /x\n',
      'sh: 1: syntax error\n',
    ]) {
      expect(parseRemoteTouch(bad, 2), JSON.stringify(bad)).toBeUndefined();
    }
  });
});

// The script that runs on the NAS, run here the way sshd runs it (`SHELL -c COMMAND-LINE`), under each
// shape of NAS: dash with GNU coreutils (Debian), bash as sh, and BusyBox alone (sh, touch and ls applets).
const BUSYBOX = ['/usr/bin/busybox', '/bin/busybox'].find((p) => existsSync(p));
const shapes: Array<{ name: string; sh: string | undefined; busybox?: boolean }> = [
  { name: 'dash + GNU coreutils', sh: existsSync('/bin/dash') ? '/bin/dash' : undefined },
  { name: 'bash as sh + GNU coreutils', sh: existsSync('/bin/bash') ? '/bin/bash' : undefined },
  { name: 'BusyBox sh + BusyBox touch and ls', sh: BUSYBOX, busybox: true },
];

describe.each(shapes)('the remote resolve-and-touch under $name', ({ sh, busybox }) => {
  let base: string;
  let bin: string;
  let media: string;
  const OLD = new Date('2020-01-01');

  beforeAll(async () => {
    if (!sh) return;
    base = await realpath(await mkdtemp(join(tmpdir(), 'hl-nas-script-')));
    bin = join(base, 'bin');
    await mkdir(bin);
    if (busybox) execFileSync(sh, ['--install', '-s', bin]);
    else await symlink(sh, join(bin, 'sh'));
    media = join(base, 'media');
    await mkdir(join(media, 'TV', 'Show'), { recursive: true });
    // Outside the root: a folder, the sibling sharing its prefix, and one whose name is the root's plus a newline.
    for (const dir of ['elsewhere', 'media-evil', 'media\n']) await mkdir(join(base, dir));
    await writeFile(join(base, 'elsewhere', 'target.mkv'), 'x');
    await writeFile(join(media, 'file.mkv'), 'x');
    await Promise.all([
      symlink(join(base, 'elsewhere'), join(media, 'out')),
      symlink(join(base, 'elsewhere', 'target.mkv'), join(media, 'final.mkv')),
      symlink(join(base, 'elsewhere', 'not-yet.mkv'), join(media, 'dangling.mkv')),
      symlink('../media-evil', join(media, 'evil')),
      symlink('../media\n', join(media, 'nl')),
      symlink('loop', join(media, 'loop')),
      symlink('TV', join(media, 'alias')),
    ]);
    for (const f of [join(media, 'file.mkv'), join(media, 'TV', 'Show'), join(base, 'elsewhere', 'target.mkv')]) await utimes(f, OLD, OLD);
  });
  afterAll(async () => {
    if (base) await rm(base, { recursive: true, force: true });
  });

  const outsideState = async () => {
    const state: Record<string, number> = {};
    for (const dir of ['elsewhere', 'media-evil', 'media\n'].map((d) => join(base, d))) {
      state[dir] = (await lstat(dir)).mtimeMs;
      for (const name of await readdir(dir)) state[join(dir, name)] = (await lstat(join(dir, name))).mtimeMs;
    }
    return state;
  };

  const touch = (parent: string, name: string, create: boolean) => {
    const argv = remoteTouchArgv({ parent: join(media, parent), name, create, roots: ['/nonexistent-root', media] });
    // The PATH a NAS would have: only BusyBox's applets, or ours first for sh.
    const r = spawnSync(join(bin, 'sh'), ['-c', commandLine(argv)], {
      env: { PATH: busybox ? bin : `${bin}:/usr/bin:/bin` },
      encoding: 'utf8',
      timeout: 20_000,
    });
    return { outcome: parseRemoteTouch(r.stdout, 2), status: r.status, stderr: r.stderr };
  };

  it.skipIf(!sh)('touches and creates inside the root, through a link that stays inside, never following the last component', async () => {
    const before = await outsideState();
    const cases: Array<[string, string, boolean, RemoteTouchOutcome]> = [
      ['', 'file.mkv', false, { kind: 'touched', rootIndex: 1, path: join(media, 'file.mkv') }],
      ['alias', 'Show', false, { kind: 'touched', rootIndex: 1, path: join(media, 'TV', 'Show') }],
      ['alias', 'new.mkv', true, { kind: 'created', rootIndex: 1, path: join(media, 'TV', 'new.mkv') }],
      ['', 'final.mkv', true, { kind: 'link', rootIndex: 1, path: join(media, 'final.mkv') }],
      ['', 'dangling.mkv', true, { kind: 'link', rootIndex: 1, path: join(media, 'dangling.mkv') }],
      ['out', 'x', true, { kind: 'outside', path: join(base, 'elsewhere', 'x') }],
      ['out', 'target.mkv', false, { kind: 'outside', path: join(base, 'elsewhere', 'target.mkv') }],
      ['evil', 'x', true, { kind: 'outside', path: join(base, 'media-evil', 'x') }],
      // `$(pwd -P)` alone would drop the newline and see the root itself.
      ['nl', 'x', true, { kind: 'outside', path: join(base, 'media\n', 'x') }],
      ['loop', 'x', true, { kind: 'unresolved', path: join(media, 'loop') }],
      ['no-such-folder', 'x', true, { kind: 'unresolved', path: join(media, 'no-such-folder') }],
      ['', 'absent.mkv', false, { kind: 'missing', rootIndex: 1, path: join(media, 'absent.mkv') }],
    ];
    for (const [parent, name, create, expected] of cases) {
      const r = touch(parent, name, create);
      expect(r.outcome, `${parent}/${name}: ${r.stderr}`).toEqual(expected);
      expect(r.status, `${parent}/${name}`).toBe(expected.kind === 'touched' || expected.kind === 'created' ? 0 : 1);
      if (expected.kind === 'unresolved') expect(r.stderr).toMatch(parent === 'loop' ? /Too many levels of symbolic links/ : /No such file or directory/);
    }
    expect((await stat(join(media, 'file.mkv'))).mtimeMs).toBeGreaterThan(Date.now() - 60_000);
    expect((await stat(join(media, 'TV', 'Show'))).mtimeMs).toBeGreaterThan(Date.now() - 60_000);
    expect(existsSync(join(media, 'TV', 'new.mkv'))).toBe(true);
    // Nothing outside the root was created or touched: not the link targets, not the folders.
    expect(await outsideState()).toEqual(before);
    expect((await stat(join(base, 'elsewhere', 'target.mkv'))).mtime).toEqual(OLD);
  });

  it.skipIf(!sh)(
    'has the no-follow tools the script relies on: touch -h touches a link planted after the check itself, set -C never creates through one',
    async () => {
      // What `test -L` could miss if a link appeared right after it: touch -h and set -C hold on their own.
      const planted = join(media, 'planted.mkv');
      await symlink(join(base, 'elsewhere', 'target.mkv'), planted);
      const noDeref = spawnSync(join(bin, 'sh'), ['-c', commandLine(['touch', '-c', '-m', '-h', '--', planted])], {
        env: { PATH: busybox ? bin : `${bin}:/usr/bin:/bin` },
        encoding: 'utf8',
      });
      expect(noDeref.status, noDeref.stderr).toBe(0);
      expect((await stat(join(base, 'elsewhere', 'target.mkv'))).mtime).toEqual(OLD);
      const noClobber = spawnSync(join(bin, 'sh'), ['-c', 'set -C && : > "$1"', 'sh', join(media, 'dangling.mkv')], {
        env: { PATH: busybox ? bin : `${bin}:/usr/bin:/bin` },
        encoding: 'utf8',
      });
      expect(noClobber.status).not.toBe(0);
      expect(existsSync(join(base, 'elsewhere', 'not-yet.mkv'))).toBe(false);
    },
  );
});

describe('df -P -k output', () => {
  it('parses POSIX df lines, a filesystem name with spaces included, into bytes and percent', () => {
    const out = [
      'Filesystem     1024-blocks      Used Available Capacity Mounted on',
      '/dev/mapper/cachedev_0 11238298744 9887654321 1350644423      88% /volume1',
      'my share   1000  960  40  96% /mnt/my share',
    ].join('\n');
    expect(parseDfOutput(out)).toEqual([
      {
        filesystem: '/dev/mapper/cachedev_0',
        sizeBytes: 11238298744 * 1024,
        usedBytes: 9887654321 * 1024,
        availableBytes: 1350644423 * 1024,
        percent: 88,
        mount: '/volume1',
      },
      { filesystem: 'my share', sizeBytes: 1000 * 1024, usedBytes: 960 * 1024, availableBytes: 40 * 1024, percent: 96, mount: '/mnt/my share' },
    ]);
  });

  it('warns at 85 %, is crit at 95 %, and reports a volume df could not read', () => {
    const findings = volumeFindings([
      { volume: '/volume1', ok: true, percent: 84, availableBytes: 1 },
      { volume: '/volume2', ok: true, percent: 85, availableBytes: 1 },
      { volume: '/volume3', ok: true, percent: 95, availableBytes: 1 },
      { volume: '/volume4', ok: false, error: 'df: /volume4: No such file or directory' },
    ]);
    expect(findings.map((f) => [f.severity, f.name, f.reason])).toEqual([
      ['crit', '/volume3', 'SpaceCritical'],
      ['warn', '/volume2', 'SpaceLow'],
      ['warn', '/volume4', 'CheckFailed'],
    ]);
  });
});
