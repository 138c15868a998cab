/**
 * A Docker engine of the test's own: dockerd with its data root, exec root, pid file and socket in
 * one folder, no bridge and no iptables rules (builds and containers use the host's network, so
 * nothing about this machine's network changes), stopped and removed when the test ends. Another
 * dockerd on the machine is never touched.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, closeSync } from 'node:fs';
import path from 'node:path';
import { run, sleep, tail, waitFor, type RunOptions, type RunResult } from './process.js';

/** The client of Debian's docker.io, beside its dockerd (another `docker` earlier on PATH may be any version). */
const DOCKER = existsSync('/usr/bin/docker') ? '/usr/bin/docker' : 'docker';

export interface DockerEngine {
  /** Runs the docker client against this engine. */
  docker(args: string[], options?: Partial<RunOptions>): Promise<RunResult>;
  /** dockerd's own log, for a failure message. */
  log: string;
  stop(): Promise<void>;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitGone(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (alive(pid) && Date.now() < deadline) await sleep(200);
  return !alive(pid);
}

/** Ends a process we started: SIGTERM, then SIGKILL after `graceMs`. */
async function end(pid: number, graceMs: number): Promise<void> {
  if (!alive(pid)) return;
  process.kill(pid, 'SIGTERM');
  if (!(await waitGone(pid, graceMs))) {
    process.kill(pid, 'SIGKILL');
    await waitGone(pid, 5_000);
  }
}

export async function startDockerEngine(dir: string): Promise<DockerEngine> {
  mkdirSync(dir, { recursive: true });
  const socket = path.join(dir, 'docker.sock');
  const execRoot = path.join(dir, 'exec');
  const log = path.join(dir, 'dockerd.log');
  const logFd = openSync(log, 'a');
  let daemon: ChildProcess;
  try {
    daemon = spawn(
      'dockerd',
      [
        '--data-root',
        path.join(dir, 'data'),
        '--exec-root',
        execRoot,
        '--pidfile',
        path.join(dir, 'docker.pid'),
        '--host',
        `unix://${socket}`,
        '--bridge',
        'none',
        '--iptables=false',
        '--ip-masq=false',
        '--userland-proxy=false',
      ],
      { stdio: ['ignore', logFd, logFd] },
    );
  } finally {
    closeSync(logFd);
  }
  const env = { ...process.env, DOCKER_HOST: `unix://${socket}`, DOCKER_BUILDKIT: '0', DOCKER_CONFIG: path.join(dir, 'client') };
  const docker = (args: string[], options: Partial<RunOptions> = {}) => run(DOCKER, args, { timeoutMs: 60_000, ...options, env: { ...env, ...options.env } });
  let exited = false;
  daemon.on('exit', () => {
    exited = true;
  });
  daemon.on('error', () => {
    exited = true;
  });

  const stop = async () => {
    if (daemon.pid !== undefined) await end(daemon.pid, 30_000);
    // dockerd ends the containerd it started; should it have been killed instead, end that one too.
    const containerdPid = path.join(execRoot, 'containerd', 'containerd.pid');
    if (existsSync(containerdPid)) {
      const pid = Number(readFileSync(containerdPid, 'utf8').trim());
      if (Number.isInteger(pid) && pid > 1) await end(pid, 10_000);
    }
  };

  try {
    await waitFor('dockerd answering on its socket', 60_000, async () => {
      if (exited) throw new Error(`dockerd exited:\n${tail(readFileSync(log, 'utf8'))}`);
      try {
        await docker(['version', '--format', '{{.Server.Version}}'], { timeoutMs: 5_000 });
        return true;
      } catch {
        return undefined;
      }
    });
  } catch (err) {
    await stop();
    throw err;
  }
  return { docker, log, stop };
}
