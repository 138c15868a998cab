import { z } from 'zod';
import { defineOp, type OpContext } from '../../core/op.js';
import { NotFound } from '../../core/errors.js';
import type { ResourceRef } from '../../core/ports/kube.js';
import { namespaceSchema } from '../../core/schemas.js';
import { metadataSchema, parseObject } from '../shared/k8s.js';
import { pickVersion } from '../shared/api.js';
import { findingSchema, sortFindings, summarizeSubsystem, verdictOf, type Finding } from '../shared/findings.js';
import {
  CERT_MANAGER, CERT_VERSIONS, DEFAULT_CRIT_DAYS, DEFAULT_WARN_DAYS, certificateSchema, evaluateCertificate, type CertificateState,
} from '../certs/certificate.js';

const INGRESSES: ResourceRef = { group: 'networking.k8s.io', version: 'v1', resource: 'ingresses' };
const CLASS_ANNOTATION = 'kubernetes.io/ingress.class';

const backendSchema = z.looseObject({
  service: z
    .looseObject({ name: z.string(), port: z.looseObject({ number: z.number().optional(), name: z.string().optional() }).optional() })
    .optional(),
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
            http: z.looseObject({ paths: z.array(z.looseObject({ path: z.string().optional(), pathType: z.string().optional(), backend: backendSchema })).default([]) }).optional(),
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
  secretPresent: z.boolean().describe('A kubernetes.io/tls Secret of that name exists (its data is never read)'),
  certificate: z
    .object({
      name: z.string(),
      ready: z.enum(['True', 'False', 'Unknown']),
      daysLeft: z.number().optional(),
      notAfter: z.string().optional(),
      state: z.enum(['ok', 'warn', 'crit']),
    })
    .optional()
    .describe('The cert-manager Certificate whose secretName this is, when cert-manager serves one'),
});

const ingressRowSchema = z.object({
  namespace: z.string(),
  name: z.string(),
  className: z.string().optional().describe('spec.ingressClassName, or the legacy kubernetes.io/ingress.class annotation'),
  hosts: z.array(z.string()),
  address: z.array(z.string()).describe('Load balancer IPs or hostnames from status'),
  paths: z.array(pathRowSchema),
  tls: z.array(tlsRowSchema),
  state: z.enum(['ok', 'warn', 'crit']).describe('The worst finding on this ingress'),
});
type IngressRow = z.infer<typeof ingressRowSchema>;
type PathRow = z.infer<typeof pathRowSchema>;

const output = z.object({
  verdict: z.enum(['ok', 'warn', 'crit']),
  summary: z.string().describe('One line a person reads first'),
  certManager: z.boolean().describe('Whether cert-manager serves Certificates here (certificate states are shown only then)'),
  ingresses: z.array(ingressRowSchema),
  findings: z.array(findingSchema).describe('Every problem found, crit first'),
});
type Output = z.infer<typeof output>;

interface ServiceState {
  exists: boolean;
  ports: Array<{ name?: string; port: number }>;
  external: boolean;
  /** ready / not ready addresses per Endpoints port name ('' for an unnamed port). */
  endpoints: Map<string, { ready: number; notReady: number }>;
}

async function serviceState(ctx: OpContext, namespace: string, name: string): Promise<ServiceState> {
  const services: ResourceRef = { group: '', version: 'v1', resource: 'services', namespace };
  const endpoints: ResourceRef = { group: '', version: 'v1', resource: 'endpoints', namespace };
  let svc;
  try {
    svc = parseObject(serviceSchema, await ctx.kube.get(services, name), 'Service');
  } catch (err) {
    if (err instanceof NotFound) return { exists: false, ports: [], external: false, endpoints: new Map() };
    throw err;
  }
  const state: ServiceState = { exists: true, ports: svc.spec.ports, external: svc.spec.type === 'ExternalName', endpoints: new Map() };
  if (state.external) return state;
  let ep;
  try {
    ep = parseObject(endpointsSchema, await ctx.kube.get(endpoints, name), 'Endpoints');
  } catch (err) {
    if (err instanceof NotFound) return state; // no Endpoints object: nothing behind the Service
    throw err;
  }
  for (const subset of ep.subsets ?? []) {
    const ready = subset.addresses?.length ?? 0;
    const notReady = subset.notReadyAddresses?.length ?? 0;
    for (const port of subset.ports?.length ? subset.ports : [{ name: '' }]) {
      const key = port.name ?? '';
      const sum = state.endpoints.get(key) ?? { ready: 0, notReady: 0 };
      state.endpoints.set(key, { ready: sum.ready + ready, notReady: sum.notReady + notReady });
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

export default defineOp({
  name: 'ingress_status',
  title: 'Ingresses',
  description:
    'Every Ingress with its class, hosts and paths to backend service:port, whether each backend Service exists and ' +
    'has ready endpoints, whether each TLS Secret exists (only its name is read, never its data), and the ' +
    'cert-manager Certificate behind it (Ready, days left) when cert-manager is installed. Use it when a site does ' +
    'not load, answers 502/503, or shows a certificate error. Returns verdict ok/warn/crit (crit: TLS Secret ' +
    'missing, backend Service missing or without ready endpoints, certificate not Ready or expiring within 3 days; ' +
    'warn: certificate expiring within 14 days or failing to renew), the ingresses and findings.',
  effect: 'read',
  input: z.object({ namespace: namespaceSchema.optional().describe('Only this namespace; default: every namespace') }).strict(),
  output,
  rbac: [
    { apiGroup: 'networking.k8s.io', resource: 'ingresses', verbs: ['list'] },
    // Listing Secrets is the only way to see that a TLS Secret exists without a get per name. The op asks for
    // metadata only (PartialObjectMetadataList) filtered to type kubernetes.io/tls, so no key or certificate
    // enters the process; a get would return the data.
    { apiGroup: '', resource: 'secrets', verbs: ['list'] },
    { apiGroup: '', resource: 'services', verbs: ['get'] },
    { apiGroup: '', resource: 'endpoints', verbs: ['get'] },
    { apiGroup: CERT_MANAGER, resource: 'certificates', verbs: ['list'] },
  ],
  timeoutMs: 30_000,
  async run(ctx, input): Promise<Output> {
    const now = ctx.now();
    const ingresses = [];
    for await (const page of ctx.kube.listPages({ ...INGRESSES, namespace: input.namespace })) {
      for (const raw of page) ingresses.push(parseObject(ingressSchema, raw, 'Ingress'));
    }
    const wantsTls = ingresses.some((i) => i.spec.tls?.length);

    const tlsSecrets = new Set<string>();
    if (wantsTls) {
      const secrets = { group: '', version: 'v1', resource: 'secrets', namespace: input.namespace };
      for await (const page of ctx.kube.listPages(secrets, { metadataOnly: true, fieldSelector: 'type=kubernetes.io/tls' })) {
        for (const s of page) tlsSecrets.add(`${s.metadata.namespace ?? ''}/${s.metadata.name}`);
      }
    }

    const certs = new Map<string, { state: CertificateState; findings: Finding[] }>();
    const certVersion = wantsTls ? await pickVersion(ctx.kube, CERT_MANAGER, CERT_VERSIONS) : undefined;
    const certManager = Boolean(certVersion && (await ctx.kube.servesResource(CERT_MANAGER, certVersion, 'certificates')));
    if (certManager && certVersion) {
      const ref = { group: CERT_MANAGER, version: certVersion, resource: 'certificates', namespace: input.namespace };
      for await (const page of ctx.kube.listPages(ref)) {
        for (const raw of page) {
          const cert = parseObject(certificateSchema, raw, 'Certificate');
          if (!cert.spec.secretName) continue;
          certs.set(`${cert.metadata.namespace ?? ''}/${cert.spec.secretName}`, evaluateCertificate(cert, now, { warnDays: DEFAULT_WARN_DAYS, critDays: DEFAULT_CRIT_DAYS }));
        }
      }
    }

    // Each backend Service is asked about once, however many paths point at it.
    const services = new Map<string, Promise<ServiceState>>();
    const serviceOf = (namespace: string, name: string) => {
      const key = `${namespace}/${name}`;
      let found = services.get(key);
      if (!found) services.set(key, (found = serviceState(ctx, namespace, name)));
      return found;
    };

    // Asked in parallel up front; the loop below reads the answers in order.
    await Promise.all(
      ingresses.flatMap((ing) => {
        const backends = [...(ing.spec.rules ?? []).flatMap((r) => (r.http?.paths ?? []).map((p) => p.backend)), ...(ing.spec.defaultBackend ? [ing.spec.defaultBackend] : [])];
        return backends.flatMap((b) => (b.service ? [serviceOf(ing.metadata.namespace ?? '', b.service.name)] : []));
      }),
    );

    const findings: Finding[] = [];
    const certFindingsSeen = new Set<string>();
    const rows: IngressRow[] = [];
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
        if (svcRef) {
          const svc = await serviceOf(namespace, svcRef.name);
          row.serviceExists = svc.exists;
          if (!svc.exists) {
            add('crit', 'ServiceMissing', `backend Service ${svcRef.name} does not exist (${e.host}${e.path})`);
          } else if (!svc.external) {
            const port = svc.ports.find((p) => (svcRef.port?.number !== undefined ? p.port === svcRef.port.number : p.name === svcRef.port?.name));
            row.portExists = Boolean(port) || (!svcRef.port?.number && !svcRef.port?.name);
            if (!row.portExists) {
              add('crit', 'ServicePortMissing', `backend Service ${svcRef.name} has no port ${d.port ?? ''} (it has ${svc.ports.map((p) => p.name ?? p.port).join(', ') || 'none'})`);
            } else {
              const counts = svc.endpoints.get(port?.name ?? '') ?? (svc.ports.length <= 1 ? [...svc.endpoints.values()][0] : undefined) ?? { ready: 0, notReady: 0 };
              row.readyEndpoints = counts.ready;
              row.notReadyEndpoints = counts.notReady;
              if (counts.ready === 0) {
                add('crit', 'NoReadyEndpoints', `backend ${d.backend} has no ready endpoints${counts.notReady ? ` (${counts.notReady} not ready)` : ''}: ${e.host}${e.path === '(default)' ? '' : e.path} will answer 503`);
              }
            }
          }
        }
        paths.push(row);
      }

      const tls: IngressRow['tls'] = [];
      for (const t of ing.spec.tls ?? []) {
        if (!t.secretName) continue; // no secretName: the controller's default certificate is used
        const key = `${namespace}/${t.secretName}`;
        const secretPresent = tlsSecrets.has(key);
        const cert = certs.get(key);
        if (!secretPresent) {
          add('crit', 'TLSSecretMissing', `TLS Secret ${t.secretName} for ${(t.hosts ?? []).join(', ') || 'its hosts'} does not exist${cert ? ` (Certificate ${cert.state.name}: Ready ${cert.state.ready}${cert.state.readyReason ? `, ${cert.state.readyReason}` : ''})` : ''}`);
        }
        if (cert && !certFindingsSeen.has(key)) {
          certFindingsSeen.add(key);
          findings.push(...cert.findings);
        }
        tls.push({
          hosts: t.hosts ?? [],
          secretName: t.secretName,
          secretPresent,
          ...(cert ? { certificate: { name: cert.state.name, ready: cert.state.ready, daysLeft: cert.state.daysLeft, notAfter: cert.state.notAfter, state: cert.state.state } } : {}),
        });
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

    rows.sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name));
    const sorted = sortFindings(findings);
    const hosts = new Set(rows.flatMap((r) => r.hosts)).size;
    const scope = `${rows.length} ingress${rows.length === 1 ? '' : 'es'}, ${hosts} host${hosts === 1 ? '' : 's'}`;
    const summary = !rows.length
      ? `no Ingresses${input.namespace ? ` in namespace ${input.namespace}` : ''}`
      : sorted.length
        ? summarizeSubsystem('ingress', { served: true, scope, findings: sorted }).line
        : `${scope}: every backend has ready endpoints${wantsTls ? ' and every TLS Secret exists' : ''}`;
    return { verdict: verdictOf(sorted), summary, certManager, ingresses: rows, findings: sorted };
  },
  summarize: (out) => ({ verdict: out.verdict, line: out.summary }),
});
