import { UserError } from '../../core/errors.js';
import type { OpContext } from '../../core/op.js';
import type { PiholePort } from '../../core/ports/pihole.js';

/** Gravity older than this is stale: Pi-hole updates it weekly by default. */
export const GRAVITY_STALE_DAYS = 14;

export { dnsNameSchema, ipSchema } from '../../core/schemas.js';

/** How a DNS name compares: lower case, without the root dot. */
export function normalizeName(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}

/** Unix seconds as an ISO time; undefined for 0 (Pi-hole's "unknown"). */
export function isoFromUnix(seconds: number): string | undefined {
  return seconds > 0 ? new Date(seconds * 1000).toISOString() : undefined;
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
