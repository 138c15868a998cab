import type { Hook } from '@oclif/core';
import { EXIT_CODES } from '../core/errors.js';
import { closest } from '../core/suggest.js';
import { createUi } from '../adapters/cli/ui.js';
import { colorEnabled } from '../adapters/stderr.js';

/**
 * An unknown command is bad input (exit 64), not oclif's exit 2 that cron reads as "critical"; the
 * nearest commands are suggested.
 */
const hook: Hook<'command_not_found'> = async function ({ id, config }) {
  const typed = id.split(':').join(' ');
  const ids = config.commands.filter((c) => !c.hidden).map((c) => c.id.split(':').join(' '));
  const topics = config.topics.map((t) => t.name.split(':').join(' '));
  const near = closest(typed, new Set([...ids, ...topics]));
  const ui = createUi(colorEnabled(process.env, Boolean(process.stderr.isTTY)));
  const suggestion = near.length ? `\nDid you mean ${near.map((n) => `\`${config.bin} ${n}\``).join(' or ')}?` : '';
  process.stderr.write(`${ui.c.red('Error:')} unknown command "${typed}"${suggestion}\n${ui.c.dim(`See: ${config.bin} --help`)}\n`);
  process.exitCode = EXIT_CODES.UserError;
};

export default hook;
