import { Flags, type Command } from '@oclif/core';
import { createInterface } from 'node:readline/promises';
import { stringify } from 'yaml';
import type { z } from 'zod';
import type { InputSchema, Op, OutputSchema, Plan, Verdict } from '../../core/op.js';
import { Timeout } from '../../core/errors.js';
import { ConfirmationRefused, runOp, type ConfirmAnswer, type OpResult } from '../../core/run-op.js';
import { planOutput, planText } from '../plan-text.js';
import { HomelabCommand } from './base.js';
import { reportError } from '../stderr.js';
import { argsFor, fieldLabelFor, flagsFor, inputFrom } from './flags.js';
import type { Ui } from './ui.js';

const VERDICT_EXIT: Record<Verdict, number> = { ok: 0, warn: 1, crit: 2 };

export interface CommandOptions<I extends InputSchema, O extends OutputSchema> {
  /** --help's EXAMPLES; `<%= config.bin %>` is the binary's name. */
  examples: Array<string | { description: string; command: string }>;
  /** The view for people; --json prints the op's output instead. */
  render?: (output: z.output<O>, ui: Ui) => string;
  /** The question asked on a TTY before a write, e.g. "Restart deployment jellyfin/jellyfin?". */
  confirm?: (input: z.output<I>) => string;
  /** Without --yes, a dry run: show the plan instead of asking (flux heal). */
  dryRunUnlessYes?: boolean;
  /** Offer --watch: run again every --interval and redraw (status commands whose answer changes). */
  watch?: boolean;
  /** What the command line means beyond the op's own defaults (logs -f follows until Ctrl-C). */
  adjustInput?: (input: Record<string, unknown>, given: ReadonlySet<string>) => void;
}

const OUTPUTS = ['table', 'wide', 'json', 'yaml'] as const;
type OutputFormat = (typeof OUTPUTS)[number];

/** An optional `namespace` input with no default means "every namespace" when omitted: kubectl's -A. */
function allNamespacesMeant(op: { input: InputSchema; args?: readonly string[] }): boolean {
  const field = op.input.shape.namespace as z.ZodType | undefined;
  if (!field || (op.args ?? []).includes('namespace')) return false;
  const parsed = field.safeParse(undefined);
  return parsed.success && parsed.data === undefined;
}

/** A command is a door onto one op: flags from its input schema, output from its result. */
export function commandFor<I extends InputSchema, O extends OutputSchema>(op: Op<I, O>, options: CommandOptions<I, O>): typeof Command {
  const writes = op.effect === 'write';
  return class OpCommand extends HomelabCommand {
    /** The op this command is a door onto: scripts/cli-commands.ts reads it to render suggested commands. */
    static opName = op.name;
    static override summary = op.title;
    static override description = `${op.description}${!writes ? '' : options.dryRunUnlessYes ? '\n\nWithout --yes this is a dry run: it shows the plan (what would change, what it touches) and changes nothing. Refused in read-only mode.' : '\n\nThis is a write: on a terminal it shows the plan and asks first; scripts pass --yes; --dry-run only shows the plan. Refused in read-only mode.'}`;
    static override examples = options.examples;
    static override args = argsFor(op);
    static override flags = {
      ...flagsFor(op),
      ...(allNamespacesMeant(op)
        ? { 'all-namespaces': Flags.boolean({ char: 'A', description: 'Every namespace (the default when -n is not given)', exclusive: ['namespace'] }) }
        : {}),
      output: Flags.string({
        char: 'o',
        options: [...OUTPUTS],
        description: "table (default), wide (no column cut short), json (the operation's output, as --json) or yaml",
      }),
      json: Flags.boolean({ description: "Print the result as JSON (exactly the operation's output) for scripts", exclusive: ['output'] }),
      'no-headers': Flags.boolean({ description: 'Tables without their header row (for awk and cut)' }),
      ...(options.watch && !writes
        ? {
            watch: Flags.boolean({ char: 'w', description: 'Run again every --interval and redraw, until Ctrl-C (with -o json: one JSON document per line)' }),
            interval: Flags.integer({ description: 'Seconds between runs with --watch', default: 10, min: 2, max: 3600 }),
          }
        : {}),
      ...(writes
        ? {
            yes: Flags.boolean({
              char: 'y',
              description: options.dryRunUnlessYes ? 'Do it (without --yes it only shows the plan)' : 'Do it without asking (needed when not on a terminal)',
              exclusive: ['dry-run'],
            }),
            'dry-run': Flags.boolean({ description: 'Show the plan (what would change, what it touches) and change nothing' }),
          }
        : {}),
    };

    async run(): Promise<void> {
      const { args, flags, metadata } = await this.parse(OpCommand);
      this.debugEnabled = Boolean(flags.debug);
      const format: OutputFormat = flags.json ? 'json' : ((flags.output as OutputFormat | undefined) ?? 'table');
      const runtime = await this.runtime(flags);
      const input = inputFrom(op, flags, args);
      // An op with an `output` input answers by the format asked (get: the objects for json and yaml).
      if (op.input.shape.output) input.output = format;
      const given = new Set(Object.keys(flags).filter((name) => !metadata.flags[name]?.setFromDefault));
      options.adjustInput?.(input, given);
      const dryRun = writes && Boolean(flags['dry-run'] || (options.dryRunUnlessYes && !flags.yes));
      const cancel = new AbortController();
      const question = (i: Record<string, unknown>) => options.confirm?.(i as z.output<I>) ?? `${op.title}?`;
      const once = () =>
        runOp(op, input, {
          // A person reading a table sees streamed output (log lines) as it comes; JSON gets it whole.
          context: format === 'table' || format === 'wide' ? { ...runtime.context, emit: (text) => void process.stdout.write(text) } : runtime.context,
          signal: cancel.signal,
          via: 'cli',
          fieldLabel: fieldLabelFor(op),
          audit: (record) => void runtime.auditToFile(record).catch((err: Error) => runtime.context.log.warn(`audit log not written: ${err.message}`)),
          dryRun,
          confirm: ({ input: i, plan }) => this.confirm(question(i), plan, Boolean(flags.yes)),
        });
      const ui = this.ui({ wide: format === 'wide', headers: !flags['no-headers'] });
      const show = (result: OpResult, compact: boolean) => {
        if (result.kind === 'plan') return showPlan(result.plan, format, ui, options.dryRunUnlessYes);
        const output = result.output as z.output<O>;
        if (format === 'json') return `${JSON.stringify(output, null, compact ? undefined : 2)}\n`;
        if (format === 'yaml') return `${compact ? '---\n' : ''}${stringify(output)}`;
        const text = options.render ? options.render(output, ui) : defaultView(output, result.summary?.line, ui);
        return !text || text.endsWith('\n') ? text : `${text}\n`;
      };
      // Sessions (Pi-hole) are logged out and connections (SSH) closed however the op ends.
      try {
        if (!flags.watch) {
          const result = await this.cancellable(once, cancel);
          if (!result) return;
          process.stdout.write(show(result, false));
          process.exitCode = result.kind === 'done' ? VERDICT_EXIT[result.summary?.verdict ?? 'ok'] : 0;
          return;
        }
        await this.watchLoop(once, (result) => show(result, format === 'json' || format === 'yaml'), format, Number(flags.interval) * 1000);
      } finally {
        await runtime.close();
      }
    }

    /**
     * The first Ctrl-C cancels the op and lets it say where it stopped (a write half done names the
     * state it left and the command that finishes it); a second one quits at once. Exit 130 either way.
     */
    private async cancellable<T>(work: () => Promise<T>, cancel: AbortController): Promise<T | undefined> {
      const onSigint = () => {
        if (cancel.signal.aborted) process.exit(130);
        process.stderr.write('cancelling… (Ctrl-C again to quit at once)\n');
        cancel.abort(new Timeout('cancelled (Ctrl-C)'));
      };
      process.on('SIGINT', onSigint);
      try {
        return await work();
      } catch (err) {
        if (!cancel.signal.aborted) throw err;
        // Only what the op said about where it stopped is news; "cancelled" itself is not.
        if (err !== cancel.signal.reason) reportError(err, this.debugEnabled);
        process.exitCode = 130;
        return undefined;
      } finally {
        process.off('SIGINT', onSigint);
      }
    }

    /**
     * --watch: run, draw, wait, again, until Ctrl-C. On a terminal the screen is redrawn with a header;
     * piped, each answer follows the last (JSON one per line). A failed run is shown and retried.
     */
    private async watchLoop(once: () => Promise<OpResult>, show: (result: OpResult) => string, format: OutputFormat, intervalMs: number): Promise<void> {
      const stop = new AbortController();
      const onSigint = () => stop.abort();
      process.once('SIGINT', onSigint);
      const redraw = Boolean(process.stdout.isTTY) && (format === 'table' || format === 'wide');
      try {
        while (!stop.signal.aborted) {
          try {
            const result = await once();
            const header = redraw
              ? `\x1b[2J\x1b[HEvery ${intervalMs / 1000}s: homelab ${this.id?.split(':').join(' ') ?? ''}    ${new Date().toLocaleTimeString()}\n\n`
              : '';
            process.stdout.write(header + show(result));
            process.exitCode = result.kind === 'done' ? VERDICT_EXIT[result.summary?.verdict ?? 'ok'] : 0;
          } catch (err) {
            if (stop.signal.aborted) break;
            process.stderr.write(`${this.ui().c.red('Error:')} ${(err as Error).message} (trying again in ${intervalMs / 1000}s)\n`);
          }
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, intervalMs);
            stop.signal.addEventListener(
              'abort',
              () => {
                clearTimeout(timer);
                resolve();
              },
              { once: true },
            );
          });
        }
      } finally {
        process.off('SIGINT', onSigint);
      }
    }

    /**
     * Writes ask on a terminal, after showing the plan; elsewhere they need --yes, so a stray script
     * line cannot restart things. A yes after a while is checked against the cluster again (recheck).
     */
    private async confirm(question: string, plan: Plan, yes: boolean): Promise<ConfirmAnswer> {
      if (yes) return { apply: true, outcome: 'preconfirmed' };
      if (!process.stdin.isTTY || !process.stderr.isTTY) {
        throw new ConfirmationRefused('unanswered', `refusing to change the cluster without confirmation: ${question.replace(/\?$/, '')}`, {
          hint: 'pass --yes to confirm when not running on a terminal (--dry-run shows the plan)',
        });
      }
      process.stderr.write(`${planText(plan)}\n\n`);
      const rl = createInterface({ input: process.stdin, output: process.stderr });
      try {
        const answer = await rl.question(`${question} [y/N] `);
        if (!/^y(es)?$/i.test(answer.trim())) throw new ConfirmationRefused('declined', 'cancelled: nothing was changed');
        return { apply: true, outcome: 'accepted', recheck: true };
      } finally {
        rl.close();
      }
    }
  };
}

/** A dry run: the plan, as text or as the structure --json and -o yaml print. */
function showPlan(plan: Plan, format: OutputFormat, ui: Ui, unlessYes: boolean | undefined): string {
  if (format === 'json') return `${JSON.stringify(planOutput(plan), null, 2)}\n`;
  if (format === 'yaml') return stringify(planOutput(plan));
  return `${planText(plan)}\n${ui.c.dim(`Dry run: nothing changed.${plan.changes.length ? ` Pass --yes to do it${unlessYes ? '' : ' without being asked'}.` : ''}`)}\n`;
}

function defaultView(output: Record<string, unknown>, line: string | undefined, _ui: Ui): string {
  return `${line ? `${line}\n\n` : ''}${stringify(output).trimEnd()}`;
}
