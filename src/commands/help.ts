import { Args, loadHelpClass } from '@oclif/core';
import { UserError } from '../core/errors.js';
import { BaseCommand } from '../adapters/cli/base.js';
import { closest } from '../core/suggest.js';

export default class HelpCommand extends BaseCommand {
  static override summary = 'Show help for homelab or for one of its commands';
  static override examples = ['<%= config.bin %> help', '<%= config.bin %> help flux reconcile', '<%= config.bin %> flux reconcile --help'];
  static override strict = false;
  static override args = { command: Args.string({ description: 'The command (and subcommand) to explain', required: false }) };

  async run(): Promise<void> {
    const { argv } = await this.parse(HelpCommand);
    const words = (argv as string[]).filter((word) => !word.startsWith('-'));
    const id = words.join(':');
    if (id && !this.config.findCommand(id) && !this.config.findTopic(id)) {
      const near = closest(
        words.join(' '),
        this.config.commands.filter((c) => !c.hidden).map((c) => c.id.split(':').join(' ')),
      );
      throw new UserError(`unknown command "${words.join(' ')}"`, {
        hint: near.length ? `did you mean ${near.map((n) => `\`homelab help ${n}\``).join(' or ')}?` : 'homelab help lists the commands',
      });
    }
    const Help = await loadHelpClass(this.config);
    await new Help(this.config, this.config.pjson.oclif.helpOptions).showHelp(words);
  }
}
