import { z } from 'zod';
import { defineOp, type OpContext, type RbacRule } from '../../core/op.js';
import { formatAge, namespaceSchema } from '../../core/schemas.js';
import type { ResourceRef } from '../../core/ports/kube.js';
import { ageMs, conditionSchema, metadataSchema } from '../shared/k8s.js';
import { Reads } from '../shared/reads.js';
import { findCondition } from '../shared/conditions.js';
import { findingSchema, sortFindings, summarizeSubsystem, verdictOf, type Finding, type SubsystemCheck } from '../shared/findings.js';
import { DEFAULT_REFRESH_INTERVAL, ESO, esoVersion, externalSecretSchema, parseGoDuration, storeSchema } from './eso.js';

const readySchema = z.enum(['True', 'False', 'Unknown']);

const externalSecretRowSchema = z.object({
  namespace: z.string(),
  name: z.string(),
  ready: readySchema.describe('The Ready condition; Unknown when the controller has not reported'),
  reason: z.string().optional().describe('e.g. SecretSynced, SecretSyncedError'),
  message: z.string().optional(),
  refreshTime: z.string().optional().describe('When the controller last fetched from the store'),
  refreshInterval: z.string().describe('spec.refreshInterval (ESO default 1h); 0s means fetch once'),
  refreshPolicy: z.string().optional().describe('Periodic (default), OnChange or CreatedOnce'),
  store: z.object({ kind: z.string(), name: z.string() }).describe('The SecretStore or ClusterSecretStore it reads from'),
  target: z.string().describe('The Secret it writes'),
  stale: z.boolean().describe('Ready, but not refreshed for more than twice its refreshInterval'),
});

const storeRowSchema = z.object({
  kind: z.enum(['SecretStore', 'ClusterSecretStore']),
  namespace: z.string().optional().describe('Absent for a ClusterSecretStore'),
  name: z.string(),
  ready: readySchema,
  reason: z.string().optional().describe('e.g. Valid, InvalidProviderConfig, ValidationFailed'),
  message: z.string().optional(),
  provider: z.string().optional().describe('The provider configured: vault, aws, onepassword, kubernetes, ...'),
});

const clusterExternalSecretRowSchema = z.object({
  name: z.string(),
  ready: readySchema,
  message: z.string().optional(),
  provisionedNamespaces: z.array(z.string()),
  failedNamespaces: z.array(z.object({ namespace: z.string(), reason: z.string().optional() })),
});

const output = z.object({
  installed: z.boolean().describe('false when external-secrets.io is not served by this cluster'),
  version: z.string().optional().describe('The external-secrets.io version read: v1 (ESO 0.16+) or v1beta1 (older releases)'),
  note: z.string().optional(),
  verdict: z.enum(['ok', 'warn', 'crit']),
  summary: z.string().describe('One line a person reads first'),
  externalSecrets: z.array(externalSecretRowSchema),
  stores: z.array(storeRowSchema).describe('SecretStores and ClusterSecretStores'),
  clusterExternalSecretsServed: z.boolean(),
  clusterExternalSecrets: z.array(clusterExternalSecretRowSchema),
  findings: z.array(findingSchema).describe('Every problem found, crit first'),
});
type Output = z.infer<typeof output>;
type ExternalSecretRow = z.infer<typeof externalSecretRowSchema>;
type StoreRow = z.infer<typeof storeRowSchema>;
type ClusterExternalSecretRow = z.infer<typeof clusterExternalSecretRowSchema>;

const clusterExternalSecretSchema = z.looseObject({
  metadata: metadataSchema,
  status: z
    .looseObject({
      conditions: z.array(conditionSchema).optional(),
      provisionedNamespaces: z.array(z.string()).optional(),
      failedNamespaces: z.array(z.looseObject({ namespace: z.string(), reason: z.string().optional() })).optional(),
    })
    .default({}),
});

export interface SecretsResult {
  installed: boolean;
  version?: string;
  note?: string;
  externalSecrets: ExternalSecretRow[];
  stores: StoreRow[];
  clusterExternalSecretsServed: boolean;
  clusterExternalSecrets: ClusterExternalSecretRow[];
  findings: Finding[];
}

function readyOf(obj: unknown): { ready: 'True' | 'False' | 'Unknown'; reason?: string; message?: string } {
  const c = findCondition(obj, 'Ready');
  const ready = c?.status === 'True' || c?.status === 'False' ? c.status : 'Unknown';
  return { ready, reason: c?.reason, message: c?.message };
}

/** Everything `homelab secrets` and the health summary know about External Secrets. */
export async function collectSecrets(ctx: OpContext, namespace?: string): Promise<SecretsResult> {
  const reads = new Reads(ctx);
  // Discovery that fails is an error (finish() throws it), never "not installed".
  const version = await reads.discover(ESO, { group: ESO }, () => esoVersion(ctx));
  if (!version) {
    return {
      installed: false, externalSecrets: [], stores: [], clusterExternalSecretsServed: false, clusterExternalSecrets: [], findings: reads.finish(),
      note: 'External Secrets is not installed (external-secrets.io v1/v1beta1 is not served): no ExternalSecrets to check',
    };
  }
  const ref = (resource: string, ns?: string): ResourceRef => ({ group: ESO, version, resource, namespace: ns });
  const now = ctx.now();
  const findings: Finding[] = [];

  const externalSecrets: ExternalSecretRow[] = [];
  await reads.list({ ref: ref('externalsecrets', namespace), kind: 'ExternalSecret', schema: externalSecretSchema }, (es) => {
    const ns = es.metadata.namespace ?? '';
    const name = es.metadata.name;
    const { ready, reason, message } = readyOf(es);
    const refreshInterval = es.spec.refreshInterval ?? DEFAULT_REFRESH_INTERVAL;
    const policy = es.spec.refreshPolicy;
    const intervalMs = parseGoDuration(refreshInterval);
    const age = ageMs(now, es.status.refreshTime);
    const periodic = (policy ?? 'Periodic') === 'Periodic' && intervalMs !== undefined && intervalMs > 0;
    const stale = ready === 'True' && periodic && age !== undefined && age > 2 * (intervalMs ?? 0);
    if (ready !== 'True') {
      findings.push({
        severity: 'crit', kind: 'ExternalSecret', namespace: ns, name, reason: reason ?? 'NotReady',
        message: message ?? (ready === 'Unknown' ? 'not synced yet: the controller has not reported on it (is it running?)' : 'not Ready'),
      });
    } else if (stale) {
      findings.push({
        severity: 'warn', kind: 'ExternalSecret', namespace: ns, name, reason: 'Stale',
        message: `stale: is the controller running? last refreshed ${formatAge((age ?? 0) / 1000)} ago, refreshInterval ${refreshInterval}`,
      });
    }
    externalSecrets.push({
      namespace: ns, name, ready, reason, message,
      refreshTime: es.status.refreshTime ?? undefined,
      refreshInterval,
      refreshPolicy: policy,
      store: { kind: es.spec.secretStoreRef?.kind ?? 'SecretStore', name: es.spec.secretStoreRef?.name ?? '' },
      target: es.spec.target?.name ?? name,
      stale,
    });
  });

  const stores: StoreRow[] = [];
  const kinds = [
    { kind: 'SecretStore' as const, resource: 'secretstores', ns: namespace },
    // Cluster-scoped stores serve every namespace, so they are read even with a namespace filter.
    { kind: 'ClusterSecretStore' as const, resource: 'clustersecretstores', ns: undefined },
  ];
  for (const k of kinds) {
    if (!(await reads.serves(ESO, version, k.resource))) continue;
    await reads.list({ ref: ref(k.resource, k.ns), kind: k.kind, schema: storeSchema }, (store) => {
      const { ready, reason, message } = readyOf(store);
      const ns = k.kind === 'SecretStore' ? store.metadata.namespace : undefined;
      if (ready !== 'True') {
        findings.push({ severity: 'crit', kind: k.kind, namespace: ns, name: store.metadata.name, reason: reason ?? 'NotReady', message: message ?? 'the store is not Ready' });
      }
      stores.push({ kind: k.kind, namespace: ns, name: store.metadata.name, ready, reason, message, provider: Object.keys(store.spec.provider ?? {})[0] });
    });
  }

  const clusterExternalSecretsServed = (await reads.serves(ESO, version, 'clusterexternalsecrets')) === true;
  const clusterExternalSecrets: ClusterExternalSecretRow[] = [];
  if (clusterExternalSecretsServed) {
    await reads.list({ ref: ref('clusterexternalsecrets'), kind: 'ClusterExternalSecret', schema: clusterExternalSecretSchema }, (ces) => {
      const { ready, message } = readyOf(ces);
      const failed = (ces.status.failedNamespaces ?? []).map((f) => ({ namespace: f.namespace, reason: f.reason }));
      const name = ces.metadata.name;
      if (ready === 'False') {
        findings.push({ severity: 'crit', kind: 'ClusterExternalSecret', name, reason: 'NotReady', message: message ?? 'not Ready' });
      } else if (failed.length) {
        findings.push({
          severity: 'warn', kind: 'ClusterExternalSecret', name, reason: 'PartiallyFailed',
          message: `failed in ${failed.length} namespace${failed.length === 1 ? '' : 's'}: ${failed.map((f) => `${f.namespace}${f.reason ? ` (${f.reason})` : ''}`).join(', ')}`,
        });
      }
      clusterExternalSecrets.push({ name, ready, message, provisionedNamespaces: ces.status.provisionedNamespaces ?? [], failedNamespaces: failed });
    });
  }

  externalSecrets.sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name));
  stores.sort((a, b) => a.kind.localeCompare(b.kind) || (a.namespace ?? '').localeCompare(b.namespace ?? '') || a.name.localeCompare(b.name));
  const note = externalSecrets.length ? undefined : `no ExternalSecrets ${namespace ? `in namespace ${namespace}` : 'in any namespace'} (${ESO}/${version} is served): nothing to check`;
  return { installed: true, version, note, externalSecrets, stores, clusterExternalSecretsServed, clusterExternalSecrets, findings: sortFindings([...findings, ...reads.finish()]) };
}

function scopeOf(result: SecretsResult): string {
  const es = result.externalSecrets.length;
  const st = result.stores.length;
  return `${es} ExternalSecret${es === 1 ? '' : 's'}, ${st} store${st === 1 ? '' : 's'} (${ESO}/${result.version ?? '?'})`;
}

/** What the status and its health summary read. */
const RBAC: readonly RbacRule[] = [
  { apiGroup: ESO, resource: 'externalsecrets', verbs: ['list'] },
  { apiGroup: ESO, resource: 'secretstores', verbs: ['list'] },
  { apiGroup: ESO, resource: 'clustersecretstores', verbs: ['list'] },
  { apiGroup: ESO, resource: 'clusterexternalsecrets', verbs: ['list'] },
];

/** The one-line External Secrets verdict `homelab health` shows. */
export const secretsCheck: SubsystemCheck = {
  name: 'secrets',
  rbac: RBAC,
  async check(ctx) {
    const result = await collectSecrets(ctx);
    return { served: result.installed, scope: scopeOf(result), findings: result.findings, note: result.note };
  },
};

export default defineOp({
  name: 'secrets_status',
  title: 'External Secrets',
  description:
    'External Secrets Operator at a glance: every ExternalSecret with its sync state (Ready, reason, message), last ' +
    'refresh time, refresh interval and store; every SecretStore and ClusterSecretStore with its Ready condition; ' +
    'ClusterExternalSecrets when served. Reads external-secrets.io/v1, or v1beta1 on older releases, by discovery. ' +
    'Use it when an app is missing a secret or credentials look stale. Returns verdict ok/warn/crit (crit: an ' +
    'ExternalSecret or store not Ready; warn: not refreshed for over twice its interval, i.e. the controller may be ' +
    'down), the version read, the objects and findings. A cluster without External Secrets is reported as not installed.',
  effect: 'read',
  input: z.object({ namespace: namespaceSchema.optional().describe('Only this namespace; default: every namespace') }).strict(),
  output,
  rbac: RBAC,
  timeoutMs: 30_000,
  async run(ctx, input): Promise<Output> {
    const result = await collectSecrets(ctx, input.namespace);
    const verdict = verdictOf(result.findings);
    const summary = result.installed ? summarizeSubsystem('secrets', { served: true, scope: scopeOf(result), findings: result.findings, note: result.note }).line : (result.note ?? 'not installed');
    return { ...result, verdict, summary };
  },
  summarize: (out) => ({ verdict: out.verdict, line: out.summary }),
});
