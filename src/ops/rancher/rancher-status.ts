import { z } from 'zod';
import { NotFound, UserError } from '../../core/errors.js';
import { defineOp } from '../../core/op.js';
import { summarizeStatus } from '../shared/findings.js';
import { serviceStatus, serviceStatusSchema } from '../shared/service.js';
import { rancherCheck, rancherStatusSchema } from './rancher-check.js';

const output = serviceStatusSchema(rancherStatusSchema);
type Output = z.infer<typeof output>;

export default defineOp({
  name: 'rancher_status',
  title: 'Rancher: clusters and their nodes',
  description:
    "Read-only: each managed cluster's state, provider, Kubernetes version and failing conditions, and its nodes. Returns the clusters and findings.",
  effect: 'read',
  listedWith: ['rancher'],
  input: z
    .object({
      cluster: z.string().min(1).max(253).optional().describe('Its name or id'),
      limit: z.number().int().min(1).max(200).default(20).describe('Nodes listed per cluster (all are checked)'),
    })
    .strict(),
  output,
  rbac: [],
  timeoutMs: 60_000,
  args: ['cluster'],
  async run(ctx, input): Promise<Output> {
    if (!ctx.config.services.rancher)
      throw new UserError('Rancher is not configured', { hint: 'add services.rancher (url, token: {env: NAME}) to the config file' });
    const report = await rancherCheck.run(ctx, { cluster: input.cluster, nodesLimit: input.limit });
    if (input.cluster && report.data.reachable && !report.data.clusters?.length)
      throw new NotFound(`Rancher manages no cluster named ${input.cluster}`, { hint: 'homelab rancher lists them' });
    return serviceStatus(report, `${report.scope}, all active`, 'narrow to one cluster (cluster: NAME) to see its findings');
  },
  summarize: summarizeStatus,
});
