import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { ToolAnnotations, CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { AnyOp, OpContext } from '../../core/op.js';
import { describeError, isHomelabError } from '../../core/errors.js';
import { runOp, type AuditRecord } from '../../core/run-op.js';

export interface McpServerOptions {
  ops: readonly AnyOp[];
  context: Omit<OpContext, 'signal'>;
  /** Write tools are neither listed nor callable. */
  readOnly: boolean;
  version: string;
  audit: (record: AuditRecord) => void;
}

/** MCP annotations read off the op's effect, so no list of "dangerous tools" is kept apart from the tools. */
export function annotationsFor(op: AnyOp): ToolAnnotations {
  if (op.effect === 'read') {
    return { title: op.title, readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: op.hints?.openWorld ?? false };
  }
  return {
    title: op.title,
    readOnlyHint: false,
    destructiveHint: op.hints?.destructive ?? true,
    idempotentHint: op.hints?.idempotent ?? false,
    openWorldHint: op.hints?.openWorld ?? false,
  };
}

/** The text a failed call carries: the same message and hint the CLI prints. */
export function errorText(err: unknown): string {
  if (isHomelabError(err)) return `${err.message}${err.hint ? `\nHint: ${err.hint}` : ''}`;
  return describeError(err);
}

export function createMcpServer(options: McpServerOptions): McpServer {
  const server = new McpServer(
    { name: 'homelab', title: 'homelab', version: options.version },
    { instructions: 'Tools to see and fix a Kubernetes homelab. Start with cluster_health; read-only tools are safe to call any time.' },
  );
  const ops = options.readOnly ? options.ops.filter((op) => op.effect === 'read') : options.ops;
  const context: Omit<OpContext, 'signal'> = options.readOnly ? { ...options.context, config: { ...options.context.config, readOnly: true } } : options.context;
  for (const op of ops) {
    server.registerTool(
      op.name,
      { title: op.title, description: op.description, inputSchema: op.input, outputSchema: op.output, annotations: annotationsFor(op) },
      async (args: Record<string, unknown>, extra): Promise<CallToolResult> => {
        try {
          const { output, summary } = await runOp(op, args, { context, signal: extra.signal, via: 'mcp', audit: options.audit });
          const text = `${summary ? `${summary.verdict.toUpperCase()}: ${summary.line}\n\n` : ''}${JSON.stringify(output)}`;
          return { content: [{ type: 'text', text }], structuredContent: output };
        } catch (err) {
          return { content: [{ type: 'text', text: errorText(err) }], isError: true };
        }
      },
    );
  }
  return server;
}
