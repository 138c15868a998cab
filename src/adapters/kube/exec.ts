/**
 * pods/exec over WebSocket, owned here rather than through @kubernetes/client-node's Exec: a
 * refused upgrade must say why (client-node's ErrorEvent carries only "Unexpected server response:
 * 403"), the exit code must be the real one, and stdin must end without losing the output.
 *
 * Protocol (see ../shared/reference/kubernetes.md §7): sub-protocols `v5.channel.k8s.io` then
 * `v4.channel.k8s.io` are offered; binary frames are a channel byte + payload (0 stdin, 1 stdout,
 * 2 stderr, 3 a JSON Status when the process ends). v5 half-closes stdin with `[255, 0]`; v4 has
 * no half-close, and closing the socket there would lose the output, so stdin is sent and the
 * status awaited. `ws` is imported on first use, like client-node.
 */
import type { IncomingMessage, ClientRequest } from 'node:http';
import type WebSocket from 'ws';
import { Forbidden, HomelabError, NotFound, Timeout, Upstream, UserError, isHomelabError } from '../../core/errors.js';
import type { ExecOptions, ExecProtocol, ExecResult } from '../../core/ports/kube.js';
import { parseStatus, translateHttpError, translateNetworkError } from './errors.js';
import type { ResolvedCluster } from './kubeconfig.js';

export const EXEC_PROTOCOLS: readonly ExecProtocol[] = ['v5.channel.k8s.io', 'v4.channel.k8s.io'];

const STDIN = 0;
const STDOUT = 1;
const STDERR = 2;
const STATUS = 3;
const CLOSE = 255;
/** stdin is sent in frames of at most this size */
const STDIN_FRAME = 32 * 1024;
/** how long to wait for the server to close after the status before closing ourselves */
const STATUS_GRACE_MS = 2_000;
const MAX_REFUSAL_BODY = 64 * 1024;
const MAX_STATUS_BYTES = 64 * 1024;

/** What the kube client hands over: where the API server is and how to reach it (kubeconfig.ts). */
export type ExecConnection = Pick<ResolvedCluster, 'server' | 'requestOptions'>;

export interface ExecTarget {
  namespace: string;
  pod: string;
  container: string | undefined;
  argv: string[];
}

interface ExecStatus {
  status?: string;
  message?: string;
  reason?: string;
  code?: number;
  details?: { causes?: Array<{ reason?: string; message?: string }> };
}

/** The exec URL: one `command=` per argv element, in order. */
export function execUrl(server: string, t: ExecTarget, stdin: boolean): URL {
  const url = new URL(`${server}/api/v1/namespaces/${encodeURIComponent(t.namespace)}/pods/${encodeURIComponent(t.pod)}/exec`);
  url.protocol = url.protocol === 'http:' ? 'ws:' : 'wss:';
  for (const arg of t.argv) url.searchParams.append('command', arg);
  if (t.container) url.searchParams.set('container', t.container);
  url.searchParams.set('stdin', String(stdin));
  url.searchParams.set('stdout', 'true');
  url.searchParams.set('stderr', 'true');
  url.searchParams.set('tty', 'false');
  return url;
}

function where(t: ExecTarget): string {
  return `pod ${t.namespace}/${t.pod}${t.container ? ` (container ${t.container})` : ''}`;
}

/** A refused upgrade, from its HTTP status and the API server's Status body, as one line. */
export function translateExecRefusal(status: number, bodyText: string, t: ExecTarget, server: string): HomelabError {
  const body = parseStatus(bodyText);
  const serverSays = body?.message ?? (bodyText.trim().slice(0, 200) || `HTTP ${status}`);
  switch (status) {
    case 403:
      return new Forbidden(`forbidden: needs \`get\` and \`create\` on pods/exec in namespace ${t.namespace} (the exec upgrade needs both)`, {
        hint: `the API server said: ${serverSays}. Grant both verbs on pods/exec in the Role/ClusterRole bound to this identity.`,
      });
    case 404:
      if (body?.reason === 'NotFound' && /^pods "/.test(serverSays)) return new NotFound(`pod "${t.pod}" not found in namespace ${t.namespace}`);
      return new NotFound(`cannot exec in ${where(t)}: ${serverSays}`);
    case 400:
      return new UserError(`the Kubernetes API refused to exec in ${where(t)}: ${serverSays}`);
    default:
      return translateHttpError(status, bodyText, { verb: 'create', group: '', resource: 'pods/exec', namespace: t.namespace, name: t.pod, server });
  }
}

/** The exit code carried by a channel-3 Status, or the error it stands for. */
export function exitCodeOf(st: ExecStatus, t: ExecTarget): number | HomelabError {
  if (st.status === 'Success') return 0;
  if (st.reason === 'NonZeroExitCode') {
    const cause = st.details?.causes?.find((c) => c.reason === 'ExitCode');
    const code = cause?.message !== undefined ? Number.parseInt(cause.message, 10) : Number.NaN;
    if (Number.isInteger(code)) return code;
  }
  const message = st.message ?? JSON.stringify(st);
  const hint = /executable file not found|no such file or directory/.test(message) ? `the image of the container has no \`${t.argv[0] ?? ''}\`` : undefined;
  return new Upstream(`exec of \`${t.argv[0] ?? ''}\` in ${where(t)} failed: ${message}`, { hint });
}

class Capture {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  truncated = false;
  constructor(private readonly max: number) {}
  push(b: Buffer): void {
    const room = this.max - this.size;
    if (b.length > room) {
      this.truncated = true;
      if (room <= 0) return;
      b = b.subarray(0, room);
    }
    this.chunks.push(b);
    this.size += b.length;
  }
  text(): string {
    let buf = Buffer.concat(this.chunks);
    if (this.truncated) {
      // do not end on half a UTF-8 character
      let end = buf.length;
      let back = 0;
      while (end > 0 && back < 4 && ((buf[end - 1] as number) & 0xc0) === 0x80) {
        end--;
        back++;
      }
      if (end > 0 && (buf[end - 1] as number) >= 0xc0) {
        const lead = buf[end - 1] as number;
        const need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : 2;
        if (back + 1 < need) buf = buf.subarray(0, end - 1);
      }
    }
    return buf.toString('utf8');
  }
}

function validate(t: ExecTarget, opts: ExecOptions): void {
  if (t.argv.length === 0 || t.argv[0] === '') throw new UserError('exec needs a command (an empty argument vector was given)');
  if (t.argv.some((a) => a.includes('\0'))) throw new UserError('exec arguments cannot contain NUL bytes');
  if (!t.namespace || !t.pod) throw new UserError('exec needs a namespace and a pod');
  if (!(opts.timeoutMs > 0)) throw new UserError('exec needs a positive timeout');
  if (!(opts.maxBytes >= 0)) throw new UserError('exec needs a non-negative output cap');
}

function abortReason(signal: AbortSignal): Error {
  const r: unknown = signal.reason;
  if (r instanceof Error) return r;
  return new HomelabError('Upstream', typeof r === 'string' && r ? r : 'the exec was aborted');
}

/** Runs argv in the container over a WebSocket; see the module comment for the protocol. */
export async function execInPod(conn: ExecConnection, t: ExecTarget, opts: ExecOptions, signal?: AbortSignal): Promise<ExecResult> {
  validate(t, opts);
  if (signal?.aborted) throw abortReason(signal);
  const { default: WebSocketClass } = await import('ws');
  // Credentials are applied per connection: exec plugins and token files may rotate them.
  const { headers: auth, ...tls } = await conn.requestOptions();
  if (signal?.aborted) throw abortReason(signal);
  const url = execUrl(conn.server, t, opts.stdin !== undefined);
  const headers: Record<string, string | string[]> = { ...auth, 'User-Agent': 'homelab' };

  return new Promise<ExecResult>((resolve, reject) => {
    const stdout = new Capture(opts.maxBytes);
    const stderr = new Capture(opts.maxBytes);
    const statusChunks: Buffer[] = [];
    let statusSize = 0;
    let gotStatus = false;
    let settled = false;
    let protocol: ExecProtocol | undefined;
    let grace: NodeJS.Timeout | undefined;

    const ws: WebSocket = new WebSocketClass(url, [...EXEC_PROTOCOLS], {
      headers,
      ...tls,
      handshakeTimeout: opts.timeoutMs,
      perMessageDeflate: false,
    });

    const cleanup = (): void => {
      clearTimeout(timer);
      clearTimeout(grace);
      signal?.removeEventListener('abort', onAbort);
    };
    const fail = (err: Error, kill = true): void => {
      if (settled) return;
      settled = true;
      cleanup();
      if (kill) ws.terminate();
      reject(err);
    };
    const finish = (): void => {
      if (settled) return;
      const text = Buffer.concat(statusChunks).toString('utf8');
      let st: ExecStatus | undefined;
      try {
        st = JSON.parse(text) as ExecStatus;
      } catch {
        st = undefined;
      }
      if (!st || typeof st !== 'object') {
        fail(new Upstream(`the exec in ${where(t)} ended with a status that is not JSON: ${text.slice(0, 200)}`));
        return;
      }
      const code = exitCodeOf(st, t);
      if (code instanceof Error) {
        fail(code, false);
        if (ws.readyState === ws.OPEN) ws.close(1000);
        return;
      }
      settled = true;
      cleanup();
      if (ws.readyState === ws.OPEN) ws.close(1000);
      resolve({
        stdout: stdout.text(),
        stderr: stderr.text(),
        exitCode: code,
        truncated: { stdout: stdout.truncated, stderr: stderr.truncated },
        protocol: protocol ?? 'v4.channel.k8s.io',
      });
    };

    const timer = setTimeout(() => {
      fail(
        new Timeout(`exec of \`${t.argv[0] ?? ''}\` in ${where(t)} did not finish within ${opts.timeoutMs / 1000}s`, {
          hint: 'the command was stopped (its connection closed)',
        }),
      );
    }, opts.timeoutMs);
    const onAbort = (): void => fail(abortReason(signal as AbortSignal));
    signal?.addEventListener('abort', onAbort, { once: true });

    ws.on('unexpected-response', (req: ClientRequest, res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const done = (): void => {
        req.destroy();
        fail(translateExecRefusal(res.statusCode ?? 0, Buffer.concat(chunks).toString('utf8'), t, conn.server), false);
      };
      res.on('data', (c: Buffer) => {
        if (size < MAX_REFUSAL_BODY) chunks.push(c);
        size += c.length;
      });
      res.on('end', done);
      res.on('error', done);
    });

    ws.on('open', () => {
      const chosen = ws.protocol as ExecProtocol;
      if (!EXEC_PROTOCOLS.includes(chosen)) {
        fail(new Upstream(`the Kubernetes API at ${conn.server} chose exec sub-protocol "${ws.protocol}"; homelab speaks ${EXEC_PROTOCOLS.join(' and ')}`));
        return;
      }
      protocol = chosen;
      if (opts.stdin !== undefined) {
        const data = Buffer.from(opts.stdin, 'utf8');
        for (let i = 0; i < data.length; i += STDIN_FRAME) ws.send(Buffer.concat([Buffer.from([STDIN]), data.subarray(i, i + STDIN_FRAME)]));
        // v5: half-close stdin. v4 cannot; closing the socket would lose the output, so wait for the status.
        if (protocol === 'v5.channel.k8s.io') ws.send(Buffer.from([CLOSE, STDIN]));
      }
    });

    ws.on('message', (data: WebSocket.RawData, isBinary: boolean) => {
      if (settled) return;
      const buf = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
      if (!isBinary || buf.length === 0) return;
      const payload = buf.subarray(1);
      switch (buf[0]) {
        case STDOUT:
          stdout.push(payload);
          break;
        case STDERR:
          stderr.push(payload);
          break;
        case STATUS:
          if (payload.length === 0) break;
          statusSize += payload.length;
          if (statusSize > MAX_STATUS_BYTES) {
            fail(new Upstream(`the exec status from ${where(t)} is larger than ${MAX_STATUS_BYTES} bytes`));
            return;
          }
          statusChunks.push(payload);
          gotStatus = true;
          // the server closes right after the status; do it ourselves if it does not
          clearTimeout(grace);
          grace = setTimeout(finish, STATUS_GRACE_MS);
          break;
        default:
          break;
      }
    });

    ws.on('close', (code: number, reason: Buffer) => {
      if (gotStatus) {
        finish();
        return;
      }
      const why = reason.length ? `: ${reason.toString('utf8')}` : '';
      fail(new Upstream(`the exec connection to ${where(t)} closed before the command's exit status arrived (close code ${code}${why})`), false);
    });

    ws.on('error', (err: Error) => {
      if (settled) return;
      if (isHomelabError(err)) {
        fail(err);
        return;
      }
      const code = (err as NodeJS.ErrnoException).code;
      if (!code && /handshake|timed out/i.test(err.message)) {
        fail(new Timeout(`the Kubernetes API at ${conn.server} did not accept the exec connection within ${opts.timeoutMs / 1000}s`));
        return;
      }
      fail(code ? translateNetworkError(err as NodeJS.ErrnoException, conn.server) : new Upstream(`exec in ${where(t)} failed: ${err.message}`));
    });
  });
}
