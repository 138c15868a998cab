import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { parseConfig } from '../../src/core/config.js';
import { createServices } from '../../src/adapters/services.js';
import { defineOp, type OpContextBase, type Plan } from '../../src/core/op.js';
import { UserError } from '../../src/core/errors.js';
import { ConfirmationRefused, runOp, type AuditRecord, type ConfirmAnswer, type ConfirmRequest } from '../../src/core/run-op.js';
import type { KubePort } from '../../src/core/ports/kube.js';

// runOp never touches the cluster itself; these ops do not call the port at all.
const unusedKube = { withSignal: () => unusedKube, pending: () => [] } as unknown as KubePort;

function context(overrides: Partial<Record<string, unknown>> = {}): OpContextBase {
  const config = parseConfig(overrides);
  return {
    kube: unusedKube,
    services: createServices({ config, env: {}, log: { progress: () => {}, warn: () => {}, debug: () => {} } }),
    config,
    now: () => new Date('2026-11-24T00:00:00Z'),
    log: { progress: () => {}, warn: () => {}, debug: () => {} },
  };
}

const echo = defineOp({
  name: 'test_echo',
  title: 'Echo',
  description: 'Echoes',
  effect: 'read',
  input: z.object({ count: z.number().int().max(3).default(1), word: z.string().optional() }).strict(),
  output: z.object({ said: z.string() }),
  rbac: [],
  timeoutMs: 1000,
  async run(_ctx, input) {
    return { said: (input.word ?? 'hi').repeat(input.count) };
  },
  summarize: (out) => ({ verdict: out.said.length > 4 ? 'warn' : 'ok', line: out.said }),
});

const restart = defineOp({
  name: 'test_restart',
  title: 'Restart',
  description: 'Restarts',
  effect: 'write',
  input: z.object({ target: z.string() }),
  output: z.object({ done: z.boolean() }),
  rbac: [],
  timeoutMs: 1000,
  guard: { list: 'restart', target: (i) => i.target },
  async plan(_ctx, input) {
    return { summary: `restart ${input.target}`, changes: [{ action: `patch ${input.target}` }], effects: [], observed: [], state: undefined };
  },
  async run() {
    return { done: true };
  },
});

const yes = async (): Promise<ConfirmAnswer> => ({ apply: true, outcome: 'accepted' });

describe('runOp', () => {
  it('validates input, applies defaults and summarises', async () => {
    const result = await runOp(echo, { word: 'ab', count: 3 }, { context: context(), via: 'test' });
    expect(result).toEqual({ kind: 'done', output: { said: 'ababab' }, summary: { verdict: 'warn', line: 'ababab' } });
  });

  it('names the bad field the way the door calls it', async () => {
    await expect(runOp(echo, { count: 9 }, { context: context(), via: 'test', fieldLabel: (f) => `--${f}` })).rejects.toMatchObject({
      kind: 'UserError',
      message: expect.stringMatching(/--count: .*3/),
    });
    await expect(runOp(echo, { colour: 'red' }, { context: context(), via: 'test' })).rejects.toThrow(/unknown field colour/);
  });

  it('refuses writes in read-only mode and outside the allow-list, and audits what it refused to run', async () => {
    const audit: AuditRecord[] = [];
    const record = (r: AuditRecord) => audit.push(r);
    await expect(runOp(restart, { target: 'jellyfin/jellyfin' }, { context: context({ readOnly: true }), via: 'test', audit: record })).rejects.toMatchObject({
      kind: 'PolicyDenied',
      message: expect.stringContaining('read-only'),
    });
    await expect(runOp(restart, { target: 'kube-system/coredns' }, { context: context(), via: 'test', audit: record })).rejects.toMatchObject({
      kind: 'PolicyDenied',
      message: expect.stringContaining('allowed: jellyfin/jellyfin, pihole/pihole'),
    });
    await expect(runOp(restart, { target: 42 }, { context: context(), via: 'test', audit: record })).rejects.toMatchObject({ kind: 'UserError' });
    await expect(
      runOp(
        restart,
        { target: 'pihole/pihole' },
        {
          context: context(),
          via: 'test',
          audit: record,
          confirm: async () => {
            throw new ConfirmationRefused('declined', 'cancelled: nothing was changed');
          },
        },
      ),
    ).rejects.toMatchObject({ kind: 'UserError' });
    await runOp(restart, { target: 'pihole/unbound' }, { context: context(), via: 'test', caller: 'me', audit: record, confirm: yes });
    expect(audit).toEqual([
      expect.objectContaining({
        op: 'test_restart',
        via: 'test',
        phase: 'plan',
        outcome: 'refused',
        input: { target: 'jellyfin/jellyfin' },
        error: expect.stringContaining('read-only mode'),
      }),
      expect.objectContaining({
        phase: 'plan',
        outcome: 'refused',
        input: { target: 'kube-system/coredns' },
        error: expect.stringContaining('not in the allow-list for restart'),
      }),
      expect.objectContaining({ phase: 'plan', outcome: 'refused', input: { target: 42 }, error: expect.stringContaining('invalid input') }),
      // Each step of a write is on the record: its plan, the answer, and the apply.
      expect.objectContaining({
        phase: 'plan',
        outcome: 'ok',
        input: { target: 'pihole/pihole' },
        plan: { summary: 'restart pihole/pihole', changes: ['patch pihole/pihole'] },
      }),
      expect.objectContaining({
        phase: 'confirmation',
        outcome: 'refused',
        confirmation: 'declined',
        input: { target: 'pihole/pihole' },
        error: 'cancelled: nothing was changed',
      }),
      expect.objectContaining({ phase: 'plan', outcome: 'ok', caller: 'me', input: { target: 'pihole/unbound' } }),
      expect.objectContaining({ phase: 'confirmation', outcome: 'ok', confirmation: 'accepted', caller: 'me' }),
      expect.objectContaining({ op: 'test_restart', via: 'test', phase: 'apply', outcome: 'ok', caller: 'me', input: { target: 'pihole/unbound' } }),
    ]);
  });

  it('checks every further object a write touches against its allow-list, and audits the refusal', async () => {
    const touched: string[] = [];
    const sweep = defineOp({
      name: 'test_sweep',
      title: 'Sweep',
      description: 'Restarts several',
      effect: 'write',
      input: z.object({ targets: z.array(z.string()) }),
      output: z.object({ done: z.boolean() }),
      rbac: [],
      timeoutMs: 1000,
      async plan(ctx, input) {
        for (const target of input.targets) ctx.authorize('restart', target);
        return { summary: 'sweep', changes: input.targets.map((t) => ({ action: `patch ${t}` })), effects: [], observed: [], state: input.targets };
      },
      async run(_ctx, _input, plan) {
        touched.push(...plan.state);
        return { done: true };
      },
    });
    const audit: AuditRecord[] = [];
    await expect(
      runOp(sweep, { targets: ['pihole/pihole', 'kube-system/coredns'] }, { context: context(), via: 'test', audit: (r) => audit.push(r) }),
    ).rejects.toMatchObject({
      kind: 'PolicyDenied',
      message: expect.stringContaining('kube-system/coredns is not in the allow-list for restart'),
    });
    expect(touched).toEqual([]);
    expect(audit).toEqual([
      expect.objectContaining({ op: 'test_sweep', phase: 'plan', outcome: 'refused', error: expect.stringContaining('kube-system/coredns') }),
    ]);
  });

  it('names a service the op needs before asking anyone, and asks nothing', async () => {
    const scan = defineOp({ ...restart, name: 'test_scan', guard: undefined, requires: ['jellyfin'] });
    const asked: unknown[] = [];
    await expect(
      runOp(
        scan,
        { target: 'x' },
        {
          context: context(),
          via: 'test',
          confirm: async (i) => {
            asked.push(i);
            return { apply: true, outcome: 'accepted' };
          },
        },
      ),
    ).rejects.toMatchObject({
      kind: 'UserError',
      message: 'Jellyfin is not configured, so test_scan cannot run',
      hint: expect.stringContaining('services.jellyfin'),
    });
    expect(asked).toEqual([]);
  });

  it('asks for confirmation only after input and policy pass, with the plan', async () => {
    const asked: ConfirmRequest[] = [];
    const confirm = async (request: ConfirmRequest): Promise<ConfirmAnswer> => {
      asked.push(request);
      return { apply: true, outcome: 'accepted' };
    };
    await expect(runOp(restart, { target: 'x/y' }, { context: context(), via: 'test', confirm })).rejects.toMatchObject({ kind: 'PolicyDenied' });
    expect(asked).toEqual([]);
    await runOp(restart, { target: 'pihole/pihole' }, { context: context(), via: 'test', confirm });
    expect(asked).toEqual([
      expect.objectContaining({ input: { target: 'pihole/pihole' }, plan: expect.objectContaining({ summary: 'restart pihole/pihole' }) }),
    ]);
  });

  it("times out at the op's bound, aborting the signal the op was given", async () => {
    let seen: AbortSignal | undefined;
    const slow = defineOp({
      ...echo,
      name: 'test_slow',
      timeoutMs: 50,
      async run(ctx) {
        seen = ctx.signal;
        await new Promise((r) => setTimeout(r, 1000));
        return { said: 'late' };
      },
    });
    await expect(runOp(slow, {}, { context: context(), via: 'test' })).rejects.toMatchObject({ kind: 'Timeout', message: 'test_slow timed out after 50ms' });
    expect(seen?.aborted).toBe(true);
  });

  it('maps anything thrown to a typed error and rejects output that breaks its schema', async () => {
    const broken = defineOp({
      ...echo,
      name: 'test_broken',
      async run() {
        throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
      },
    });
    await expect(runOp(broken, {}, { context: context(), via: 'test' })).rejects.toMatchObject({ kind: 'Upstream', message: 'socket hang up' });
    const liar = defineOp({
      ...echo,
      name: 'test_liar',
      async run() {
        return { said: 42 } as unknown as { said: string };
      },
    });
    await expect(runOp(liar, {}, { context: context(), via: 'test' })).rejects.toThrow(/does not match its schema: said/);
  });
});

describe('runOp: a write is planned, confirmed on its plan, then run with that plan', () => {
  /** A write whose plan reads a version from `world` and whose run records the plan it was given. */
  function counter(world: { version: string; applied: Plan[]; changes?: number }) {
    return defineOp({
      name: 'test_bump',
      title: 'Bump',
      description: 'Bumps',
      effect: 'write',
      input: z.object({}).strict(),
      output: z.object({ version: z.string() }),
      rbac: [],
      timeoutMs: 1000,
      async plan() {
        const changes = Array.from({ length: world.changes ?? 1 }, () => ({ action: 'patch Thing a/b', body: { bump: true } }));
        return {
          summary: 'bump a/b',
          changes,
          effects: ['nothing else'],
          observed: [{ object: 'Thing a/b', resourceVersion: world.version }],
          state: world.version,
        };
      },
      async run(_ctx, _input, plan) {
        world.applied.push(plan);
        return { version: plan.state };
      },
    });
  }

  it('a dry run hands back the plan and runs nothing, without asking', async () => {
    const world = { version: '1', applied: [] as Plan[] };
    let asked = false;
    const result = await runOp(
      counter(world),
      {},
      {
        context: context(),
        via: 'test',
        dryRun: true,
        confirm: async () => {
          asked = true;
          return { apply: true, outcome: 'accepted' };
        },
      },
    );
    expect(result).toMatchObject({
      kind: 'plan',
      plan: { summary: 'bump a/b', changes: [{ action: 'patch Thing a/b', body: { bump: true } }], observed: [{ object: 'Thing a/b', resourceVersion: '1' }] },
    });
    expect(asked).toBe(false);
    expect(world.applied).toEqual([]);
  });

  it('hands the plan back with the token the door gives, and runs nothing', async () => {
    const world = { version: '1', applied: [] as Plan[] };
    const audit: AuditRecord[] = [];
    const result = await runOp(
      counter(world),
      {},
      { context: context(), via: 'test', audit: (r) => audit.push(r), confirm: async () => ({ apply: false, token: { token: 't', expiresAt: 'soon' } }) },
    );
    expect(result).toMatchObject({ kind: 'plan', token: { token: 't' } });
    expect(world.applied).toEqual([]);
    expect(audit.map((r) => [r.phase, r.outcome, r.confirmation])).toEqual([
      ['plan', 'ok', undefined],
      ['confirmation', 'ok', 'pending'],
    ]);
  });

  it('runs a plan that changes nothing without asking anyone', async () => {
    const world = { version: '1', applied: [] as Plan[], changes: 0 };
    let asked = false;
    const audit: AuditRecord[] = [];
    const result = await runOp(
      counter(world),
      {},
      {
        context: context(),
        via: 'test',
        audit: (r) => audit.push(r),
        confirm: async () => {
          asked = true;
          return { apply: false };
        },
      },
    );
    expect(result).toMatchObject({ kind: 'done', output: { version: '1' } });
    expect(asked).toBe(false);
    expect(audit.find((r) => r.phase === 'confirmation')?.confirmation).toBe('not-required');
  });

  it('after a slow yes, plans again and runs the fresh plan when nothing it read has moved', async () => {
    const world = { version: '1', applied: [] as Plan[] };
    await runOp(counter(world), {}, { context: context(), via: 'test', confirm: async () => ({ apply: true, outcome: 'accepted', recheck: true }) });
    expect(world.applied).toHaveLength(1);
  });

  it('after a slow yes, refuses when an object the plan read has moved, and runs nothing', async () => {
    const world = { version: '1', applied: [] as Plan[] };
    const audit: AuditRecord[] = [];
    const confirm = async (): Promise<ConfirmAnswer> => {
      world.version = '2'; // someone else changed it while the person read the plan
      return { apply: true, outcome: 'accepted', recheck: true };
    };
    await expect(runOp(counter(world), {}, { context: context(), via: 'test', audit: (r) => audit.push(r), confirm })).rejects.toMatchObject({
      kind: 'UserError',
      message: 'Thing a/b changed since the plan (resourceVersion 1, now 2); nothing was changed: look at the new plan and confirm again',
    });
    expect(world.applied).toEqual([]);
    expect(audit.at(-1)).toMatchObject({ phase: 'confirmation', outcome: 'refused', confirmation: 'changed' });
  });

  it('a plan that refuses refuses before anyone is asked, and is audited as the plan step', async () => {
    const refusing = defineOp({
      ...restart,
      name: 'test_refusing',
      async plan() {
        throw new UserError('deployment x/y is paused and would not roll out');
      },
    });
    let asked = false;
    const audit: AuditRecord[] = [];
    await expect(
      runOp(
        refusing,
        { target: 'pihole/pihole' },
        {
          context: context(),
          via: 'test',
          audit: (r) => audit.push(r),
          confirm: async () => {
            asked = true;
            return { apply: true, outcome: 'accepted' };
          },
        },
      ),
    ).rejects.toThrow('paused');
    expect(asked).toBe(false);
    expect(audit).toEqual([expect.objectContaining({ phase: 'plan', outcome: 'error', error: 'deployment x/y is paused and would not roll out' })]);
  });
});
