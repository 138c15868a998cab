import { z } from 'zod';
import { defineOp } from '../../core/op.js';
import { namespaceSchema } from '../../core/schemas.js';
import { findingsSchema, summarizeStatus, summaryLineSchema, verdictSchema } from '../shared/findings.js';
import { checkStatus } from '../shared/check.js';
import { fluxKindSchema } from './kinds.js';
import { fluxObjectSummarySchema } from './objects.js';
import { STATUS_KINDS, fluxCheck } from './flux-check.js';
import { DEFAULT_LIMIT, cutList, limitSchema, truncation, truncationShape } from '../shared/bounded.js';

const output = z.object({
  verdict: verdictSchema,
  summary: summaryLineSchema,
  installed: z.boolean().describe('false when no Flux API is served: Flux is not installed'),
  apis: z.array(
    z.object({
      kind: z.string(),
      version: z.string().nullable().describe('Served version read; null when not served, or when it could not be read (see error)'),
      error: z.string().optional().describe('Why this kind could not be read (discovery or list failed, 403); also a finding'),
    }),
  ),
  objects: z.array(fluxObjectSummarySchema),
  findings: findingsSchema,
  ...truncationShape,
});

export default defineOp({
  name: 'flux_status',
  title: 'Flux GitOps status',
  description:
    'Kustomizations, HelmReleases, sources and image automation: Ready, revision, suspended, failing since. Use it when a change from Git does not arrive.',
  effect: 'read',
  input: z
    .object({
      namespace: namespaceSchema.optional().describe('Only this namespace'),
      kind: fluxKindSchema(STATUS_KINDS.map((k) => k.key) as [string, ...string[]]).optional(),
      limit: limitSchema(),
    })
    .strict(),
  output,
  rbac: fluxCheck.rbac,
  timeoutMs: 60_000,
  async run(ctx, input) {
    const report = await fluxCheck.run(ctx, input);
    const status = checkStatus(report, { ok: `${report.scope}: all ready` });
    const limit = input.limit ?? DEFAULT_LIMIT;
    const narrow = 'namespace, kind, limit';
    const objects = cutList(report.data.objects, limit, {
      by: (o) => `${o.kind} ${o.suspended ? 'Suspended' : o.ready === 'True' ? 'Ready' : 'NotReady'}`,
      rank: (o) => (o.ready === 'True' ? 0 : 2) + (o.suspended ? 1 : 0),
      narrow,
    });
    const findings = cutList(status.findings, limit, { by: (f) => f.reason, narrow });
    return {
      installed: report.installed,
      ...report.data,
      ...status,
      objects: objects.rows,
      findings: findings.rows,
      ...truncation({ objects: objects.cut, findings: findings.cut }),
    };
  },
  summarize: summarizeStatus,
});
