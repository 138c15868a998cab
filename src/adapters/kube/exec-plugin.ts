/**
 * client-go exec credential plugins (client.authentication.k8s.io v1 and v1beta1), run as kubectl
 * runs them (k8s.io/client-go/plugin/pkg/client/auth/exec): the command with its args and env, no
 * shell; KUBERNETES_EXEC_INFO carries the ExecCredential spec (interactive, and the cluster when
 * provideClusterInfo); stdin is handed over only when the run is interactive; stderr is copied
 * through (plugins print prompts and login URLs there) and kept for the error. Unlike kubectl, a
 * run has a time limit.
 */
import { spawn } from 'node:child_process';
import type { Writable } from 'node:stream';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { z } from 'zod';
import { Timeout, Upstream, UserError } from '../../core/errors.js';

/** The cluster as the plugin sees it (clientauthentication/v1 Cluster). */
export interface ExecClusterInfo {
  server: string;
  'tls-server-name'?: string;
  'insecure-skip-tls-verify'?: boolean;
  /** base64 of the PEM, as Go serialises []byte */
  'certificate-authority-data'?: string;
  'proxy-url'?: string;
  'disable-compression'?: boolean;
  /** the cluster's extension named client.authentication.k8s.io/exec */
  config?: unknown;
}

export interface ExecPluginConfig {
  /** a PATH name, or an absolute path (relative ones were resolved against the kubeconfig's directory) */
  command: string;
  args: string[];
  env: Array<{ name: string; value: string }>;
  apiVersion: 'client.authentication.k8s.io/v1' | 'client.authentication.k8s.io/v1beta1';
  installHint: string | undefined;
  interactiveMode: 'Never' | 'IfAvailable' | 'Always';
  /** set when provideClusterInfo is true */
  cluster: ExecClusterInfo | undefined;
  /** `user "NAME" in FILE`, for messages */
  owner: string;
}

export interface PluginEnvironment {
  /** whether stdin is a terminal a person types into */
  stdinIsTerminal: boolean;
  /** why stdin cannot be used at all (MCP over stdio: it carries the protocol) */
  stdinUnavailable: string | undefined;
  /** where the plugin's stderr is copied; null: nowhere */
  stderr: Writable | null;
  /** default 60 s, or 5 min when the run may wait for a person */
  timeoutMs: number | undefined;
  env: NodeJS.ProcessEnv;
}

export interface ExecCredentialResult {
  token?: string;
  cert?: string;
  key?: string;
  /** ms since the epoch; none: valid until the API server answers 401 */
  expiresAt?: number;
}

const MAX_STDOUT = 1024 * 1024;
const STDERR_TAIL = 2000;
const KILL_GRACE_MS = 2_000;

const ExecCredentialSchema = z.object({
  kind: z.string().optional(),
  apiVersion: z.string().optional(),
  status: z
    .object({
      token: z.string().optional(),
      clientCertificateData: z.string().optional(),
      clientKeyData: z.string().optional(),
      expirationTimestamp: z.string().optional(),
    })
    .nullish(),
});

/** client-go's isInteractive: whether to hand stdin to the plugin. */
export function isInteractive(config: ExecPluginConfig, environment: PluginEnvironment): boolean {
  switch (config.interactiveMode) {
    case 'Never':
      return false;
    case 'IfAvailable':
      return environment.stdinUnavailable === undefined && environment.stdinIsTerminal;
    case 'Always':
      if (!environment.stdinIsTerminal) {
        throw new UserError(
          `the exec credential plugin ${config.command} of ${config.owner} needs a person at a terminal (interactiveMode: Always), and standard input is not a terminal`,
          {
            hint: 'run the command in a terminal once so the plugin can log in, or use a kubeconfig user that needs no prompt',
          },
        );
      }
      if (environment.stdinUnavailable !== undefined) {
        throw new UserError(
          `the exec credential plugin ${config.command} of ${config.owner} needs a person at a terminal (interactiveMode: Always), and standard input is unavailable: ${environment.stdinUnavailable}`,
        );
      }
      return true;
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** The plugin's answer, checked as client-go checks it. */
function parseCredential(stdout: string, config: ExecPluginConfig, what: string): ExecCredentialResult {
  let json: unknown;
  try {
    json = JSON.parse(stdout);
  } catch {
    throw new Upstream(`${what} printed something that is not an ExecCredential (not JSON): ${stdout.trim().slice(0, 200) || '(nothing)'}`);
  }
  const parsed = ExecCredentialSchema.safeParse(json);
  if (!parsed.success || (parsed.data.kind !== undefined && parsed.data.kind !== 'ExecCredential')) {
    throw new Upstream(
      `${what} printed JSON that is not an ExecCredential${parsed.success ? '' : `: ${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message}`}`,
    );
  }
  const { apiVersion, status } = parsed.data;
  if (apiVersion !== config.apiVersion)
    throw new Upstream(`${what} is configured for ${config.apiVersion} but answered ${apiVersion ?? 'without an apiVersion'}`);
  if (!status) throw new Upstream(`${what} answered without a status`);
  const { token, clientCertificateData: cert, clientKeyData: key, expirationTimestamp } = status;
  if (!token && !cert && !key) throw new Upstream(`${what} answered without a token or a client certificate and key`);
  if (Boolean(cert) !== Boolean(key)) throw new Upstream(`${what} answered with only ${cert ? 'a certificate' : 'a key'}; a client certificate needs both`);
  const result: ExecCredentialResult = {};
  if (token) result.token = token;
  if (cert && key) {
    try {
      if (!new X509Certificate(cert).checkPrivateKey(createPrivateKey(key))) throw new Error('the certificate and key do not belong together');
    } catch (err) {
      throw new Upstream(`${what} answered with an unusable client certificate: ${(err as Error).message}`);
    }
    result.cert = cert;
    result.key = key;
  }
  if (expirationTimestamp) {
    const at = Date.parse(expirationTimestamp);
    if (Number.isNaN(at)) throw new Upstream(`${what} answered with expirationTimestamp "${expirationTimestamp}", which is not an RFC 3339 time`);
    result.expiresAt = at;
  }
  return result;
}

/** Runs the plugin once and returns its credential; errors name the plugin, its stderr and the install hint. */
export function runExecPlugin(config: ExecPluginConfig, environment: PluginEnvironment): Promise<ExecCredentialResult> {
  const interactive = isInteractive(config, environment);
  const what = `the exec credential plugin ${config.command} of ${config.owner}`;
  const info = {
    kind: 'ExecCredential',
    apiVersion: config.apiVersion,
    spec: { ...(config.cluster ? { cluster: stripUndefined(config.cluster) } : {}), interactive },
  };
  const env: NodeJS.ProcessEnv = { ...environment.env };
  for (const e of config.env) env[e.name] = e.value;
  env.KUBERNETES_EXEC_INFO = JSON.stringify(info);
  const timeoutMs = environment.timeoutMs ?? (interactive ? 300_000 : 60_000);
  const hint = config.installHint?.trim() || undefined;

  return new Promise<ExecCredentialResult>((resolve, reject) => {
    const child = spawn(config.command, config.args, { env, stdio: [interactive ? 'inherit' : 'ignore', 'pipe', 'pipe'], shell: false });
    const out: Buffer[] = [];
    let outSize = 0;
    let errTail = '';
    let timedOut = false;
    let settled = false;
    const settle = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fn();
    };
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), KILL_GRACE_MS).unref();
    }, timeoutMs);

    child.stdout.on('data', (chunk: Buffer) => {
      outSize += chunk.length;
      if (outSize > MAX_STDOUT) {
        child.kill('SIGKILL');
        settle(() => reject(new Upstream(`${what} printed more than ${MAX_STDOUT / 1024} KiB`)));
        return;
      }
      out.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      environment.stderr?.write(chunk);
      errTail = (errTail + chunk.toString('utf8')).slice(-STDERR_TAIL);
    });
    child.on('error', (err: NodeJS.ErrnoException) => {
      settle(() => {
        if (err.code === 'ENOENT') {
          reject(
            new UserError(`${what} is not installed (${config.command.includes('/') ? 'no such file' : 'not found on PATH'})`, {
              hint: hint ?? 'install the plugin, or fix users[].user.exec.command in the kubeconfig',
            }),
          );
        } else if (err.code === 'EACCES') {
          reject(new UserError(`${what} cannot be run: permission denied (is it executable?)`, { hint }));
        } else {
          reject(new Upstream(`${what} could not be started: ${err.message}`, { hint }));
        }
      });
    });
    child.on('close', (code, signal) => {
      settle(() => {
        const stderr = errTail.trim();
        const said = stderr ? `: ${stderr}` : '';
        if (timedOut) {
          reject(
            new Timeout(`${what} did not finish within ${timeoutMs / 1000}s and was stopped${said}`, {
              hint: interactive
                ? 'it was waiting for you; run again and answer its prompt'
                : 'a plugin that waits for a login needs a terminal: run kubectl or homelab in one first',
            }),
          );
        } else if (code !== 0) {
          reject(new Upstream(`${what} failed with ${code === null ? `signal ${signal ?? '?'}` : `exit code ${code}`}${said}`, { hint }));
        } else {
          try {
            resolve(parseCredential(Buffer.concat(out).toString('utf8'), config, what));
          } catch (err) {
            reject(err as Error);
          }
        }
      });
    });
  });
}
