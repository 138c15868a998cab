/** Relative times in scenarios (`-16d`, `-3m`, `-1h30m`, `now`) and the apiserver's human durations. */
import { rfc3339 } from '../apiserver/store.js';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const REL = /^([+-])?((?:\d+(?:\.\d+)?(?:ms|s|m|h|d|w))+)$/;

/** milliseconds of a duration like `1h30m` or `-5m` (sign kept); undefined if it is not one */
export function parseDuration(s: string): number | undefined {
  const m = REL.exec(s.trim());
  if (!m) return undefined;
  let total = 0;
  for (const part of (m[2] as string).matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/g)) {
    total += Number(part[1]) * (UNIT_MS[part[2] as string] as number);
  }
  return m[1] === '-' ? -total : total;
}

export function isTimeSpec(s: string): boolean {
  return s === 'now' || parseDuration(s) !== undefined || !Number.isNaN(Date.parse(s));
}

/** resolve a scenario time against `now` */
export function resolveTime(spec: string, now: Date): Date {
  if (spec === 'now') return now;
  const d = parseDuration(spec);
  if (d !== undefined) return new Date(now.getTime() + d);
  const t = Date.parse(spec);
  if (Number.isNaN(t)) throw new Error(`not a time: ${spec}`);
  return new Date(t);
}

export function resolveRfc(spec: string, now: Date): string {
  return rfc3339(resolveTime(spec, now));
}

/** RFC3339Nano as Go formats it (trailing zeros of the fraction trimmed) */
export function rfc3339Nano(d: Date, extraNanos = 0): string {
  const base = d.toISOString().slice(0, 19);
  const nanos = (d.getUTCMilliseconds() * 1_000_000 + extraNanos).toString().padStart(9, '0').replace(/0+$/, '');
  return `${base}${nanos ? '.' + nanos : ''}Z`;
}

/** k8s.io/apimachinery/pkg/util/duration.HumanDuration */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(seconds / 3600);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${Math.floor(hours / 24)}d` : `${Math.floor(hours / 24)}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`;
  if (hours < 24 * 365 * 8) {
    const dy = Math.floor(hours / 24) % 365;
    return dy === 0 ? `${Math.floor(hours / 24 / 365)}y` : `${Math.floor(hours / 24 / 365)}y${dy}d`;
  }
  return `${Math.floor(hours / 24 / 365)}y`;
}

/** printers' translateTimestampSince */
export function since(ts: unknown, now: Date): string {
  if (typeof ts !== 'string' || ts === '') return '<unknown>';
  return humanDuration(now.getTime() - Date.parse(ts));
}
