/**
 * A cluster's proxy-url, as client-go honours it: http:// and https:// proxies tunnel with
 * CONNECT (credentials in the URL become Proxy-Authorization: Basic), socks5:// proxies with the
 * SOCKS5 CONNECT command (RFC 1928; username/password per RFC 1929), names resolved by the proxy.
 * The tunnel is wrapped in TLS to the API server, and the agent keeps the connections alive.
 * Like Go's transport, the TLS to an https:// proxy trusts the cluster's certificate authority.
 */
import { Agent as HttpAgent, type AgentOptions, type ClientRequestArgs } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import { Timeout, Upstream } from '../../core/errors.js';

export interface TunnelOptions {
  proxy: URL;
  /** the API server speaks https (else the tunnel carries plain http) */
  secure: boolean;
  agentOptions: AgentOptions;
  /** upper bound on reaching the proxy and opening the tunnel */
  timeoutMs: number;
  /** TLS to an https:// proxy */
  proxyTls: { ca?: string; rejectUnauthorized: boolean };
}

type Callback = (err: Error | null, stream: Duplex) => void;

const MAX_HANDSHAKE_BYTES = 64 * 1024;

const SOCKS_REPLIES: Record<number, string> = {
  1: 'general SOCKS server failure',
  2: 'connection not allowed by ruleset',
  3: 'network unreachable',
  4: 'host unreachable',
  5: 'connection refused',
  6: 'TTL expired',
  7: 'command not supported',
  8: 'address type not supported',
};

/** The proxy without its credentials, for messages. */
function shown(proxy: URL): string {
  return `${proxy.protocol}//${proxy.host}`;
}

/**
 * Reads from `socket` without switching it to flowing mode until `complete` says how many bytes
 * make the answer; the rest is put back for whoever reads next (TLS).
 */
function readAnswer(socket: Duplex, complete: (buf: Buffer) => number | undefined): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const cleanup = (): void => {
      socket.off('readable', onReadable);
      socket.off('end', onEnd);
      socket.off('close', onEnd);
      socket.off('error', onError);
    };
    const onEnd = (): void => {
      cleanup();
      reject(new Error('the proxy closed the connection'));
    };
    const onError = (err: Error): void => {
      cleanup();
      reject(err);
    };
    function onReadable(): void {
      let chunk: Buffer | null;
      while ((chunk = socket.read() as Buffer | null) !== null) {
        buf = Buffer.concat([buf, chunk]);
        const used = complete(buf);
        if (used !== undefined) {
          cleanup();
          if (used < buf.length) socket.unshift(buf.subarray(used));
          resolve(buf.subarray(0, used));
          return;
        }
        if (buf.length > MAX_HANDSHAKE_BYTES) {
          cleanup();
          reject(new Error('the proxy answered with more than 64 KiB of headers'));
          return;
        }
      }
    }
    socket.on('readable', onReadable);
    socket.on('end', onEnd);
    socket.on('close', onEnd);
    socket.on('error', onError);
    onReadable();
  });
}

async function httpConnect(socket: Duplex, proxy: URL, host: string, port: number): Promise<void> {
  const authority = `${net.isIPv6(host) ? `[${host}]` : host}:${port}`;
  const lines = [`CONNECT ${authority} HTTP/1.1`, `Host: ${authority}`];
  if (proxy.username || proxy.password) {
    const user = `${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`;
    lines.push(`Proxy-Authorization: Basic ${Buffer.from(user).toString('base64')}`);
  }
  socket.write(`${lines.join('\r\n')}\r\n\r\n`);
  const head = await readAnswer(socket, (buf) => {
    const end = buf.indexOf('\r\n\r\n');
    return end < 0 ? undefined : end + 4;
  });
  const status = /^HTTP\/1\.[01] (\d{3})(.*)/.exec(head.toString('latin1'));
  if (status?.[1] !== '200') {
    throw new Upstream(`the proxy ${shown(proxy)} refused to connect to ${authority}: ${status ? `${status[1]}${status[2] ?? ''}` : 'not an HTTP answer'}`, {
      hint: status?.[1] === '407' ? 'the proxy wants credentials: put them in proxy-url (http://USER:PASSWORD@HOST:PORT)' : undefined,
    });
  }
}

async function socks5Connect(socket: Duplex, proxy: URL, host: string, port: number): Promise<void> {
  const user = decodeURIComponent(proxy.username);
  const pass = decodeURIComponent(proxy.password);
  const withAuth = Boolean(user || pass);
  const fail = (why: string): Upstream => new Upstream(`the SOCKS5 proxy ${shown(proxy)} did not connect to ${host}:${port}: ${why}`);
  socket.write(Buffer.from(withAuth ? [5, 2, 0, 2] : [5, 1, 0]));
  const [version, method] = await readAnswer(socket, (b) => (b.length >= 2 ? 2 : undefined));
  if (version !== 5) throw fail('it does not speak SOCKS5');
  if (method === 2 && withAuth) {
    const u = Buffer.from(user);
    const p = Buffer.from(pass);
    if (u.length > 255 || p.length > 255) throw fail('the username or password is longer than 255 bytes');
    socket.write(Buffer.concat([Buffer.from([1, u.length]), u, Buffer.from([p.length]), p]));
    const [, status] = await readAnswer(socket, (b) => (b.length >= 2 ? 2 : undefined));
    if (status !== 0) throw fail('it refused the username and password');
  } else if (method !== 0) {
    throw fail(withAuth ? 'it accepts none of our authentication methods' : 'it wants credentials: put them in proxy-url (socks5://USER:PASSWORD@HOST:PORT)');
  }
  let address: Buffer;
  if (net.isIPv4(host)) {
    address = Buffer.from([1, ...host.split('.').map(Number)]);
  } else {
    // names (and IPv6 literals) are passed as names: the proxy resolves them, as Go's dialer lets it
    const name = Buffer.from(host);
    if (name.length > 255) throw fail('the host name is longer than 255 bytes');
    address = Buffer.concat([Buffer.from([3, name.length]), name]);
  }
  socket.write(Buffer.concat([Buffer.from([5, 1, 0]), address, Buffer.from([port >> 8, port & 0xff])]));
  const reply = await readAnswer(socket, (b) => {
    if (b.length < 5) return undefined;
    const addressLength = b[3] === 1 ? 4 : b[3] === 4 ? 16 : b[3] === 3 ? 1 + (b[4] as number) : 0;
    const total = 4 + addressLength + 2;
    return b.length >= total ? total : undefined;
  });
  if (reply[1] !== 0) throw fail(SOCKS_REPLIES[reply[1] as number] ?? `reply code ${reply[1]}`);
}

/** Reaches the proxy and opens a tunnel to host:port through it. */
function openTunnel(o: TunnelOptions, host: string, port: number): Promise<Duplex> {
  const proxy = o.proxy;
  const proxyHost = proxy.hostname.replace(/^\[|\]$/g, '');
  const proxyPort = Number(proxy.port) || (proxy.protocol === 'https:' ? 443 : proxy.protocol === 'socks5:' ? 1080 : 80);
  const socket: Duplex =
    proxy.protocol === 'https:'
      ? tls.connect({ host: proxyHost, port: proxyPort, servername: net.isIP(proxyHost) ? undefined : proxyHost, ...o.proxyTls })
      : net.connect({ host: proxyHost, port: proxyPort });
  return new Promise<Duplex>((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Timeout(`no tunnel through the proxy ${shown(proxy)} to ${host}:${port} within ${o.timeoutMs / 1000}s`));
    }, o.timeoutMs);
    const handshake = proxy.protocol === 'socks5:' ? socks5Connect(socket, proxy, host, port) : httpConnect(socket, proxy, host, port);
    handshake.then(
      () => {
        clearTimeout(timer);
        resolve(socket);
      },
      (err: Error) => {
        clearTimeout(timer);
        socket.destroy();
        reject(err instanceof Upstream ? err : new Upstream(`cannot reach the API server through the proxy ${shown(proxy)}: ${err.message}`));
      },
    );
  });
}

/** The one agent of a cluster behind a proxy: keep-alive connections, each through its own tunnel. */
export function tunnelAgent(o: TunnelOptions): HttpAgent {
  const connect = (options: ClientRequestArgs, callback: Callback): void => {
    const host = (options.host ?? options.hostname ?? 'localhost').replace(/^\[|\]$/g, '');
    const port = Number(options.port) || (o.secure ? 443 : 80);
    openTunnel(o, host, port).then(
      (socket) => callback(null, o.secure ? tls.connect({ ...(options as tls.ConnectionOptions), socket }) : socket),
      // Node's typings want a stream even beside an error; the agent ignores it then
      (err: Error) => callback(err, null as unknown as Duplex),
    );
  };
  if (o.secure) {
    return new (class extends HttpsAgent {
      override createConnection(options: ClientRequestArgs, callback?: Callback): undefined {
        connect(options, callback ?? (() => undefined));
        return undefined;
      }
    })(o.agentOptions);
  }
  return new (class extends HttpAgent {
    override createConnection(options: ClientRequestArgs, callback?: Callback): undefined {
      connect(options, callback ?? (() => undefined));
      return undefined;
    }
  })(o.agentOptions);
}
