/**
 * The exec side of the sandbox's API server: pods/exec over WebSocket with the scripted answers
 * of rules.ts. upgrade.ts authenticates and authorizes (get AND create on pods/exec) and then
 * hands the request here.
 *
 * Like kube-apiserver: the pod must exist (404), the container must be valid (400 `container X is
 * not valid for pod Y`, or `a container name must be specified ...` when the pod has several), the
 * pod must be on a node; the sub-protocol is `v5.channel.k8s.io` when offered (unless disabled to
 * test the fallback), else `v4.channel.k8s.io`. After the upgrade an empty frame on the lowest
 * output channel says the streams are ready; output goes out on channels 1 and 2; the process's
 * end is one JSON Status on channel 3 (Success, NonZeroExitCode with an ExitCode cause, or
 * InternalError as containerd reports a missing executable), then the socket is closed. Stdin
 * (channel 0) is read; v5's `[255, 0]` ends it.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type WebSocket from 'ws';
import type { WebSocketServer } from 'ws';
import { ApiError, badRequest } from '../apiserver/errors.js';
import { queryBool } from '../apiserver/query.js';
import { isRecord, type KubeObject } from '../apiserver/types.js';
import { answer, collectRules, fill, groupsOf, type ExecRule, type ExecScenario, type ParsedExecRule } from './rules.js';

export { execScenarioSchema, execRuleSchema, type ExecRule, type ExecScenario } from './rules.js';

export interface SandboxExecOptions {
  /** rules tried before the scenario's (first match wins) */
  rules?: ExecRule[];
  /** offer v5.channel.k8s.io (default true); false answers with v4 only, to test the fallback */
  v5?: boolean;
}

export const V5 = 'v5.channel.k8s.io';
export const V4 = 'v4.channel.k8s.io';

const STDIN = 0;
const STDOUT = 1;
const STDERR = 2;
const STATUS = 3;
const CLOSE = 255;
const FRAME = 32 * 1024;

export interface ExecService {
  readonly rules: readonly ParsedExecRule[];
  /** validates like the apiserver (throws ApiError before the upgrade) and runs the scripted command */
  handle(req: IncomingMessage, socket: Socket, head: Buffer, pod: KubeObject, query: URLSearchParams): void;
}

interface Params {
  argv: string[];
  container: string;
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

function names(list: unknown): string[] {
  return Array.isArray(list) ? list.filter(isRecord).map((c) => String(c.name)) : [];
}

/** registry/core/pod/strategy.go streamLocation + the exec options' checks */
function params(pod: KubeObject, q: URLSearchParams): Params {
  const name = pod.metadata.name ?? '';
  const argv = q.getAll('command');
  if (argv.length === 0) throw badRequest('you must specify at least 1 command');
  const p: Params = {
    argv,
    container: q.get('container') ?? '',
    stdin: queryBool(q, 'stdin'),
    stdout: queryBool(q, 'stdout'),
    stderr: queryBool(q, 'stderr'),
    tty: queryBool(q, 'tty'),
  };
  if (!p.stdin && !p.stdout && !p.stderr) throw badRequest('you must specify at least 1 of stdin, stdout, stderr');
  const spec = isRecord(pod.spec) ? pod.spec : {};
  const containers = names(spec.containers);
  const inits = names(spec.initContainers);
  const ephemeral = names(spec.ephemeralContainers);
  if (!p.container) {
    if (containers.length === 1) p.container = containers[0] as string;
    else if (containers.length === 0) throw badRequest(`a container name must be specified for pod ${name}`);
    else {
      let msg = `a container name must be specified for pod ${name}, choose one of: [${containers.join(' ')}]`;
      if (inits.length > 0) msg += ` or one of the init containers: [${inits.join(' ')}]`;
      throw badRequest(msg);
    }
  } else if (![...containers, ...inits, ...ephemeral].includes(p.container)) {
    throw badRequest(`container ${p.container} is not valid for pod ${name}`);
  }
  if (typeof spec.nodeName !== 'string' || !spec.nodeName) throw badRequest(`pod ${name} does not have a host assigned`);
  return p;
}

function offered(req: IncomingMessage): string[] {
  return (req.headers['sec-websocket-protocol'] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Why the container cannot run a command now, in the runtime's words; undefined when it is running. */
function notRunning(pod: KubeObject, container: string): string | undefined {
  const status = isRecord(pod.status) ? pod.status : {};
  const all = [status.containerStatuses, status.initContainerStatuses, status.ephemeralContainerStatuses].flatMap((l) => (Array.isArray(l) ? l : []));
  const cs = all.find((c) => isRecord(c) && c.name === container);
  if (!isRecord(cs) || !isRecord(cs.state)) return `unable to upgrade connection: container not found ("${container}")`;
  if (isRecord(cs.state.running)) return undefined;
  if (isRecord(cs.state.terminated) || (isRecord(cs.lastState) && isRecord(cs.lastState.terminated))) {
    return 'error executing command in container: failed to exec in container: container is in CONTAINER_EXITED state';
  }
  return `unable to upgrade connection: container not found ("${container}")`;
}

const goList = (argv: string[]): string => `[${argv.join(' ')}]`;

function internalError(message: string): Record<string, unknown> {
  return {
    metadata: {},
    status: 'Failure',
    message: `Internal error occurred: ${message}`,
    reason: 'InternalError',
    details: { causes: [{ message }] },
    code: 500,
  };
}

function statusFor(exitCode: number, argv: string[]): Record<string, unknown> {
  if (exitCode === 0) return { metadata: {}, status: 'Success' };
  return {
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: error executing command ${goList(argv)}, exit code ${exitCode}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(exitCode) }] },
  };
}

class Session {
  private timers = new Set<NodeJS.Timeout>();
  private ended = false;

  constructor(
    private readonly ws: WebSocket,
    private readonly socket: Socket,
    private readonly p: Params,
    private readonly v5: boolean,
  ) {
    ws.on('close', () => {
      this.ended = true;
      for (const t of this.timers) clearTimeout(t);
    });
    ws.on('error', () => {
      this.ended = true;
    });
  }

  send(channel: number, data: Buffer | string): void {
    if (this.ended) return;
    if (this.p.tty && channel === STDERR) channel = STDOUT;
    if ((channel === STDOUT && !this.p.stdout) || (channel === STDERR && !this.p.stderr && !this.p.tty)) return;
    const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    if (buf.length === 0) {
      this.ws.send(Buffer.from([channel]));
      return;
    }
    for (let i = 0; i < buf.length; i += FRAME) this.ws.send(Buffer.concat([Buffer.from([channel]), buf.subarray(i, i + FRAME)]));
  }

  end(status: Record<string, unknown>): void {
    if (this.ended) return;
    this.ws.send(Buffer.concat([Buffer.from([STATUS]), Buffer.from(JSON.stringify(status), 'utf8')]));
    this.ended = true;
    this.ws.close(1000);
    // and the connection ends with the close frame, as the API server's does: a client that does not
    // answer the close (Python's reads the frames and waits for the socket to end) is not left waiting
    this.socket.end();
  }

  later(ms: number, fn: () => void): void {
    if (ms <= 0) {
      fn();
      return;
    }
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
  }

  /** stdin frames: data to `onData`, v5's close signal to `onEof` */
  onStdin(onData: (b: Buffer) => void, onEof: () => void): void {
    this.ws.on('message', (data: WebSocket.RawData) => {
      const buf = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
      if (buf.length === 0) return;
      if (this.v5 && buf[0] === CLOSE) {
        if (buf.length === 2 && buf[1] === STDIN) onEof();
        return;
      }
      if (buf[0] === STDIN && buf.length > 1) onData(buf.subarray(1));
      // channel 4 (resize) and anything else: ignored
    });
  }
}

function run(s: Session, rules: readonly ParsedExecRule[], pod: KubeObject, p: Params): void {
  // the apiserver's "streams are ready" signal: an empty frame on the lowest output channel
  s.send(p.stdout ? STDOUT : p.stderr ? STDERR : STATUS, Buffer.alloc(0));
  const down = notRunning(pod, p.container);
  if (down) {
    s.end(internalError(down));
    return;
  }
  const a = answer(rules, { pod, container: p.container, argv: p.argv });
  if (a.kind === 'not-found') {
    const id = randomBytes(32).toString('hex');
    const program = p.argv[0] ?? '';
    s.end(
      internalError(
        `error executing command in container: failed to exec in container: failed to start exec "${id}": OCI runtime exec failed: exec failed: unable to start container process: exec: "${program}": executable file not found in $PATH: unknown`,
      ),
    );
    return;
  }
  if (a.kind === 'unscripted') {
    s.send(STDERR, a.stderr);
    s.end(statusFor(a.exitCode, p.argv));
    return;
  }
  const rule = a.rule;
  const groups = groupsOf(rule, p.argv);
  const out = fill(rule.stdout, pod, p.container, p.argv, groups);
  const err = fill(rule.stderr, pod, p.container, p.argv, groups);
  if (rule.echoStdin) {
    // like cat: echoes as it reads, ends at EOF (only v5 can say EOF; on v4 it waits, as cat would)
    let eof = false;
    s.onStdin(
      (b) => {
        if (!eof) s.send(STDOUT, b);
      },
      () => {
        if (eof) return;
        eof = true;
        s.later(rule.delayMs, () => {
          s.send(STDOUT, out);
          s.send(STDERR, err);
          s.end(statusFor(rule.exitCode, p.argv));
        });
      },
    );
    if (!p.stdin) {
      eof = true;
      s.later(rule.delayMs, () => {
        s.send(STDOUT, out);
        s.send(STDERR, err);
        s.end(statusFor(rule.exitCode, p.argv));
      });
    }
    return;
  }
  s.onStdin(
    () => undefined,
    () => undefined,
  );
  s.later(rule.delayMs, () => {
    if (out) s.send(STDOUT, out);
    if (err) s.send(STDERR, err);
    s.end(statusFor(rule.exitCode, p.argv));
  });
}

export async function startExec(section: ExecScenario | undefined, opts: SandboxExecOptions | undefined, scenariosDir: string): Promise<ExecService> {
  const rules = await collectRules(section, opts?.rules, scenariosDir);
  const v5Enabled = opts?.v5 ?? true;
  let wss: WebSocketServer | undefined;
  const ws = await import('ws');
  return {
    rules,
    handle(req, socket, head, pod, query): void {
      const p = params(pod, query);
      const upgrade = (req.headers.upgrade ?? '').toLowerCase();
      if (upgrade !== 'websocket') {
        throw badRequest(`${upgrade || 'this'} upgrade is not served by this sandbox: pods/exec streams over WebSocket (${v5Enabled ? `${V5} or ` : ''}${V4})`);
      }
      const protocols = offered(req);
      const chosen = v5Enabled && protocols.includes(V5) ? V5 : protocols.includes(V4) ? V4 : undefined;
      if (!chosen) {
        throw new ApiError(
          400,
          'BadRequest',
          `unable to upgrade: none of the offered sub-protocols [${protocols.join(', ')}] is served here (${v5Enabled ? `${V5}, ` : ''}${V4})`,
        );
      }
      wss ??= new ws.WebSocketServer({
        noServer: true,
        perMessageDeflate: false,
        handleProtocols: (offers: Set<string>) => (v5Enabled && offers.has(V5) ? V5 : offers.has(V4) ? V4 : false),
      });
      wss.handleUpgrade(req, socket, head, (conn) => {
        run(new Session(conn, socket, p, conn.protocol === V5), rules, pod, p);
      });
    },
  };
}
