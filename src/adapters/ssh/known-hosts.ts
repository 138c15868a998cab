import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** OpenSSH's fingerprint of a host key blob: SHA256:<base64 without padding>, as ssh-keygen -lf prints it. */
export function fingerprintOf(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** The key type named inside an SSH wire-format public key blob (its first string). */
export function keyTypeOf(blob: Buffer): string {
  if (blob.length < 4) return 'unknown';
  const len = blob.readUInt32BE(0);
  return len > 0 && len < 64 && blob.length >= 4 + len ? blob.subarray(4, 4 + len).toString('latin1') : 'unknown';
}

/** How known_hosts names a host: `host` on port 22, `[host]:port` elsewhere. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

export interface KnownHostEntry {
  line: number;
  keyType: string;
  key: Buffer;
  revoked: boolean;
}

/**
 * The entries of a known_hosts file that name this host (plain, `[host]:port`, hashed `|1|salt|hmac`,
 * `*`/`?` wildcards, `!` negation). @cert-authority lines are skipped: certificates are not supported.
 */
export function knownHostsFor(text: string, host: string, port: number): KnownHostEntry[] {
  const name = knownHostsName(host, port);
  const found: KnownHostEntry[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const fields = line.split(/\s+/);
    let revoked = false;
    if (fields[0]?.startsWith('@')) {
      const marker = fields.shift();
      if (marker === '@cert-authority') return;
      if (marker !== '@revoked') return;
      revoked = true;
    }
    const [patterns, keyType, keyB64] = fields;
    if (!patterns || !keyType || !keyB64) return;
    if (!hostMatches(patterns, name)) return;
    const key = Buffer.from(keyB64, 'base64');
    if (key.length === 0) return;
    found.push({ line: i + 1, keyType, key, revoked });
  });
  return found;
}

function hostMatches(patterns: string, name: string): boolean {
  if (patterns.startsWith('|1|')) return hashedMatches(patterns, name);
  let matched = false;
  for (const pattern of patterns.split(',')) {
    const negated = pattern.startsWith('!');
    const glob = negated ? pattern.slice(1) : pattern;
    if (globMatches(glob, name)) {
      if (negated) return false;
      matched = true;
    }
  }
  return matched;
}

function hashedMatches(entry: string, name: string): boolean {
  const [, , salt, hash] = entry.split('|');
  if (!salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const actual = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest();
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

function globMatches(glob: string, name: string): boolean {
  const source = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${source}$`, 'i').test(name);
}

/** Host key algorithms that produce a key of this type, most preferred first. */
export function algorithmsForKeyType(keyType: string): string[] {
  if (keyType === 'ssh-rsa') return ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];
  if (/^(ssh-ed25519|ecdsa-sha2-nistp(256|384|521))$/.test(keyType)) return [keyType];
  return [];
}
