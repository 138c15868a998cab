/**
 * Container logs: a log book filled from the scenario (lines with times, or spread over the
 * container's uptime), plausible generated lines for containers the scenario says nothing about,
 * and the pods/log query semantics (container, previous, tailLines, sinceSeconds, sinceTime,
 * timestamps, limitBytes).
 */
import { createHash } from 'node:crypto';
import { badRequest } from './errors.js';
import { queryBool } from './query.js';
import { resolveTime, rfc3339Nano } from '../scenario/time.js';
import { isRecord, type KubeObject } from './types.js';

export interface LogLine {
  time: Date;
  text: string;
}
export type LogInput = string | { at: string; line: string };

export class LogBook {
  private readonly lines = new Map<string, LogLine[]>();
  private readonly followers = new Map<string, Set<(line: LogLine) => void>>();

  /** Lines appended to a running container from now on (pods/log?follow=true); returns the unsubscribe. */
  follow(namespace: string, pod: string, container: string, onLine: (line: LogLine) => void): () => void {
    const k = key(namespace, pod, container, false);
    const set = this.followers.get(k) ?? new Set();
    set.add(onLine);
    this.followers.set(k, set);
    return () => set.delete(onLine);
  }

  set(namespace: string, pod: string, container: string, previous: boolean, lines: LogLine[]): void {
    this.lines.set(
      key(namespace, pod, container, previous),
      [...lines].sort((a, b) => a.time.getTime() - b.time.getTime()),
    );
  }

  get(namespace: string, pod: string, container: string, previous: boolean): LogLine[] | undefined {
    return this.lines.get(key(namespace, pod, container, previous));
  }

  /** Forgets every line and follower (a reset: the scenario's lines are set again). */
  clear(): void {
    this.lines.clear();
    this.followers.clear();
  }

  append(namespace: string, pod: string, container: string, line: LogLine): void {
    const k = key(namespace, pod, container, false);
    const list = this.lines.get(k) ?? [];
    list.push(line);
    this.lines.set(k, list);
    for (const onLine of this.followers.get(k) ?? []) onLine(line);
  }
}

const key = (ns: string, pod: string, c: string, prev: boolean): string => `${ns}/${pod}/${c}/${prev ? 'previous' : 'current'}`;

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/**
 * Time placeholders in scenario log lines, filled with the line's own time (UTC) so that what an
 * application prints agrees with the kubelet's timestamps: {iso} 2025-02-18T11:38:02.118Z,
 * {date} 2025-02-18, {clock} 11:38:02, {mdy} 02/18/25, {epoch} 1739878682, {ms} 118.
 */
export function fillTime(text: string, t: Date): string {
  if (!text.includes('{')) return text;
  return text
    .replaceAll('{iso}', t.toISOString())
    .replaceAll('{date}', t.toISOString().slice(0, 10))
    .replaceAll('{clock}', t.toISOString().slice(11, 19))
    .replaceAll('{mdy}', `${pad(t.getUTCMonth() + 1)}/${pad(t.getUTCDate())}/${pad(t.getUTCFullYear() % 100)}`)
    .replaceAll('{epoch}', String(Math.floor(t.getTime() / 1000)))
    .replaceAll('{ms}', pad(t.getUTCMilliseconds(), 3));
}

/** scenario lines -> timed lines; plain strings are spread evenly between `from` and `to` */
export function timeLines(input: LogInput[], from: Date, to: Date, now: Date): LogLine[] {
  const plain = input.filter((l) => typeof l === 'string').length;
  const span = Math.max(0, to.getTime() - from.getTime());
  let i = 0;
  return input.map((l) => {
    if (typeof l !== 'string') {
      const time = resolveTime(l.at, now);
      return { time, text: fillTime(l.line, time) };
    }
    // the first line comes right at start, the rest spread out; stays strictly before `to`
    const t = new Date(Math.min(from.getTime() + (plain <= 1 ? 0 : Math.floor((span * 0.98 * i) / (plain - 1))), to.getTime() - 1));
    i++;
    return { time: t, text: fillTime(l, t) };
  });
}

function seeded(seed: string): () => number {
  let n = 0;
  return () => {
    const h = createHash('sha256').update(`${seed}:${n++}`).digest();
    return h.readUInt32BE(0) / 0x100000000;
  };
}

function clock(d: Date): string {
  return d.toISOString().slice(11, 19);
}
function goLog(d: Date, level: string, msg: string): string {
  return `${level}${String(d.getUTCMonth() + 1).padStart(2, '0')}${String(d.getUTCDate()).padStart(2, '0')} ${clock(d)}.${String(d.getUTCMilliseconds()).padStart(3, '0')}123       1 ${msg}`;
}

/** a few plausible lines for a container the scenario gave no logs, picked by image */
export function generateLogs(pod: string, container: string, image: string, from: Date, to: Date): LogLine[] {
  const rnd = seeded(`${pod}/${container}`);
  const img = image.toLowerCase();
  const n = 6;
  const span = Math.max(1000, to.getTime() - from.getTime());
  const times = Array.from({ length: n }, (_, i) => new Date(from.getTime() + Math.floor(i === 0 ? 200 : span * (i / n) * (0.8 + 0.2 * rnd()))));
  const t = (i: number): Date => times[Math.min(i, n - 1)] as Date;
  let lines: string[];
  if (img.includes('fluxcd') || img.includes('controller')) {
    lines = [
      `{"level":"info","ts":"${t(0).toISOString()}","logger":"setup","msg":"starting manager"}`,
      `{"level":"info","ts":"${t(1).toISOString()}","msg":"starting server","kind":"health probe","addr":"[::]:9440"}`,
      `{"level":"info","ts":"${t(2).toISOString()}","msg":"attempting to acquire leader lease ${container}-leader-election..."}`,
      `{"level":"info","ts":"${t(3).toISOString()}","msg":"successfully acquired lease"}`,
      `{"level":"info","ts":"${t(4).toISOString()}","msg":"Starting workers","worker count":4}`,
      `{"level":"info","ts":"${t(5).toISOString()}","msg":"reconciliation finished","revision":"main@sha1:${createHash('sha1').update(pod).digest('hex')}"}`,
    ];
  } else if (img.includes('coredns')) {
    lines = [
      '.:53',
      '[INFO] plugin/reload: Running configuration SHA512 = 8a7d59126e7f1142a07c87d4a8bc3d3d',
      'CoreDNS-1.11.3',
      'linux/arm64, go1.21.11, a6338e9',
      `[INFO] 127.0.0.1:${40000 + Math.floor(rnd() * 20000)} - 49731 "HINFO IN 2094831.local. udp 57 false 512" NXDOMAIN qr,rd,ra 57 0.011s`,
      '[INFO] Reloading complete',
    ];
  } else if (img.includes('postgres')) {
    lines = [
      'PostgreSQL Database directory appears to contain a database; Skipping initialization',
      '',
      `${t(1).toISOString().replace('T', ' ').slice(0, 23)} UTC [1] LOG:  starting PostgreSQL 16.4 on aarch64-unknown-linux-gnu`,
      `${t(2).toISOString().replace('T', ' ').slice(0, 23)} UTC [1] LOG:  listening on IPv4 address "0.0.0.0", port 5432`,
      `${t(3).toISOString().replace('T', ' ').slice(0, 23)} UTC [1] LOG:  database system is ready to accept connections`,
      `${t(5).toISOString().replace('T', ' ').slice(0, 23)} UTC [27] LOG:  checkpoint complete: wrote 412 buffers (2.5%)`,
    ];
  } else if (img.includes('redis') || img.includes('valkey')) {
    lines = [
      '1:C oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo',
      '1:M * Running mode=standalone, port=6379.',
      '1:M * Server initialized',
      '1:M * Ready to accept connections tcp',
      '1:M * 100 changes in 300 seconds. Saving...',
      '1:M * Background saving terminated with success',
    ];
  } else if (img.includes('nginx')) {
    lines = [
      '-------------------------------------------------------------------------------',
      'NGINX Ingress controller',
      goLog(t(2), 'I', 'main.go:205] "Creating API client" host="https://10.43.0.1:443"'),
      goLog(t(3), 'I', 'nginx.go:271] "Starting NGINX Ingress controller"'),
      goLog(t(4), 'I', 'controller.go:213] "Backend successfully reloaded"'),
      goLog(t(5), 'I', 'status.go:304] "updating Ingress status"'),
    ];
  } else {
    const app = container;
    lines = [
      `starting ${app} (${image})`,
      `${app}: loading configuration`,
      `${app}: listening on :${8000 + Math.floor(rnd() * 1000)}`,
      `${app}: ready`,
      `${app}: health check ok`,
      `${app}: health check ok`,
    ];
  }
  return lines.map((text, i) => ({ time: t(i), text }));
}

interface ContainerInfo {
  name: string;
  image: string;
  startedAt?: string;
  lastTerminated?: { startedAt?: string; finishedAt?: string; reason?: string; exitCode?: number };
}

function containersOf(pod: KubeObject): { spec: { name: string; image: string }[]; status: Map<string, ContainerInfo> } {
  const spec = (isRecord(pod.spec) && Array.isArray(pod.spec.containers) ? pod.spec.containers : [])
    .filter(isRecord)
    .map((c) => ({ name: String(c.name), image: String(c.image ?? '') }));
  const status = new Map<string, ContainerInfo>();
  const st = isRecord(pod.status) && Array.isArray(pod.status.containerStatuses) ? pod.status.containerStatuses : [];
  for (const cs of st.filter(isRecord)) {
    const state = isRecord(cs.state) ? cs.state : {};
    const last = isRecord(cs.lastState) && isRecord(cs.lastState.terminated) ? cs.lastState.terminated : undefined;
    const running = isRecord(state.running) ? state.running : isRecord(state.terminated) ? state.terminated : undefined;
    status.set(String(cs.name), {
      name: String(cs.name),
      image: String(cs.image ?? ''),
      startedAt: typeof running?.startedAt === 'string' ? running.startedAt : undefined,
      lastTerminated: last
        ? {
            startedAt: typeof last.startedAt === 'string' ? last.startedAt : undefined,
            finishedAt: typeof last.finishedAt === 'string' ? last.finishedAt : undefined,
            reason: typeof last.reason === 'string' ? last.reason : undefined,
            exitCode: typeof last.exitCode === 'number' ? last.exitCode : undefined,
          }
        : undefined,
    });
  }
  return { spec, status };
}

function intParam(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) throw badRequest(`strconv.ParseInt: parsing "${v}": invalid syntax`);
  return n;
}

/** the body of GET pods/NAME/log */
/** The log text a pods/log GET answers, and which container it read (follow keeps reading it). */
export function readLogs(pod: KubeObject, q: URLSearchParams, book: LogBook, now: Date): { text: string; container: string; timestamps: boolean } {
  const ns = pod.metadata.namespace ?? '';
  const name = pod.metadata.name ?? '';
  const { spec, status } = containersOf(pod);
  let cname = q.get('container') ?? '';
  if (!cname) {
    const def = pod.metadata.annotations?.['kubectl.kubernetes.io/default-container'];
    if (spec.length === 1) cname = spec[0]?.name ?? '';
    else if (def && spec.some((c) => c.name === def)) cname = def;
    else throw badRequest(`a container name must be specified for pod ${name}, choose one of: [${spec.map((c) => c.name).join(' ')}]`);
  }
  const c = spec.find((x) => x.name === cname);
  if (!c) throw badRequest(`container ${cname} is not valid for pod ${name}`);
  const st = status.get(cname);
  const previous = queryBool(q, 'previous');
  const tailLines = intParam(q, 'tailLines');
  const sinceSeconds = intParam(q, 'sinceSeconds');
  const limitBytes = intParam(q, 'limitBytes');
  const sinceTimeRaw = q.get('sinceTime');
  if (sinceSeconds !== undefined && sinceTimeRaw)
    throw badRequest('PodLogOptions "" is invalid: sinceSeconds: Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified');
  if (sinceSeconds !== undefined && sinceSeconds < 1)
    throw badRequest('PodLogOptions "" is invalid: sinceSeconds: Invalid value: ' + sinceSeconds + ': must be greater than 0');
  if (tailLines !== undefined && tailLines < 0)
    throw badRequest(`PodLogOptions "" is invalid: tailLines: Invalid value: ${tailLines}: must be greater than or equal to 0`);
  if (limitBytes !== undefined && limitBytes < 1)
    throw badRequest(`PodLogOptions "" is invalid: limitBytes: Invalid value: ${limitBytes}: must be greater than 0`);

  let lines: LogLine[] | undefined;
  if (previous) {
    if (!st?.lastTerminated) throw badRequest(`previous terminated container "${cname}" in pod "${name}" not found`);
    lines = book.get(ns, name, cname, true);
    if (!lines) {
      const from = new Date(Date.parse(st.lastTerminated.startedAt ?? '') || now.getTime() - 600_000);
      const to = new Date(Date.parse(st.lastTerminated.finishedAt ?? '') || now.getTime());
      lines = generateLogs(`${name}-prev`, cname, c.image, from, to);
      const reason = st.lastTerminated.reason ?? 'Error';
      if (reason !== 'OOMKilled') lines.push({ time: new Date(to.getTime() - 1), text: `fatal: exiting (${reason}, code ${st.lastTerminated.exitCode ?? 1})` });
    }
  } else {
    if (!st?.startedAt && !book.get(ns, name, cname, false)) {
      const phase = isRecord(pod.status) ? pod.status.phase : undefined;
      if (phase === 'Pending') throw badRequest(`container "${cname}" in pod "${name}" is waiting to start: ${waitingReason(pod, cname)}`);
    }
    lines = book.get(ns, name, cname, false);
    if (!lines) {
      const from = new Date(Date.parse(st?.startedAt ?? '') || now.getTime() - 3600_000);
      lines = generateLogs(name, cname, c.image, from, now);
      book.set(ns, name, cname, false, lines);
    }
  }

  let out = lines.filter((l) => l.time.getTime() <= now.getTime());
  if (sinceSeconds !== undefined) out = out.filter((l) => l.time.getTime() >= now.getTime() - sinceSeconds * 1000);
  if (sinceTimeRaw) {
    const since = Date.parse(sinceTimeRaw);
    if (Number.isNaN(since)) throw badRequest(`parsing time "${sinceTimeRaw}" as "2006-01-02T15:04:05Z07:00": cannot parse`);
    out = out.filter((l) => l.time.getTime() >= since);
  }
  if (tailLines !== undefined) out = tailLines === 0 ? [] : out.slice(-tailLines);
  const ts = queryBool(q, 'timestamps');
  let text = out.map((l, i) => `${ts ? rfc3339Nano(l.time, 1000 + i) + ' ' : ''}${l.text}\n`).join('');
  if (limitBytes !== undefined) text = Buffer.from(text).subarray(0, limitBytes).toString('utf8');
  return { text, container: cname, timestamps: ts };
}

/** One log line as pods/log writes it. */
export function formatLogLine(line: LogLine, timestamps: boolean): string {
  return `${timestamps ? `${rfc3339Nano(line.time, 0)} ` : ''}${line.text}\n`;
}

function waitingReason(pod: KubeObject, container: string): string {
  const st = isRecord(pod.status) && Array.isArray(pod.status.containerStatuses) ? pod.status.containerStatuses : [];
  const cs = st.filter(isRecord).find((x) => x.name === container);
  const w = cs && isRecord(cs.state) && isRecord(cs.state.waiting) ? cs.state.waiting : undefined;
  return typeof w?.reason === 'string' ? w.reason : 'ContainerCreating';
}
