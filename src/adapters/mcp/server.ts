import { readFile } from 'node:fs/promises';
import { Server, type CallToolRequest, type CallToolResult, type ClientCapabilities, type ServerContext } from '@modelcontextprotocol/server';
import { isConfigured, type AnyOp, type ConfiguredService, type Logger, type OpContextBase, type Plan } from '../../core/op.js';
import { UserError, describeError, isHomelabError } from '../../core/errors.js';
import {
  ConfirmationRefused,
  refusedCall,
  runOp,
  type AuditRecord,
  type RunOptions,
  type ConfirmAnswer,
  type ConfirmRequest,
  type ConfirmationToken,
} from '../../core/run-op.js';
import { buildRoot } from '../install-paths.js';
import { planOutput, planText } from '../plan-text.js';
import { CONFIRMATION_FIELD, type Confirmations } from './confirmations.js';
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
  /** Who is calling: the API key's name over HTTP, "stdio"; bound into confirmation tokens and audited. */
  caller: string;
  /** The HTTP request's id, recorded with each call; absent (stdio), the JSON-RPC id is. */
  requestId?: string;
  /** How writes are confirmed: the process's tokens (shared by every per-request server); absent: writes apply at once (mcp.confirmWrites false). */
  confirmations?: Confirmations;
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

/** The tools manifest the build writes next to the code (dist/mcp-tools.json, and dist/mcp/ beside the bundle). */
export async function readToolManifest(): Promise<ToolEntry[]> {
  return JSON.parse(await readFile(new URL('mcp-tools.json', buildRoot(import.meta.url)), 'utf8')) as ToolEntry[];
}

/** Imports an op module named by the manifest, relative to the build it sits in. */
export async function importOp(tool: ToolEntry): Promise<AnyOp> {
  const module = (await import(new URL(tool.module, buildRoot(import.meta.url)).href)) as { default: AnyOp };
  if (module.default?.name !== tool.name) throw new Error(`internal error: ${tool.module} does not define ${tool.name}: rebuild (npm run build)`);
  return module.default;
}

async function failure(err: unknown): Promise<CallToolResult> {
  return { content: [{ type: 'text', text: errorText(err) }, ...(await errorLinks(err).catch(() => []))], isError: true };
}

/** The token argument of a write call, taken out of its arguments (the op's input does not have it). */
function takeToken(args: Record<string, unknown>): string | undefined {
  const token = args[CONFIRMATION_FIELD];
  delete args[CONFIRMATION_FIELD];
  if (token === undefined) return undefined;
  if (typeof token !== 'string' || !token) throw new UserError(`${CONFIRMATION_FIELD}: must be the token from this tool's plan`);
  return token;
}

/** How much of a change's body the text of a plan shows; structuredContent has it whole. */
const TEXT_BODY_MAX = 1_500;

/** A plan handed back: what it would do, and how to apply it once the person has agreed. */
function planResult(tool: string, plan: Plan, token: ConfirmationToken): CallToolResult {
  const howTo =
    `Nothing has changed yet. Show this plan to the person; if they agree, call ${tool} again with the same arguments and ` +
    `"${CONFIRMATION_FIELD}": "${token.token}" (valid once, until ${token.expiresAt}).`;
  return {
    content: [{ type: 'text', text: `${planText(plan, { maxBody: TEXT_BODY_MAX })}\n\n${howTo}` }],
    structuredContent: { plan: planOutput(plan), confirmation: token },
  };
}

/**
 * A form asking the person (MCP elicitation) whether to apply the plan. Sent as a plain
 * elicitation/create request: a client that declares `elicitation: {}` means forms (2025-06-18).
 */
async function askPerson(ctx: ServerContext, plan: Plan, timeoutMs: number): Promise<ConfirmAnswer> {
  let answer;
  try {
    answer = await ctx.mcpReq.send(
      {
        method: 'elicitation/create',
        params: {
          mode: 'form',
          message: `${planText(plan)}\n\nApply this change?`,
          requestedSchema: {
            type: 'object',
            properties: {
              apply: { type: 'boolean', title: 'Apply this change', description: 'Yes applies the plan above; anything else changes nothing', default: false },
            },
            required: ['apply'],
          },
        },
      },
      { signal: ctx.mcpReq.signal, timeout: timeoutMs },
    );
  } catch (err) {
    throw new ConfirmationRefused('unanswered', `the confirmation form got no answer (${describeError(err)}): nothing was changed`);
  }
  if (answer.action === 'accept' && answer.content?.apply === true) return { apply: true, outcome: 'accepted', recheck: true };
  if (answer.action === 'cancel') throw new ConfirmationRefused('cancelled', 'the person dismissed the confirmation: nothing was changed');
  throw new ConfirmationRefused('declined', 'the person declined the plan: nothing was changed');
}

/**
 * Whether the client renders form elicitation: it says so (`elicitation: {form: {}}`), or declares
 * `elicitation: {}`, which means forms in the 2025-06-18 specification. A URL-only client is not asked.
 */
function showsForms(capabilities: ClientCapabilities | undefined): boolean {
  const elicitation = capabilities?.elicitation;
  if (!elicitation) return false;
  return Boolean(elicitation.form) || !elicitation.url;
}

/** ctx.log.progress as MCP progress notifications too, for a client that sent a progressToken. */
function progressLog(log: Logger, progressToken: string | number, send: ServerContext['mcpReq']['notify']): Logger {
  let progress = 0;
  return {
    ...log,
    progress(message) {
      log.progress(message);
      progress += 1;
      // A notification that cannot be sent (the client left) changes nothing about the call.
      send({ method: 'notifications/progress', params: { progressToken, progress, message } }).catch(() => undefined);
    },
  };
}

/**
 * Every op as an MCP tool. tools/list answers from the manifest built with the code, so listing
 * loads no op; a call loads its op and goes through runOp like the CLI. Input is validated there
 * (zod), output too, and failures are tool results with isError, never JSON-RPC errors. A write
 * answers with its plan and a confirmation token first; where the client shows forms (elicitation)
 * the person is asked instead.
 */
export function createMcpServer(options: McpServerOptions): Server {
  const server = new Server(
    { name: 'homelab', title: 'homelab', version: options.version },
    {
      capabilities: { tools: { listChanged: false } },
      instructions:
        'Tools to see and fix a Kubernetes homelab. Start with cluster_health; read-only tools are safe to call any time. ' +
        'A tool that changes something answers first with its plan and a confirmationToken: show the plan to the person, and call again with the token only if they agree.',
    },
  );
  // Listed: what may run here (no writes when read-only) and has its service in the config (listedWith).
  const tools = options.tools.filter(
    (t) =>
      (!options.readOnly || t.effect === 'read') && (!t.listedWith || t.listedWith.some((s) => isConfigured(options.context.config, s as ConfiguredService))),
  );
  const context: OpContextBase = options.readOnly ? { ...options.context, config: { ...options.context.config, readOnly: true } } : options.context;
  const { confirmations, caller } = options;

  server.setRequestHandler('tools/list', async () => {
    const contexts = await choosableContexts(options.clusters);
    return { tools: tools.map((t) => listedWithContext(t, contexts)) as never };
  });

  /** Runs a tool's op through runOp, in the kubeconfig context its `context` argument names. */
  const run = async (
    tool: ToolEntry,
    args: Record<string, unknown>,
    signal: AbortSignal,
    rpcId: string | number | undefined,
    extra: Pick<RunOptions, 'confirm'> & { log?: Logger } = {},
  ) => {
    const op = await options.loadOp(tool);
    const picked = await runContextFor(tool, args, context, options.clusters);
    const runContext = extra.log ? { ...picked.context, log: extra.log } : picked.context;
    const result = await runOp(op, picked.input, {
      context: runContext,
      signal,
      via: 'mcp',
      caller,
      requestId: requestIdOf(rpcId),
      fieldLabel: (f) => f,
      audit: options.audit,
      confirm: extra.confirm,
    });
    return { ...result, contextName: picked.contextName };
  };
  /** Over HTTP the request's id (X-Request-Id); over stdio the JSON-RPC id. */
  const requestIdOf = (rpcId: string | number | undefined): string | undefined => options.requestId ?? (rpcId === undefined ? undefined : String(rpcId));

  /** The person confirms a write: with the token of its plan, in a form, or later (the plan goes back with a token). */
  const confirmWrite = async (request: ConfirmRequest, token: string | undefined, ctx: ServerContext): Promise<ConfirmAnswer> => {
    if (!confirmations) return { apply: true, outcome: 'preconfirmed' };
    if (token !== undefined) {
      confirmations.redeem(token, request.op.name, request.input, caller, request.plan);
      return { apply: true, outcome: 'accepted' };
    }
    // A 2026-07-28 request cannot be asked mid-call (no server-to-client requests there): it gets the plan and a token.
    if (!ctx.mcpReq.envelope && showsForms(server.getClientCapabilities())) return askPerson(ctx, request.plan, confirmations.ttlMs);
    return { apply: false, token: confirmations.issue(request.op.name, request.input, caller, request.plan) };
  };

  const call = async (request: CallToolRequest, ctx: ServerContext): Promise<CallToolResult> => {
    // A write hidden by read-only mode still goes through runOp: it refuses it, and the refusal is audited.
    const tool = options.tools.find((t) => t.name === request.params.name);
    if (!tool) {
      const why = `no tool named ${request.params.name}`;
      options.audit(
        refusedCall(
          { via: 'mcp', caller, requestId: requestIdOf(ctx.mcpReq.id) },
          options.context.now(),
          request.params.name,
          request.params.arguments ?? {},
          why,
        ),
      );
      return failure(new Error(why));
    }
    try {
      const args: Record<string, unknown> = { ...request.params.arguments };
      const token = tool.effect === 'write' ? takeToken(args) : undefined;
      const progressToken = request.params._meta?.progressToken;
      const log = progressToken === undefined ? context.log : progressLog(context.log, progressToken, ctx.mcpReq.notify);
      const result = await run(tool, args, ctx.mcpReq.signal, ctx.mcpReq.id, {
        log,
        confirm: (confirmRequest) => confirmWrite(confirmRequest, token, ctx),
      });
      if (result.kind === 'plan') {
        if (!result.token) throw new Error('internal error: a plan came back without a confirmation token');
        return planResult(tool.name, result.plan, result.token);
      }
      const { output, summary, contextName } = result;
      const text = `${summary ? `${summary.verdict.toUpperCase()}: ${summary.line}\n\n` : ''}${JSON.stringify(output)}`;
      // Links to what explains the findings (logs, the Flux object, a runbook), readable with resources/read.
      return { content: [{ type: 'text', text }, ...(await findingLinks(output, contextName))], structuredContent: output };
    } catch (err) {
      return failure(err);
    }
  };
  const { runCall } = options;
  const queued = <T>(work: () => Promise<T>, signal: AbortSignal): Promise<T> => (runCall ? runCall(work, signal) : work());
  server.setRequestHandler('tools/call', (request, ctx) => queued(() => call(request, ctx), ctx.mcpReq.signal));

  const offers = (name: string) => tools.some((t) => t.name === name);
  registerPrompts(server, offers);
  // A resource that reads the cluster runs a read tool, waiting its turn like a call (the HTTP door counts it).
  registerResources(server, (name, args, signal) =>
    queued(async () => {
      const tool = tools.find((t) => t.name === name && t.effect === 'read');
      if (!tool) throw new Error(`internal error: no read tool named ${name}`);
      const result = await run(tool, args, signal, undefined);
      if (result.kind !== 'done') throw new Error(`internal error: ${name} is a read and cannot answer with a plan`);
      return result.output;
    }, signal),
  );
  return server;
}
