import { Flags, type Command } from '@oclif/core';
import { createInterface } from 'node:readline/promises';
import { stringify } from 'yaml';
import type { z } from 'zod';
import type { InputSchema, Op, OutputSchema, Verdict } from '../../core/op.js';
import { UserError } from '../../core/errors.js';
import { runOp } from '../../core/run-op.js';
import { HomelabCommand } from './base.js';
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
  /** Without --yes, run with the op's `dryRun` input set: show what would be done instead of asking. */
  dryRunUnlessYes?: boolean;
}

/** A command is a door onto one op: flags from its input schema, output from its result. */
export function commandFor<I extends InputSchema, O extends OutputSchema>(op: Op<I, O>, options: CommandOptions<I, O>): typeof Command {
  const writes = op.effect === 'write';
  return class OpCommand extends HomelabCommand {
    /** The op this command is a door onto: scripts/cli-commands.ts reads it to render suggested commands. */
    static opName = op.name;
    static override summary = op.title;
    static override description = `${op.description}${!writes ? '' : options.dryRunUnlessYes ? '\n\nWithout --yes this is a dry run: it shows what it would do and changes nothing. Refused in read-only mode.' : '\n\nThis changes the cluster: on a terminal it asks first; scripts pass --yes. Refused in read-only mode.'}`;
    static override examples = options.examples;
    static override args = argsFor(op);
    static override flags = {
      ...flagsFor(op),
      json: Flags.boolean({ description: 'Print the result as JSON (exactly the operation\'s output) for scripts' }),
      ...(writes
        ? { yes: Flags.boolean({ char: 'y', description: options.dryRunUnlessYes ? 'Do it (without --yes it only shows what it would do)' : 'Do it without asking (needed when not on a terminal)' }) }
        : {}),
    };

    async run(): Promise<void> {
      const { args, flags } = await this.parse(OpCommand);
      this.debugEnabled = Boolean(flags.debug);
      const runtime = await this.runtime(flags);
      const input = inputFrom(op, flags, args);
      const dryRun = Boolean(options.dryRunUnlessYes && !flags.yes);
      if (dryRun) input.dryRun = true;
      // Sessions (Pi-hole) are logged out and connections (SSH) closed however the op ends.
      const result = await runOp(op, input, {
        context: runtime.context,
        via: 'cli',
        fieldLabel: fieldLabelFor(op),
        audit: (record) => void runtime.auditToFile(record).catch((err: Error) => runtime.context.log.warn(`audit log not written: ${err.message}`)),
        confirm: writes && !dryRun ? (input) => this.confirm(options.confirm?.(input as z.output<I>) ?? `${op.title}?`, Boolean(flags.yes)) : undefined,
      }).finally(() => runtime.close());
      const output = result.output as z.output<O>;
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(output, null, 2)}\n`);
      } else {
        const ui = this.ui();
        const text = options.render ? options.render(output, ui) : defaultView(output, result.summary?.line, ui);
        process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
      }
      process.exitCode = VERDICT_EXIT[result.summary?.verdict ?? 'ok'];
    }

    /** Writes ask on a terminal; elsewhere they need --yes, so a stray script line cannot restart things. */
    private async confirm(question: string, yes: boolean): Promise<void> {
      if (yes) return;
      if (!process.stdin.isTTY || !process.stderr.isTTY) {
        throw new UserError(`refusing to change the cluster without confirmation: ${question.replace(/\?$/, '')}`, { hint: 'pass --yes to confirm when not running on a terminal' });
      }
      const rl = createInterface({ input: process.stdin, output: process.stderr });
      try {
        const answer = await rl.question(`${question} [y/N] `);
        if (!/^y(es)?$/i.test(answer.trim())) throw new UserError('cancelled: nothing was changed');
      } finally {
        rl.close();
      }
    }
  };
}

function defaultView(output: Record<string, unknown>, line: string | undefined, _ui: Ui): string {
  return `${line ? `${line}\n\n` : ''}${stringify(output).trimEnd()}`;
}
