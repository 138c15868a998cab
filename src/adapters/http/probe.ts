/**
 * One HTTP(S) GET from this process for `homelab uptime`: status, time to the answer's headers,
 * the certificate as the TLS handshake presented it (verified or not: an invalid certificate is
 * reported, not thrown, so its dates can still be shown), and whether the body contains a keyword.
 * The host name is resolved here and every address is shown to the caller's `refuseAddress`
 * before a connection is made (a name that resolves to 169.254.169.254 is refused, not probed).
 * No redirect is followed, no credential is sent, at most 1 MiB of body is read.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { readFileSync } from 'node:fs';
import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import type { PeerCertificate, TLSSocket } from 'node:tls';
import { UserError } from '../../core/errors.js';
import type { HttpProbePort, ProbeRequest, ProbeResult, ProbeTls } from '../../core/ports/probe.js';

const MAX_BODY = 1024 * 1024;

class Refused extends Error {}

/** A probe bound to an op's signal: every check stops when it fires. */
export class HttpProbe implements HttpProbePort {
  constructor(private readonly signal?: AbortSignal) {}

  withSignal(signal: AbortSignal): HttpProbePort {
    return new HttpProbe(signal);
  }

  check(probe: ProbeRequest): Promise<ProbeResult> {
    const url = new URL(probe.url);
    let ca: Buffer | undefined;
    try {
      ca = probe.caFile ? readFileSync(probe.caFile) : undefined;
    } catch (err) {
      throw new UserError(`cannot read the CA file ${probe.caFile} for ${probe.url}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
    }
    const lookup: LookupFunction = (hostname, options, callback) => {
      dnsLookup(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
        if (err) return callback(err, '', 0);
        const refused = addresses.map((a) => probe.refuseAddress(a.address)).find(Boolean);
        if (refused) return callback(new Refused(`${hostname} resolves to ${refused}`), '', 0);
        if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
        const first = addresses[0];
        return first ? callback(null, first.address, first.family) : callback(new Error(`${hostname} has no address`), '', 0);
      });
    };
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    return new Promise<ProbeResult>((resolve) => {
      let tls: ProbeTls | undefined;
      let address: string | undefined;
      let settled = false;
      const done = (result: ProbeResult) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve({ ...result, tls: result.tls ?? tls, address: result.address ?? address });
      };
      const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
      // A bare IP needs no lookup; one in a guarded range is refused all the same.
      const literal = /^[\d.]+$|:/.test(url.hostname) ? url.hostname.replace(/^\[|\]$/g, '') : undefined;
      const refusedLiteral = literal ? probe.refuseAddress(literal) : undefined;
      if (refusedLiteral) {
        resolve({ latencyMs: 0, error: `refused: ${url.hostname} is ${refusedLiteral}`, errorKind: 'refused' });
        return;
      }
      const onResponse = (res: IncomingMessage) => {
        const latencyMs = elapsed();
        const status = res.statusCode ?? 0;
        const redirectTo = status >= 300 && status < 400 ? res.headers.location : undefined;
        if (!probe.keyword) {
          res.resume();
          done({ status, latencyMs, redirectTo });
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          if (size >= MAX_BODY) return;
          chunks.push(chunk);
          size += chunk.length;
          if (size >= MAX_BODY) req.destroy();
        });
        const finish = () =>
          done({
            status,
            latencyMs,
            redirectTo,
            keywordFound: Buffer.concat(chunks)
              .toString('utf8')
              .includes(probe.keyword ?? ''),
          });
        res.on('end', finish);
        res.on('close', finish);
        res.on('error', finish);
      };
      const req: ClientRequest = send(
        url,
        { method: 'GET', headers: { 'User-Agent': 'homelab-uptime', Accept: '*/*' }, lookup, ca, rejectUnauthorized: false, signal: this.signal, agent: false },
        onResponse,
      );
      req.on('socket', (socket) => {
        socket.once('connect', () => {
          address = socket.remoteAddress;
        });
        socket.once('secureConnect', () => {
          tls = tlsOf(socket as TLSSocket);
        });
      });
      req.on('error', (err: NodeJS.ErrnoException) => done({ latencyMs: elapsed(), ...describe(err, url.hostname, this.signal) }));
      const timer = setTimeout(() => {
        req.destroy();
        done({ latencyMs: elapsed(), error: `no answer within ${probe.timeoutMs / 1000}s`, errorKind: 'timeout' });
      }, probe.timeoutMs);
      req.end();
    });
  }
}

function tlsOf(socket: TLSSocket): ProbeTls {
  const cert: PeerCertificate | undefined = socket.getPeerCertificate();
  const name = (x: Record<string, string | string[] | undefined> | undefined) => {
    const cn = x?.CN ?? x?.O;
    return Array.isArray(cn) ? cn[0] : cn;
  };
  const authorizationError = socket.authorizationError as Error | string | null | undefined;
  return {
    authorized: socket.authorized,
    error: socket.authorized ? undefined : String(authorizationError instanceof Error ? authorizationError.message : (authorizationError ?? 'not verified')),
    validFrom: cert?.valid_from ? new Date(cert.valid_from).toISOString() : undefined,
    validTo: cert?.valid_to ? new Date(cert.valid_to).toISOString() : undefined,
    subject: name(cert?.subject as Record<string, string> | undefined),
    issuer: name(cert?.issuer as Record<string, string> | undefined),
  };
}

function describe(err: NodeJS.ErrnoException, host: string, signal: AbortSignal | undefined): Pick<ProbeResult, 'error' | 'errorKind'> {
  if (err instanceof Refused) return { error: `refused: ${err.message}`, errorKind: 'refused' };
  if (signal?.aborted) return { error: 'cancelled', errorKind: 'other' };
  const code = err.code ?? '';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return { error: `cannot resolve ${host}`, errorKind: 'dns' };
  if (code === 'ECONNREFUSED') return { error: 'connection refused', errorKind: 'connect' };
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code === 'ETIMEDOUT') return { error: `unreachable (${code})`, errorKind: 'connect' };
  if (code === 'ECONNRESET') return { error: 'the connection was reset', errorKind: 'connect' };
  if (/SSL|TLS|CERT|EPROTO/.test(code)) return { error: `TLS handshake failed (${code})`, errorKind: 'tls' };
  return { error: err.message || code || 'failed', errorKind: 'other' };
}
