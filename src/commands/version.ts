import { Flags } from '@oclif/core';
import { BaseCommand } from '../adapters/cli/base.js';

export default class Version extends BaseCommand {
  static override summary = 'Print the homelab version (the same as --version)';
  static override examples = ['<%= config.bin %> version', '<%= config.bin %> version --json'];
  static override flags = { json: Flags.boolean({ description: 'Print the version, Node.js and platform as JSON' }) };

  async run(): Promise<void> {
    const { flags } = await this.parse(Version);
    if (flags.json) {
      const out = { version: this.config.version, node: process.version, platform: this.config.platform, arch: this.config.arch };
      process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
    } else {
      process.stdout.write(`${this.config.userAgent}\n`);
    }
  }
}
