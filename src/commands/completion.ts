import { Args } from '@oclif/core';
import { BaseCommand } from '../adapters/cli/base.js';
import { completionScript, type CompletionCommand, type Shell } from '../adapters/cli/completion.js';
import { UserError } from '../core/errors.js';

const SHELLS: readonly Shell[] = ['bash', 'zsh', 'fish'];

export default class Completion extends BaseCommand {
  static override summary = 'Print the shell completion script for bash, zsh or fish';
  static override description =
    'Completes commands, subcommands, flags and the values of flags with a fixed set of choices. Install it once:\n' +
    '  bash: homelab completion bash > ~/.local/share/bash-completion/completions/homelab\n' +
    '  zsh:  homelab completion zsh > "${fpath[1]}/_homelab"   (or: source <(homelab completion zsh) in ~/.zshrc)\n' +
    '  fish: homelab completion fish > ~/.config/fish/completions/homelab.fish';
  static override examples = [
    '<%= config.bin %> completion bash > ~/.local/share/bash-completion/completions/homelab',
    { description: 'For this shell only', command: 'source <(<%= config.bin %> completion bash)' },
  ];
  static override args = { shell: Args.string({ description: 'bash, zsh or fish', required: true, options: [...SHELLS] }) };

  async run(): Promise<void> {
    const { args } = await this.parse(Completion);
    const shell = args.shell as Shell;
    if (!SHELLS.includes(shell)) throw new UserError(`no completion for ${shell}: use bash, zsh or fish`);
    const commands: CompletionCommand[] = this.config.commands
      .filter((c) => !c.hidden)
      .map((c) => ({
        words: c.id.split(':').join(' '),
        summary: c.summary ?? c.description?.split('\n')[0] ?? '',
        flags: Object.values(c.flags)
          .filter((f) => !f.hidden)
          .map((f) => ({
            name: f.name,
            char: f.char,
            summary: f.summary ?? f.description?.split('\n')[0] ?? '',
            options: f.type === 'option' ? f.options : undefined,
            takesValue: f.type === 'option',
          })),
      }));
    process.stdout.write(completionScript(shell, this.config.bin, commands));
  }
}
