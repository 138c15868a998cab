import { z } from 'zod';
import { UserError } from '../../core/errors.js';
import { defineOp } from '../../core/op.js';
import { durationSchema, parseDuration } from '../../core/schemas.js';
import { summarizeStatus } from '../shared/findings.js';
import { serviceStatus, serviceStatusSchema } from '../shared/service.js';
import { authentikCheck, authentikStatusSchema } from './authentik-check.js';

const output = serviceStatusSchema(authentikStatusSchema);
type Output = z.infer<typeof output>;

export default defineOp({
  name: 'authentik_status',
  title: 'Authentik: users, applications, outposts, failed logins',
  description:
    'Read-only: version, users and superusers, applications without a provider, outpost health, failed logins since `since`. Use it when single sign-on fails.',
  effect: 'read',
  listedWith: ['authentik'],
  input: z
    .object({
      limit: z.number().int().min(1).max(100).default(10).describe('Users, applications and failed logins listed'),
      since: durationSchema.default('24h').describe('How far back, e.g. 1h, 7d'),
    })
    .strict(),
  output,
  rbac: [],
  timeoutMs: 60_000,
  async run(ctx, input): Promise<Output> {
    if (!ctx.config.services.authentik)
      throw new UserError('Authentik is not configured', { hint: 'add services.authentik (url, token: {env: NAME}) to the config file' });
    const report = await authentikCheck.run(ctx, { limit: input.limit, sinceMs: (parseDuration(input.since) ?? 86_400) * 1000 });
    return serviceStatus(
      report,
      `${report.scope}: outposts connected, every application has a provider`,
      'applications without a provider are all named in applications.withoutProvider; fix the worst findings first',
    );
  },
  summarize: summarizeStatus,
});
