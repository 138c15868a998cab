import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { Plan } from '../../core/op.js';
import { ConfirmationRefused, changedSince, type ConfirmationToken } from '../../core/run-op.js';
import { compareText } from '../../core/compare.js';

/** The argument a write tool takes to apply a plan it handed back. */
export const CONFIRMATION_FIELD = 'confirmationToken';

/**
 * The write tools' extra input: the token. Described once, in the server's instructions and in the
 * plan's own text (which names the field and its value), not again on each of the writes.
 */
export function withConfirmationInput(schema: Record<string, unknown>): Record<string, unknown> {
  const properties = (schema.properties ?? {}) as Record<string, unknown>;
  return {
    ...schema,
    properties: { ...properties, [CONFIRMATION_FIELD]: { type: 'string' } },
  };
}

/**
 * A write tool's output: its result, or the plan it hands back first ({plan, confirmation}). The
 * op's own schema stays at the root (its $defs and all); its required fields move into one branch.
 */
export function withPlanResult(schema: Record<string, unknown>): Record<string, unknown> {
  const { required, ...rest } = schema as { required?: string[] } & Record<string, unknown>;
  const properties = (rest.properties ?? {}) as Record<string, unknown>;
  return {
    ...rest,
    properties: { ...properties, plan: { type: 'object' }, confirmation: { type: 'object' } },
    anyOf: [{ required: required ?? [] }, { required: ['plan'] }],
  };
}

/** What a token is bound to, signed. */
const payloadSchema = z.object({
  tool: z.string(),
  caller: z.string(),
  /** sha256 of the validated arguments, keys sorted. */
  args: z.string(),
  observed: z.array(z.object({ object: z.string(), resourceVersion: z.string() })),
  expires: z.number(),
  nonce: z.string(),
});
type Payload = z.infer<typeof payloadSchema>;

export interface ConfirmationsOptions {
  /** Signs the tokens; every replica that shares it verifies the others' tokens. Absent: a random key for this process. */
  key?: string;
  ttlMs: number;
  now(): Date;
}

/** The same value whatever order its keys were given in. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value)
        .sort(([a], [b]) => compareText(a, b))
        .map(([k, v]) => [k, canonical(v)]),
    );
  return value;
}

function digest(input: Record<string, unknown>): string {
  return createHash('sha256')
    .update(JSON.stringify(canonical(input)))
    .digest('base64url');
}

/**
 * Confirmation tokens: a plan handed back carries one; calling the tool again with it applies
 * that plan. A token is bound to the tool, its arguments, the caller and the resourceVersions the
 * plan saw, signed with HMAC-SHA256, so any replica sharing the key can check it without shared
 * state; it expires (mcp.confirmationTtl) and is used once. Once: for Kubernetes objects across
 * replicas too, since the write moves the resourceVersions it is bound to; for writes with nothing
 * to bind (Pi-hole, Jellyfin, the NAS) by this process's record of the tokens it has accepted.
 */
export class Confirmations {
  private readonly key: Buffer;
  /** Nonces of accepted tokens, until they expire. */
  private readonly used = new Map<string, number>();

  constructor(private readonly options: ConfirmationsOptions) {
    this.key = options.key ? Buffer.from(options.key, 'utf8') : randomBytes(32);
  }

  get ttlMs(): number {
    return this.options.ttlMs;
  }

  issue(tool: string, input: Record<string, unknown>, caller: string, plan: Plan): ConfirmationToken {
    const expires = this.options.now().getTime() + this.options.ttlMs;
    const payload: Payload = {
      tool,
      caller,
      args: digest(input),
      observed: plan.observed.map(({ object, resourceVersion }) => ({ object, resourceVersion })),
      expires,
      nonce: randomBytes(12).toString('base64url'),
    };
    const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
    return { token: `${body}.${this.sign(body)}`, expiresAt: new Date(expires).toISOString() };
  }

  /**
   * Accepts the token for this call and marks it used, or throws ConfirmationRefused saying why:
   * not ours, another tool, caller or arguments, expired, used, or the objects moved since the plan.
   */
  redeem(token: string, tool: string, input: Record<string, unknown>, caller: string, plan: Plan): void {
    const payload = this.verify(token);
    const again = `call ${tool} again without ${CONFIRMATION_FIELD} for a new plan`;
    if (!payload) {
      throw new ConfirmationRefused('invalid', 'this confirmation token was not issued by this server (or was altered): nothing was changed', {
        hint: `${again}; replicas share tokens only with the same mcp.confirmationKey, and without one a restart voids them`,
      });
    }
    if (payload.tool !== tool)
      throw new ConfirmationRefused('mismatch', `this confirmation token is for ${payload.tool}, not ${tool}: nothing was changed`, { hint: again });
    if (payload.caller !== caller)
      throw new ConfirmationRefused('mismatch', 'this confirmation token was issued to another caller: nothing was changed', { hint: again });
    const now = this.options.now().getTime();
    if (now > payload.expires) {
      throw new ConfirmationRefused(
        'expired',
        `this confirmation token expired at ${new Date(payload.expires).toISOString()} (tokens last ${Math.round(this.options.ttlMs / 1000)}s): nothing was changed`,
        { hint: again },
      );
    }
    this.forgetExpired(now);
    if (this.used.has(payload.nonce)) throw new ConfirmationRefused('reused', 'this confirmation token was already used: nothing was changed', { hint: again });
    if (payload.args !== digest(input)) {
      throw new ConfirmationRefused('mismatch', `this confirmation token is for other arguments of ${tool}: nothing was changed`, {
        hint: `call it with exactly the arguments of the plan, or ${again}`,
      });
    }
    const moved = changedSince(payload.observed, plan.observed);
    if (moved) throw new ConfirmationRefused('changed', `${moved}: nothing was changed; plan again`, { hint: again });
    this.used.set(payload.nonce, payload.expires);
  }

  private sign(body: string): string {
    return createHmac('sha256', this.key).update(body).digest('base64url');
  }

  private verify(token: string): Payload | undefined {
    const [body, mac, extra] = token.split('.');
    if (!body || !mac || extra !== undefined) return undefined;
    const expected = Buffer.from(this.sign(body));
    const given = Buffer.from(mac);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined;
    try {
      const parsed = payloadSchema.safeParse(JSON.parse(Buffer.from(body, 'base64url').toString('utf8')));
      return parsed.success ? parsed.data : undefined;
    } catch {
      return undefined;
    }
  }

  private forgetExpired(now: number): void {
    for (const [nonce, expires] of this.used) if (expires < now) this.used.delete(nonce);
  }
}
