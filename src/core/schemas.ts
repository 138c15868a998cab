import { isIP } from 'node:net';
import { z } from 'zod';
import { patternProblem } from './pattern.js';

/** RFC 1123 label: namespaces, most names; what the API server itself accepts. */
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** RFC 1123 subdomain: pod, deployment and most object names. */
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export const namespaceSchema = z.string().max(63).regex(DNS_LABEL, 'must be a Kubernetes namespace name (lowercase letters, digits and "-")');

export const objectNameSchema = z.string().max(253).regex(DNS_SUBDOMAIN, 'must be a Kubernetes object name (lowercase letters, digits, "-" and ".")');

/** Container names are DNS labels. */
export const containerNameSchema = namespaceSchema;

/** "namespace/name", the way allow-lists and commands spell an object. */
/** The shape of NAMESPACE/NAME; the CLI recognises such a field by it and also takes NAME -n NAMESPACE. */
export const NAMESPACED_NAME_PATTERN = /^[^/]+\/[^/]+$/;

export const namespacedNameSchema = z
  .string()
  .regex(NAMESPACED_NAME_PATTERN, 'must be NAMESPACE/NAME, e.g. jellyfin/jellyfin')
  .refine((s) => {
    const [ns, name] = s.split('/') as [string, string];
    return namespaceSchema.safeParse(ns).success && objectNameSchema.safeParse(name).success;
  }, 'must be NAMESPACE/NAME with valid Kubernetes names');

export function splitNamespacedName(ref: string): { namespace: string; name: string } {
  const [namespace, name] = ref.split('/') as [string, string];
  return { namespace, name };
}

const DURATION_UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** "90s", "10m", "1h30m", "2d": a span of time in seconds, as kubectl's --since reads it. */
export function parseDuration(text: string): number | undefined {
  const parts = [...text.matchAll(/(\d+)([smhd])/g)];
  if (!parts.length || parts.map((p) => p[0]).join('') !== text) return undefined;
  return parts.reduce((sum, p) => sum + Number(p[1]) * (DURATION_UNITS[p[2] as string] ?? 0), 0);
}

export const durationSchema = z.string().refine((s) => parseDuration(s) !== undefined, 'must be a duration like 30s, 10m, 1h or 2d');

/** "3m", "5h", "16d": how people read the age of a thing. */
export function formatAge(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  if (s < 172800) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

export const ipSchema = z.string().refine((s) => isIP(s) !== 0, 'must be an IPv4 or IPv6 address');

/** A DNS name as people type it (letters, digits, "-", "_" as in _dmarc, and dots; 253 characters at most). */
export const dnsNameSchema = z
  .string()
  .max(254)
  .regex(/^([a-z0-9_]([-a-z0-9_]{0,61}[a-z0-9_])?)(\.[a-z0-9_]([-a-z0-9_]{0,61}[a-z0-9_])?)*\.?$/i, 'must be a DNS name, e.g. ads.example.com');

/** Where a network probe may point: an IP address or a DNS name; never an option (no leading "-"). */
export const hostSchema = z
  .string()
  .min(1)
  .max(254)
  .refine((s) => isIP(s) !== 0 || dnsNameSchema.safeParse(s).success, 'must be an IP address or a host name');

/** An IPv4/IPv6 address or CIDR block. */
export const ipOrCidrSchema = z.string().refine((s) => {
  const [ip, bits, extra] = s.split('/');
  if (extra !== undefined || !ip) return false;
  const family = isIP(ip);
  if (!family) return false;
  if (bits === undefined) return true;
  const n = Number(bits);
  return /^\d+$/.test(bits) && n >= 0 && n <= (family === 4 ? 32 : 128);
}, 'must be an IP address or a CIDR block like 10.42.0.0/16');

/**
 * A regular expression from a user, validated by the engine that will run it (RE2, linear time: see
 * core/pattern.ts); compile it with compilePattern. Every op that takes a pattern uses this schema.
 */
export const userPatternSchema = z
  .string()
  .min(1)
  .max(200)
  .superRefine((source, ctx) => {
    const problem = patternProblem(source);
    if (problem) ctx.addIssue({ code: 'custom', message: `must be a valid regular expression (RE2 syntax: no backreferences or lookaround): ${problem}` });
  });
