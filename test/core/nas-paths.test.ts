import { execFileSync } from 'node:child_process';
import { createHash, createHmac, generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/core/errors.js';
import { commandLine, shellQuote } from '../../src/adapters/ssh/quote.js';
import { algorithmsForKeyType, fingerprintOf, keyTypeOf, knownHostsFor } from '../../src/adapters/ssh/known-hosts.js';
import { isInside, resolveNasPath } from '../../src/ops/nas/paths.js';
import { parseDfOutput, volumeFindings } from '../../src/ops/nas/df.js';

const ROOTS = ['/volume1/media', '/volume2/photos/'];

function refused(path: string): string {
  try {
    resolveNasPath(path, ROOTS);
  } catch (err) {
    expect(err).toBeInstanceOf(UserError);
    return (err as Error).message;
  }
  throw new Error(`${JSON.stringify(path)} was admitted`);
}

describe('NAS path rules', () => {
  it('normalises . segments, repeated and trailing slashes, and names the admitting root', () => {
    expect(resolveNasPath('/volume1/media/TV/Show', ROOTS)).toEqual({ path: '/volume1/media/TV/Show', root: '/volume1/media' });
    expect(resolveNasPath('/volume1//media/./TV///Show/', ROOTS)).toEqual({ path: '/volume1/media/TV/Show', root: '/volume1/media' });
    expect(resolveNasPath('/volume2/photos/2024', ROOTS).root).toBe('/volume2/photos');
  });

  it('keeps odd but harmless names literally', () => {
    for (const name of [`it's`, '$(rm -rf /)', '`id`', '; ls', '| sh', '> x', '-rf', '*', '...', '.hidden', 'a b', 'ünï 🎬', '\\']) {
      expect(resolveNasPath(`/volume1/media/${name}`, ROOTS).path).toBe(`/volume1/media/${name}`);
    }
  });

  it('refuses .. segments outright instead of resolving them', () => {
    expect(refused('/volume1/media/../media/x')).toContain('has a .. segment');
    expect(refused('/volume1/media/TV/../../../etc/passwd')).toContain('has a .. segment');
    expect(refused('/volume1/media/..')).toContain('has a .. segment');
  });

  it('refuses control characters: NUL, newline, carriage return, tab, escape, DEL, C1', () => {
    for (const c of ['\0', '\n', '\r', '\t', '\u001b', '\u007f', '\u0085']) {
      expect(refused(`/volume1/media/a${c}b`)).toContain('contains a control character');
    }
  });

  it('admits only paths strictly inside a root: not the root, not a prefix sibling, not elsewhere', () => {
    expect(refused('/volume1/media')).toContain('is a root itself');
    expect(refused('/volume1/media/')).toContain('is a root itself');
    expect(refused('/volume1/media-evil/x')).toContain('is not inside a configured root');
    expect(refused('/volume1/mediax')).toContain('is not inside a configured root');
    expect(refused('/volume1')).toContain('is not inside a configured root');
    expect(refused('/etc/passwd')).toContain('is not inside a configured root (nas.roots: /volume1/media, /volume2/photos)');
    expect(refused('volume1/media/x')).toContain('is not absolute');
    expect(refused('-rf')).toContain('is not absolute');
    expect(refused('')).toContain('is empty');
    expect(refused(`/volume1/media/${'a'.repeat(5000)}`)).toContain('longer than 4096');
    expect(isInside('/x', '/')).toBe(true);
    expect(isInside('/', '/')).toBe(false);
  });

  it('refuses a root that is itself not a clean absolute path', () => {
    expect(() => resolveNasPath('/a/b', ['/a/../b'])).toThrow(/configured root.*has a .. segment/);
  });
});

describe('shell quoting for the remote shell', () => {
  it('single-quotes every argument, even plain ones, and escapes single quotes as \'\\\'\'', () => {
    expect(shellQuote('touch')).toBe(`'touch'`);
    expect(shellQuote(`it's`)).toBe(`'it'\\''s'`);
    expect(shellQuote('')).toBe(`''`);
    expect(commandLine(['touch', '-c', '-m', '--', '/v/a b'])).toBe(`'touch' '-c' '-m' '--' '/v/a b'`);
    expect(() => shellQuote('a\0b')).toThrow(/NUL/);
    expect(() => commandLine([])).toThrow(/empty/);
  });

  it('round-trips through a real POSIX shell: every argument arrives byte for byte, nothing runs', () => {
    const nasty = [`it's`, `'`, `''`, `"`, '$(echo pwned)', '`echo pwned`', '; echo pwned', '| echo pwned', '> /dev/null', '$HOME', '*', '\\', '\n', 'a\nb', '-rf', '!', '#', '~', '{a,b}', '\t', 'ü🎬', ''];
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

describe('df -P -k output', () => {
  it('parses POSIX df lines, a filesystem name with spaces included, into bytes and percent', () => {
    const out = [
      'Filesystem     1024-blocks      Used Available Capacity Mounted on',
      '/dev/mapper/cachedev_0 11238298744 9887654321 1350644423      88% /volume1',
      'my share   1000  960  40  96% /mnt/my share',
    ].join('\n');
    expect(parseDfOutput(out)).toEqual([
      { filesystem: '/dev/mapper/cachedev_0', sizeBytes: 11238298744 * 1024, usedBytes: 9887654321 * 1024, availableBytes: 1350644423 * 1024, percent: 88, mount: '/volume1' },
      { filesystem: 'my share', sizeBytes: 1000 * 1024, usedBytes: 960 * 1024, availableBytes: 40 * 1024, percent: 96, mount: '/mnt/my share' },
    ]);
  });

  it('warns at 85 %, is crit at 95 %, and reports a volume df could not read', () => {
    const findings = volumeFindings([
      { volume: '/volume1', ok: true, percent: 84, availableBytes: 1 },
      { volume: '/volume2', ok: true, percent: 85, availableBytes: 1 },
      { volume: '/volume3', ok: true, percent: 95, availableBytes: 1 },
      { volume: '/volume4', ok: false, error: 'df: /volume4: No such file or directory' },
    ]);
    expect(findings.map((f) => [f.severity, f.name, f.reason])).toEqual([
      ['crit', '/volume3', 'SpaceCritical'],
      ['warn', '/volume2', 'SpaceLow'],
      ['warn', '/volume4', 'CheckFailed'],
    ]);
  });
});
