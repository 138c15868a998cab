/**
 * Objects other operators write, from the scenario's compact forms:
 * - `ingresses:` an Ingress; with `certificate:` the Certificate cert-manager's ingress-shim makes
 *   for its TLS secret (named after the secret, owned by the Ingress), the issued
 *   CertificateRequest and the kubernetes.io/tls Secret; `secretMissing` leaves the Secret out.
 * - `externalSecrets:` an ExternalSecret as the ESO controller reports it and its target Secret.
 * Secret data is obviously fake base64 text.
 */
import { createHash } from 'node:crypto';
import { at, ownerRef, ts, type Ctx } from './expand-context.js';
import { hashString, hex, uidFor } from './ids.js';
import type { ExternalSecretSpec, IngressSpec } from './scenario.js';
import type { KubeObject } from '../apiserver/types.js';

const DAY = 86400_000;
const b64 = (s: string): string => Buffer.from(s).toString('base64');
const CERT_MANAGER_SA = 'system:serviceaccount:cert-manager:cert-manager';

function fakePem(kind: string, seed: string): string {
  return `-----BEGIN ${kind}-----\nRkFLRS1TQU5EQk9YLU5PVC1BLVJFQUwt${b64(seed).replace(/=+$/, '')}\n-----END ${kind}-----\n`;
}

function ingress(ctx: Ctx, s: IngressSpec): void {
  const created = at(ctx, s.created, new Date(ctx.now.getTime() - 200 * DAY));
  const secretName = s.tlsSecret ?? `${s.name}-tls`;
  const uid = uidFor(`ing/${s.namespace}/${s.name}`);
  const annotations: Record<string, string> = { ...(s.annotations ?? {}) };
  if (s.certificate) annotations[`cert-manager.io/${s.certificate.issuerKind === 'ClusterIssuer' ? 'cluster-issuer' : 'issuer'}`] = s.certificate.issuer;
  const lbIps = ctx.scenario.nodes.filter((n) => n.ready === true).map((n) => ({ ip: n.ip }));
  ctx.objects.push({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: {
      name: s.name,
      namespace: s.namespace,
      uid,
      creationTimestamp: ts(created),
      generation: 1,
      labels: {
        'app.kubernetes.io/name': s.service,
        'kustomize.toolkit.fluxcd.io/name': `apps-${s.namespace}`,
        'kustomize.toolkit.fluxcd.io/namespace': 'flux-system',
      },
      ...(Object.keys(annotations).length ? { annotations } : {}),
    },
    spec: {
      ingressClassName: s.className,
      rules: [
        {
          host: s.host,
          http: {
            paths: [
              {
                backend: { service: { name: s.service, port: typeof s.port === 'number' ? { number: s.port } : { name: s.port } } },
                path: s.path,
                pathType: 'Prefix',
              },
            ],
          },
        },
      ],
      tls: [{ hosts: [s.host], secretName }],
    },
    status: { loadBalancer: { ingress: lbIps } },
  });
  const c = s.certificate;
  if (!c) {
    if (!s.secretMissing) tlsSecret(ctx, s, secretName, created, undefined);
    return;
  }
  const notBefore = at(ctx, c.issued, created);
  const notAfter = new Date(notBefore.getTime() + 90 * DAY);
  const renewalTime = new Date(notBefore.getTime() + 60 * DAY);
  const certUid = uidFor(`cert/${s.namespace}/${secretName}`);
  const issuerRef = { group: 'cert-manager.io', kind: c.issuerKind, name: c.issuer };
  const usages = ['digital signature', 'key encipherment'];
  ctx.objects.push({
    apiVersion: 'cert-manager.io/v1',
    kind: 'Certificate',
    metadata: {
      name: secretName,
      namespace: s.namespace,
      uid: certUid,
      creationTimestamp: ts(created),
      generation: 1,
      ownerReferences: [ownerRef('Ingress', 'networking.k8s.io/v1', s.name, uid)],
    },
    spec: { dnsNames: [s.host], issuerRef, secretName, usages },
    status: {
      conditions: [
        {
          lastTransitionTime: ts(notBefore),
          message: 'Certificate is up to date and has not expired',
          observedGeneration: 1,
          reason: 'Ready',
          status: 'True',
          type: 'Ready',
        },
      ],
      notAfter: ts(notAfter),
      notBefore: ts(notBefore),
      renewalTime: ts(renewalTime),
      revision: c.revision,
    },
  });
  const crName = `${secretName}-${hashString(`cr/${s.namespace}/${secretName}/${c.revision}`, 5)}`;
  const requested = new Date(notBefore.getTime() + 60_000);
  const issuedAt = new Date(requested.getTime() + 47_000);
  ctx.objects.push({
    apiVersion: 'cert-manager.io/v1',
    kind: 'CertificateRequest',
    metadata: {
      name: crName,
      namespace: s.namespace,
      uid: uidFor(`cr/${s.namespace}/${crName}`),
      creationTimestamp: ts(requested),
      generation: 1,
      annotations: {
        'cert-manager.io/certificate-name': secretName,
        'cert-manager.io/certificate-revision': String(c.revision),
        'cert-manager.io/private-key-secret-name': `${secretName}-${hashString(`pk/${secretName}`, 5)}`,
      },
      labels: { 'cert-manager.io/certificate-name': secretName },
      ownerReferences: [ownerRef('Certificate', 'cert-manager.io/v1', secretName, certUid)],
    },
    spec: {
      extra: { 'authentication.kubernetes.io/credential-id': [`JTI=${uidFor(`jti/${crName}`)}`] },
      groups: ['system:serviceaccounts', 'system:serviceaccounts:cert-manager', 'system:authenticated'],
      issuerRef,
      request: b64(fakePem('CERTIFICATE REQUEST', `${s.host}/${c.revision}`)),
      uid: uidFor('sa/cert-manager/cert-manager'),
      usages,
      username: CERT_MANAGER_SA,
    },
    status: {
      certificate: b64(fakePem('CERTIFICATE', `${s.host}/${c.revision}`)),
      conditions: [
        {
          lastTransitionTime: ts(requested),
          message: 'Certificate request has been approved by cert-manager.io',
          reason: 'cert-manager.io',
          status: 'True',
          type: 'Approved',
        },
        { lastTransitionTime: ts(issuedAt), message: 'Certificate fetched from issuer successfully', reason: 'Issued', status: 'True', type: 'Ready' },
      ],
    },
  });
  if (!s.secretMissing) tlsSecret(ctx, s, secretName, notBefore, { issuer: c.issuer, kind: c.issuerKind });
}

function tlsSecret(ctx: Ctx, s: IngressSpec, name: string, created: Date, issuer: { issuer: string; kind: string } | undefined): void {
  const meta: Record<string, unknown> = { name, namespace: s.namespace, uid: uidFor(`secret/${s.namespace}/${name}`), creationTimestamp: ts(created) };
  if (issuer) {
    meta.annotations = {
      'cert-manager.io/alt-names': s.host,
      'cert-manager.io/certificate-name': name,
      'cert-manager.io/common-name': '',
      'cert-manager.io/ip-sans': '',
      'cert-manager.io/issuer-group': 'cert-manager.io',
      'cert-manager.io/issuer-kind': issuer.kind,
      'cert-manager.io/issuer-name': issuer.issuer,
      'cert-manager.io/uri-sans': '',
    };
    meta.labels = { 'controller.cert-manager.io/fao': 'true' };
  }
  ctx.objects.push({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: meta,
    type: 'kubernetes.io/tls',
    data: { 'tls.crt': b64(fakePem('CERTIFICATE', s.host)), 'tls.key': b64(fakePem('PRIVATE KEY', `${s.host}/key`)) },
  });
}

/** ESO's syncedResourceVersion: "<generation>-<md5 of the object's labels and annotations>" */
export function syncedResourceVersion(o: Pick<KubeObject, 'metadata'>): string {
  const meta = { annotations: o.metadata.annotations ?? {}, labels: o.metadata.labels ?? {} };
  return `${o.metadata.generation ?? 1}-${createHash('md5').update(JSON.stringify(meta)).digest('hex')}`;
}

function externalSecret(ctx: Ctx, e: ExternalSecretSpec): void {
  const created = at(ctx, e.created, new Date(ctx.now.getTime() - 100 * DAY));
  const refreshed = at(ctx, e.refreshed, ctx.now);
  const slash = e.store.indexOf('/');
  const storeRef = slash < 0 ? { kind: 'SecretStore', name: e.store } : { kind: e.store.slice(0, slash), name: e.store.slice(slash + 1) };
  const target = e.target ?? e.name;
  const uid = uidFor(`es/${e.namespace}/${e.name}`);
  const esVersion = ctx.scenario.apiResources.find((r) => r.group === 'external-secrets.io' && r.kind === 'ExternalSecret')?.versions[0] ?? 'v1';
  const metadata = {
    name: e.name,
    namespace: e.namespace,
    uid,
    creationTimestamp: ts(created),
    generation: 1,
    labels: { 'kustomize.toolkit.fluxcd.io/name': `apps-${e.namespace}`, 'kustomize.toolkit.fluxcd.io/namespace': 'flux-system' },
  };
  const spec: Record<string, unknown> = {
    data: Object.entries(e.data).map(([secretKey, remote]) => {
      const [key, property] = remote.split('#', 2) as [string, string | undefined];
      return {
        remoteRef: { conversionStrategy: 'Default', decodingStrategy: 'None', key, metadataPolicy: 'None', ...(property ? { property } : {}) },
        secretKey,
      };
    }),
    refreshInterval: e.refreshInterval,
    ...(e.refreshPolicy ? { refreshPolicy: e.refreshPolicy } : {}),
    secretStoreRef: storeRef,
    target: { creationPolicy: 'Owner', deletionPolicy: 'Retain', name: target },
  };
  const status: Record<string, unknown> = e.error
    ? {
        binding: { name: '' },
        conditions: [
          {
            lastTransitionTime: ts(refreshed),
            message: 'could not get secret data from provider',
            reason: 'SecretSyncedError',
            status: 'False',
            type: 'Ready',
          },
        ],
        refreshTime: null,
      }
    : {
        binding: { name: target },
        conditions: [
          {
            lastTransitionTime: ts(new Date(Math.min(refreshed.getTime(), created.getTime() + 30_000 + (ctx.now.getTime() - created.getTime()) / 2))),
            message: 'Secret was synced',
            reason: 'SecretSynced',
            status: 'True',
            type: 'Ready',
          },
        ],
        refreshTime: ts(refreshed),
        syncedResourceVersion: syncedResourceVersion({ metadata }),
      };
  ctx.objects.push({ apiVersion: `external-secrets.io/${esVersion}`, kind: 'ExternalSecret', metadata, spec, status });
  if (e.error) {
    // the condition says only that; the provider's error is in the controller's Warning event
    const first = new Date(Math.max(created.getTime(), refreshed.getTime() - 3 * DAY));
    ctx.objects.push({
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: `${e.name}.${hex(`es-ev/${e.namespace}/${e.name}`, 16)}`, namespace: e.namespace, creationTimestamp: ts(first) },
      count: Math.max(1, Math.floor((ctx.now.getTime() - first.getTime()) / 3_600_000)),
      eventTime: null,
      firstTimestamp: ts(first),
      involvedObject: { apiVersion: `external-secrets.io/${esVersion}`, kind: 'ExternalSecret', name: e.name, namespace: e.namespace, uid },
      lastTimestamp: ts(refreshed),
      message: e.error,
      reason: 'UpdateFailed',
      reportingComponent: 'external-secrets',
      reportingInstance: '',
      source: { component: 'external-secrets' },
      type: 'Warning',
    });
    return;
  }
  const data = Object.fromEntries(Object.keys(e.data).map((k) => [k, b64(`fake-${k}-${hex(`${e.namespace}/${e.name}/${k}`, 12)}`)]));
  ctx.objects.push({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: target,
      namespace: e.namespace,
      uid: uidFor(`secret/${e.namespace}/${target}`),
      creationTimestamp: ts(new Date(created.getTime() + 20_000)),
      annotations: { 'reconcile.external-secrets.io/data-hash': hex(`datahash/${e.namespace}/${e.name}`, 32) },
      labels: {
        'reconcile.external-secrets.io/created-by': hex(`createdby/${e.namespace}/${e.name}`, 32).slice(0, 56),
        'reconcile.external-secrets.io/managed': 'true',
      },
      ownerReferences: [ownerRef('ExternalSecret', `external-secrets.io/${esVersion}`, e.name, uid)],
    },
    type: 'Opaque',
    data,
  });
}

export function expandAddons(ctx: Ctx): void {
  for (const i of ctx.scenario.ingresses) ingress(ctx, i);
  for (const e of ctx.scenario.externalSecrets) externalSecret(ctx, e);
}
