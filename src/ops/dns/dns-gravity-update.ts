import { z } from 'zod';
import { defineOp } from '../../core/op.js';
import { isoFromUnix, requirePihole } from './shared.js';
import { plural } from '../shared/format.js';

/** Lines kept in the output: the end of the run says how it went. */
const TAIL_LINES = 8;

const countSchema = z.object({
  domains: z.number().describe('Domains on the blocklists'),
  lastUpdate: z.string().optional().describe('When gravity was last updated (ISO)'),
});

export default defineOp({
  name: 'dns_gravity_update',
  title: "Update Pi-hole's blocklists",
  description:
    '`pihole -g`: downloads every list and rebuilds gravity, a minute or more; safe to repeat. Returns the failed lines and the domain count before and after.',
  effect: 'write',
  // The gravity database is rebuilt from the lists as they download now.
  hints: { destructive: true, idempotent: true },
  input: z.object({}).strict(),
  output: z.object({
    url: z.string().describe('The Pi-hole updated'),
    succeeded: z.boolean().describe('The run ended and no line reported a failure ([✗])'),
    before: countSchema,
    after: countSchema,
    change: z.number().describe('after.domains - before.domains'),
    okSteps: z.number().int().describe('Lines that reported success ([✓])'),
    failures: z.array(z.string()).describe('Lines that reported a failure ([✗]), e.g. a list that could not be downloaded'),
    tail: z.array(z.string()).describe(`The last ${TAIL_LINES} lines of the run`),
  }),
  rbac: [],
  requires: ['pihole'],
  timeoutMs: 15 * 60_000,
  async plan(ctx) {
    const pihole = await requirePihole(ctx, 'update gravity');
    const before = await pihole.summary();
    return {
      summary: `update gravity on Pi-hole at ${pihole.target}`,
      changes: [{ action: `POST /api/action/gravity on Pi-hole at ${pihole.target} (pihole -g)` }],
      effects: [
        `Pi-hole downloads every blocklist again and rebuilds its gravity database (${before.gravity.domainsBeingBlocked} domains blocked now); it takes a minute or more and DNS keeps answering meanwhile`,
      ],
      observed: [],
      state: { before },
    };
  },
  async run(ctx, _input, plan) {
    const pihole = await requirePihole(ctx, 'update gravity');
    const { before } = plan.state;
    ctx.log.progress(`► updating gravity on Pi-hole at ${pihole.target} (${before.gravity.domainsBeingBlocked} domains now); this takes a while`);
    const tail: string[] = [];
    const run = await pihole.updateGravity({
      onLine: (line) => {
        tail.push(line.trim());
        if (tail.length > TAIL_LINES) tail.shift();
        // Pi-hole marks each step [✓] or [✗] (escaped here: a literal one would make the bundled module two bytes a character).
        if (/^\s*\[[\u2713\u2717]\]/.test(line)) ctx.log.progress(`  ${line.trim()}`);
      },
    });
    const after = await pihole.summary();
    return {
      url: pihole.target,
      succeeded: run.failed.length === 0 && run.ok.length > 0,
      before: { domains: before.gravity.domainsBeingBlocked, lastUpdate: isoFromUnix(before.gravity.lastUpdate) },
      after: { domains: after.gravity.domainsBeingBlocked, lastUpdate: isoFromUnix(after.gravity.lastUpdate) },
      change: after.gravity.domainsBeingBlocked - before.gravity.domainsBeingBlocked,
      okSteps: run.ok.length,
      failures: run.failed,
      tail,
    };
  },
  summarize: (out) => {
    const counts = `${out.before.domains} → ${out.after.domains} domains (${out.change >= 0 ? '+' : ''}${out.change})`;
    if (out.succeeded) return { verdict: 'ok', line: `gravity updated: ${counts}` };
    if (!out.okSteps) return { verdict: 'crit', line: `gravity update failed: ${out.failures[0] ?? 'no step reported success'}; ${counts}` };
    return {
      verdict: out.after.domains > 0 ? 'warn' : 'crit',
      line: `gravity updated with ${plural(out.failures.length, 'failure')} (${out.failures[0] ?? ''}): ${counts}`,
    };
  },
});
