import { describe, expect, it } from 'vitest';
import { CallGate } from '../../../src/adapters/mcp/call-gate.js';

/** A call that finishes when the test says so. */
function held(): { promise: Promise<string>; finish(value: string): void } {
  let finish!: (value: string) => void;
  const promise = new Promise<string>((resolve) => {
    finish = resolve;
  });
  return { promise, finish };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('CallGate', () => {
  it('runs at most maxRunning calls, starts the waiting ones in arrival order, and refuses what does not fit', async () => {
    const gate = new CallGate({ maxRunning: 1, maxQueued: 2 });
    const signal = new AbortController().signal;
    const first = gate.admit(1);
    const rest = gate.admit(2);
    expect(first && rest).toBeTruthy();
    expect(gate.admit(1)).toBeUndefined();

    const started: string[] = [];
    const a = held();
    const b = held();
    const c = held();
    const runA = first!.run(() => {
      started.push('a');
      return a.promise;
    }, signal);
    const runB = rest!.run(() => {
      started.push('b');
      return b.promise;
    }, signal);
    const runC = rest!.run(() => {
      started.push('c');
      return c.promise;
    }, signal);
    await tick();
    expect(started).toEqual(['a']);
    expect(gate.load).toEqual({ running: 1, waiting: 2 });

    a.finish('A');
    expect(await runA).toBe('A');
    await tick();
    expect(started).toEqual(['a', 'b']);
    expect(gate.admit(1)).toBeDefined(); // a's room is free again

    b.finish('B');
    c.finish('C');
    expect(await Promise.all([runB, runC])).toEqual(['B', 'C']);
    expect(started).toEqual(['a', 'b', 'c']);
  });

  it('gives back the room of a queued call whose client left, and of calls that never came', async () => {
    const gate = new CallGate({ maxRunning: 1, maxQueued: 1 });
    const running = gate.admit(1)!;
    const queued = gate.admit(1)!;
    const a = held();
    const runA = running.run(() => a.promise, new AbortController().signal);
    const leaving = new AbortController();
    const neverRuns = queued.run(async () => 'ran', leaving.signal);
    await tick();
    leaving.abort(new Error('client went away'));
    await expect(neverRuns).rejects.toThrow('client went away');
    expect(gate.load).toEqual({ running: 1, waiting: 0 });

    const batch = gate.admit(1)!;
    expect(gate.admit(1)).toBeUndefined();
    batch.release(); // the SDK refused the call itself: it never reached run()
    expect(gate.admit(1)).toBeDefined();

    a.finish('A');
    await runA;
  });

  it('refuses to run more calls than a request was admitted for', async () => {
    const gate = new CallGate({ maxRunning: 2, maxQueued: 0 });
    const one = gate.admit(1)!;
    const signal = new AbortController().signal;
    await one.run(async () => 'ok', signal);
    await expect(one.run(async () => 'again', signal)).rejects.toThrow('internal error: a request ran more tool calls than it carried');
  });

  it('suggests a Retry-After from the calls ahead and how long calls take, between 1 and 60 s', async () => {
    const gate = new CallGate({ maxRunning: 2, maxQueued: 4 });
    expect(gate.retryAfterSeconds()).toBeGreaterThanOrEqual(1);
    gate.admit(6);
    // 6 calls ahead on 2 slots, 2 s each before any call has been timed: 3 rounds of 2 s.
    expect(gate.retryAfterSeconds()).toBe(6);
  });
});
