import { HomelabCommand } from '../../adapters/cli/base.js';
import { flagsFromSchema } from '../../adapters/cli/flags.js';
import { serveFlagsSchema, serveMcp, serveOptionsSchema } from '../../adapters/mcp/serve.js';
import { UserError } from '../../core/errors.js';

// bin/run.js starts `mcp serve` without oclif (MCP clients wait on it); this class is what
// --help and the manifest read, and what runs when oclif is used anyway. Both read serveFlagsSchema.
export default class McpServe extends HomelabCommand {
  static override summary = 'Serve every homelab operation as an MCP tool';
  static override description =
    'Runs the Model Context Protocol server. --stdio is for Claude Desktop and other local clients (stdout carries ' +
    'only the protocol; logs go to stderr). --http serves Streamable HTTP at /mcp (stateless) and /healthz, for the ' +
    'container in the cluster: requests need the API key (X-API-Key or Authorization: Bearer) from mcp.apiKey in the ' +
    'config or $HOMELAB_API_KEY, and it refuses to listen beyond loopback without one. --read-only hides and refuses ' +
    'every tool that changes something. Give exactly one of --stdio or --http. Both speak every MCP revision from ' +
    '2024-11-05 to 2025-11-25 (initialize) and 2026-07-28 (server/discover), and offer prompts and resources beside ' +
    'the tools. To set up a client: homelab mcp config --help.';
  static override examples = [
    '<%= config.bin %> mcp serve --stdio',
    { description: 'Read-only, for an assistant that should look but not touch', command: '<%= config.bin %> mcp serve --stdio --read-only' },
    {
      description: 'In the cluster, behind a Service',
      command: 'HOMELAB_API_KEY=$(cat /run/secrets/key) <%= config.bin %> mcp serve --http --host 0.0.0.0 --port 3000',
    },
  ];
  // The global ones (--config, --kubeconfig, --context, --debug) come with every command.
  static override flags = flagsFromSchema(serveFlagsSchema, Object.keys(HomelabCommand.baseFlags));

  async run(): Promise<void> {
    const { flags } = await this.parse(McpServe);
    this.debugEnabled = Boolean(flags.debug);
    const options = serveOptionsSchema.safeParse(flags);
    if (!options.success) throw new UserError(options.error.issues.map((i) => i.message).join('; '), { hint: 'see: homelab mcp serve --help' });
    await serveMcp(options.data, this.config.version);
  }
}
