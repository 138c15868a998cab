import { Command, Flags, Errors } from '@oclif/core';
import { EXIT_CODES } from '../../core/errors.js';
import type { Logger } from '../../core/op.js';
import { RUNTIME_FLAGS, createRuntime, type Runtime } from '../runtime.js';
import { createUi, type TableStyle, type Ui } from './ui.js';
import { colorEnabled, reportError, stderrLogger } from '../stderr.js';
import { closest } from '../../core/suggest.js';

/**
 * What every homelab command shares, the ones that never reach a cluster (help, version, completion)
 * included: colour, and one place where errors become a message on stderr and an exit code.
 */
export abstract class BaseCommand extends Command {
  protected debugEnabled = false;

  protected ui(style: TableStyle = {}): Ui {
    return createUi(colorEnabled(process.env, Boolean(process.stdout.isTTY)), style);
  }

  protected logger(): Logger {
    return stderrLogger(this.debugEnabled);
  }

  protected override async catch(err: Error): Promise<void> {
    if (err instanceof Errors.ExitError) throw err;
    // oclif's own parse errors (unknown flag, missing argument) would exit 2, which scripts read as "crit".
    if (err instanceof Errors.CLIError) {
      const ui = createUi(colorEnabled(process.env, Boolean(process.stderr.isTTY)));
      process.stderr.write(
        `${ui.c.red('Error:')} ${err.message.replace(/\nSee more help with --help$/, '')}${this.flagSuggestion(err.message)}\n${ui.c.dim(`See: homelab ${this.id ? `${this.id.split(':').join(' ')} ` : ''}--help`)}\n`,
      );
      process.exitCode = EXIT_CODES.UserError;
      return;
    }
    process.exitCode = reportError(err, this.debugEnabled);
  }

  /** "did you mean --tail?" for oclif's "Nonexistent flag: --tial". */
  private flagSuggestion(message: string): string {
    const typed = /Nonexistent flags?: (--?[\w-]+)/.exec(message)?.[1];
    if (!typed) return '';
    const ctor = this.constructor as typeof Command;
    const known = Object.entries({ ...ctor.baseFlags, ...ctor.flags }).map(([name]) => `--${name}`);
    const near = closest(typed, known);
    return near.length ? `\nDid you mean ${near.join(' or ')}?` : '';
  }
}

/** Commands that talk to the cluster: the kubectl-like global flags and the runtime. */
export abstract class HomelabCommand extends BaseCommand {
  static override baseFlags = {
    config: Flags.string({ description: RUNTIME_FLAGS.config, helpGroup: 'GLOBAL' }),
    kubeconfig: Flags.string({ description: RUNTIME_FLAGS.kubeconfig, helpGroup: 'GLOBAL' }),
    context: Flags.string({ description: RUNTIME_FLAGS.context, helpGroup: 'GLOBAL' }),
    debug: Flags.boolean({ description: RUNTIME_FLAGS.debug, helpGroup: 'GLOBAL' }),
  };

  protected runtime(flags: { config?: string; kubeconfig?: string; context?: string; 'read-only'?: boolean }): Promise<Runtime> {
    return createRuntime({
      configFile: flags.config,
      kubeconfig: flags.kubeconfig,
      context: flags.context,
      readOnly: flags['read-only'],
      env: process.env,
      log: this.logger(),
    });
  }
}
