import { z } from 'zod';
import { DEFAULT_LIMIT, cutFindings, cutList, limitSchema, readyRank, truncation, truncationShape } from '../shared/bounded.js';
import { defineOp } from '../../core/op.js';
import { namespaceSchema } from '../../core/schemas.js';
import { findingsSchema, summarizeStatus, summaryLineSchema, verdictSchema } from '../shared/findings.js';
import { checkStatus } from '../shared/check.js';
import { clusterExternalSecretRowSchema, externalSecretRowSchema, secretsCheck, storeRowSchema } from './secrets-check.js';

const output = z.object({
  installed: z.boolean().describe('false when external-secrets.io is not served by this cluster'),
  version: z.string().optional().describe('The external-secrets.io version read: v1 (ESO 0.16+) or v1beta1 (older releases)'),
  note: z.string().optional(),
  verdict: verdictSchema,
  summary: summaryLineSchema,
  externalSecrets: z.array(externalSecretRowSchema),
  stores: z.array(storeRowSchema).describe('SecretStores and ClusterSecretStores'),
  clusterExternalSecretsServed: z.boolean(),
  clusterExternalSecrets: z.array(clusterExternalSecretRowSchema),
  findings: findingsSchema,
  ...truncationShape,
});
type Output = z.infer<typeof output>;

export default defineOp({
  name: 'secrets_status',
  title: 'External Secrets',
  description:
    "Each ExternalSecret's sync state, last refresh and store, and each store's Ready. Use it when an app misses a secret or credentials look stale.",
  effect: 'read',
  input: z.object({ namespace: namespaceSchema.optional().describe('Only this namespace'), limit: limitSchema() }).strict(),
  output,
  rbac: secretsCheck.rbac,
  timeoutMs: 30_000,
  async run(ctx, input): Promise<Output> {
    const report = await secretsCheck.run(ctx, input);
    const status = checkStatus(report, { name: secretsCheck.name, ok: `${secretsCheck.name}: ${report.scope}, all ok` });
    const limit = input.limit ?? DEFAULT_LIMIT;
    const narrow = 'namespace, limit';
    const ready = (row: { ready: 'True' | 'False' | 'Unknown' }) => (row.ready === 'True' ? 'Ready' : `Ready=${row.ready}`);
    const externalSecrets = cutList(report.data.externalSecrets, limit, {
      by: (e) => (e.stale ? 'Stale' : ready(e)),
      rank: (e) => readyRank(e.ready) + (e.stale ? 1 : 0),
      narrow,
    });
    const stores = cutList(report.data.stores, limit, { by: (s) => `${s.kind} ${ready(s)}`, rank: (s) => readyRank(s.ready), narrow });
    const clusterExternalSecrets = cutList(report.data.clusterExternalSecrets, limit, { by: ready, rank: (c) => readyRank(c.ready), narrow: 'limit' });
    const findings = cutFindings(status.findings, limit, narrow);
    return {
      installed: report.installed,
      note: report.note,
      ...report.data,
      ...status,
      externalSecrets: externalSecrets.rows,
      stores: stores.rows,
      clusterExternalSecrets: clusterExternalSecrets.rows,
      findings: findings.rows,
      ...truncation({ externalSecrets: externalSecrets.cut, stores: stores.cut, clusterExternalSecrets: clusterExternalSecrets.cut, findings: findings.cut }),
    };
  },
  summarize: summarizeStatus,
});
