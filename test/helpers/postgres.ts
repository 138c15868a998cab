/**
 * A real PostgreSQL for the tests (Debian's `postgresql` package; .ci/run installs it): a fresh
 * cluster in a temporary folder, on a free loopback port, run as a non-root user (the `postgres`
 * user the package creates, when the tests run as root), password auth over TCP, trust over its
 * private Unix socket. stop() ends the server and removes the folder.
 */
import { execFile } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface RealPostgres {
  host: string;
  port: number;
  /** The folder of the server's Unix socket (psql -h DIR). */
  socketDir: string;
  /** Runs psql as the superuser over the socket (trust): for setting up and checking data. */
  psql(sql: string, database?: string): Promise<string>;
  /** The argv prefix that runs a program as the server's user (empty when the tests are not root). */
  asUser: string[];
  /** Where the server's programs are. */
  binDir: string;
  stop(): Promise<void>;
}

/** The newest installed server's bin folder, or undefined when PostgreSQL is not installed. */
export function postgresBinDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => /^\d+$/.test(v))
    .sort((a, b) => Number(b) - Number(a));
  const found = versions.map((v) => path.join(root, v, 'bin')).find((dir) => existsSync(path.join(dir, 'postgres')));
  return found;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export async function startPostgres(): Promise<RealPostgres> {
  const binDir = postgresBinDir();
  if (!binDir) throw new Error('PostgreSQL is not installed (apt-get install postgresql)');
  const root = process.getuid?.() === 0;
  const asUser = root ? ['runuser', '-u', 'postgres', '--'] : [];
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hl-pg-'));
  const data = path.join(dir, 'data');
  const exec = (file: string, args: string[]) => {
    const [cmd, ...rest] = [...asUser, file, ...args];
    return run(cmd as string, rest, { timeout: 60_000 });
  };
  try {
    if (root) {
      const { stdout } = await run('id', ['-u', 'postgres']);
      const { stdout: gid } = await run('id', ['-g', 'postgres']);
      chownSync(dir, Number(stdout.trim()), Number(gid.trim()));
    }
    chmodSync(dir, 0o700);
    const pwfile = path.join(dir, 'pw');
    writeFileSync(pwfile, 'postgres-superuser-password\n', { mode: 0o600 });
    if (root) await run('chown', ['postgres', pwfile]);
    await exec(path.join(binDir, 'initdb'), [
      '-D',
      data,
      '-U',
      'postgres',
      '--auth-local=trust',
      '--auth-host=scram-sha-256',
      `--pwfile=${pwfile}`,
      '-E',
      'UTF8',
      '--locale=C',
    ]);
    const port = await freePort();
    await exec(path.join(binDir, 'pg_ctl'), [
      '-D',
      data,
      '-l',
      path.join(dir, 'log'),
      '-w',
      '-t',
      '30',
      '-o',
      `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1`,
      'start',
    ]);
    const psql = async (sql: string, database = 'postgres') => {
      const { stdout } = await exec(path.join(binDir, 'psql'), [
        '-X',
        '-q',
        '-A',
        '-t',
        '-v',
        'ON_ERROR_STOP=1',
        '-h',
        dir,
        '-p',
        String(port),
        '-U',
        'postgres',
        '-d',
        database,
        '-c',
        sql,
      ]);
      return stdout;
    };
    let stopped: Promise<void> | undefined;
    return {
      host: '127.0.0.1',
      port,
      socketDir: dir,
      psql,
      asUser,
      binDir,
      stop: () => {
        stopped ??= (async () => {
          await exec(path.join(binDir, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => undefined);
          rmSync(dir, { recursive: true, force: true });
        })();
        return stopped;
      },
    };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}
