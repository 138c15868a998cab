import { Command, Flags, Errors } from '@oclif/core';
import { EXIT_CODES, isHomelabError, describeError } from '../../core/errors.js';
import type { Logger } from '../../core/op.js';
import { createRuntime, type Runtime } from '../runtime.js';
import { colorEnabled, createUi, type Ui } from './ui.js';

/** Bad flags and arguments are the user's to fix: the same exit code as any other bad input. */
const USAGE_EXIT = EXIT_CODES.UserError;

/**
 * What every homelab command shares: the kubectl-like global flags, the runtime, colour, and one
 * place where errors become a message on stderr and an exit code.
 */
export abstract class HomelabCommand extends Command {
  static override baseFlags = {
    config: Flags.string({ description: 'Config file (default: $HOMELAB_CONFIG, else $XDG_CONFIG_HOME/homelab/config.yaml)', helpGroup: 'GLOBAL' }),
    kubeconfig: Flags.string({ description: 'Path to the kubeconfig file (default: $KUBECONFIG, else ~/.kube/config, else in-cluster)', helpGroup: 'GLOBAL' }),
    context: Flags.string({ description: 'The kubeconfig context to use', helpGroup: 'GLOBAL' }),
    debug: Flags.boolean({ description: 'Show stack traces and debug logs on stderr', helpGroup: 'GLOBAL' }),
  };

  protected debugEnabled = false;

  protected ui(): Ui {
    return createUi(colorEnabled(process.env, Boolean(process.stdout.isTTY)));
  }

  protected stderrUi(): Ui {
    return createUi(colorEnabled(process.env, Boolean(process.stderr.isTTY)));
  }

  protected logger(): Logger {
    const ui = this.stderrUi();
    return {
      progress: (m) => process.stderr.write(`${ui.c.dim(m)}\n`),
      warn: (m) => process.stderr.write(`${ui.c.yellow('warning:')} ${m}\n`),
      debug: (m) => { if (this.debugEnabled) process.stderr.write(`${ui.c.dim(`debug: ${m}`)}\n`); },
    };
  }

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

  /** Prints what went wrong in one line (plus a hint) and sets the exit code scripts rely on. */
  protected override async catch(err: Error & { exitCode?: number; oclif?: { exit?: number } }): Promise<void> {
    const ui = this.stderrUi();
    if (isHomelabError(err)) {
      process.stderr.write(`${ui.c.red('Error:')} ${err.message}\n`);
      if (err.hint) process.stderr.write(`${ui.c.dim(`Hint: ${err.hint}`)}\n`);
      if (this.debugEnabled && err.stack) process.stderr.write(`${err.stack}\n`);
      process.exitCode = EXIT_CODES[err.kind];
      return;
    }
    if (err instanceof Errors.ExitError) throw err;
    // oclif's own parse errors (unknown flag, missing argument) exit 2, which scripts would read as "crit".
    if (err instanceof Errors.CLIError || err.name === 'RequiredArgsError' || err.name === 'NonExistentFlagsError') {
      process.stderr.write(`${ui.c.red('Error:')} ${err.message}\n${ui.c.dim(`See: homelab ${this.id ?? ''} --help`)}\n`);
      process.exitCode = USAGE_EXIT;
      return;
    }
    process.stderr.write(`${ui.c.red('Error:')} ${describeError(err)}\n`);
    if (this.debugEnabled && err.stack) process.stderr.write(`${err.stack}\n`);
    process.exitCode = EXIT_CODES.Upstream;
  }
}
