/** A throwaway CA and a server certificate for 127.0.0.1/localhost, made at start (and a client certificate when asked). */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import type { asn1 } from 'node-forge';

export interface TlsMaterial {
  caPem: string; certPem: string; keyPem: string;
  /** a client certificate signed by the CA (clientAuth), as k3s issues its admin: O=system:masters */
  client?: { certPem: string; keyPem: string };
}

function rsaKeyPair(): { publicKey: string; privateKey: string } {
  // Node's keygen is fast; forge's pure-JS RSA keygen takes seconds.
  return generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
  });
}

export async function makeTls(now: Date = new Date(), options: { clientCertificate?: boolean } = {}): Promise<TlsMaterial> {
  const { default: forge } = await import('node-forge');
  const { pki, md } = forge;
  const serial = (): string => '01' + randomBytes(15).toString('hex');
  const notBefore = new Date(now.getTime() - 60 * 60 * 1000);

  const caKeys = rsaKeyPair();
  const caPriv = pki.privateKeyFromPem(caKeys.privateKey);
  const ca = pki.createCertificate();
  ca.publicKey = pki.publicKeyFromPem(caKeys.publicKey);
  ca.serialNumber = serial();
  ca.validity.notBefore = notBefore;
  ca.validity.notAfter = new Date(now.getTime() + 10 * 365 * 24 * 3600 * 1000);
  // UTF8String: '@' is not a PrintableString character (Go's x509 parser rejects it)
  const caName = [{ name: 'commonName', value: `k3s-server-ca@${Math.floor(now.getTime() / 1000)}`, valueTagClass: forge.asn1.Type.UTF8 as unknown as asn1.Class }];
  ca.setSubject(caName);
  ca.setIssuer(caName);
  ca.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  ca.sign(caPriv, md.sha256.create());

  const srvKeys = rsaKeyPair();
  const cert = pki.createCertificate();
  cert.publicKey = pki.publicKeyFromPem(srvKeys.publicKey);
  cert.serialNumber = serial();
  cert.validity.notBefore = notBefore;
  cert.validity.notAfter = new Date(now.getTime() + 365 * 24 * 3600 * 1000);
  cert.setSubject([{ name: 'organizationName', value: 'k3s' }, { name: 'commonName', value: 'k3s' }]);
  cert.setIssuer(caName);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    { name: 'subjectAltName', altNames: [
      { type: 2, value: 'localhost' }, { type: 2, value: 'kubernetes' }, { type: 2, value: 'kubernetes.default' },
      { type: 7, ip: '127.0.0.1' },
    ] },
  ]);
  cert.sign(caPriv, md.sha256.create());

  let client: TlsMaterial['client'];
  if (options.clientCertificate) {
    const clientKeys = rsaKeyPair();
    const c = pki.createCertificate();
    c.publicKey = pki.publicKeyFromPem(clientKeys.publicKey);
    c.serialNumber = serial();
    c.validity.notBefore = notBefore;
    c.validity.notAfter = new Date(now.getTime() + 365 * 24 * 3600 * 1000);
    c.setSubject([{ name: 'organizationName', value: 'system:masters' }, { name: 'commonName', value: 'system:admin' }]);
    c.setIssuer(caName);
    c.setExtensions([
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', clientAuth: true },
    ]);
    c.sign(caPriv, md.sha256.create());
    client = { certPem: pki.certificateToPem(c), keyPem: clientKeys.privateKey };
  }

  return { caPem: pki.certificateToPem(ca), certPem: pki.certificateToPem(cert), keyPem: srvKeys.privateKey, ...(client ? { client } : {}) };
}
