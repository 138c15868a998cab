import { z } from 'zod';
import { defineOp } from '../../core/op.js';
import { NotFound, Upstream } from '../../core/errors.js';
import { formatAge, parseDuration } from '../../core/schemas.js';
import type { JellyfinTask } from '../../core/ports/jellyfin.js';
import { pollUntil } from '../shared/wait.js';
import { requireJellyfin } from './jellyfin.js';

/** The "Scan Media Library" scheduled task's key (the same in 10.10, 10.11 and 12.0). */
const SCAN_TASK_KEY = 'RefreshLibrary';
/** A library refresh that was never seen running is taken as done after this many idle polls. */
const IDLE_POLLS = 3;
const POLL_MS = 1000;
/** Library refresh state is polled faster: it has no history to read afterwards. */
const LIBRARY_POLL_MS = 500;

const stateSchema = z.enum(['Running', 'Completed', 'Failed', 'Cancelled', 'Aborted']);
type State = z.infer<typeof stateSchema>;

function took(ms: number): string {
  return ms < 1000 ? 'under 1s' : formatAge(ms / 1000);
}

function taskOutcome(task: JellyfinTask): State {
  const status = task.lastResult?.status;
  return status === 'Failed' || status === 'Cancelled' || status === 'Aborted' ? status : 'Completed';
}

export default defineOp({
  name: 'jellyfin_scan',
  title: 'Scan Jellyfin libraries',
  description:
    'Scan Jellyfin\'s libraries, or one by name, and wait until done (wait=false only starts it; a running scan is ' +
    'joined). Use it after adding media. Returns the outcome.',
  effect: 'write',
  input: z
    .object({
      library: z.string().min(1).max(200).optional().describe('Only this library (default: all)'),
      wait: z.boolean().default(true).describe('Wait for the scan to finish (--no-wait: just start it)'),
      timeout: z
        .string()
        .refine((s) => { const secs = parseDuration(s); return secs !== undefined && secs >= 1 && secs <= 59 * 60; }, 'must be a duration from 1s to 59m')
        .default('30m')
        .describe('How long to wait for the scan'),
    })
    .strict(),
  output: z.object({
    scope: z.enum(['all', 'library']),
    library: z.string().optional(),
    task: z.string().optional().describe('The scheduled task run, for a scan of all libraries'),
    started: z.boolean().describe('false when a scan was already running and was joined'),
    state: stateSchema.describe('Running unless waited for'),
    startedAt: z.string().optional(),
    endedAt: z.string().optional(),
    took: z.string().optional().describe('How long the scan took, e.g. 42s'),
    error: z.string().optional().describe('Jellyfin\'s error message for a failed scan'),
  }),
  hints: { destructive: false, idempotent: true },
  rbac: [],
  requires: ['jellyfin'],
  timeoutMs: 61 * 60_000,
  async run(ctx, input) {
    const jf = await requireJellyfin(ctx);
    const timeoutMs = (parseDuration(input.timeout) ?? 1800) * 1000;
    const began = ctx.now();

    if (input.library) {
      const libraries = await jf.libraries();
      const wanted = input.library.toLowerCase();
      const lib = libraries.find((l) => l.name.toLowerCase() === wanted);
      if (!lib) {
        throw new NotFound(`Jellyfin at ${jf.target} has no library named "${input.library}" (libraries: ${libraries.map((l) => l.name).join(', ') || 'none'})`);
      }
      if (!lib.itemId) throw new Upstream(`Jellyfin did not say which item library "${lib.name}" is, so it cannot be refreshed alone; scan all libraries instead`);
      ctx.log.progress(`► queueing a scan of library ${lib.name}`);
      await jf.refreshItem(lib.itemId, { metadata: 'Default', images: 'Default', replaceAllMetadata: false });
      const base = { scope: 'library' as const, library: lib.name, started: true, startedAt: began.toISOString() };
      if (!input.wait) return { ...base, state: 'Running' as const };
      ctx.log.progress(`◎ waiting for library ${lib.name} to finish scanning`);
      let seenActive = false;
      let idle = 0;
      await pollUntil(
        async () => {
          const now = (await jf.libraries()).find((l) => l.name === lib.name);
          if (now?.refreshStatus === 'Active') {
            seenActive = true;
            if (now.refreshProgress !== undefined) ctx.log.progress(`  ${lib.name}: ${Math.round(now.refreshProgress)}%`);
            return undefined;
          }
          // Jellyfin reports no per-folder history: done is "was running and is not", or idle for a few polls.
          return seenActive || ++idle >= IDLE_POLLS ? true : undefined;
        },
        { timeoutMs, intervalMs: LIBRARY_POLL_MS, signal: ctx.signal, describe: () => `library ${lib.name} was still scanning after ${input.timeout} (it keeps going)` },
      );
      const ended = ctx.now();
      return { ...base, state: 'Completed' as const, endedAt: ended.toISOString(), took: took(ended.getTime() - began.getTime()) };
    }

    const tasks = await jf.tasks();
    const task = tasks.find((t) => t.key === SCAN_TASK_KEY) ?? tasks.find((t) => t.name === 'Scan Media Library');
    if (!task) throw new NotFound(`Jellyfin at ${jf.target} has no "Scan Media Library" scheduled task (key ${SCAN_TASK_KEY}) among its ${tasks.length} tasks`);
    const alreadyRunning = task.state === 'Running';
    const previousStart = task.lastResult?.startTime;
    if (alreadyRunning) ctx.log.progress(`◎ ${task.name} is already running (${Math.round(task.progress ?? 0)}%): joining it`);
    else {
      ctx.log.progress(`► starting ${task.name}`);
      await jf.startTask(task.id);
    }
    const base = { scope: 'all' as const, task: task.name, started: !alreadyRunning };
    if (!input.wait) return { ...base, state: 'Running' as const, startedAt: began.toISOString() };
    let lastPct = -1;
    const done = await pollUntil(
      async () => {
        const now = await jf.task(task.id);
        if (now.state !== 'Idle') {
          const pct = Math.round(now.progress ?? 0);
          if (pct !== lastPct) ctx.log.progress(`  ${task.name}: ${pct}%`);
          lastPct = pct;
          return undefined;
        }
        // Idle again, with a run newer than the one before we started it (or the run we joined).
        const newRun = now.lastResult?.startTime !== undefined && (alreadyRunning || now.lastResult.startTime !== previousStart);
        return newRun || (alreadyRunning && lastPct >= 0) ? now : undefined;
      },
      { timeoutMs, intervalMs: POLL_MS, signal: ctx.signal, describe: () => `${task.name} was still running after ${input.timeout} (it keeps going on the server)` },
    );
    const r = done.lastResult;
    const start = r?.startTime ? new Date(r.startTime) : undefined;
    const end = r?.endTime ? new Date(r.endTime) : undefined;
    return {
      ...base,
      state: taskOutcome(done),
      startedAt: r?.startTime,
      endedAt: r?.endTime,
      took: start && end && !Number.isNaN(start.getTime()) && !Number.isNaN(end.getTime()) ? took(end.getTime() - start.getTime()) : undefined,
      error: r?.errorMessage,
    };
  },
  summarize: (out) => {
    const what = out.scope === 'all' ? 'scan of all libraries' : `scan of library ${out.library}`;
    if (out.state === 'Running') return { verdict: 'ok', line: `${what} ${out.started ? 'started' : 'already running'}; not waited for` };
    if (out.state === 'Completed') return { verdict: 'ok', line: `${what} completed${out.took ? ` in ${out.took}` : ''}` };
    return { verdict: 'crit', line: `${what} ${out.state.toLowerCase()}${out.error ? `: ${out.error}` : ''}` };
  },
});
