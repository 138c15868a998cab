import { z } from 'zod';
import type { OpContext } from '../../core/op.js';
import type { ResourceRef } from '../../core/ports/kube.js';
import { metadataSchema } from '../shared/k8s.js';
import { pickVersion } from '../shared/api.js';
import { verdictOf, verdictSchema, type Finding } from '../shared/findings.js';
import type { Check, CheckReport } from '../shared/check.js';
import { plural } from '../shared/format.js';
import { Reads } from '../shared/reads.js';
import { conditionStatusSchema } from '../shared/conditions.js';
import {
  CERT_MANAGER,
  CERT_VERSIONS,
  DEFAULT_CRIT_DAYS,
  DEFAULT_WARN_DAYS,
  certificateSchema,
  evaluateCertificate,
  type CertificateState,
} from '../certs/certificate.js';
import { compareText } from '../../core/compare.js';

const INGRESSES: ResourceRef = { group: 'networking.k8s.io', version: 'v1', resource: 'ingresses' };
const CLASS_ANNOTATION = 'kubernetes.io/ingress.class';

const backendSchema = z.looseObject({
  service: z.looseObject({ name: z.string(), port: z.looseObject({ number: z.number().optional(), name: z.string().optional() }).optional() }).optional(),
  resource: z.looseObject({ kind: z.string().optional(), name: z.string().optional() }).optional(),
});
const ingressSchema = z.looseObject({
  metadata: metadataSchema,
  spec: z
    .looseObject({
      ingressClassName: z.string().optional(),
      defaultBackend: backendSchema.optional(),
      rules: z
        .array(
          z.looseObject({
            host: z.string().optional(),
            http: z
              .looseObject({
                paths: z.array(z.looseObject({ path: z.string().optional(), pathType: z.string().optional(), backend: backendSchema })).default([]),
              })
              .optional(),
          }),
        )
        .optional(),
      tls: z.array(z.looseObject({ hosts: z.array(z.string()).optional(), secretName: z.string().optional() })).optional(),
    })
    .default({}),
  status: z
    .looseObject({
      loadBalancer: z.looseObject({ ingress: z.array(z.looseObject({ ip: z.string().optional(), hostname: z.string().optional() })).optional() }).optional(),
    })
    .default({}),
});
type Backend = z.infer<typeof backendSchema>;

const serviceSchema = z.looseObject({
  metadata: metadataSchema,
  spec: z
    .looseObject({
      type: z.string().optional(),
      ports: z.array(z.looseObject({ name: z.string().optional(), port: z.number(), targetPort: z.union([z.number(), z.string()]).optional() })).default([]),
    })
    .default({ ports: [] }),
});
/** Names and labels only: a Secret's data never enters this process. */
const metadataOnlySchema = z.looseObject({ metadata: metadataSchema });
const endpointsSchema = z.looseObject({
  metadata: metadataSchema,
  subsets: z
    .array(
      z.looseObject({
        addresses: z.array(z.looseObject({ ip: z.string().optional() })).optional(),
        notReadyAddresses: z.array(z.looseObject({ ip: z.string().optional() })).optional(),
        ports: z.array(z.looseObject({ name: z.string().optional(), port: z.number().optional() })).optional(),
      }),
    )
    .optional(),
});

const pathRowSchema = z.object({
  host: z.string().describe('"*" for a rule without a host, or the default backend'),
  path: z.string(),
  backend: z.string().describe('service:port, or Kind/name for a resource backend'),
  service: z.string().optional(),
  port: z.string().optional(),
  serviceExists: z.boolean().optional().describe('false when the Service is missing'),
  portExists: z.boolean().optional().describe('false when the Service has no such port'),
  readyEndpoints: z.number().int().optional().describe('Ready addresses behind the Service port (core Endpoints)'),
  notReadyEndpoints: z.number().int().optional(),
});

const tlsRowSchema = z.object({
  hosts: z.array(z.string()),
  secretName: z.string(),
  checkedBy: z
    .enum(['certificate', 'secret', 'none'])
    .describe(
      'How the TLS Secret was checked: through the cert-manager Certificate whose spec.secretName it is (Ready, expiry, renewal); ' +
        "by a metadata-only get of the Secret, only for names listed in the config's ingress.tlsSecrets; or not at all (homelab reads no Secrets)",
    ),
  secretPresent: z.boolean().optional().describe('checkedBy secret: whether the Secret exists (only its name is read)'),
  certificate: z
    .object({
      name: z.string(),
      ready: conditionStatusSchema,
      readyReason: z.string().optional(),
      daysLeft: z.number().optional(),
      notAfter: z.string().optional(),
      renewalTime: z.string().optional(),
      state: verdictSchema,
    })
    .optional()
    .describe('The cert-manager Certificate that writes this Secret'),
  note: z.string().optional().describe('Why the TLS Secret was not checked'),
});

export const ingressRowSchema = z.object({
  namespace: z.string(),
  name: z.string(),
  className: z.string().optional().describe('spec.ingressClassName, or the legacy kubernetes.io/ingress.class annotation'),
  hosts: z.array(z.string()),
  address: z.array(z.string()).describe('Load balancer IPs or hostnames from status'),
  paths: z.array(pathRowSchema),
  tls: z.array(tlsRowSchema),
  state: verdictSchema.describe('The worst finding on this ingress'),
});
type Ingress = z.infer<typeof ingressSchema>;
type IngressRow = z.infer<typeof ingressRowSchema>;
type PathRow = z.infer<typeof pathRowSchema>;
type TlsRow = z.infer<typeof tlsRowSchema>;

const CORE = (resource: string, namespace: string): ResourceRef => ({ group: '', version: 'v1', resource, namespace });

interface ServiceState {
  exists: boolean;
  ports: Array<{ name?: string; port: number }>;
  external: boolean;
  /** ready / not ready addresses per Endpoints port name ('' for an unnamed port); undefined when they could not be read. */
  endpoints: Map<string, { ready: number; notReady: number }> | undefined;
}

/** A backend Service and its Endpoints; undefined when the Service could not be read (a finding says why). */
async function serviceState(reads: Reads, namespace: string, name: string): Promise<ServiceState | undefined> {
  const svc = await reads.get({ ref: CORE('services', namespace), name, kind: 'Service', schema: serviceSchema, impact: 'backends are not checked' });
  if (svc === undefined) return undefined;
  if (svc === null) return { exists: false, ports: [], external: false, endpoints: new Map() };
  const state: ServiceState = { exists: true, ports: svc.spec.ports, external: svc.spec.type === 'ExternalName', endpoints: new Map() };
  if (state.external) return state;
  // No Endpoints object (null): nothing behind the Service.
  const ep = await reads.get({
    ref: CORE('endpoints', namespace),
    name,
    kind: 'Endpoints',
    schema: endpointsSchema,
    impact: 'ready endpoints are not counted',
  });
  if (ep === undefined) return { ...state, endpoints: undefined };
  for (const subset of ep?.subsets ?? []) {
    const ready = subset.addresses?.length ?? 0;
    const notReady = subset.notReadyAddresses?.length ?? 0;
    for (const port of subset.ports?.length ? subset.ports : [{ name: '' }]) {
      const key = port.name ?? '';
      const sum = state.endpoints?.get(key) ?? { ready: 0, notReady: 0 };
      state.endpoints?.set(key, { ready: sum.ready + ready, notReady: sum.notReady + notReady });
    }
  }
  return state;
}

function describeBackend(b: Backend): { backend: string; service?: string; port?: string } {
  if (b.service) {
    const port = b.service.port?.number !== undefined ? String(b.service.port.number) : b.service.port?.name;
    return { backend: `${b.service.name}${port ? `:${port}` : ''}`, service: b.service.name, port };
  }
  return { backend: `${b.resource?.kind ?? 'Resource'}/${b.resource?.name ?? '?'}` };
}

type CertManagerState = 'read' | 'not installed' | 'unreadable';
type CertsBySecret = Map<string, { state: CertificateState; findings: Finding[] }>;

/** The cert-manager Certificates by the Secret they write ("namespace/secretName"). */
async function certificatesBySecret(reads: Reads, ctx: OpContext, namespace: string | undefined): Promise<{ certs: CertsBySecret; state: CertManagerState }> {
  const certs: CertsBySecret = new Map();
  const impact = 'TLS is not checked through Certificates';
  const before = reads.findings().length;
  const version = await reads.discover(CERT_MANAGER, { group: CERT_MANAGER }, () => pickVersion(ctx.kube, CERT_MANAGER, CERT_VERSIONS), impact);
  const served = version ? await reads.serves(CERT_MANAGER, version, 'certificates', impact) : false;
  if (!version || !served) return { certs, state: reads.findings().length > before ? 'unreadable' : 'not installed' };
  const now = ctx.now();
  const read = await reads.list(
    { ref: { group: CERT_MANAGER, version, resource: 'certificates', namespace }, kind: 'Certificate', schema: certificateSchema, impact },
    (cert) => {
      if (!cert.spec.secretName) return;
      certs.set(
        `${cert.metadata.namespace ?? ''}/${cert.spec.secretName}`,
        evaluateCertificate(cert, now, { warnDays: DEFAULT_WARN_DAYS, critDays: DEFAULT_CRIT_DAYS }),
      );
    },
  );
  return { certs, state: read ? 'read' : 'unreadable' };
}

/**
 * Whether a TLS Secret exists, by a metadata-only get of that one name: only for names the config
 * lists in ingress.tlsSecrets (the deploy grants `get` on exactly those, never on all Secrets).
 */
async function secretExists(reads: Reads, namespace: string, name: string): Promise<boolean | undefined> {
  const secret = await reads.get({
    ref: CORE('secrets', namespace),
    name,
    kind: 'Secret',
    schema: metadataOnlySchema,
    metadataOnly: true,
    impact: `TLS Secret ${name} is not checked`,
  });
  return secret === undefined ? undefined : secret !== null;
}

/** Why a TLS Secret was not checked, by what is known of cert-manager here. */
const UNCHECKED_BECAUSE: Record<CertManagerState, string> = {
  read: 'no Certificate manages it',
  'not installed': 'cert-manager is not installed',
  unreadable: 'the Certificates could not be read (see the findings)',
};
const NO_SECRETS = 'homelab reads no Secrets (list it in ingress.tlsSecrets to check it by name)';

/**
 * Every Ingress: each path's backend Service, its port and ready endpoints, and its TLS through the
 * cert-manager Certificate that writes the Secret (or, for names the config lists, the Secret's name).
 */
async function checkIngress(ctx: OpContext, params: { namespace?: string }): Promise<CheckReport<IngressData>> {
  const { namespace } = params;
  const reads = new Reads(ctx);
  const ingresses: Ingress[] = [];
  await reads.list({ ref: { ...INGRESSES, namespace: namespace }, kind: 'Ingress', schema: ingressSchema }, (i) => ingresses.push(i));
  const wantsTls = ingresses.some((i) => i.spec.tls?.some((t) => t.secretName));
  const { certs, state: certManager } = wantsTls
    ? await certificatesBySecret(reads, ctx, namespace)
    : { certs: new Map() as CertsBySecret, state: 'not installed' as const };
  const directly = new Set(ctx.config.ingress.tlsSecrets);

  // Each backend Service is asked about once, however many paths point at it.
  const services = new Map<string, Promise<ServiceState | undefined>>();
  const serviceOf = (namespace: string, name: string) => {
    const key = `${namespace}/${name}`;
    let found = services.get(key);
    if (!found) services.set(key, (found = serviceState(reads, namespace, name)));
    return found;
  };

  // Asked in parallel up front; the loop below reads the answers in order.
  await Promise.all(
    ingresses.flatMap((ing) => {
      const backends = [
        ...(ing.spec.rules ?? []).flatMap((r) => (r.http?.paths ?? []).map((p) => p.backend)),
        ...(ing.spec.defaultBackend ? [ing.spec.defaultBackend] : []),
      ];
      return backends.flatMap((b) => (b.service ? [serviceOf(ing.metadata.namespace ?? '', b.service.name)] : []));
    }),
  );

  const findings: Finding[] = [];
  const certFindingsSeen = new Set<string>();
  const rows: IngressRow[] = [];
  let unchecked = 0;
  for (const ing of ingresses) {
    const namespace = ing.metadata.namespace ?? '';
    const name = ing.metadata.name;
    const mine: Finding[] = [];
    const add = (severity: Finding['severity'], reason: string, message: string) => {
      if (!mine.some((f) => f.reason === reason && f.message === message)) mine.push({ severity, kind: 'Ingress', namespace, name, reason, message });
    };
    const entries: Array<{ host: string; path: string; backend: Backend }> = [];
    for (const rule of ing.spec.rules ?? []) {
      for (const p of rule.http?.paths ?? []) entries.push({ host: rule.host ?? '*', path: p.path ?? '/', backend: p.backend });
    }
    if (ing.spec.defaultBackend) entries.push({ host: '*', path: '(default)', backend: ing.spec.defaultBackend });

    const paths: PathRow[] = [];
    for (const e of entries) {
      const d = describeBackend(e.backend);
      const row: PathRow = { host: e.host, path: e.path, ...d };
      const svcRef = e.backend.service;
      const svc = svcRef ? await serviceOf(namespace, svcRef.name) : undefined;
      if (svcRef && svc) {
        row.serviceExists = svc.exists;
        if (!svc.exists) {
          add('crit', 'ServiceMissing', `backend Service ${svcRef.name} does not exist (${e.host}${e.path})`);
        } else if (!svc.external) {
          const port = svc.ports.find((p) => (svcRef.port?.number !== undefined ? p.port === svcRef.port.number : p.name === svcRef.port?.name));
          row.portExists = Boolean(port) || (!svcRef.port?.number && !svcRef.port?.name);
          if (!row.portExists) {
            add(
              'crit',
              'ServicePortMissing',
              `backend Service ${svcRef.name} has no port ${d.port ?? ''} (it has ${svc.ports.map((p) => p.name ?? p.port).join(', ') || 'none'})`,
            );
          } else if (svc.endpoints) {
            const counts = svc.endpoints.get(port?.name ?? '') ??
              (svc.ports.length <= 1 ? [...svc.endpoints.values()][0] : undefined) ?? { ready: 0, notReady: 0 };
            row.readyEndpoints = counts.ready;
            row.notReadyEndpoints = counts.notReady;
            if (counts.ready === 0) {
              add(
                'crit',
                'NoReadyEndpoints',
                `backend ${d.backend} has no ready endpoints${counts.notReady ? ` (${counts.notReady} not ready)` : ''}: ${e.host}${e.path === '(default)' ? '' : e.path} will answer 503`,
              );
            }
          }
        }
      }
      paths.push(row);
    }

    const tls: TlsRow[] = [];
    for (const t of ing.spec.tls ?? []) {
      if (!t.secretName) continue; // no secretName: the controller's default certificate is used
      const key = `${namespace}/${t.secretName}`;
      const hosts = t.hosts ?? [];
      const cert = certs.get(key);
      if (cert) {
        if (!certFindingsSeen.has(key)) {
          certFindingsSeen.add(key);
          findings.push(...cert.findings);
        }
        const c = cert.state;
        tls.push({
          hosts,
          secretName: t.secretName,
          checkedBy: 'certificate',
          certificate: {
            name: c.name,
            ready: c.ready,
            readyReason: c.readyReason,
            daysLeft: c.daysLeft,
            notAfter: c.notAfter,
            renewalTime: c.renewalTime,
            state: c.state,
          },
        });
      } else if (directly.has(key)) {
        const present = await secretExists(reads, namespace, t.secretName);
        if (present === false) add('crit', 'TLSSecretMissing', `TLS Secret ${t.secretName} for ${hosts.join(', ') || 'its hosts'} does not exist`);
        tls.push({
          hosts,
          secretName: t.secretName,
          checkedBy: present === undefined ? 'none' : 'secret',
          secretPresent: present,
          ...(present === undefined ? { note: 'TLS secret not checked: it could not be read (see the findings)' } : {}),
        });
      } else {
        unchecked++;
        tls.push({ hosts, secretName: t.secretName, checkedBy: 'none', note: `TLS secret not checked: ${UNCHECKED_BECAUSE[certManager]}, and ${NO_SECRETS}` });
      }
    }

    findings.push(...mine);
    const certStates = tls.map((t) => t.certificate?.state ?? 'ok');
    const state = verdictOf(mine) === 'crit' || certStates.includes('crit') ? 'crit' : mine.length || certStates.includes('warn') ? 'warn' : 'ok';
    rows.push({
      namespace,
      name,
      className: ing.spec.ingressClassName ?? ing.metadata.annotations?.[CLASS_ANNOTATION],
      hosts: [...new Set((ing.spec.rules ?? []).map((r) => r.host).filter((h): h is string => Boolean(h)))],
      address: (ing.status.loadBalancer?.ingress ?? []).map((a) => a.ip ?? a.hostname ?? '').filter(Boolean),
      paths,
      tls,
      state,
    });
  }

  rows.sort((a, b) => compareText(a.namespace, b.namespace) || compareText(a.name, b.name));
  const hosts = new Set(rows.flatMap((r) => r.hosts)).size;
  return reads.report({
    installed: true,
    scope: `${plural(rows.length, 'ingress', 'ingresses')}, ${plural(hosts, 'host')}`,
    note: rows.length ? undefined : `no Ingresses ${namespace ? `in namespace ${namespace}` : 'in any namespace'} (networking.k8s.io/v1): nothing to check`,
    subject: namespace ? { kind: 'Namespace', name: namespace } : undefined,
    findings: [...findings, ...reads.finish()],
    data: {
      certManager: certManager === 'read',
      ingresses: rows,
      tlsNotChecked: unchecked
        ? `${plural(unchecked, 'TLS Secret')} not checked: ${UNCHECKED_BECAUSE[certManager].replace(/ it$/, unchecked === 1 ? ' it' : ' them')}`
        : undefined,
    },
  });
}

export interface IngressData {
  /** Whether cert-manager Certificates were read (TLS is checked through them). */
  certManager: boolean;
  ingresses: IngressRow[];
  /** "2 TLS Secrets not checked: …", when some were not. */
  tlsNotChecked?: string;
}

export const ingressCheck: Check<{ namespace?: string }, IngressData> = {
  name: 'ingress',
  about: 'backends with ready endpoints, TLS through cert-manager',
  // No verb on Secrets: TLS is checked through cert-manager Certificates. The opt-in check of
  // ingress.tlsSecrets needs `get` on those names, granted only by deploy/overlays/tls-secrets.
  rbac: [
    { apiGroup: 'networking.k8s.io', resource: 'ingresses', verbs: ['list'] },
    { apiGroup: '', resource: 'services', verbs: ['get'] },
    { apiGroup: '', resource: 'endpoints', verbs: ['get'] },
    { apiGroup: CERT_MANAGER, resource: 'certificates', verbs: ['list'] },
  ],
  run: checkIngress,
};
