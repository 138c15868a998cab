import { z } from 'zod';
import { UserError } from '../../core/errors.js';
import { defineOp } from '../../core/op.js';
import { summarizeStatus } from '../shared/findings.js';
import { serviceStatus, serviceStatusSchema } from '../shared/service.js';
import { postgresCheck, postgresStatusSchema } from './postgres-check.js';
import { NOT_CONFIGURED_HINT, POSTGRES_RBAC } from './session.js';

const output = serviceStatusSchema(postgresStatusSchema);
type Output = z.infer<typeof output>;

export default defineOp({
  name: 'postgres_status',
  title: 'PostgreSQL: databases, connections, replication',
  description: 'Read-only: role, connections, database sizes, replication lag, long-running statements. Use it when an app cannot reach its database.',
  effect: 'read',
  listedWith: ['postgres'],
  input: z.object({ limit: z.number().int().min(1).max(100).default(20).describe('Databases and long-running statements listed') }).strict(),
  output,
  rbac: POSTGRES_RBAC,
  timeoutMs: 60_000,
  async run(ctx, input): Promise<Output> {
    if (!ctx.config.services.postgres) throw new UserError('PostgreSQL is not configured', { hint: NOT_CONFIGURED_HINT });
    const report = await postgresCheck.run(ctx, { limit: input.limit });
    return serviceStatus(
      report,
      `${report.scope}, no problems found`,
      'the long-running backends are all counted; end them in psql with pg_cancel_backend(pid) if you mean to',
    );
  },
  summarize: summarizeStatus,
});
