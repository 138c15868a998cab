import { z } from 'zod';
import { defineOp } from '../../core/op.js';
import { UserError } from '../../core/errors.js';
import { namespaceSchema } from '../../core/schemas.js';
import { findingsSchema, summarizeStatus, summaryLineSchema, verdictSchema } from '../shared/findings.js';
import { checkStatus } from '../shared/check.js';
import { plural } from '../shared/format.js';
import { findingsCountSchema, findingsShown } from '../shared/shown.js';
import { DEFAULT_CRIT_PERCENT, DEFAULT_WARN_PERCENT, claimStateSchema, storageCheck, volumeStateSchema, volumeUseStateSchema } from './storage-check.js';

const output = z.object({
  verdict: verdictSchema,
  summary: summaryLineSchema,
  claims: z.array(claimStateSchema).describe('Claims with problems first, then the rest, up to limit'),
  claimsTotal: z.number().int(),
  claimsByPhase: z.record(z.string(), z.number().int()).describe('Every claim counted by phase'),
  volumes: z.array(volumeStateSchema).describe('PersistentVolumes not bound to a claim, up to limit'),
  volumesTotal: z.number().int(),
  volumeUse: volumeUseStateSchema,
  truncated: z.boolean(),
  narrow: z.string().optional().describe('How to see the rest when truncated'),
  findings: findingsSchema.describe('Why each listed claim or volume is a problem, and what could not be read'),
  ...findingsCountSchema,
});
type Output = z.infer<typeof output>;

export default defineOp({
  name: 'storage_status',
  title: 'Storage',
  description:
    'PVCs and volumes: why a claim is Pending, lost claims, Released or Failed volumes, how full volumes are (storage.kubeletStats). Problems first.',
  effect: 'read',
  input: z
    .object({
      namespace: namespaceSchema.optional().describe('Only this namespace'),
      warnPercent: z.number().int().min(1).max(100).default(DEFAULT_WARN_PERCENT),
      critPercent: z.number().int().min(1).max(100).default(DEFAULT_CRIT_PERCENT),
      limit: z.number().int().min(1).max(500).default(5).describe('Claims and volumes listed, problems first'),
    })
    .strict(),
  output,
  rbac: storageCheck.rbac,
  timeoutMs: 30_000,
  async run(ctx, input): Promise<Output> {
    if (input.warnPercent > input.critPercent)
      throw new UserError(`warnPercent (${input.warnPercent}) must not be more than critPercent (${input.critPercent})`);
    const report = await storageCheck.run(ctx, input);
    const { claims, volumes, volumesTotal, volumeUse } = report.data;
    const claimsByPhase: Record<string, number> = {};
    for (const c of claims) claimsByPhase[c.phase] = (claimsByPhase[c.phase] ?? 0) + 1;
    const listedClaims = claims.slice(0, input.limit);
    const listedVolumes = volumes.slice(0, input.limit);
    const unlisted = claims.length - listedClaims.length + volumes.length - listedVolumes.length;
    const bound = claimsByPhase.Bound ?? 0;
    const ok = `${report.scope}: ${bound === claims.length ? 'every claim Bound' : `${bound} of ${claims.length} claims Bound`}`;
    const status = checkStatus(report, { name: storageCheck.name, ok });
    const asObjects = (cs: typeof claims, vs: typeof volumes) => [
      ...cs.map((c) => ({ kind: 'PersistentVolumeClaim', namespace: c.namespace, name: c.name })),
      ...vs.map((v) => ({ kind: 'PersistentVolume', name: v.name })),
    ];
    return {
      claims: listedClaims,
      claimsTotal: claims.length,
      claimsByPhase,
      volumes: listedVolumes,
      volumesTotal,
      volumeUse,
      truncated: unlisted > 0,
      ...(unlisted
        ? {
            narrow: `${plural(unlisted, 'more claim or volume', 'more claims or volumes')} not listed (problems come first): narrow with namespace (-n) or raise limit`,
          }
        : {}),
      verdict: status.verdict,
      summary: status.summary,
      ...findingsShown(status.findings, asObjects(claims, volumes), asObjects(listedClaims, listedVolumes)),
    };
  },
  summarize: summarizeStatus,
});
