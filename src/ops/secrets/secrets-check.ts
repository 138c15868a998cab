import { z } from 'zod';
import type { OpContext } from '../../core/op.js';
import { formatAge } from '../../core/schemas.js';
import type { ResourceRef } from '../../core/ports/kube.js';
import { ageMs, conditionSchema, metadataSchema } from '../shared/k8s.js';
import { Reads } from '../shared/reads.js';
import { conditionStatusSchema, conditionState, type ConditionStatus } from '../shared/conditions.js';
import type { Finding } from '../shared/findings.js';
import type { Check, CheckReport } from '../shared/check.js';
import { plural } from '../shared/format.js';
import { DEFAULT_REFRESH_INTERVAL, ESO, esoVersion, externalSecretSchema, parseGoDuration, storeSchema } from './eso.js';
import { compareText } from '../../core/compare.js';

export const externalSecretRowSchema = z.object({
  namespace: z.string(),
  name: z.string(),
  ready: conditionStatusSchema.describe('The Ready condition; Unknown when the controller has not reported'),
  reason: z.string().optional().describe('e.g. SecretSynced, SecretSyncedError'),
  message: z.string().optional(),
  refreshTime: z.string().optional().describe('When the controller last fetched from the store'),
  refreshInterval: z.string().describe('spec.refreshInterval (ESO default 1h); 0s means fetch once'),
  refreshPolicy: z.string().optional().describe('Periodic (default), OnChange or CreatedOnce'),
  store: z.object({ kind: z.string(), name: z.string() }).describe('The SecretStore or ClusterSecretStore it reads from'),
  target: z.string().describe('The Secret it writes'),
  stale: z.boolean().describe('Ready, but not refreshed for more than twice its refreshInterval'),
});

export const storeRowSchema = z.object({
  kind: z.enum(['SecretStore', 'ClusterSecretStore']),
  namespace: z.string().optional().describe('Absent for a ClusterSecretStore'),
  name: z.string(),
  ready: conditionStatusSchema,
  reason: z.string().optional().describe('e.g. Valid, InvalidProviderConfig, ValidationFailed'),
  message: z.string().optional(),
  provider: z.string().optional().describe('The provider configured: vault, aws, onepassword, kubernetes, ...'),
});

export const clusterExternalSecretRowSchema = z.object({
  name: z.string(),
  ready: conditionStatusSchema,
  message: z.string().optional(),
  provisionedNamespaces: z.array(z.string()),
  failedNamespaces: z.array(z.object({ namespace: z.string(), reason: z.string().optional() })),
});

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

export interface SecretsData {
  /** external-secrets.io/v1 (ESO 0.16+) or v1beta1, when installed. */
  version?: string;
  externalSecrets: ExternalSecretRow[];
  stores: StoreRow[];
  clusterExternalSecretsServed: boolean;
  clusterExternalSecrets: ClusterExternalSecretRow[];
}

function readyOf(obj: unknown): { ready: ConditionStatus; reason?: string; message?: string } {
  const { status, reason, message } = conditionState(obj, 'Ready');
  return { ready: status, reason, message };
}

/** Every ExternalSecret, store and ClusterExternalSecret, by the controller's Ready condition and refresh times. */
async function checkSecrets(ctx: OpContext, params: { namespace?: string }): Promise<CheckReport<SecretsData>> {
  const { namespace } = params;
  const subject = namespace ? { kind: 'Namespace', name: namespace } : undefined;
  const reads = new Reads(ctx);
  // Discovery that fails is an error (finish() throws it), never "not installed".
  const version = await reads.discover(ESO, { group: ESO }, () => esoVersion(ctx));
  if (!version) {
    return reads.report({
      installed: false,
      scope: scopeOf(0, 0, undefined),
      subject,
      findings: reads.finish(),
      data: { externalSecrets: [], stores: [], clusterExternalSecretsServed: false, clusterExternalSecrets: [] },
      note: 'External Secrets is not installed (external-secrets.io v1/v1beta1 is not served): no ExternalSecrets to check',
    });
  }
  const ref = (resource: string, ns?: string): ResourceRef => ({ group: ESO, version, resource, namespace: ns });
  const now = ctx.now();
  const findings: Finding[] = [];

  const externalSecrets: ExternalSecretRow[] = [];
  // The ExternalSecrets, the stores and the ClusterExternalSecrets are independent: asked together (rows sorted below).
  const externalSecretsRead = reads.list({ ref: ref('externalsecrets', namespace), kind: 'ExternalSecret', schema: externalSecretSchema }, (es) => {
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
        severity: 'crit',
        kind: 'ExternalSecret',
        namespace: ns,
        name,
        reason: reason ?? 'NotReady',
        message: message ?? (ready === 'Unknown' ? 'not synced yet: the controller has not reported on it (is it running?)' : 'not Ready'),
      });
    } else if (stale) {
      findings.push({
        severity: 'warn',
        kind: 'ExternalSecret',
        namespace: ns,
        name,
        reason: 'Stale',
        message: `stale: is the controller running? last refreshed ${formatAge((age ?? 0) / 1000)} ago, refreshInterval ${refreshInterval}`,
      });
    }
    externalSecrets.push({
      namespace: ns,
      name,
      ready,
      reason,
      message,
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
  const storesRead = Promise.all(
    kinds.map(async (k) => {
      if (!(await reads.serves(ESO, version, k.resource))) return;
      await reads.list({ ref: ref(k.resource, k.ns), kind: k.kind, schema: storeSchema }, (store) => {
        const { ready, reason, message } = readyOf(store);
        const ns = k.kind === 'SecretStore' ? store.metadata.namespace : undefined;
        if (ready !== 'True') {
          findings.push({
            severity: 'crit',
            kind: k.kind,
            namespace: ns,
            name: store.metadata.name,
            reason: reason ?? 'NotReady',
            message: message ?? 'the store is not Ready',
          });
        }
        stores.push({ kind: k.kind, namespace: ns, name: store.metadata.name, ready, reason, message, provider: Object.keys(store.spec.provider ?? {})[0] });
      });
    }),
  );

  const clusterExternalSecrets: ClusterExternalSecretRow[] = [];
  const clusterExternalSecretsRead = (async () => {
    if ((await reads.serves(ESO, version, 'clusterexternalsecrets')) !== true) return false;
    await reads.list({ ref: ref('clusterexternalsecrets'), kind: 'ClusterExternalSecret', schema: clusterExternalSecretSchema }, (ces) => {
      const { ready, message } = readyOf(ces);
      const failed = (ces.status.failedNamespaces ?? []).map((f) => ({ namespace: f.namespace, reason: f.reason }));
      const name = ces.metadata.name;
      if (ready === 'False') {
        findings.push({ severity: 'crit', kind: 'ClusterExternalSecret', name, reason: 'NotReady', message: message ?? 'not Ready' });
      } else if (failed.length) {
        findings.push({
          severity: 'warn',
          kind: 'ClusterExternalSecret',
          name,
          reason: 'PartiallyFailed',
          message: `failed in ${plural(failed.length, 'namespace')}: ${failed.map((f) => `${f.namespace}${f.reason ? ` (${f.reason})` : ''}`).join(', ')}`,
        });
      }
      clusterExternalSecrets.push({ name, ready, message, provisionedNamespaces: ces.status.provisionedNamespaces ?? [], failedNamespaces: failed });
    });
    return true;
  })();
  const [, , clusterExternalSecretsServed] = await Promise.all([externalSecretsRead, storesRead, clusterExternalSecretsRead]);

  externalSecrets.sort((a, b) => compareText(a.namespace, b.namespace) || compareText(a.name, b.name));
  stores.sort((a, b) => compareText(a.kind, b.kind) || compareText(a.namespace ?? '', b.namespace ?? '') || compareText(a.name, b.name));
  const note = externalSecrets.length
    ? undefined
    : `no ExternalSecrets ${namespace ? `in namespace ${namespace}` : 'in any namespace'} (${ESO}/${version} is served): nothing to check`;
  return reads.report({
    installed: true,
    scope: scopeOf(externalSecrets.length, stores.length, version),
    note,
    subject,
    findings: [...findings, ...reads.finish()],
    data: { version, externalSecrets, stores, clusterExternalSecretsServed, clusterExternalSecrets },
  });
}

function scopeOf(externalSecrets: number, stores: number, version: string | undefined): string {
  return `${plural(externalSecrets, 'ExternalSecret')}, ${plural(stores, 'store')} (${ESO}/${version ?? '?'})`;
}

export const secretsCheck: Check<{ namespace?: string }, SecretsData> = {
  name: 'secrets',
  about: 'ExternalSecrets, their stores, ClusterExternalSecrets',
  rbac: [
    { apiGroup: ESO, resource: 'externalsecrets', verbs: ['list'] },
    { apiGroup: ESO, resource: 'secretstores', verbs: ['list'] },
    { apiGroup: ESO, resource: 'clustersecretstores', verbs: ['list'] },
    { apiGroup: ESO, resource: 'clusterexternalsecrets', verbs: ['list'] },
  ],
  run: checkSecrets,
};
