import { readFile } from 'node:fs/promises';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { CallToolRequestSchema, ElicitResultSchema, ListToolsRequestSchema, type CallToolRequest, type CallToolResult, type ClientCapabilities, type ServerNotification } from '@modelcontextprotocol/sdk/types.js';
import type { AnyOp, Logger, OpContextBase, Plan } from '../../core/op.js';
import { UserError, describeError, isHomelabError } from '../../core/errors.js';
import { ConfirmationRefused, runOp, type AuditRecord, type ConfirmAnswer, type ConfirmRequest, type ConfirmationToken } from '../../core/run-op.js';
import { planOutput, planText } from '../plan-text.js';
import { CONFIRMATION_FIELD, type Confirmations } from './confirmations.js';
import type { ToolEntry } from './tools.js';

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
  /** How writes are confirmed: the process's tokens (shared by every per-request server); absent: writes apply at once (mcp.confirmWrites false). */
  confirmations?: Confirmations;
  /** Where each tool call waits for its turn (the HTTP door bounds how many run at once); absent: it runs now. */
  runCall?: <T>(call: () => Promise<T>, signal: AbortSignal) => Promise<T>;
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

function failure(text: string): CallToolResult {
  return { content: [{ type: 'text', text }], isError: true };
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
 * elicitation/create request: the SDK's elicitInput refuses a client that declares `elicitation: {}`,
 * which the 2025-06-18 specification says means forms.
 */
async function askPerson(server: Server, plan: Plan, signal: AbortSignal, timeoutMs: number): Promise<ConfirmAnswer> {
  let answer;
  try {
    answer = await server.request(
      {
        method: 'elicitation/create',
        params: {
          mode: 'form',
          message: `${planText(plan)}\n\nApply this change?`,
          requestedSchema: {
            type: 'object',
            properties: { apply: { type: 'boolean', title: 'Apply this change', description: 'Yes applies the plan above; anything else changes nothing', default: false } },
            required: ['apply'],
          },
        },
      },
      ElicitResultSchema,
      { signal, timeout: timeoutMs },
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
function progressLog(log: Logger, progressToken: string | number, send: (n: ServerNotification) => Promise<void>): Logger {
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
  const tools = options.readOnly ? options.tools.filter((t) => t.effect === 'read') : options.tools;
  const context: OpContextBase = options.readOnly ? { ...options.context, config: { ...options.context.config, readOnly: true } } : options.context;
  const { confirmations, caller } = options;

  server.setRequestHandler(ListToolsRequestSchema, async () => ({
    tools: tools.map(({ name, title, description, inputSchema, outputSchema, annotations }) => ({ name, title, description, inputSchema, outputSchema, annotations })) as never,
  }));

  /** The person confirms a write: with the token of its plan, in a form, or later (the plan goes back with a token). */
  const confirmWrite = async (request: ConfirmRequest, token: string | undefined, signal: AbortSignal): Promise<ConfirmAnswer> => {
    if (!confirmations) return { apply: true, outcome: 'preconfirmed' };
    if (token !== undefined) {
      confirmations.redeem(token, request.op.name, request.input, caller, request.plan);
      return { apply: true, outcome: 'accepted' };
    }
    if (showsForms(server.getClientCapabilities())) return askPerson(server, request.plan, signal, confirmations.ttlMs);
    return { apply: false, token: confirmations.issue(request.op.name, request.input, caller, request.plan) };
  };

  const call = async (request: CallToolRequest, extra: { signal: AbortSignal; sendNotification: (n: ServerNotification) => Promise<void> }): Promise<CallToolResult> => {
    // A write hidden by read-only mode still goes through runOp: it refuses it, and the refusal is audited.
    const tool = options.tools.find((t) => t.name === request.params.name);
    if (!tool) return failure(`no tool named ${request.params.name}`);
    try {
      const args: Record<string, unknown> = { ...request.params.arguments };
      const token = tool.effect === 'write' ? takeToken(args) : undefined;
      const op = await options.loadOp(tool);
      const progressToken = request.params._meta?.progressToken;
      const log = progressToken === undefined ? context.log : progressLog(context.log, progressToken, extra.sendNotification);
      const result = await runOp(op, args, {
        context: { ...context, log },
        signal: extra.signal,
        via: 'mcp',
        caller,
        fieldLabel: (f) => f,
        audit: options.audit,
        confirm: (confirmRequest) => confirmWrite(confirmRequest, token, extra.signal),
      });
      if (result.kind === 'plan') {
        if (!result.token) throw new Error('internal error: a plan came back without a confirmation token');
        return planResult(op.name, result.plan, result.token);
      }
      const { output, summary } = result;
      const text = `${summary ? `${summary.verdict.toUpperCase()}: ${summary.line}\n\n` : ''}${JSON.stringify(output)}`;
      return { content: [{ type: 'text', text }], structuredContent: output };
    } catch (err) {
      return failure(errorText(err));
    }
  };
  const { runCall } = options;
  server.setRequestHandler(CallToolRequestSchema, (request, extra) => (runCall ? runCall(() => call(request, extra), extra.signal) : call(request, extra)));
  return server;
}
