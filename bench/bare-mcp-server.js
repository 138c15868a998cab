// The yardstick for `homelab mcp serve --stdio`: the SDK alone, one tool, nothing else.
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { z } from 'zod';

const server = new McpServer({ name: 'bare', version: '1.0.0' });
server.registerTool('echo', { description: 'echo', inputSchema: { text: z.string() }, outputSchema: { text: z.string() } }, async ({ text }) => ({
  content: [{ type: 'text', text }],
  structuredContent: { text },
}));
await server.connect(new StdioServerTransport());
