import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { parseConfig } from '../../src/core/config.js';
import { createServices } from '../../src/adapters/services.js';
import { defineOp, type OpContextBase } from '../../src/core/op.js';
import { runOp, type AuditRecord } from '../../src/core/run-op.js';
import { UserError } from '../../src/core/errors.js';
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
  async run() {
    return { done: true };
  },
});

describe('runOp', () => {
  it('validates input, applies defaults and summarises', async () => {
    const result = await runOp(echo, { word: 'ab', count: 3 }, { context: context(), via: 'test' });
    expect(result.output).toEqual({ said: 'ababab' });
    expect(result.summary).toEqual({ verdict: 'warn', line: 'ababab' });
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
    await expect(runOp(restart, { target: 'jellyfin/jellyfin' }, { context: context({ readOnly: true }), via: 'test', audit: record })).rejects.toMatchObject({ kind: 'PolicyDenied', message: expect.stringContaining('read-only') });
    await expect(runOp(restart, { target: 'kube-system/coredns' }, { context: context(), via: 'test', audit: record })).rejects.toMatchObject({
      kind: 'PolicyDenied',
      message: expect.stringContaining('allowed: jellyfin/jellyfin, pihole/pihole'),
    });
    await expect(runOp(restart, { target: 42 }, { context: context(), via: 'test', audit: record })).rejects.toMatchObject({ kind: 'UserError' });
    await expect(runOp(restart, { target: 'pihole/pihole' }, { context: context(), via: 'test', audit: record, confirm: async () => { throw new UserError('cancelled: nothing was changed'); } })).rejects.toMatchObject({ kind: 'UserError' });
    await runOp(restart, { target: 'pihole/unbound' }, { context: context(), via: 'test', audit: record });
    expect(audit).toEqual([
      expect.objectContaining({ op: 'test_restart', via: 'test', outcome: 'refused', input: { target: 'jellyfin/jellyfin' }, error: expect.stringContaining('read-only mode') }),
      expect.objectContaining({ outcome: 'refused', input: { target: 'kube-system/coredns' }, error: expect.stringContaining('not in the allow-list for restart') }),
      expect.objectContaining({ outcome: 'refused', input: { target: 42 }, error: expect.stringContaining('invalid input') }),
      expect.objectContaining({ outcome: 'refused', input: { target: 'pihole/pihole' }, error: 'cancelled: nothing was changed' }),
      expect.objectContaining({ op: 'test_restart', via: 'test', outcome: 'ok', input: { target: 'pihole/unbound' } }),
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
      async run(ctx, input) {
        for (const target of input.targets) ctx.authorize('restart', target);
        touched.push(...input.targets);
        return { done: true };
      },
    });
    const audit: AuditRecord[] = [];
    await expect(runOp(sweep, { targets: ['pihole/pihole', 'kube-system/coredns'] }, { context: context(), via: 'test', audit: (r) => audit.push(r) })).rejects.toMatchObject({
      kind: 'PolicyDenied',
      message: expect.stringContaining('kube-system/coredns is not in the allow-list for restart'),
    });
    expect(touched).toEqual([]);
    expect(audit).toEqual([expect.objectContaining({ op: 'test_sweep', outcome: 'refused', error: expect.stringContaining('kube-system/coredns') })]);
  });

  it('names a service the op needs before asking anyone, and asks nothing', async () => {
    const scan = defineOp({ ...restart, name: 'test_scan', guard: undefined, requires: ['jellyfin'] });
    const asked: unknown[] = [];
    await expect(runOp(scan, { target: 'x' }, { context: context(), via: 'test', confirm: async (i) => { asked.push(i); } })).rejects.toMatchObject({
      kind: 'UserError',
      message: 'Jellyfin is not configured, so test_scan cannot run',
      hint: expect.stringContaining('services.jellyfin'),
    });
    expect(asked).toEqual([]);
  });

  it('asks for confirmation only after input and policy pass', async () => {
    const asked: unknown[] = [];
    const confirm = async (input: unknown) => { asked.push(input); };
    await expect(runOp(restart, { target: 'x/y' }, { context: context(), via: 'test', confirm })).rejects.toMatchObject({ kind: 'PolicyDenied' });
    expect(asked).toEqual([]);
    await runOp(restart, { target: 'pihole/pihole' }, { context: context(), via: 'test', confirm });
    expect(asked).toEqual([{ target: 'pihole/pihole' }]);
  });

  it('times out at the op\'s bound, aborting the signal the op was given', async () => {
    let seen: AbortSignal | undefined;
    const slow = defineOp({ ...echo, name: 'test_slow', timeoutMs: 50, async run(ctx) { seen = ctx.signal; await new Promise((r) => setTimeout(r, 1000)); return { said: 'late' }; } });
    await expect(runOp(slow, {}, { context: context(), via: 'test' })).rejects.toMatchObject({ kind: 'Timeout', message: 'test_slow timed out after 50ms' });
    expect(seen?.aborted).toBe(true);
  });

  it('maps anything thrown to a typed error and rejects output that breaks its schema', async () => {
    const broken = defineOp({ ...echo, name: 'test_broken', async run() { throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }); } });
    await expect(runOp(broken, {}, { context: context(), via: 'test' })).rejects.toMatchObject({ kind: 'Upstream', message: 'socket hang up' });
    const liar = defineOp({ ...echo, name: 'test_liar', async run() { return { said: 42 } as unknown as { said: string }; } });
    await expect(runOp(liar, {}, { context: context(), via: 'test' })).rejects.toThrow(/does not match its schema: said/);
  });
});
