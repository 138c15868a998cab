import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const SSHD = '/usr/sbin/sshd';
const SSH_KEYGEN = '/usr/bin/ssh-keygen';

/** Why the real-sshd tests cannot run here, or undefined when they can (CI installs openssh-server). */
export function sshdUnavailable(): string | undefined {
  if (!existsSync(SSHD)) return `${SSHD} is not installed (apt-get install openssh-server)`;
  if (!existsSync(SSH_KEYGEN)) return `${SSH_KEYGEN} is not installed`;
  return undefined;
}

export interface TestSshd {
  port: number;
  user: string;
  /** SHA256:… of the server's ed25519 host key, as ssh-keygen -lf prints it. */
  hostKeyFingerprint: string;
  /** The host key as a known_hosts line body: `ssh-ed25519 AAAA…`. */
  hostPublicKey: string;
  /** An ed25519 key the server accepts (no passphrase). */
  clientKeyPath: string;
  /** known_hosts naming [127.0.0.1]:port with the host key. */
  knownHostsPath: string;
  /** A temp dir of our own for roots, volumes and markers. */
  homeDir: string;
  /** Makes a key pair (optionally with a passphrase); authorize: append it to authorized_keys. */
  makeKey(name: string, options?: { passphrase?: string; authorize?: boolean }): Promise<string>;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (addr && typeof addr === 'object' ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * Debian's sshd with a config of its own in a temp dir: 127.0.0.1 on a free port, its own ed25519
 * host key, key-only auth for the current user, no PAM, logs on stderr.
 */
export async function startSshd(): Promise<TestSshd> {
  // Real path: the NAS ops report paths as the server resolves them, so the tests name them that way.
  const dir = await realpath(await mkdtemp(join(tmpdir(), 'homelab-sshd-')));
  const user = userInfo().username;
  const hostKey = join(dir, 'ssh_host_ed25519_key');
  const authorizedKeys = join(dir, 'authorized_keys');
  const homeDir = join(dir, 'nas');
  await mkdir(homeDir);
  await run(SSH_KEYGEN, ['-q', '-t', 'ed25519', '-N', '', '-C', 'homelab-test-host', '-f', hostKey]);
  const hostPublicKey = (await readFile(`${hostKey}.pub`, 'utf8')).trim().split(/\s+/).slice(0, 2).join(' ');
  const fp = (await run(SSH_KEYGEN, ['-l', '-E', 'sha256', '-f', `${hostKey}.pub`])).stdout.split(/\s+/)[1] ?? '';
  await writeFile(authorizedKeys, '', { mode: 0o600 });

  const makeKey: TestSshd['makeKey'] = async (name, options = {}) => {
    const path = join(dir, name);
    await run(SSH_KEYGEN, ['-q', '-t', 'ed25519', '-N', options.passphrase ?? '', '-C', name, '-f', path]);
    if (options.authorize !== false) {
      const pub = await readFile(`${path}.pub`, 'utf8');
      await writeFile(authorizedKeys, pub, { flag: 'a' });
    }
    return path;
  };
  const clientKeyPath = await makeKey('client');

  // Privilege separation needs this directory when sshd runs as root.
  if (process.getuid?.() === 0) await mkdir('/run/sshd', { recursive: true, mode: 0o755 });

  const port = await freePort();
  const knownHostsPath = join(dir, 'known_hosts');
  await writeFile(knownHostsPath, `[127.0.0.1]:${port} ${hostPublicKey}\n`);
  const config = join(dir, 'sshd_config');
  await writeFile(
    config,
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${hostKey}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${authorizedKeys}`,
      'PubkeyAuthentication yes',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PermitRootLogin prohibit-password',
      `AllowUsers ${user}`,
      'StrictModes no',
      'UsePAM no',
      'PrintMotd no',
      'PrintLastLog no',
      'X11Forwarding no',
      'AllowTcpForwarding no',
      'AllowAgentForwarding no',
      'PermitTTY no',
      'MaxStartups 50',
      'LogLevel VERBOSE',
      '',
    ].join('\n'),
  );

  const child: ChildProcess = spawn(SSHD, ['-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr?.on('data', (d: Buffer) => {
    log += d.toString();
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`sshd did not start: ${log}`));
    }, 10_000);
    const check = () => {
      if (/Server listening on 127\.0\.0\.1 port/.test(log)) {
        clearTimeout(timer);
        child.stderr?.off('data', check);
        resolve();
      }
    };
    child.stderr?.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`sshd exited ${code}: ${log}`));
    });
  });

  return {
    port,
    user,
    hostKeyFingerprint: fp,
    hostPublicKey,
    clientKeyPath,
    knownHostsPath,
    homeDir,
    makeKey,
    async stop() {
      if (child.exitCode === null) {
        await new Promise<void>((resolve) => {
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
        });
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
