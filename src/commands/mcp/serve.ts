import { Flags } from '@oclif/core';
import { HomelabCommand } from '../../adapters/cli/base.js';
import { resolveSecret } from '../../core/config.js';
import { UserError } from '../../core/errors.js';
import type { AuditRecord } from '../../core/run-op.js';

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
    stdio: Flags.boolean({ description: 'Speak MCP over stdin/stdout', exactlyOne: ['stdio', 'http'] }),
    http: Flags.boolean({ description: 'Speak Streamable HTTP at /mcp', exactlyOne: ['stdio', 'http'] }),
    host: Flags.string({ description: 'Address to listen on with --http', default: '127.0.0.1' }),
    port: Flags.integer({ description: 'Port to listen on with --http (0 picks a free one)', default: 3000, min: 0, max: 65535 }),
    'read-only': Flags.boolean({ description: 'Offer and allow only tools that change nothing' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(McpServe);
    this.debugEnabled = Boolean(flags.debug);
    const runtime = await this.runtime(flags);
    const log = runtime.context.log;
    const [{ createMcpServer }, { ops }] = await Promise.all([import('../../adapters/mcp/server.js'), import('../../ops/registry.js')]);
    // Every write is audited on stderr (the container's log) and in the audit file when one is configured.
    const audit = (record: AuditRecord) => {
      process.stderr.write(`${JSON.stringify({ audit: record })}\n`);
      void runtime.auditToFile(record).catch((err: Error) => log.warn(`audit log not written: ${err.message}`));
    };
    const newServer = () => createMcpServer({ ops, context: runtime.context, readOnly: runtime.config.readOnly, version: this.config.version, audit });

    if (flags.stdio) {
      const { StdioServerTransport } = await import('@modelcontextprotocol/sdk/server/stdio.js');
      const server = newServer();
      const transport = new StdioServerTransport();
      const closed = new Promise<void>((resolve) => { transport.onclose = () => resolve(); });
      await server.connect(transport);
      process.stdin.on('end', () => void server.close());
      await closed;
      return;
    }

    const { serveHttp } = await import('../../adapters/mcp/http.js');
    const keyRef = runtime.config.mcp.apiKey ?? (process.env.HOMELAB_API_KEY ? { env: 'HOMELAB_API_KEY' } : undefined);
    const apiKey = keyRef ? await resolveSecret(keyRef, process.env) : undefined;
    if (apiKey !== undefined && apiKey.length < 16) throw new UserError('the MCP API key is shorter than 16 characters; use a long random one (openssl rand -hex 32)');
    const http = await serveHttp({
      host: flags.host,
      port: flags.port,
      apiKey,
      allowedHosts: runtime.config.mcp.allowedHosts,
      allowedOrigins: runtime.config.mcp.allowedOrigins,
      newServer,
      log,
    });
    log.progress(`homelab MCP server listening on ${http.url}${runtime.config.readOnly ? ' (read-only)' : ''}${apiKey ? ' (API key required)' : ''}`);
    await new Promise<void>((resolve) => {
      const stop = () => void http.close().then(resolve);
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
  }
}
