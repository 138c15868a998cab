/**
 * The NAS script in plan mode (what `nas touch` plans with): the same resolution and refusals as
 * the act, an answer saying what it would do, and nothing touched or created. Run by the shells a
 * NAS has: dash with GNU coreutils, and BusyBox alone.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, realpath, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commandLine } from '../../../src/adapters/ssh/quote.js';
import { parseRemoteTouch, remoteTouchArgv, type RemoteTouchOutcome } from '../../../src/ops/nas/remote-touch.js';

const BUSYBOX = ['/usr/bin/busybox', '/bin/busybox'].find((p) => existsSync(p));
const shapes: Array<{ name: string; sh: string | undefined; busybox?: boolean }> = [
  { name: 'dash + GNU coreutils', sh: existsSync('/bin/dash') ? '/bin/dash' : undefined },
  { name: 'BusyBox sh + BusyBox applets', sh: BUSYBOX, busybox: true },
];
const OLD = new Date('2020-01-01');

describe.each(shapes)('the resolve-and-touch script in plan mode under $name', ({ sh, busybox }) => {
  let base: string;
  let bin: string;
  let media: string;
  beforeAll(async () => {
    if (!sh) return;
    base = await realpath(await mkdtemp(join(tmpdir(), 'hl-nas-plan-')));
    bin = join(base, 'bin');
    await mkdir(bin);
    if (busybox) execFileSync(sh, ['--install', '-s', bin]);
    else await symlink(sh, join(bin, 'sh'));
    media = join(base, 'media');
    await mkdir(join(media, 'TV', 'Show'), { recursive: true });
    await mkdir(join(base, 'elsewhere'));
    await writeFile(join(media, 'file.mkv'), 'x');
    await Promise.all([
      symlink(join(base, 'elsewhere'), join(media, 'out')),
      symlink('TV', join(media, 'alias')),
      symlink(join(media, 'file.mkv'), join(media, 'link.mkv')),
    ]);
    for (const f of [join(media, 'file.mkv'), join(media, 'TV', 'Show')]) await utimes(f, OLD, OLD);
  });
  afterAll(async () => {
    if (base) await rm(base, { recursive: true, force: true });
  });

  const plan = (parent: string, name: string, create: boolean) => {
    const argv = remoteTouchArgv({ parent: join(media, parent), name, create, roots: [media], plan: true });
    const r = spawnSync(join(bin, 'sh'), ['-c', commandLine(argv)], {
      env: { PATH: busybox ? bin : `${bin}:/usr/bin:/bin` },
      encoding: 'utf8',
      timeout: 20_000,
    });
    return { outcome: parseRemoteTouch(r.stdout, 1), status: r.status };
  };

  it.skipIf(!sh)('says what it would do, refuses what the act refuses, and touches nothing', async () => {
    const cases: Array<[string, string, boolean, RemoteTouchOutcome, number]> = [
      ['', 'file.mkv', false, { kind: 'exists', rootIndex: 0, path: join(media, 'file.mkv') }, 0],
      ['alias', 'Show', false, { kind: 'exists', rootIndex: 0, path: join(media, 'TV', 'Show') }, 0],
      ['alias', 'new.mkv', true, { kind: 'absent', rootIndex: 0, path: join(media, 'TV', 'new.mkv') }, 0],
      ['', 'absent.mkv', false, { kind: 'missing', rootIndex: 0, path: join(media, 'absent.mkv') }, 1],
      ['', 'link.mkv', true, { kind: 'link', rootIndex: 0, path: join(media, 'link.mkv') }, 1],
      ['out', 'x', true, { kind: 'outside', path: join(base, 'elsewhere', 'x') }, 1],
      ['no-such-folder', 'x', true, { kind: 'unresolved', path: join(media, 'no-such-folder') }, 1],
    ];
    for (const [parent, name, create, expected, status] of cases) {
      const r = plan(parent, name, create);
      expect(r.outcome, `${parent}/${name}`).toEqual(expected);
      expect(r.status, `${parent}/${name}`).toBe(status);
    }
    expect((await stat(join(media, 'file.mkv'))).mtime).toEqual(OLD);
    expect((await stat(join(media, 'TV', 'Show'))).mtime).toEqual(OLD);
    expect(existsSync(join(media, 'TV', 'new.mkv'))).toBe(false);
    expect(existsSync(join(base, 'elsewhere', 'x'))).toBe(false);
  });
});
