import { z } from 'zod';
import { defineOp, type Plan } from '../../core/op.js';
import { NotFound, Upstream } from '../../core/errors.js';
import { formatAge } from '../../core/schemas.js';
import type { JellyfinId, JellyfinLibrary, JellyfinTask } from '../../core/ports/jellyfin.js';
import { boundWithWait, pollInterval, pollUntil, waitInput, waitMs } from '../shared/wait.js';
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

/** What the plan found: the library to refresh, or the scheduled task to start (or join). */
type ScanState = { scope: 'library'; library: JellyfinLibrary; itemId: JellyfinId } | { scope: 'all'; task: JellyfinTask };

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
    'Scan all libraries or one, and wait until done (wait=false only starts it; a running scan is joined). Use it after adding media. Returns the outcome.',
  effect: 'write',
  input: z
    .object({
      library: z.string().min(1).max(200).optional(),
      ...waitInput({ timeout: '30m', max: '59m' }),
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
    error: z.string().optional().describe("Jellyfin's error message for a failed scan"),
  }),
  hints: { destructive: false, idempotent: true },
  rbac: [],
  requires: ['jellyfin'],
  timeoutMs: 60_000,
  timeoutFor: boundWithWait(60_000),
  async plan(ctx, input): Promise<Plan<ScanState>> {
    const jf = await requireJellyfin(ctx);
    const effect = 'Jellyfin walks the library folders for new and changed files and fetches metadata for new items; the server is busy while it runs';
    if (input.library) {
      const libraries = await jf.libraries();
      const wanted = input.library.toLowerCase();
      const lib = libraries.find((l) => l.name.toLowerCase() === wanted);
      if (!lib) {
        throw new NotFound(
          `Jellyfin at ${jf.target} has no library named "${input.library}" (libraries: ${libraries.map((l) => l.name).join(', ') || 'none'})`,
        );
      }
      if (!lib.itemId)
        throw new Upstream(`Jellyfin did not say which item library "${lib.name}" is, so it cannot be refreshed alone; scan all libraries instead`);
      return {
        summary: `scan library ${lib.name} on Jellyfin at ${jf.target}`,
        changes: [{ action: `POST /Items/${lib.itemId}/Refresh on Jellyfin at ${jf.target} (a scan of library ${lib.name})` }],
        effects: [effect],
        observed: [],
        state: { scope: 'library', library: lib, itemId: lib.itemId },
      };
    }
    const tasks = await jf.tasks();
    const task = tasks.find((t) => t.key === SCAN_TASK_KEY) ?? tasks.find((t) => t.name === 'Scan Media Library');
    if (!task) throw new NotFound(`Jellyfin at ${jf.target} has no "Scan Media Library" scheduled task (key ${SCAN_TASK_KEY}) among its ${tasks.length} tasks`);
    const running = task.state === 'Running';
    return {
      summary: running
        ? `join the scan of all libraries already running on Jellyfin at ${jf.target}: nothing to start`
        : `scan all libraries on Jellyfin at ${jf.target}`,
      changes: running ? [] : [{ action: `POST /ScheduledTasks/Running/${task.id} on Jellyfin at ${jf.target} (start ${task.name})` }],
      effects: running ? [] : [effect],
      observed: [],
      state: { scope: 'all', task },
    };
  },
  async run(ctx, input, plan) {
    const jf = await requireJellyfin(ctx);
    const timeoutMs = waitMs(input);
    const began = ctx.now();
    const planned = plan.state;

    if (planned.scope === 'library') {
      const lib = planned.library;
      ctx.log.progress(`► queueing a scan of library ${lib.name}`);
      await jf.refreshItem(planned.itemId, { metadata: 'Default', images: 'Default', replaceAllMetadata: false });
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
        {
          timeoutMs,
          // Its own cadence always: "idle for IDLE_POLLS polls" is a span of time.
          intervalMs: LIBRARY_POLL_MS,
          signal: ctx.signal,
          describe: () => `library ${lib.name} was still scanning after ${input.timeout} (it keeps going)`,
        },
      );
      const ended = ctx.now();
      return { ...base, state: 'Completed' as const, endedAt: ended.toISOString(), took: took(ended.getTime() - began.getTime()) };
    }

    const { task } = planned;
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
      {
        timeoutMs,
        intervalMs: pollInterval(ctx, POLL_MS),
        signal: ctx.signal,
        describe: () => `${task.name} was still running after ${input.timeout} (it keeps going on the server)`,
      },
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
