import { Flags } from '@oclif/core';
import { HomelabCommand } from '../../adapters/cli/base.js';
import { SERVE_FLAGS, serveMcp, serveOptionsSchema } from '../../adapters/mcp/serve.js';
import { UserError } from '../../core/errors.js';

// bin/run.js starts `mcp serve` without oclif (MCP clients wait on start-up); this class is what
// --help and the manifest read, and what runs when oclif is used anyway. Both parse SERVE_FLAGS.
export default class McpServe extends HomelabCommand {
  static override summary = 'Serve every homelab operation as an MCP tool';
  static override description =
    'Runs the Model Context Protocol server. --stdio is for Claude Desktop and other local clients (stdout carries ' +
    'only the protocol; logs go to stderr). --http serves Streamable HTTP at /mcp (stateless) and /healthz, for the ' +
    'container in the cluster: requests need the API key (X-API-Key or Authorization: Bearer) from mcp.apiKey in the ' +
    'config or $HOMELAB_API_KEY, and it refuses to listen beyond loopback without one. --read-only hides and refuses ' +
    'every tool that changes something.';
  static override examples = [
    '<%= config.bin %> mcp serve --stdio',
    { description: 'Read-only, for an assistant that should look but not touch', command: '<%= config.bin %> mcp serve --stdio --read-only' },
    { description: 'In the cluster, behind a Service', command: 'HOMELAB_API_KEY=$(cat /run/secrets/key) <%= config.bin %> mcp serve --http --host 0.0.0.0 --port 3000' },
  ];
  static override flags = {
    stdio: Flags.boolean({ description: SERVE_FLAGS.stdio.description, exactlyOne: ['stdio', 'http'] }),
    http: Flags.boolean({ description: SERVE_FLAGS.http.description, exactlyOne: ['stdio', 'http'] }),
    host: Flags.string({ description: SERVE_FLAGS.host.description, default: SERVE_FLAGS.host.default }),
    port: Flags.integer({ description: SERVE_FLAGS.port.description, default: SERVE_FLAGS.port.default, min: 0, max: 65535 }),
    'read-only': Flags.boolean({ description: SERVE_FLAGS['read-only'].description }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(McpServe);
    this.debugEnabled = Boolean(flags.debug);
    const options = serveOptionsSchema.safeParse(flags);
    if (!options.success) throw new UserError(options.error.issues.map((i) => i.message).join('; '));
    await serveMcp(options.data, this.config.version);
  }
}
