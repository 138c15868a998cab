// The yardstick for `homelab mcp serve --stdio`: the SDK it is built on alone, one tool, nothing else.
import { McpServer } from '@modelcontextprotocol/server';
import { serveStdio } from '@modelcontextprotocol/server/stdio';
import { z } from 'zod';

serveStdio(() => {
  const server = new McpServer({ name: 'bare', version: '1.0.0' });
  server.registerTool(
    'echo',
    { description: 'echo', inputSchema: z.object({ text: z.string() }), outputSchema: z.object({ text: z.string() }) },
    async ({ text }) => ({
      content: [{ type: 'text', text }],
      structuredContent: { text },
    }),
  );
  return server;
});
