import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { parseConfig } from '../../src/core/config.js';
import { createServices } from '../../src/adapters/services.js';
import { defineOp, type OpContext } from '../../src/core/op.js';
import { runOp, type AuditRecord } from '../../src/core/run-op.js';
import type { KubePort } from '../../src/core/ports/kube.js';

// runOp never touches the cluster itself; these ops do not call the port at all.
const unusedKube = { withSignal: () => unusedKube } as unknown as KubePort;

function context(overrides: Partial<Record<string, unknown>> = {}): Omit<OpContext, 'signal'> {
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
    await expect(runOp(restart, { target: 'jellyfin/jellyfin' }, { context: context({ readOnly: true }), via: 'test' })).rejects.toMatchObject({ kind: 'PolicyDenied', message: expect.stringContaining('read-only') });
    await expect(runOp(restart, { target: 'kube-system/coredns' }, { context: context(), via: 'test' })).rejects.toMatchObject({
      kind: 'PolicyDenied',
      message: expect.stringContaining('allowed: jellyfin/jellyfin, pihole/pihole'),
    });
    const audit: AuditRecord[] = [];
    await runOp(restart, { target: 'pihole/unbound' }, { context: context(), via: 'test', audit: (r) => audit.push(r) });
    expect(audit).toEqual([expect.objectContaining({ op: 'test_restart', via: 'test', outcome: 'ok', input: { target: 'pihole/unbound' } })]);
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
