import { execFileSync } from 'node:child_process';
import { createHash, createHmac, generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { commandLine, shellQuote } from '../../../src/adapters/ssh/quote.js';
import { algorithmsForKeyType, fingerprintOf, keyTypeOf, knownHostsFor } from '../../../src/adapters/ssh/known-hosts.js';

describe('shell quoting for the remote shell', () => {
  it("single-quotes every argument, even plain ones, and escapes single quotes as '\\''", () => {
    expect(shellQuote('touch')).toBe(`'touch'`);
    expect(shellQuote(`it's`)).toBe(`'it'\\''s'`);
    expect(shellQuote('')).toBe(`''`);
    expect(commandLine(['touch', '-c', '-m', '--', '/v/a b'])).toBe(`'touch' '-c' '-m' '--' '/v/a b'`);
    expect(() => shellQuote('a\0b')).toThrow(/NUL/);
    expect(() => commandLine([])).toThrow(/empty/);
  });

  it('round-trips through a real POSIX shell: every argument arrives byte for byte, nothing runs', () => {
    const nasty = [
      `it's`,
      `'`,
      `''`,
      `"`,
      '$(echo pwned)',
      '`echo pwned`',
      '; echo pwned',
      '| echo pwned',
      '> /dev/null',
      '$HOME',
      '*',
      '\\',
      '\n',
      'a\nb',
      '-rf',
      '!',
      '#',
      '~',
      '{a,b}',
      '\t',
      'ü🎬',
      '',
    ];
    const script = `${commandLine(['printf', '%s\\0', ...nasty])}`;
    for (const shell of ['/bin/sh', '/bin/bash']) {
      const out = execFileSync(shell, ['-c', script]).toString();
      expect(out.split('\0').slice(0, -1)).toEqual(nasty);
    }
  });
});

describe('host keys', () => {
  const { publicKey } = generateKeyPairSync('ed25519');
  // The SSH wire blob of an ed25519 key: string "ssh-ed25519", string <32 bytes>.
  const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
  const sshString = (b: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(b.length, 0);
    return Buffer.concat([len, b]);
  };
  const blob = Buffer.concat([sshString(Buffer.from('ssh-ed25519')), sshString(raw)]);
  const b64 = blob.toString('base64');

  it('fingerprints as ssh-keygen does and reads the key type', () => {
    expect(fingerprintOf(blob)).toBe(`SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`);
    expect(keyTypeOf(blob)).toBe('ssh-ed25519');
    expect(algorithmsForKeyType('ssh-rsa')).toEqual(['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa']);
  });

  it('matches known_hosts lines by name, [host]:port, hashed entry, wildcard; skips negated, comments and CA lines', () => {
    const salt = Buffer.from('0123456789abcdef0123');
    const hashed = (name: string) => `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(name).digest('base64')}`;
    const text = [
      '# comment',
      `nas.lan,10.0.0.5 ssh-ed25519 ${b64}`,
      `[nas.lan]:2222 ssh-ed25519 ${b64} with comment`,
      `${hashed('[hashed.lan]:2200')} ssh-ed25519 ${b64}`,
      `*.home,!bad.home ssh-ed25519 ${b64}`,
      `@cert-authority nas.lan ssh-ed25519 ${b64}`,
      `@revoked old.lan ssh-ed25519 ${b64}`,
    ].join('\n');
    expect(knownHostsFor(text, 'nas.lan', 22).map((e) => e.line)).toEqual([2]);
    expect(knownHostsFor(text, '10.0.0.5', 22)).toHaveLength(1);
    expect(knownHostsFor(text, 'nas.lan', 2222).map((e) => e.line)).toEqual([3]);
    expect(knownHostsFor(text, 'hashed.lan', 2200).map((e) => e.line)).toEqual([4]);
    expect(knownHostsFor(text, 'hashed.lan', 22)).toEqual([]);
    expect(knownHostsFor(text, 'nas.home', 22).map((e) => e.line)).toEqual([5]);
    expect(knownHostsFor(text, 'bad.home', 22)).toEqual([]);
    expect(knownHostsFor(text, 'old.lan', 22)).toEqual([expect.objectContaining({ revoked: true })]);
    expect(knownHostsFor(text, 'nas.lan', 22)[0]?.key.equals(blob)).toBe(true);
  });
});
