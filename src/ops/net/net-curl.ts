import { z } from 'zod';
import { defineOp, type OpContext, type Verdict } from '../../core/op.js';
import { Upstream } from '../../core/errors.js';
import { hostSchema, objectNameSchema } from '../../core/schemas.js';
import { execRbac, runIn, type ExecTarget } from '../shared/exec.js';
import { NODE_RBAC, agentOnNode, anyAgent } from '../shared/debug-agent.js';
import { TARGET_RBAC, normalizeHost, requireAllowedTarget } from '../shared/targets.js';
import { summarizeStatus, summaryLineSchema, verdictSchema } from '../shared/findings.js';

/** Where a probe runs: the debug agent on the node asked for, or any. */
export async function probeFrom(ctx: OpContext, node: string | undefined): Promise<ExecTarget> {
  return node ? agentOnNode(ctx, node) : anyAgent(ctx);
}

/** http(s) only, no user:password@, a valid host; returned normalized (percent-encoded, no spaces). */
export const urlSchema = z
  .string()
  .max(2048)
  .transform((s, ctx) => {
    let url: URL;
    try {
      url = new URL(s);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be an http:// or https:// URL' });
      return z.NEVER;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      ctx.addIssue({ code: 'custom', message: `only http and https URLs are allowed, not ${url.protocol.replace(/:$/, '')}` });
    if (url.username || url.password) ctx.addIssue({ code: 'custom', message: 'credentials in the URL are not allowed' });
    if (!hostSchema.safeParse(normalizeHost(url.hostname)).success)
      ctx.addIssue({ code: 'custom', message: "the URL's host must be an IP address or a host name" });
    url.hash = '';
    return url.href;
  });

/** What curl's `-w %{json}` prints (curl 7.70+); only the fields read here. */
export interface CurlJson {
  exitcode?: number;
  errormsg?: string | null;
  http_code?: number;
  response_code?: number;
  http_version?: string;
  remote_ip?: string;
  remote_port?: number;
  scheme?: string;
  url_effective?: string;
  redirect_url?: string | null;
  content_type?: string | null;
  size_download?: number;
  ssl_verify_result?: number;
  num_certs?: number;
  certs?: string;
  time_namelookup?: number;
  time_connect?: number;
  time_appconnect?: number;
  time_pretransfer?: number;
  time_starttransfer?: number;
  time_total?: number;
}

export interface CertSummary {
  subject?: string;
  issuer?: string;
  notBefore?: string;
  notAfter?: string;
  subjectAltNames?: string;
}

/** The first (leaf) certificate of curl's certinfo text ("Subject:…\nIssuer:…\nStart date:…"). */
export function parseCerts(text: string | undefined): CertSummary | undefined {
  if (!text) return undefined;
  const leaf = text.split(/-----END CERTIFICATE-----/)[0] ?? '';
  const field = (name: string) => new RegExp(`^${name}:\\s*(.*)$`, 'mi').exec(leaf)?.[1]?.trim();
  const out: CertSummary = {
    subject: field('Subject'),
    issuer: field('Issuer'),
    notBefore: field('Start date'),
    notAfter: field('Expire date'),
    subjectAltNames: field('X509v3 Subject Alternative Name'),
  };
  return Object.values(out).some(Boolean) ? out : undefined;
}

/** Parses `-w %{json}`: the one JSON object curl prints last (the body went to /dev/null). */
export function parseCurlJson(stdout: string): CurlJson | undefined {
  const start = stdout.indexOf('{');
  if (start < 0) return undefined;
  try {
    const value: unknown = JSON.parse(stdout.slice(start).trim());
    return value && typeof value === 'object' ? (value as CurlJson) : undefined;
  } catch {
    return undefined;
  }
}

const ms = (seconds: number | undefined): number => Math.round((seconds ?? 0) * 10_000) / 10;
const span = (from: number | undefined, to: number | undefined): number => Math.max(0, Math.round(((to ?? 0) - (from ?? 0)) * 10_000) / 10);

/** Phase durations from curl's cumulative times (all from the start of the request). */
export function timingOf(j: CurlJson): { dnsMs: number; connectMs: number; tlsMs: number; serverMs: number; ttfbMs: number; totalMs: number } {
  const tlsEnd = j.time_appconnect && j.time_appconnect > 0 ? j.time_appconnect : j.time_connect;
  return {
    dnsMs: ms(j.time_namelookup),
    connectMs: j.time_connect ? span(j.time_namelookup, j.time_connect) : 0,
    tlsMs: j.time_appconnect ? span(j.time_connect, j.time_appconnect) : 0,
    serverMs: j.time_starttransfer ? span(j.time_pretransfer ?? tlsEnd, j.time_starttransfer) : 0,
    ttfbMs: ms(j.time_starttransfer),
    totalMs: ms(j.time_total),
  };
}

/** curl's exit codes worth naming (man curl, EXIT CODES). */
const CURL_EXIT: Record<number, string> = {
  6: 'could not resolve host',
  7: 'connection refused or unreachable',
  28: 'timed out',
  35: 'TLS handshake failed',
  47: 'too many redirects',
  52: 'empty reply from server',
  56: 'connection reset while receiving',
  60: 'TLS certificate not trusted',
};

const output = z.object({
  url: z.string().describe('The URL as requested (normalized)'),
  admittedAs: z.string().describe('Why the target policy admits the host, e.g. "Ingress jellyfin/jellyfin"'),
  from: z.string().describe('Where curl ran: the debug agent on NODE'),
  pod: z.string().describe('NAMESPACE/POD of that agent'),
  ok: z.boolean().describe('curl completed and the status is below 400'),
  exitCode: z.number().int().describe("curl's exit code: 0, or e.g. 6 (DNS), 7 (refused), 28 (timeout), 35/60 (TLS)"),
  error: z.string().optional().describe("curl's error message when it failed"),
  status: z.number().int().describe('HTTP status (0 when no response came)'),
  httpVersion: z.string().optional(),
  remote: z.string().optional().describe('IP:PORT curl connected to'),
  contentType: z.string().optional(),
  redirectTo: z.string().optional().describe('The Location of a redirect (not followed)'),
  bytes: z.number().optional().describe('Body size downloaded'),
  timing: z.object({
    dnsMs: z.number().describe('Name lookup'),
    connectMs: z.number().describe('TCP handshake (after the lookup)'),
    tlsMs: z.number().describe('TLS handshake (0 for http)'),
    serverMs: z.number().describe("From the request sent to the first byte back: the server's think time"),
    ttfbMs: z.number().describe('Time to first byte, from the start'),
    totalMs: z.number().describe('Whole request, from the start'),
  }),
  tls: z
    .object({
      verified: z.boolean().describe('The certificate chain verified (ssl_verify_result 0)'),
      verifyResult: z.number().int().describe('OpenSSL verify result code (0 = ok, 10 = expired, 18/19/20 = self-signed or unknown issuer)'),
      certificates: z.number().int().optional().describe('How many certificates the server sent'),
      subject: z.string().optional(),
      issuer: z.string().optional(),
      notBefore: z.string().optional(),
      notAfter: z.string().optional(),
      subjectAltNames: z.string().optional(),
      note: z.string().optional().describe('What could not be read, and why'),
    })
    .optional()
    .describe('For https: verification, and the leaf certificate when curl reports it (certinfo needs curl 7.88+ with OpenSSL/GnuTLS)'),
  verdict: verdictSchema.describe('ok: 2xx/3xx; warn: 4xx; crit: 5xx or no response'),
  summary: summaryLineSchema,
});
type Output = z.infer<typeof output>;

export default defineOp({
  name: 'net_curl',
  title: 'HTTP(S) request from a node',
  description: "From a node's debug agent (no redirects); only Ingress hosts, Services and net.allowTargets. Returns status, timings, address and certificate.",
  effect: 'read',
  // It sends traffic to a host the caller names, inside the homelab or (net.allowTargets) beyond it.
  hints: { openWorld: true },
  input: z
    .object({
      url: urlSchema.describe('http:// or https:// URL'),
      fromNode: objectNameSchema.optional(),
      timeout: z.number().int().min(1).max(30).default(10).describe('Seconds curl may take (--max-time)'),
    })
    .strict(),
  output,
  rbac: [...execRbac('debugAgent'), NODE_RBAC, ...TARGET_RBAC.http],
  timeoutMs: 45_000,
  args: ['url'],
  async run(ctx, input): Promise<Output> {
    const url = new URL(input.url);
    // The URL is already in the URL standard's form (numeric hosts as dotted IPv4), so curl gets it as judged.
    const { why: admittedAs } = await requireAllowedTarget(ctx, url.hostname, 'http', 'net curl');
    const target = await probeFrom(ctx, input.fromNode);
    const argv = ['curl', '-sS', '-o', '/dev/null', '-w', '%{json}', '--max-time', String(input.timeout), '--proto', '=http,https', '--', input.url];
    const result = await runIn(ctx, target, argv, { timeoutMs: (input.timeout + 5) * 1000, maxBytes: 256 * 1024 });
    const j = parseCurlJson(result.stdout);
    if (!j) {
      const why = result.stderr.trim().split('\n')[0] || `curl exited ${result.exitCode} without its -w %{json} report`;
      throw new Upstream(`curl did not run in the ${target.label}: ${why}`, {
        hint: 'the debug agent needs curl 7.70+ (for -w %{json}); nicolaka/netshoot has it',
      });
    }
    const exitCode = j.exitcode ?? result.exitCode;
    const status = j.http_code ?? j.response_code ?? 0;
    const error =
      exitCode !== 0 ? (j.errormsg ?? result.stderr.trim().replace(/^curl: \(\d+\)\s*/, '')) || CURL_EXIT[exitCode] || `curl exit ${exitCode}` : undefined;
    const https = url.protocol === 'https:';
    let tls: Output['tls'];
    if (https && (j.time_appconnect ?? 0) > 0) {
      const cert = parseCerts(j.certs);
      tls = {
        verified: (j.ssl_verify_result ?? 0) === 0 && exitCode !== 60,
        verifyResult: j.ssl_verify_result ?? 0,
        certificates: j.num_certs,
        ...cert,
        note: cert
          ? undefined
          : 'curl did not report the certificate itself (certinfo is empty in -w %{json}); verification and the chain length are what it reports',
      };
    } else if (https && (exitCode === 35 || exitCode === 60)) {
      tls = { verified: false, verifyResult: j.ssl_verify_result ?? 0, note: error };
    }
    const verdict: Verdict = exitCode !== 0 || status === 0 || status >= 500 ? 'crit' : status >= 400 ? 'warn' : 'ok';
    const timing = timingOf(j);
    const head = exitCode === 0 ? `HTTP ${status} in ${timing.totalMs} ms` : `curl exit ${exitCode} after ${timing.totalMs} ms: ${error ?? ''}`;
    return {
      url: input.url,
      admittedAs,
      from: target.label,
      pod: `${target.namespace}/${target.pod}`,
      ok: exitCode === 0 && status > 0 && status < 400,
      exitCode,
      error,
      status,
      httpVersion: j.http_version && j.http_version !== '0' ? j.http_version : undefined,
      remote: j.remote_ip ? `${j.remote_ip}:${j.remote_port ?? ''}` : undefined,
      contentType: j.content_type ?? undefined,
      redirectTo: j.redirect_url ?? undefined,
      bytes: j.size_download,
      timing,
      tls,
      verdict,
      summary: `${input.url} from the ${target.label}: ${head}${tls ? (tls.verified ? ', certificate verified' : ', certificate NOT verified') : ''}`,
    };
  },
  summarize: summarizeStatus,
});
