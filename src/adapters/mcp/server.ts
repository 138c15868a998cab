import { readFile } from 'node:fs/promises';
import { Server, type CallToolRequest, type CallToolResult } from '@modelcontextprotocol/server';
import type { AnyOp, OpContextBase } from '../../core/op.js';
import { describeError, isHomelabError } from '../../core/errors.js';
import { runOp, type AuditRecord } from '../../core/run-op.js';
import type { ToolEntry } from './tools.js';
import { choosableContexts, listedWithContext, runContextFor, type Clusters } from './contexts.js';
import { registerPrompts } from './prompts.js';
import { errorLinks, findingLinks, registerResources } from './resources.js';

export interface McpServerOptions {
  tools: readonly ToolEntry[];
  /** The op behind a tool, imported on its first call. */
  loadOp: (tool: ToolEntry) => Promise<AnyOp>;
  context: OpContextBase;
  /** Write tools are neither listed nor callable. */
  readOnly: boolean;
  version: string;
  audit: (record: AuditRecord) => void;
  /** Where each tool call waits for its turn (the HTTP door bounds how many run at once); absent: it runs now. */
  runCall?: <T>(call: () => Promise<T>, signal: AbortSignal) => Promise<T>;
  /** The kubeconfig's contexts: with several, cluster tools take `context`. */
  clusters?: Clusters;
}

/** The text a failed call carries: the same message and hint the CLI prints. */
export function errorText(err: unknown): string {
  if (isHomelabError(err)) return `${err.message}${err.hint ? `\nHint: ${err.hint}` : ''}`;
  return describeError(err);
}

/** The tools manifest the build writes next to the code (dist/mcp-tools.json). */
export async function readToolManifest(): Promise<ToolEntry[]> {
  return JSON.parse(await readFile(new URL('../../mcp-tools.json', import.meta.url), 'utf8')) as ToolEntry[];
}

/** Imports an op module named by the manifest, relative to dist/. */
export async function importOp(tool: ToolEntry): Promise<AnyOp> {
  const module = (await import(new URL(`../../${tool.module}`, import.meta.url).href)) as { default: AnyOp };
  if (module.default?.name !== tool.name) throw new Error(`internal error: ${tool.module} does not define ${tool.name}: rebuild (npm run build)`);
  return module.default;
}

async function failure(err: unknown): Promise<CallToolResult> {
  return { content: [{ type: 'text', text: errorText(err) }, ...(await errorLinks(err).catch(() => []))], isError: true };
}

/**
 * Every op as an MCP tool. tools/list answers from the manifest built with the code, so listing
 * loads no op; a call loads its op and goes through runOp like the CLI. Input is validated there
 * (zod), output too, and failures are tool results with isError, never JSON-RPC errors.
 */
export function createMcpServer(options: McpServerOptions): Server {
  const server = new Server(
    { name: 'homelab', title: 'homelab', version: options.version },
    {
      capabilities: { tools: { listChanged: false } },
      instructions: 'Tools to see and fix a Kubernetes homelab. Start with cluster_health; read-only tools are safe to call any time.',
    },
  );
  const tools = options.readOnly ? options.tools.filter((t) => t.effect === 'read') : options.tools;
  const context: OpContextBase = options.readOnly ? { ...options.context, config: { ...options.context.config, readOnly: true } } : options.context;

  server.setRequestHandler('tools/list', async () => {
    const contexts = await choosableContexts(options.clusters);
    return { tools: tools.map((t) => listedWithContext(t, contexts)) as never };
  });

  /** Runs a tool's op through runOp, in the kubeconfig context its `context` argument names. */
  const run = async (tool: ToolEntry, args: Record<string, unknown>, signal: AbortSignal) => {
    const op = await options.loadOp(tool);
    const picked = await runContextFor(tool, args, context, options.clusters);
    const result = await runOp(op, picked.input, { context: picked.context, signal, via: 'mcp', fieldLabel: (f) => f, audit: options.audit });
    return { ...result, contextName: picked.contextName };
  };

  const call = async (request: CallToolRequest, signal: AbortSignal): Promise<CallToolResult> => {
    // A write hidden by read-only mode still goes through runOp: it refuses it, and the refusal is audited.
    const tool = options.tools.find((t) => t.name === request.params.name);
    if (!tool) return failure(new Error(`no tool named ${request.params.name}`));
    try {
      const { output, summary, contextName } = await run(tool, request.params.arguments ?? {}, signal);
      const text = `${summary ? `${summary.verdict.toUpperCase()}: ${summary.line}\n\n` : ''}${JSON.stringify(output)}`;
      // Links to what explains the findings (logs, the Flux object, a runbook), readable with resources/read.
      return { content: [{ type: 'text', text }, ...(await findingLinks(output, contextName))], structuredContent: output };
    } catch (err) {
      return failure(err);
    }
  };
  const { runCall } = options;
  const queued = <T>(work: () => Promise<T>, signal: AbortSignal): Promise<T> => (runCall ? runCall(work, signal) : work());
  server.setRequestHandler('tools/call', (request, ctx) => queued(() => call(request, ctx.mcpReq.signal), ctx.mcpReq.signal));

  const offers = (name: string) => tools.some((t) => t.name === name);
  registerPrompts(server, offers);
  // A resource that reads the cluster runs a read tool, waiting its turn like a call (the HTTP door counts it).
  registerResources(server, (name, args, signal) =>
    queued(async () => {
      const tool = tools.find((t) => t.name === name && t.effect === 'read');
      if (!tool) throw new Error(`internal error: no read tool named ${name}`);
      return (await run(tool, args, signal)).output;
    }, signal),
  );
  return server;
}
