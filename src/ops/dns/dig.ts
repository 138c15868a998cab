import { z } from 'zod';
import type { OpContext } from '../../core/op.js';
import { listAll } from '../../core/ports/kube.js';
import { Upstream } from '../../core/errors.js';
import { parseObject, podSchema, type Pod } from '../shared/k8s.js';
import { runIn, type ExecTarget } from '../shared/exec.js';
import { appOf } from './dns-status.js';
import { commandLine } from '../shared/fix.js';
import { compareText } from '../../core/compare.js';

/**
 * dig from inside the cluster: the argv, the parser of its full output, and where the Pi-hole and
 * Unbound pods of `dns.namespace` are. Shared by dns_query and dns_diagnose.
 */

export const RECORD_TYPES = ['A', 'AAAA', 'MX', 'TXT', 'CNAME', 'NS', 'SOA', 'PTR', 'SRV'] as const;
export type RecordType = (typeof RECORD_TYPES)[number];

export const digRecordSchema = z.object({
  name: z.string(),
  ttl: z.number().int(),
  class: z.string(),
  type: z.string(),
  data: z.string().describe('The record data as dig prints it: an address, "10 mail.example.com.", a quoted TXT string, "0 5 5060 sip.example.com." for SRV'),
});
export type DigRecord = z.infer<typeof digRecordSchema>;

export interface DigAnswer {
  /** false when dig got no answer from the server at all (dig's exit 9, or a timeout). */
  reached: boolean;
  /** NOERROR, NXDOMAIN, SERVFAIL, REFUSED, ... (absent when not reached). */
  status?: string;
  /** Header flags: qr aa rd ra ad cd tc. */
  flags: string[];
  /** The resolver validated the answer with DNSSEC (the `ad` flag). */
  authenticated: boolean;
  answers: DigRecord[];
  authority: DigRecord[];
  queryTimeMs?: number;
  /** The SERVER line: "127.0.0.1#53(127.0.0.1) (UDP)". */
  server?: string;
  /** Extended DNS error (RFC 8914) when the server sent one, e.g. "6 (DNSSEC Bogus)". */
  ede?: string;
  /** Why it was not reached, or what dig said on a failure. */
  error?: string;
}

function parseRecord(line: string): DigRecord | undefined {
  const m = /^(\S+)\s+(\d+)\s+([A-Z]+\d*)\s+([A-Z0-9-]+)\s+(.*)$/.exec(line.trim());
  if (!m) return undefined;
  return { name: m[1] as string, ttl: Number(m[2]), class: m[3] as string, type: m[4] as string, data: (m[5] as string).trim().replace(/\s+/g, ' ') };
}

/** Parses dig's default (+cmd) output; `exitCode` 9 means no server answered. */
export function parseDig(stdout: string, exitCode = 0, stderr = ''): DigAnswer {
  const out: DigAnswer = { reached: false, flags: [], authenticated: false, answers: [], authority: [] };
  let section: 'answer' | 'authority' | undefined;
  for (const raw of stdout.split('\n')) {
    const line = raw.trimEnd();
    const header = /status: ([A-Z]+)/.exec(line);
    if (line.includes('->>HEADER<<-') && header) {
      out.status = header[1];
      out.reached = true;
      continue;
    }
    const flags = /^;; flags:([^;]*);/.exec(line);
    if (flags) {
      out.flags = (flags[1] as string).trim().split(/\s+/).filter(Boolean);
      out.authenticated = out.flags.includes('ad');
      continue;
    }
    const sectionHead = /^;; ([A-Z]+) SECTION:$/.exec(line);
    if (sectionHead) {
      section = sectionHead[1] === 'ANSWER' ? 'answer' : sectionHead[1] === 'AUTHORITY' ? 'authority' : undefined;
      continue;
    }
    if (!line) {
      section = undefined;
      continue;
    }
    const ede = /^; EDE: (.*)$/.exec(line);
    if (ede) {
      out.ede = (ede[1] as string).trim();
      continue;
    }
    const time = /^;; Query time: (\d+) (msec|usec)/.exec(line);
    if (time) {
      out.queryTimeMs = time[2] === 'usec' ? Number(time[1]) / 1000 : Number(time[1]);
      continue;
    }
    const server = /^;; SERVER: (.*)$/.exec(line);
    if (server) {
      out.server = (server[1] as string).trim();
      continue;
    }
    if (/no servers could be reached|communications error|connection timed out/.test(line) && !out.error) {
      out.error = line.replace(/^;;\s*/, '');
      continue;
    }
    if (section && !line.startsWith(';')) {
      const record = parseRecord(line);
      if (record) (section === 'answer' ? out.answers : out.authority).push(record);
    }
  }
  if (exitCode === 9 || (!out.reached && exitCode === 0 && out.error)) {
    out.reached = false;
    const last = stdout
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => /no servers could be reached/.test(l))
      .pop();
    out.error = last ? last.replace(/^;;\s*/, '') : (out.error ?? 'no servers could be reached');
  } else if (exitCode !== 0 && !out.reached) {
    out.error = (stderr.trim().split('\n')[0] || stdout.trim().split('\n').pop() || `dig exited ${exitCode}`).replace(/^;;\s*/, '');
  }
  return out;
}

/**
 * dig's argv: the server first, the name after -q so it can never be read as an option (it is
 * validated as a DNS name anyway). Two tries of two seconds each bound a dead server to ~4 s.
 */
export function digArgv(server: string, name: string, type: RecordType, options: { dnssec?: boolean; cd?: boolean } = {}): string[] {
  return ['dig', `@${server}`, '+time=2', '+tries=2', ...(options.dnssec ? ['+dnssec'] : []), ...(options.cd ? ['+cd'] : []), '-t', type, '-q', name];
}

/** How long a dig may run before the exec is cut (two tries of 2 s, plus a margin). */
export const DIG_TIMEOUT_MS = 8_000;

export async function runDig(
  ctx: OpContext,
  target: ExecTarget,
  server: string,
  name: string,
  type: RecordType,
  options: { dnssec?: boolean; cd?: boolean } = {},
): Promise<DigAnswer & { exitCode: number }> {
  const result = await runIn(ctx, target, digArgv(server, name, type, options), { timeoutMs: DIG_TIMEOUT_MS, maxBytes: 256 * 1024 });
  if (result.exitCode !== 0 && result.exitCode !== 9 && !result.stdout.includes('->>HEADER<<-')) {
    // 1 (usage), 10 (internal error), 127 (no dig in the image): dig did not run its query.
    return {
      ...parseDig(result.stdout, result.exitCode, result.stderr),
      exitCode: result.exitCode,
      reached: false,
      error: `dig failed in the ${target.label} (exit ${result.exitCode}): ${(result.stderr.trim() || result.stdout.trim()).split('\n')[0] ?? ''}`,
    };
  }
  return { ...parseDig(result.stdout, result.exitCode, result.stderr), exitCode: result.exitCode };
}

// ----------------------------------------------------------------- where the DNS pods are

function isReady(pod: Pod): boolean {
  return pod.status.phase === 'Running' && !pod.metadata.deletionTimestamp && (pod.status.containerStatuses ?? []).every((c) => c.ready !== false);
}

export interface DnsPods {
  namespace: string;
  pihole: Pod[];
  unbound: Pod[];
}

/** The Pi-hole and Unbound pods of dns.namespace, told apart the way dns_status tells them apart. */
export async function findDnsPods(ctx: OpContext): Promise<DnsPods> {
  const namespace = ctx.config.dns.namespace;
  const pods = (await listAll(ctx.kube, { group: '', version: 'v1', resource: 'pods', namespace }))
    .map((p) => parseObject(podSchema, p, 'Pod'))
    .filter((p) => p.status.phase !== 'Succeeded' && !p.metadata.ownerReferences?.some((o) => o.kind === 'Job'));
  const byApp = (app: string) =>
    pods.filter((p) => appOf(p) === app).sort((a, b) => Number(isReady(b)) - Number(isReady(a)) || compareText(a.metadata.name, b.metadata.name));
  return { namespace, pihole: byApp('pihole'), unbound: byApp('unbound') };
}

/** Where dig runs: a ready Pi-hole pod, in its Pi-hole container. */
export function piholeTarget(pods: DnsPods): ExecTarget {
  const pod = pods.pihole.find(isReady);
  if (!pod) {
    throw new Upstream(
      pods.pihole.length
        ? `the Pi-hole pod ${pods.namespace}/${pods.pihole[0]?.metadata.name} is not running and ready`
        : `no Pi-hole pod in namespace ${pods.namespace}`,
      {
        hint: `${commandLine('dns_status', {})} shows the DNS pods; set dns.namespace in the config if Pi-hole runs elsewhere`,
      },
    );
  }
  const container = pod.spec.containers.find((c) => /pihole|pi-hole/i.test(c.name))?.name ?? pod.spec.containers[0]?.name;
  return { namespace: pods.namespace, pod: pod.metadata.name, container, label: `Pi-hole pod ${pod.metadata.name}` };
}

const serviceSchema = z.looseObject({
  metadata: z.looseObject({ name: z.string(), labels: z.record(z.string(), z.string()).optional() }),
  spec: z
    .looseObject({
      clusterIP: z.string().optional(),
      type: z.string().optional(),
      selector: z.record(z.string(), z.string()).optional(),
      ports: z.array(z.looseObject({ port: z.number(), protocol: z.string().optional(), name: z.string().optional() })).optional(),
      externalIPs: z.array(z.string()).optional(),
    })
    .default({}),
  status: z.looseObject({ loadBalancer: z.looseObject({ ingress: z.array(z.looseObject({ ip: z.string().optional() })).optional() }).optional() }).default({}),
});
type Service = z.infer<typeof serviceSchema>;

/** One DNS server address: a Service or a pod, and what people call it. */
export interface DnsEndpoint {
  address: string;
  label: string;
  kind: 'Service' | 'Pod';
  name: string;
}

function selects(service: Service, pod: Pod): boolean {
  const selector = service.spec.selector;
  if (!selector || !Object.keys(selector).length) return false;
  const labels = pod.metadata.labels ?? {};
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

function servesDns(service: Service): boolean {
  return (service.spec.ports ?? []).some((p) => p.port === 53);
}

function hasIp(ip: string | undefined): ip is string {
  return Boolean(ip && ip !== 'None');
}

export async function listDnsServices(ctx: OpContext, namespace: string): Promise<Service[]> {
  return (await listAll(ctx.kube, { group: '', version: 'v1', resource: 'services', namespace })).map((s) => parseObject(serviceSchema, s, 'Service'));
}

/**
 * Unbound's addresses: each DNS Service that selects an Unbound pod (or is named unbound), then each
 * ready Unbound pod by its IP, so two instances are checked one by one. Nothing hard-coded.
 */
export function unboundEndpoints(pods: DnsPods, services: Service[]): DnsEndpoint[] {
  const out: DnsEndpoint[] = [];
  for (const s of services) {
    if (!servesDns(s) || !hasIp(s.spec.clusterIP)) continue;
    if (pods.unbound.some((p) => selects(s, p)) || /unbound/i.test(s.metadata.name)) {
      out.push({ address: s.spec.clusterIP, label: `Unbound Service ${s.metadata.name} (${s.spec.clusterIP})`, kind: 'Service', name: s.metadata.name });
    }
  }
  for (const p of pods.unbound.filter(isReady)) {
    const ip = typeof p.status.podIP === 'string' ? p.status.podIP : undefined;
    if (ip) out.push({ address: ip, label: `Unbound pod ${p.metadata.name} (${ip})`, kind: 'Pod', name: p.metadata.name });
  }
  return out;
}

/**
 * Where clients reach Pi-hole's DNS: a DNS Service selecting the Pi-hole pod (its LoadBalancer or
 * external IP first, as LAN clients use those, then the ClusterIP), else the pod's own IP.
 */
export function piholeClientEndpoint(pods: DnsPods, services: Service[]): DnsEndpoint | undefined {
  const pod = pods.pihole.find(isReady);
  if (!pod) return undefined;
  for (const s of services) {
    if (!servesDns(s) || !selects(s, pod)) continue;
    const address =
      s.status.loadBalancer?.ingress?.find((i) => i.ip)?.ip ?? s.spec.externalIPs?.[0] ?? (hasIp(s.spec.clusterIP) ? s.spec.clusterIP : undefined);
    if (address) return { address, label: `Pi-hole Service ${s.metadata.name} (${address})`, kind: 'Service', name: s.metadata.name };
  }
  const ip = typeof pod.status.podIP === 'string' ? pod.status.podIP : undefined;
  return ip ? { address: ip, label: `Pi-hole pod ${pod.metadata.name} (${ip})`, kind: 'Pod', name: pod.metadata.name } : undefined;
}

export const digAnswerSchema = z.object({
  reached: z.boolean().describe('false when no server answered (dig exit 9 or a timeout)'),
  status: z.string().optional().describe('NOERROR, NXDOMAIN, SERVFAIL, REFUSED, ...'),
  flags: z.array(z.string()).describe('Header flags, e.g. qr rd ra ad'),
  authenticated: z.boolean().describe('The `ad` flag: the resolver validated the answer with DNSSEC'),
  answers: z.array(digRecordSchema),
  authority: z.array(digRecordSchema).describe('The authority section (the SOA of an NXDOMAIN)'),
  queryTimeMs: z.number().optional(),
  server: z.string().optional().describe('The server dig reports it asked: ADDRESS#PORT(NAME) (PROTOCOL)'),
  ede: z.string().optional().describe('Extended DNS error from the server, e.g. "6 (DNSSEC Bogus)"'),
  error: z.string().optional().describe('Why no answer came back'),
  exitCode: z.number().int().describe("dig's exit code: 0 whenever a server answered (NXDOMAIN and SERVFAIL too), 9 when none did"),
});
