import { isIP } from 'node:net';
import { z } from 'zod';
import { UserError } from '../../core/errors.js';
import type { OpContext } from '../../core/op.js';
import type { PiholePort } from '../../core/ports/pihole.js';

/** Gravity older than this is stale: Pi-hole updates it weekly by default. */
export const GRAVITY_STALE_DAYS = 14;

export const ipSchema = z.string().refine((s) => isIP(s) !== 0, 'must be an IPv4 or IPv6 address');

/** A DNS name as people type it (letters, digits, "-", "_" and dots; 253 characters at most). */
export const dnsNameSchema = z
  .string()
  .max(254)
  .regex(/^([a-z0-9_]([-a-z0-9_]{0,61}[a-z0-9_])?)(\.[a-z0-9_]([-a-z0-9_]{0,61}[a-z0-9_])?)*\.?$/i, 'must be a DNS name, e.g. ads.example.com');

/** How a DNS name compares: lower case, without the root dot. */
export function normalizeName(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}

/** Unix seconds as an ISO time; undefined for 0 (Pi-hole's "unknown"). */
export function isoFromUnix(seconds: number): string | undefined {
  return seconds > 0 ? new Date(seconds * 1000).toISOString() : undefined;
}

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** Pi-hole, or a clear "not configured" refusal for the ops that need it. */
export async function requirePihole(ctx: OpContext, what: string): Promise<PiholePort> {
  const pihole = await ctx.services.pihole();
  if (!pihole) {
    throw new UserError(`Pi-hole is not configured, so homelab cannot ${what}`, {
      hint: 'add services.pihole (url, and password: {env: NAME} or {file: PATH}) to the config file',
    });
  }
  return pihole;
}

