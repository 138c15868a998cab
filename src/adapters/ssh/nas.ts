import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import ssh2, { type AlgorithmList, type Client, type ClientChannel, type ConnectConfig, type ServerHostKeyAlgorithm } from 'ssh2';
import { resolveSecret, type Config, type SecretRef } from '../../core/config.js';
import { Forbidden, Timeout, Upstream, UserError, type HomelabError } from '../../core/errors.js';
import type { Logger } from '../../core/op.js';
import type { NasExecOptions, NasExecResult, NasPort } from '../../core/ports/nas.js';
import type { ServiceDeps } from '../services.js';
import { algorithmsForKeyType, fingerprintOf, keyTypeOf, knownHostsFor, knownHostsName, type KnownHostEntry } from './known-hosts.js';
import { commandLine } from './quote.js';

// ssh2 is CommonJS: its named exports are not visible to Node's ESM loader.
const { Client: SshClient, utils } = ssh2;

type NasConfig = NonNullable<Config['nas']>;

const DEFAULT_MAX_OUTPUT = 1024 * 1024;
/** Commands at once on the one connection; OpenSSH refuses channels past MaxSessions (10 by default). */
const MAX_CHANNELS = 4;

/**
 * The NAS over SSH (ssh2). Secrets are read and the key checked now; the connection is opened on
 * the first command and kept for the process.
 */
export async function createNasClient(config: NasConfig, deps: ServiceDeps): Promise<NasClient> {
  const privateKey = await resolveSecret(expandHome(config.privateKey), deps.env);
  const passphrase = config.passphrase ? await resolveSecret(expandHome(config.passphrase), deps.env) : undefined;
  const parsed = utils.parseKey(privateKey, passphrase);
  if (parsed instanceof Error) {
    const where = 'env' in config.privateKey ? `environment variable ${config.privateKey.env}` : `file ${config.privateKey.file}`;
    const encrypted = /encrypted|passphrase/i.test(parsed.message);
    throw new UserError(`the NAS private key from ${where} cannot be used: ${parsed.message}`, {
      hint: encrypted
        ? 'the key is encrypted: set nas.passphrase to a secret reference ({env: NAME} or {file: PATH})'
        : 'nas.privateKey must point at an OpenSSH or PEM private key',
    });
  }
  return new NasClient(config, { privateKey, passphrase }, deps.log);
}

/** A secret or file reference may start with ~/ as people write it. */
function expandHome<T extends SecretRef>(ref: T): T {
  return 'file' in ref ? { ...ref, file: expandPath(ref.file) } : ref;
}

function expandPath(path: string): string {
  return path === '~' || path.startsWith('~/') ? `${homedir()}${path.slice(1)}` : path;
}

export class NasClient {
  readonly target: string;
  private client: Client | undefined;
  private connecting: Promise<Client> | undefined;
  private running = 0;
  private readonly queue: Array<() => void> = [];

  constructor(
    private readonly config: NasConfig,
    private readonly auth: { privateKey: string; passphrase: string | undefined },
    private readonly log: Logger,
  ) {
    this.target = `${config.username}@${config.host}:${config.port}`;
  }

  /** The NAS as one op sees it: its commands stop (their channels close) when `signal` fires; the connection is shared. */
  withSignal(signal: AbortSignal): NasPort {
    return { target: this.target, exec: (argv, options) => this.exec(argv, options ?? {}, signal) };
  }

  private async exec(argv: readonly string[], options: NasExecOptions, signal: AbortSignal): Promise<NasExecResult> {
    const command = commandLine(argv);
    signal.throwIfAborted();
    await this.slot(signal);
    try {
      return await this.run(argv, command, options, signal);
    } finally {
      this.running--;
      this.queue.shift()?.();
    }
  }

  /** Waits for one of MAX_CHANNELS; the caller gives it back. */
  private slot(signal: AbortSignal | undefined): Promise<void> {
    if (this.running < MAX_CHANNELS) {
      this.running++;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const take = () => {
        signal?.removeEventListener('abort', onAbort);
        this.running++;
        resolve();
      };
      const onAbort = () => {
        const i = this.queue.indexOf(take);
        if (i >= 0) this.queue.splice(i, 1);
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.queue.push(take);
    });
  }

  private async run(argv: readonly string[], command: string, options: NasExecOptions, signal: AbortSignal): Promise<NasExecResult> {
    const client = await this.connection(signal);
    const timeoutMs = Math.min(options.timeoutMs ?? this.config.commandTimeoutMs, this.config.commandTimeoutMs);
    const cap = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT;
    const name = argv[0] ?? '';
    this.log.debug(`nas ${this.target}: ${command}`);

    return new Promise<NasExecResult>((resolve, reject) => {
      let done = false;
      let channel: ClientChannel | undefined;
      const finish = (settle: () => void) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        settle();
      };
      // Past the timeout or on abort: ask the server to kill the command, then close its channel.
      const stop = (reason: unknown) =>
        finish(() => {
          if (channel) {
            try {
              channel.signal('KILL');
            } catch {
              /* the server may not support signals */
            }
            channel.close();
          }
          reject(reason);
        });
      const timer = setTimeout(
        () => stop(new Timeout(`\`${name}\` on the NAS ${this.target} did not finish within ${formatMs(timeoutMs)}; it was stopped`)),
        timeoutMs,
      );
      const onAbort = () => stop(signal?.reason);
      signal?.addEventListener('abort', onAbort, { once: true });

      client.exec(command, (err, stream) => {
        if (err) {
          finish(() => reject(new Upstream(`could not start \`${name}\` on the NAS ${this.target}: ${err.message}`, { cause: err })));
          return;
        }
        if (done) {
          stream.close();
          return;
        }
        channel = stream;
        const out = new Capped(cap);
        const errOut = new Capped(cap);
        let exitCode: number | null = null;
        let exitSignal: string | undefined;
        let exited = false;
        stream.on('data', (chunk: Buffer) => out.push(chunk));
        stream.stderr.on('data', (chunk: Buffer) => errOut.push(chunk));
        stream.on('exit', (code: number | null, sig?: string) => {
          exited = true;
          exitCode = typeof code === 'number' ? code : null;
          if (sig) exitSignal = sig;
        });
        stream.on('close', () =>
          finish(() => {
            if (!exited) {
              reject(new Upstream(`the connection to the NAS ${this.target} was lost while \`${name}\` ran`));
              return;
            }
            resolve({
              stdout: out.text(),
              stderr: errOut.text(),
              exitCode,
              ...(exitSignal ? { signal: exitSignal } : {}),
              truncated: out.truncated || errOut.truncated,
            });
          }),
        );
      });
    });
  }

  async close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.connecting = undefined;
    if (!client) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        client.destroy();
        resolve();
      }, 1000);
      client.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      client.end();
    });
  }

  /** One connection per process: made on first use, made again after it drops. */
  private connection(signal: AbortSignal | undefined): Promise<Client> {
    if (!this.connecting) {
      const attempt = this.connect();
      this.connecting = attempt;
      attempt.catch(() => {
        if (this.connecting === attempt) this.connecting = undefined;
      });
    }
    const connecting = this.connecting;
    if (!signal) return connecting;
    return new Promise<Client>((resolve, reject) => {
      const onAbort = () => reject(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      connecting.then(
        (c) => {
          signal.removeEventListener('abort', onAbort);
          resolve(c);
        },
        (e: unknown) => {
          signal.removeEventListener('abort', onAbort);
          reject(e);
        },
      );
    });
  }

  private async connect(): Promise<Client> {
    const { host, port, username } = this.config;
    const verifier = await this.hostKeyVerifier();
    const client = new SshClient();
    this.client = client;
    this.log.debug(`nas: connecting to ${this.target}`);
    return new Promise<Client>((resolve, reject) => {
      let settled = false;
      let refused: HomelabError | undefined;
      client.once('ready', () => {
        settled = true;
        this.log.debug(`nas: connected to ${this.target}`);
        resolve(client);
      });
      client.on('error', (err: Error & { level?: string; code?: string }) => {
        if (settled) {
          this.log.debug(`nas: connection to ${this.target}: ${err.message}`);
          return;
        }
        settled = true;
        client.destroy();
        reject(refused ?? this.connectError(err));
      });
      client.on('close', () => {
        if (this.client === client) {
          this.client = undefined;
          this.connecting = undefined;
        }
        if (!settled) {
          settled = true;
          reject(refused ?? new Upstream(`the NAS ${this.target} closed the connection during the SSH handshake`));
        }
      });
      const options: ConnectConfig = {
        host,
        port,
        username,
        privateKey: this.auth.privateKey,
        ...(this.auth.passphrase ? { passphrase: this.auth.passphrase } : {}),
        readyTimeout: this.config.connectTimeoutMs,
        // Only the key: no agent, no keyboard-interactive prompts.
        tryKeyboard: false,
        hostVerifier: (key: Buffer) => {
          refused = verifier.check(key);
          return refused === undefined;
        },
        algorithms: { serverHostKey: preferHostKeyAlgorithms(verifier.preferred) },
      };
      try {
        client.connect(options);
      } catch (err) {
        settled = true;
        reject(new UserError(`cannot connect to the NAS ${this.target}: ${(err as Error).message}`));
      }
    });
  }

  /** Checks the host key the server offers against the pinned fingerprint or the known_hosts file. */
  private async hostKeyVerifier(): Promise<{ preferred: string[]; check(key: Buffer): HomelabError | undefined }> {
    const { host, port, hostKey } = this.config;
    const where = `${host}:${port}`;
    const pinHint = (type: string, fp: string) =>
      `verify that fingerprint on the NAS itself (ssh-keygen -lf /etc/ssh/ssh_host_${shortType(type)}_key.pub), then pin it: ` +
      `nas.hostKey: {fingerprint: "${fp}"} in the config, or add the key to a known_hosts file (ssh-keyscan -p ${port} -t ${type} ${host}) and set nas.hostKey.knownHosts`;

    if ('fingerprint' in hostKey) {
      const expected = hostKey.fingerprint.replace(/=+$/, '');
      return {
        preferred: ['ssh-ed25519'],
        check: (key) => {
          const offered = fingerprintOf(key);
          if (offered === expected) return undefined;
          const type = keyTypeOf(key);
          return new Upstream(
            `HOST KEY MISMATCH: the NAS at ${where} offered ${type} key ${offered}, but the config pins ${expected}. ` +
              'Someone may be intercepting the connection (man-in-the-middle), or the NAS host key changed (reinstall, reset). Refused; nothing was run.',
            { hint: `if the change is expected, ${pinHint(type, offered)}` },
          );
        },
      };
    }

    const file = expandPath(hostKey.knownHosts);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      throw new UserError(`cannot read the known_hosts file ${file} (nas.hostKey.knownHosts): ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
    }
    const entries = knownHostsFor(text, host, port);
    const name = knownHostsName(host, port);
    const valid = entries.filter((e) => !e.revoked);
    return {
      preferred: [...new Set(valid.map((e) => e.keyType))],
      check: (key) => {
        const offered = fingerprintOf(key);
        const type = keyTypeOf(key);
        const revoked = entries.find((e) => e.revoked && e.key.equals(key));
        if (revoked) {
          return new Upstream(
            `HOST KEY REVOKED: the NAS at ${where} offered ${type} key ${offered}, which ${file}:${revoked.line} marks @revoked. Refused; nothing was run.`,
          );
        }
        if (valid.some((e) => e.key.equals(key))) return undefined;
        if (valid.length === 0) {
          return new Upstream(`the NAS ${name} is not in the known_hosts file ${file}: first contact is refused. It offered ${type} key ${offered}.`, {
            hint: pinHint(type, offered),
          });
        }
        const known = valid.map((e: KnownHostEntry) => `${e.keyType} ${fingerprintOf(e.key)} (${file}:${e.line})`).join(', ');
        return new Upstream(
          `HOST KEY MISMATCH: the NAS at ${where} offered ${type} key ${offered}, but known_hosts has ${known}. ` +
            'Someone may be intercepting the connection (man-in-the-middle), or the NAS host key changed (reinstall, reset). Refused; nothing was run.',
          { hint: `if the change is expected, remove the old entry (ssh-keygen -R '${name}' -f ${file}) and ${pinHint(type, offered)}` },
        );
      },
    };
  }

  private connectError(err: Error & { level?: string; code?: string }): HomelabError {
    const { host, port, username } = this.config;
    if (err.level === 'client-authentication') {
      return new Forbidden(`the NAS ${host}:${port} refused the SSH key for user ${username}`, {
        hint: `add the public key to ~${username}/.ssh/authorized_keys on the NAS (on DSM the user must be allowed to use SSH), or point nas.privateKey at the right key`,
      });
    }
    if (err.level === 'client-timeout') {
      return new Timeout(`no SSH session with the NAS ${host}:${port} within ${formatMs(this.config.connectTimeoutMs)} (nas.connectTimeoutMs)`);
    }
    switch (err.code) {
      case 'ECONNREFUSED':
        return new Upstream(`the NAS ${host}:${port} refused the connection`, {
          hint: 'is SSH enabled on the NAS (DSM: Control Panel > Terminal & SNMP) and is nas.port right?',
          cause: err,
        });
      case 'ENOTFOUND':
      case 'EAI_AGAIN':
        return new Upstream(`cannot resolve the NAS host name ${host}`, { cause: err });
      case 'EHOSTUNREACH':
      case 'ENETUNREACH':
      case 'ETIMEDOUT':
      case 'ECONNRESET':
        return new Upstream(`the NAS ${host}:${port} is unreachable (${err.code})`, { cause: err });
      default:
        return new Upstream(`SSH to the NAS ${this.target} failed: ${err.message}`, { cause: err });
    }
  }
}

/** The known key types' algorithms first, so the server offers the key we can check. */
function preferHostKeyAlgorithms(keyTypes: string[]): AlgorithmList<ServerHostKeyAlgorithm> | undefined {
  const algorithms = [...new Set(keyTypes.flatMap(algorithmsForKeyType))] as ServerHostKeyAlgorithm[];
  // ssh2 prepends one at a time, so the list goes in backwards.
  // (Removed first, so each moves to the front rather than being skipped as already listed.)
  return algorithms.length ? { remove: algorithms, prepend: [...algorithms].reverse(), append: [] } : undefined;
}

function shortType(type: string): string {
  if (type === 'ssh-ed25519') return 'ed25519';
  if (type.startsWith('ecdsa')) return 'ecdsa';
  if (type === 'ssh-rsa') return 'rsa';
  return '*';
}

/** Keeps the first `cap` bytes of a stream. */
class Capped {
  private chunks: Buffer[] = [];
  private size = 0;
  truncated = false;
  constructor(private readonly cap: number) {}
  push(chunk: Buffer): void {
    if (this.size >= this.cap) {
      this.truncated = true;
      return;
    }
    const room = this.cap - this.size;
    const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
    if (part.length < chunk.length) this.truncated = true;
    this.chunks.push(part);
    this.size += part.length;
  }
  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}
