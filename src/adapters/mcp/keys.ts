import { createHash, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { UserError } from '../../core/errors.js';
import { formatPath } from '../../core/config.js';

/** What a key may do: `read` lists and calls only the tools that change nothing; `write` everything the server offers. */
export type KeyScope = 'read' | 'write';

/** Who sent a request, as the HTTP door knows it: a key's name and scope. */
export interface Caller {
  name: string;
  scope: KeyScope;
}

/** The name the one key of mcp.apiKey or HOMELAB_API_KEY goes by. */
export const DEFAULT_KEY_NAME = 'default';
/** Who a loopback server without keys serves. */
export const LOCAL_CALLER: Caller = { name: 'local', scope: 'write' };

/** Keys shorter than this are refused: a key is meant to be random (openssl rand -hex 32 gives 64). */
const MIN_KEY_LENGTH = 16;

/** A date (2026-12-31, the end of that day in UTC) or a date-time with its zone (RFC 3339). */
const expirySchema = z
  .union([z.iso.date(), z.iso.datetime({ offset: true })])
  .transform((s) => (s.length === 10 ? new Date(`${s}T23:59:59.999Z`) : new Date(s)));

const keyEntrySchema = z
  .object({
    // Names appear in the audit log, the metrics' labels and confirmation tokens: plain words only.
    name: z.string().regex(/^[a-z0-9]([a-z0-9._-]{0,62}[a-z0-9])?$/, 'must be 1-64 lower-case letters, digits, ".", "_" or "-"'),
    key: z.string().trim().min(MIN_KEY_LENGTH, `must be at least ${MIN_KEY_LENGTH} characters (openssl rand -hex 32)`),
    scope: z.enum(['read', 'write']),
    expires: expirySchema.optional(),
  })
  .strict();

/** The keys file: `keys:` and a list of entries. YAML, or JSON (which YAML reads too). */
export const keysFileSchema = z
  .object({ keys: z.array(keyEntrySchema).min(1, 'must list at least one key') })
  .strict()
  .superRefine(({ keys }, ctx) => {
    const names = new Set<string>();
    const values = new Map<string, string>();
    keys.forEach((k, i) => {
      if (names.has(k.name)) ctx.addIssue({ code: 'custom', path: ['keys', i, 'name'], message: `"${k.name}" is listed twice` });
      names.add(k.name);
      // Two names for one key would make the caller ambiguous; the message names the other entry, never the key.
      const other = values.get(k.key);
      if (other !== undefined) ctx.addIssue({ code: 'custom', path: ['keys', i, 'key'], message: `is the same key as "${other}"` });
      values.set(k.key, k.name);
    });
  });

export type KeyEntry = z.output<typeof keyEntrySchema>;

interface HeldKey {
  name: string;
  scope: KeyScope;
  expires: Date | undefined;
  /** sha256 of the key: the key itself is not kept. */
  digest: Buffer;
}

/** Why a request was not let in: no key given, a key no entry has, or an entry's expired key. */
export type Refusal = { reason: 'missing' } | { reason: 'invalid' } | { reason: 'expired'; name: string; expired: Date };

const digestOf = (key: string): Buffer => createHash('sha256').update(key).digest();

/**
 * The API keys the HTTP door accepts, held as sha256 digests and compared in constant time (every
 * key is compared, whichever matches; digests make the lengths equal). `replace` swaps the whole
 * set at once, so a reload never leaves a request looking at half of the old keys and half of the new.
 */
export class Keys {
  private held: readonly HeldKey[] = [];

  constructor(
    entries: readonly KeyEntry[],
    private readonly now: () => Date = () => new Date(),
  ) {
    this.replace(entries);
  }

  replace(entries: readonly KeyEntry[]): void {
    this.held = entries.map((e) => ({ name: e.name, scope: e.scope, expires: e.expires, digest: digestOf(e.key) }));
  }

  /** The names and scopes held now, for a log line. */
  describe(): string {
    return this.held.map((k) => `${k.name} (${k.scope}${k.expires ? `, until ${k.expires.toISOString()}` : ''})`).join(', ');
  }

  identify(presented: string | undefined): Caller | Refusal {
    if (presented === undefined || presented === '') return { reason: 'missing' };
    const digest = digestOf(presented);
    let match: HeldKey | undefined;
    for (const key of this.held) {
      if (timingSafeEqual(key.digest, digest)) match = key;
    }
    if (!match) return { reason: 'invalid' };
    if (match.expires && match.expires.getTime() <= this.now().getTime()) return { reason: 'expired', name: match.name, expired: match.expires };
    return { name: match.name, scope: match.scope };
  }
}

export const isRefusal = (who: Caller | Refusal): who is Refusal => 'reason' in who;

/** Parses the text of a keys file; a bad file is a UserError naming the entry and field, never a key. */
export async function parseKeysFile(text: string, path: string): Promise<KeyEntry[]> {
  const { parse: parseYaml } = await import('yaml');
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (err) {
    // The parser quotes the offending line, which may hold a key: say where, not what.
    const where = (err as { linePos?: Array<{ line: number }> }).linePos?.[0]?.line;
    throw new UserError(`keys file ${path} is neither YAML nor JSON${where ? ` (line ${where})` : ''}`);
  }
  const parsed = keysFileSchema.safeParse(data);
  if (parsed.success) return parsed.data.keys;
  const problems = parsed.error.issues.map((issue) => {
    const at = formatPath(issue.path) || '(top level)';
    if (issue.code === 'unrecognized_keys') return `${at}: unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
    return `${at}: ${issue.message}`;
  });
  throw new UserError(`invalid keys file ${path}:\n  ${problems.join('\n  ')}`, {
    hint: 'each entry: name, key (at least 16 characters), scope (read or write), expires (optional: 2026-12-31 or an RFC 3339 time)',
  });
}

export async function readKeysFile(path: string): Promise<KeyEntry[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new UserError(`cannot read keys file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return parseKeysFile(text, path);
}
