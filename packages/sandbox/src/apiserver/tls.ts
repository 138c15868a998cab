/**
 * TLS material for the simulated API server, as k3s makes it: an ECDSA P-256 CA ("k3s-server-ca@…"), a
 * server certificate for 127.0.0.1/localhost signed by it, and a client certificate (O=system:masters)
 * for x509 client auth. EC keys take a millisecond where RSA took seconds; the certificates are DER
 * written here (RFC 5280) and signed with node:crypto. `sharedTls()` makes one set per process, which
 * every sandbox of the process serves; `makeTls()` makes a fresh, unrelated set.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { isIP } from 'node:net';

export interface TlsMaterial {
  caPem: string;
  certPem: string;
  keyPem: string;
  /** a client certificate signed by the CA (clientAuth), as k3s issues its admin: O=system:masters, CN=system:admin */
  client: { certPem: string; keyPem: string };
}

// ---------------------------------------------------------------- DER (X.690), only what a certificate needs

function der(tag: number, content: Buffer): Buffer {
  const n = content.length;
  const length = n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 0xff]);
  return Buffer.concat([Buffer.from([tag]), length, content]);
}
const seq = (...items: Buffer[]): Buffer => der(0x30, Buffer.concat(items));
const set = (...items: Buffer[]): Buffer => der(0x31, Buffer.concat(items));
const octets = (b: Buffer): Buffer => der(0x04, b);
const utf8 = (s: string): Buffer => der(0x0c, Buffer.from(s, 'utf8'));
const bool = (v: boolean): Buffer => der(0x01, Buffer.from([v ? 0xff : 0]));
const explicit = (n: number, inner: Buffer): Buffer => der(0xa0 + n, inner);

function integer(bytes: Buffer): Buffer {
  // two's complement: a leading 0 keeps a value with the top bit set positive
  return der(0x02, bytes[0] !== undefined && bytes[0] >= 0x80 ? Buffer.concat([Buffer.from([0]), bytes]) : bytes);
}

/** a BIT STRING of whole bytes (signatures, keys) or of named bits (key usage: bit 0 is the top bit of the first byte) */
function bits(content: Buffer, unusedBits = 0): Buffer {
  return der(0x03, Buffer.concat([Buffer.from([unusedBits]), content]));
}
function namedBits(...positions: number[]): Buffer {
  const bytes = Buffer.alloc(Math.floor(Math.max(...positions) / 8) + 1);
  for (const p of positions) bytes[p >> 3] = (bytes[p >> 3] as number) | (0x80 >> (p & 7));
  const last = bytes[bytes.length - 1] as number;
  let unused = 0;
  while (unused < 7 && !(last & (1 << unused))) unused++;
  return bits(bytes, unused);
}

function oid(dotted: string): Buffer {
  const [a = 0, b = 0, ...rest] = dotted.split('.').map(Number);
  const out = [40 * a + b];
  for (const n of rest) {
    const chunk = [n & 0x7f];
    for (let v = n >> 7; v > 0; v >>= 7) chunk.unshift((v & 0x7f) | 0x80);
    out.push(...chunk);
  }
  return der(0x06, Buffer.from(out));
}

/** UTCTime through 2049, GeneralizedTime after (RFC 5280 4.1.2.5) */
function time(d: Date): Buffer {
  const s = d
    .toISOString()
    .replace(/[-:T]/g, '')
    .replace(/\.\d{3}Z$/, 'Z'); // YYYYMMDDHHMMSSZ
  return d.getUTCFullYear() < 2050 ? der(0x17, Buffer.from(s.slice(2), 'ascii')) : der(0x18, Buffer.from(s, 'ascii'));
}

// ---------------------------------------------------------------- X.509

const OID = {
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  commonName: '2.5.4.3',
  organization: '2.5.4.10',
  subjectKeyId: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  authorityKeyId: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
};
const KEY_USAGE = { digitalSignature: 0, keyEncipherment: 2, keyCertSign: 5 };

/** a Name of one attribute per RDN, as Go writes them: organization before commonName */
function name(attrs: { organization?: string; commonName: string }): Buffer {
  const rdn = (type: string, value: string): Buffer => set(seq(oid(type), utf8(value)));
  return seq(...(attrs.organization ? [rdn(OID.organization, attrs.organization)] : []), rdn(OID.commonName, attrs.commonName));
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return seq(oid(id), ...(critical ? [bool(true)] : []), octets(value));
}

/** the 16 bytes of an IPv6 address written with hex groups and at most one `::` */
function ipv6(address: string): Buffer {
  const [head = '', tail] = address.split('::');
  const groups = (part: string): string[] => (part ? part.split(':') : []);
  const all = tail === undefined ? groups(head) : [...groups(head), ...Array<string>(8 - groups(head).length - groups(tail).length).fill('0'), ...groups(tail)];
  return Buffer.from(
    all.flatMap((g) => {
      const v = parseInt(g, 16);
      return [v >> 8, v & 0xff];
    }),
  );
}

function subjectAltName(names: string[]): Buffer {
  return seq(
    ...names.map((n) => {
      const family = isIP(n);
      if (family === 4) return der(0x87, Buffer.from(n.split('.').map(Number)));
      if (family === 6) return der(0x87, ipv6(n));
      return der(0x82, Buffer.from(n, 'ascii'));
    }),
  );
}

interface Issued {
  pem: string;
  keyId: Buffer;
}

interface CertSpec {
  subject: Buffer;
  issuer: Buffer;
  publicKey: KeyObject;
  signer: KeyObject;
  authorityKeyId?: Buffer;
  notBefore: Date;
  notAfter: Date;
  ca?: boolean;
  usage: number[];
  extUsage?: string[];
  altNames?: string[];
}

function certificate(spec: CertSpec): Issued {
  const spki = spec.publicKey.export({ type: 'spki', format: 'der' });
  const keyId = createHash('sha1').update(spki).digest();
  const serial = randomBytes(16);
  serial[0] = ((serial[0] as number) & 0x7f) | 0x01;
  const extensions = [
    extension(OID.keyUsage, true, namedBits(...spec.usage)),
    ...(spec.extUsage ? [extension(OID.extKeyUsage, false, seq(...spec.extUsage.map(oid)))] : []),
    extension(OID.basicConstraints, true, spec.ca ? seq(bool(true)) : seq()),
    extension(OID.subjectKeyId, false, octets(keyId)),
    ...(spec.authorityKeyId ? [extension(OID.authorityKeyId, false, seq(der(0x80, spec.authorityKeyId)))] : []),
    ...(spec.altNames ? [extension(OID.subjectAltName, false, subjectAltName(spec.altNames))] : []),
  ];
  const algorithm = seq(oid(OID.ecdsaWithSha256));
  const tbs = seq(
    explicit(0, integer(Buffer.from([2]))),
    integer(serial),
    algorithm,
    spec.issuer,
    seq(time(spec.notBefore), time(spec.notAfter)),
    spec.subject,
    spki,
    explicit(3, seq(...extensions)),
  );
  const cert = seq(tbs, algorithm, bits(sign('sha256', tbs, spec.signer)));
  const b64 = cert.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '');
  return { pem: `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`, keyId };
}

function ecKeys(): { privateKey: KeyObject; publicKey: KeyObject; pem: string } {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const pem = privateKey.export({ type: 'sec1', format: 'pem' }).toString();
  return { privateKey: createPrivateKey(pem), publicKey: createPublicKey(privateKey), pem };
}

/** A fresh CA with a server and a client certificate, valid from an hour before `now`. */
export function makeTls(now: Date = new Date()): TlsMaterial {
  const notBefore = new Date(now.getTime() - 3600_000);
  const year = 365 * 86400_000;
  const ca = ecKeys();
  const caName = name({ commonName: `k3s-server-ca@${Math.floor(now.getTime() / 1000)}` });
  const caCert = certificate({
    subject: caName,
    issuer: caName,
    publicKey: ca.publicKey,
    signer: ca.privateKey,
    notBefore,
    notAfter: new Date(now.getTime() + 10 * year),
    ca: true,
    usage: [KEY_USAGE.digitalSignature, KEY_USAGE.keyEncipherment, KEY_USAGE.keyCertSign],
  });
  const issue = (subject: Buffer, extUsage: string, altNames?: string[]): { certPem: string; keyPem: string } => {
    const keys = ecKeys();
    const cert = certificate({
      subject,
      issuer: caName,
      publicKey: keys.publicKey,
      signer: ca.privateKey,
      authorityKeyId: caCert.keyId,
      notBefore,
      notAfter: new Date(now.getTime() + year),
      usage: [KEY_USAGE.digitalSignature, KEY_USAGE.keyEncipherment],
      extUsage: [extUsage],
      ...(altNames ? { altNames } : {}),
    });
    return { certPem: cert.pem, keyPem: keys.pem };
  };
  const server = issue(name({ organization: 'k3s', commonName: 'k3s' }), OID.serverAuth, ['localhost', 'kubernetes', 'kubernetes.default', '127.0.0.1', '::1']);
  const client = issue(name({ organization: 'system:masters', commonName: 'system:admin' }), OID.clientAuth);
  return { caPem: caCert.pem, certPem: server.certPem, keyPem: server.keyPem, client };
}

let shared: TlsMaterial | undefined;

/** The process's one set, made at the first start (on the real clock: clients check validity against theirs). */
export function sharedTls(): TlsMaterial {
  shared ??= makeTls();
  return shared;
}
