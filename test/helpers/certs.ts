import type { Fault, Scenario } from '@homelab/sandbox';
import type { z } from 'zod';
import type { Finding } from '../../src/ops/shared/findings.js';
import type certsStatus from '../../src/ops/certs/certs-status.js';

/** What the ops answer: their own output schemas. */
export type CertsJson = z.output<typeof certsStatus.output>;
export type { Finding };

export const DAY = 86_400_000;
export const iso = (ms: number) => new Date(Date.now() + ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

export const CERT_CRDS: Scenario['apiResources'] = [
  { group: 'cert-manager.io', versions: ['v1'], kind: 'Certificate', plural: 'certificates' },
  { group: 'cert-manager.io', versions: ['v1'], kind: 'CertificateRequest', plural: 'certificaterequests' },
  { group: 'acme.cert-manager.io', versions: ['v1'], kind: 'Order', plural: 'orders' },
  { group: 'acme.cert-manager.io', versions: ['v1'], kind: 'Challenge', plural: 'challenges' },
];

export function certificate(namespace: string, name: string, status: Record<string, unknown>) {
  return {
    apiVersion: 'cert-manager.io/v1',
    kind: 'Certificate',
    metadata: { name, namespace, creationTimestamp: '-200d', generation: 1 },
    spec: {
      secretName: `${name}-tls`,
      dnsNames: [`${name}.lab.example.org`],
      issuerRef: { name: 'letsencrypt', kind: 'ClusterIssuer', group: 'cert-manager.io' },
    },
    status,
  };
}
export const ready = { type: 'Ready', status: 'True', reason: 'Ready', message: 'Certificate is up to date and has not expired', lastTransitionTime: '-20d' };

/** Certificates in every state cert-manager can leave them in, with the ACME objects of a failing renewal. */
export function troubleScenario(): Scenario {
  const owner = (kind: string, name: string) => [{ apiVersion: 'cert-manager.io/v1', kind, name, uid: `uid-${name}`, controller: true }];
  return {
    name: 'certs-trouble',
    nodes: [{ name: 'nuc', roles: ['control-plane'], ip: '192.0.2.20', cpu: '4', memory: '16Gi', arch: 'amd64' }],
    namespaces: [{ name: 'web' }, { name: 'media' }],
    apiResources: CERT_CRDS,
    objects: [
      certificate('web', 'fresh', { conditions: [ready], notBefore: iso(-10 * DAY), notAfter: iso(80 * DAY), renewalTime: iso(50 * DAY), revision: 3 }),
      certificate('web', 'old', {
        conditions: [
          { type: 'Ready', status: 'False', reason: 'Expired', message: 'Certificate expired on Sun, 01 Jun 2025 00:00:00 UTC', lastTransitionTime: '-2d' },
        ],
        notAfter: iso(-2 * DAY),
        renewalTime: iso(-32 * DAY),
        revision: 1,
      }),
      certificate('web', 'missing', {
        conditions: [
          { type: 'Ready', status: 'False', reason: 'DoesNotExist', message: 'Issuing certificate as Secret does not exist', lastTransitionTime: '-1h' },
        ],
      }),
      // Renewing for three days: HTTP-01 self-check fails; the last request failed and is retried.
      certificate('media', 'jellyfin', {
        conditions: [
          ready,
          {
            type: 'Issuing',
            status: 'False',
            reason: 'Failed',
            message: 'The certificate request has failed to complete and will be retried: Failed to wait for order resource "jellyfin-5-123" to become ready',
            lastTransitionTime: '-3d',
          },
        ],
        notAfter: iso(10 * DAY),
        renewalTime: iso(-20 * DAY),
        revision: 4,
        lastFailureTime: '-3d',
        failedIssuanceAttempts: 2,
      }),
      {
        apiVersion: 'cert-manager.io/v1',
        kind: 'CertificateRequest',
        metadata: {
          name: 'jellyfin-5',
          namespace: 'media',
          creationTimestamp: '-3d',
          annotations: { 'cert-manager.io/certificate-name': 'jellyfin', 'cert-manager.io/certificate-revision': '5' },
          ownerReferences: owner('Certificate', 'jellyfin'),
        },
        status: {
          conditions: [
            { type: 'Approved', status: 'True', reason: 'cert-manager.io' },
            {
              type: 'Ready',
              status: 'False',
              reason: 'Failed',
              message: 'Failed to wait for order resource "jellyfin-5-123" to become ready: order is in "invalid" state',
            },
          ],
          failureTime: '-3d',
        },
      },
      // An old failure that a later issuance superseded: history, not a problem.
      {
        apiVersion: 'cert-manager.io/v1',
        kind: 'CertificateRequest',
        metadata: {
          name: 'fresh-2',
          namespace: 'web',
          creationTimestamp: '-60d',
          annotations: { 'cert-manager.io/certificate-name': 'fresh', 'cert-manager.io/certificate-revision': '2' },
        },
        status: { conditions: [{ type: 'Ready', status: 'False', reason: 'Failed', message: 'rate limited' }] },
      },
      {
        apiVersion: 'acme.cert-manager.io/v1',
        kind: 'Order',
        metadata: {
          name: 'jellyfin-5-123',
          namespace: 'media',
          creationTimestamp: '-3d',
          ownerReferences: [{ apiVersion: 'cert-manager.io/v1', kind: 'CertificateRequest', name: 'jellyfin-5', uid: 'uid-jellyfin-5', controller: true }],
        },
        status: { state: 'invalid', reason: 'Failed to finalize order: 403 urn:ietf:params:acme:error:unauthorized' },
      },
      {
        apiVersion: 'acme.cert-manager.io/v1',
        kind: 'Challenge',
        metadata: {
          name: 'jellyfin-5-123-9',
          namespace: 'media',
          creationTimestamp: '-3d',
          ownerReferences: [{ apiVersion: 'acme.cert-manager.io/v1', kind: 'Order', name: 'jellyfin-5-123', uid: 'uid-order', controller: true }],
        },
        spec: { dnsName: 'jellyfin.lab.example.org', type: 'HTTP-01' },
        status: {
          processing: true,
          presented: true,
          state: 'pending',
          reason: "Waiting for HTTP-01 challenge propagation: wrong status code '404', expected '200'",
        },
      },
    ],
  };
}

/**
 * Discovery failing in the ways a real API server (or a proxy before it) fails, and what homelab must
 * say. Was "OK cert-manager is not installed", exit 0, for every one of these.
 */
export const FAILING_DISCOVERY: Array<{ what: string; fault: Fault; says: RegExp }> = [
  {
    what: 'a 503 on /apis',
    fault: { path: '/apis', status: 503 },
    says: /cannot tell whether cert-manager\.io is installed: the Kubernetes API at https:\/\/127\.0\.0\.1:\d+ answered GET \/apis with 503 Service Unavailable: the server is currently unable to handle the request/,
  },
  {
    what: 'a 503 on the group-version',
    fault: { path: '/apis/cert-manager.io/v1', status: 503 },
    says: /cannot tell whether cert-manager\.io\/v1 serves certificates: .* answered GET \/apis\/cert-manager\.io\/v1 with 503/,
  },
  {
    what: "a proxy's HTML page",
    fault: { path: '/apis', status: 200, body: '<html><body>upstream connect error</body></html>', contentType: 'text/html' },
    says: /answered GET \/apis with something that is not JSON \("<html><body>upstream/,
  },
  {
    what: 'a discovery document of the wrong shape',
    fault: { path: '/apis', status: 200, body: '{"kind":"APIGroupList","groups":"none"}' },
    says: /answered GET \/apis with a malformed discovery document \(groups: /,
  },
  {
    what: 'a 500 on the group-version',
    fault: { path: '/apis/cert-manager.io/v1', status: 500 },
    says: /answered GET \/apis\/cert-manager\.io\/v1 with 500 Internal Server Error/,
  },
];
