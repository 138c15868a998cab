import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, lstat, mkdir, readFile, readdir, symlink, writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { startSshd, type TestSshd } from './sshd.js';

const run = promisify(execFile);

export interface DfOut {
  configured: boolean;
  verdict: 'ok' | 'warn' | 'crit';
  volumes: Array<{
    volume: string;
    ok: boolean;
    sizeBytes?: number;
    usedBytes?: number;
    availableBytes?: number;
    percent?: number;
    mount?: string;
    error?: string;
  }>;
  findings: Array<{ severity: string; name: string; reason: string }>;
}

/** The config files the NAS tests run with, by name (each a homelab.yaml with a nas: section, or none). */
export type NasConfig =
  'good' | 'knownhosts' | 'hashed' | 'firstcontact' | 'mismatch' | 'wrongkey' | 'envkey' | 'missingvolume' | 'readonly' | 'audited' | 'linkedroot' | 'none';

/**
 * A real sshd with a media root to touch: symbolic links in the root (out of it, to a sibling sharing
 * its prefix, dangling, a loop, two that stay inside, a root configured through a link) and a config
 * file for each way of reaching the NAS (pinned key, known_hosts plain and hashed, first contact, a
 * mismatch, a refused key, an encrypted key in the environment, read-only, audited, none).
 */
export interface NasFixture {
  sshd: TestSshd;
  root: string;
  /** A sibling of the root sharing its prefix (media-evil). */
  evil: string;
  /** Outside every root: symbolic links in the root point here. */
  elsewhere: string;
  /** A root configured through a symbolic link to `root`. */
  rootLink: string;
  /** A name that must never be created anywhere (the injection corpus tries to). */
  marker: string;
  /** KUBECONFIG (an unreachable cluster: the NAS ops never call Kubernetes) and the encrypted key NAS_KEY. */
  env: Record<string, string>;
  configPath(name: NasConfig): string;
  /** Where an op runs with that config: the environment with HOMELAB_CONFIG set (callOp's target). */
  target(name: NasConfig, extraEnv?: Record<string, string>): { env: Record<string, string> };
  /** Every entry under the folders outside the roots, with its mtime (the folders' own included: a new file moves them). */
  outsideState(): Promise<Record<string, number>>;
  /** The folders where an injected command left the marker (none, when all is well). */
  markerFound(): string[];
  stop(): Promise<void>;
}

export async function startNasFixture(): Promise<NasFixture> {
  const sshd = await startSshd();
  try {
    const root = join(sshd.homeDir, 'volume1', 'media');
    const evil = join(sshd.homeDir, 'volume1', 'media-evil');
    const elsewhere = join(sshd.homeDir, 'elsewhere');
    const rootLink = join(sshd.homeDir, 'volume1', 'media-link');
    await mkdir(join(root, 'TV', 'Show'), { recursive: true });
    await mkdir(evil, { recursive: true });
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
    const kubeconfig = join(sshd.homeDir, 'kubeconfig');
    await writeFile(
      kubeconfig,
      stringify({
        apiVersion: 'v1',
        kind: 'Config',
        'current-context': 'none',
        clusters: [{ name: 'none', cluster: { server: 'https://127.0.0.1:9' } }],
        contexts: [{ name: 'none', context: { cluster: 'none', user: 'none' } }],
        users: [{ name: 'none', user: {} }],
      }),
    );

    const wrongKey = await sshd.makeKey('not-authorized', { authorize: false });
    const lockedKey = await sshd.makeKey('locked', { passphrase: 'correct horse' });
    const otherFingerprint = `SHA256:${randomBytes(32).toString('base64').replace(/=+$/, '')}`;
    const unknownHosts = join(sshd.homeDir, 'known_hosts_other');
    await writeFile(unknownHosts, `nas.example ${sshd.hostPublicKey}\n[127.0.0.1]:1 ${sshd.hostPublicKey}\n`);
    const hashedHosts = join(sshd.homeDir, 'known_hosts_hashed');
    await copyFile(sshd.knownHostsPath, hashedHosts);
    await run('/usr/bin/ssh-keygen', ['-H', '-f', hashedHosts]);
    if (!/^\|1\|/.test(await readFile(hashedHosts, 'utf8'))) throw new Error('ssh-keygen -H did not hash known_hosts');

    const nas = (overrides: Record<string, unknown> = {}) => ({
      host: '127.0.0.1',
      port: sshd.port,
      username: sshd.user,
      privateKey: { file: sshd.clientKeyPath },
      hostKey: { fingerprint: sshd.hostKeyFingerprint },
      roots: [root],
      volumes: [sshd.homeDir],
      // Generous: CI machines are busy, and these tests are not about timeouts.
      connectTimeoutMs: 20_000,
      commandTimeoutMs: 20_000,
      ...overrides,
    });
    const configs: Record<NasConfig, Record<string, unknown>> = {
      good: { nas: nas() },
      knownhosts: { nas: nas({ hostKey: { knownHosts: sshd.knownHostsPath } }) },
      hashed: { nas: nas({ hostKey: { knownHosts: hashedHosts } }) },
      firstcontact: { nas: nas({ hostKey: { knownHosts: unknownHosts } }) },
      mismatch: { nas: nas({ hostKey: { fingerprint: otherFingerprint } }) },
      wrongkey: { nas: nas({ privateKey: { file: wrongKey } }) },
      envkey: { nas: nas({ privateKey: { env: 'NAS_KEY' }, passphrase: { env: 'NAS_KEY_PASSPHRASE' } }) },
      missingvolume: { nas: nas({ volumes: [sshd.homeDir, join(sshd.homeDir, 'no-such-volume')] }) },
      readonly: { readOnly: true, nas: nas() },
      audited: { nas: nas(), audit: { file: join(sshd.homeDir, 'audit.log') } },
      linkedroot: { nas: nas({ roots: [rootLink] }) },
      none: {},
    };
    const configPath = (name: NasConfig) => join(sshd.homeDir, `${name}.yaml`);
    await Promise.all(Object.entries(configs).map(([name, data]) => writeFile(configPath(name as NasConfig), stringify(data))));
    const env = { KUBECONFIG: kubeconfig, NAS_KEY: await readFile(lockedKey, 'utf8') };
    const marker = `homelab-marker-${randomBytes(4).toString('hex')}`;

    return {
      sshd,
      root,
      evil,
      elsewhere,
      rootLink,
      marker,
      env,
      configPath,
      target: (name, extraEnv = {}) => ({ env: { ...env, HOMELAB_CONFIG: configPath(name), ...extraEnv } }),
      async outsideState() {
        const state: Record<string, number> = {};
        for (const dir of [elsewhere, evil]) {
          state[dir] = (await lstat(dir)).mtimeMs;
          for (const name of await readdir(dir)) state[join(dir, name)] = (await lstat(join(dir, name))).mtimeMs;
        }
        return state;
      },
      markerFound: () => [userInfo().homedir, sshd.homeDir, root, join(sshd.homeDir, 'volume1'), process.cwd()].filter((dir) => existsSync(join(dir, marker))),
      stop: () => sshd.stop(),
    };
  } catch (err) {
    await sshd.stop();
    throw err;
  }
}

/** Odd names the NAS touches literally inside the root (created with create: true). */
export function literalNames(marker: string): string[] {
  return [
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
}

/** Paths refused before any SSH traffic (UserError, exit 64), with what the refusal says. */
export function refusedPaths(f: Pick<NasFixture, 'root' | 'evil' | 'marker'>): Array<[string, string]> {
  const { root, evil, marker } = f;
  return [
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
}

/** [path as asked, exit code, what the refusal says]; each asked with create: true, the strongest ask. */
export function symlinkRefusals(f: Pick<NasFixture, 'root' | 'evil' | 'elsewhere'>): Array<[string, number, string]> {
  const { root, evil, elsewhere } = f;
  return [
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
}
