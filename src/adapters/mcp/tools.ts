import { z } from 'zod';
import type { AnyOp } from '../../core/op.js';
import { withConfirmationInput, withPlanResult } from './confirmations.js';

/**
 * Hints for MCP clients; the SDK's ToolAnnotations shape. The spec's defaults are the cautious
 * ones (not read-only, destructive, not idempotent, open world): read-only and open world are
 * always said, destructive on every write; idempotent only when true (its default is false).
 * Destructive and idempotent mean something only for a write, and a read leaves them out. The
 * title is the tool's own.
 */
export interface ToolAnnotations {
  readOnlyHint: boolean;
  destructiveHint?: boolean;
  idempotentHint?: boolean;
  openWorldHint: boolean;
}

/**
 * One tool as tools/list shows it, plus what the server needs to run it: its effect (read-only
 * mode) and the module that defines the op (loaded on the first call, not at start).
 */
export interface ToolEntry {
  name: string;
  title: string;
  description: string;
  inputSchema: JsonSchema;
  outputSchema: JsonSchema;
  annotations: ToolAnnotations;
  effect: 'read' | 'write';
  /** It talks to the Kubernetes API (it has RBAC rules): the tools that take a `context` when the kubeconfig has several. */
  cluster: boolean;
  /** Listed only when the config names one of these services (the op's listedWith, else requires). */
  listedWith?: string[];
  /** Path of the op's module, relative to dist/. */
  module: string;
}

export type JsonSchema = { [keyword: string]: unknown };

/**
 * The MCP door's budgets (issue 11; tested in test/e2e/mcp-budget.test.ts, printed by `npm run
 * bench`): all of tools/list, which an assistant pays for on every conversation, and one result
 * with default arguments, its text content and structuredContent together.
 */
export const TOOLS_LIST_BUDGET_BYTES = 35 * 1024;
export const RESULT_BUDGET_BYTES = 8 * 1024;

/** MCP annotations read off the op's effect, so no list of "dangerous tools" is kept apart from the tools. */
export function annotationsFor(op: AnyOp): ToolAnnotations {
  if (op.effect === 'read') {
    return { readOnlyHint: true, openWorldHint: op.hints?.openWorld ?? false };
  }
  return {
    readOnlyHint: false,
    destructiveHint: op.hints?.destructive ?? true,
    ...(op.hints?.idempotent ? { idempotentHint: true } : {}),
    openWorldHint: op.hints?.openWorld ?? false,
  };
}

/**
 * Keywords left out of every schema: $schema (MCP fixes the dialect), the propertyNames every JSON
 * key satisfies, and a string's pattern and length: runOp validates every input with the op's own
 * schema and says what is wrong in words, and a model does not read regular expressions.
 */
const LEFT_OUT = new Set(['$schema', 'propertyNames', 'pattern', 'minLength', 'maxLength']);

/**
 * Inputs many tools spell the same way: `limit` (rows per list, problems first; limitSchema),
 * `namespace`, and a write's `wait` and `timeout` (waitInput). Their names, types, bounds and
 * defaults say what they are, so tools/list sends them without their descriptions, which only
 * restate that (~3 KB over 46 tools); the CLI's --help keeps them.
 */
const SHARED_INPUTS: Record<string, string> = { limit: 'integer', namespace: 'string', wait: 'boolean', timeout: 'string' };

/** A shared input, by its name and type (net_ping's `wait` is seconds per reply: its own, described). */
function isShared(field: string, schema: JsonSchema): boolean {
  return Object.hasOwn(SHARED_INPUTS, field) && SHARED_INPUTS[field] === schema.type;
}

/**
 * Every tool is listed on every conversation an assistant has (issue 11: all of tools/list within
 * 35 KB), so its schemas say only what a model or a validating client uses. An input schema keeps
 * its fields, types, enums, bounds, defaults and descriptions. An output schema names the answer's
 * own fields and nothing of each: the field names say what they hold, the model reads the values
 * in the result itself (where the text carries the same JSON), and `{}`
 * accepts what the op's own schema already validated (runOp checks every output before it is sent).
 * Neither descriptions nor `required` are sent (the tool's description says what it returns);
 * nor are the SHARED_INPUTS' descriptions. Left out too: `additionalProperties: false` (runOp strips unknown input fields; extra output fields are
 * harmless), its default `{}`, and the ±2^53 bounds zod writes for every integer.
 */
function compact(node: JsonSchema, output: boolean, depth = 0): JsonSchema {
  if (output && depth > 0) return {};
  const out: JsonSchema = {};
  for (const [keyword, value] of Object.entries(node)) {
    if (LEFT_OUT.has(keyword)) continue;
    // A field whose listing names fewer values than it takes (Flux kinds without their short names).
    if (keyword === 'listedEnum') continue;
    if (keyword === 'enum' && Array.isArray(node.listedEnum)) {
      out.enum = node.listedEnum;
      continue;
    }
    if (output && (keyword === 'description' || keyword === 'required')) continue;
    // An enum of strings says its type; the keyword beside it is bytes on every conversation.
    if (keyword === 'type' && value === 'string' && Array.isArray(node.enum)) continue;
    if (keyword === 'additionalProperties' && (value === false || isEmptySchema(value))) continue;
    if ((keyword === 'minimum' && value === Number.MIN_SAFE_INTEGER) || (keyword === 'maximum' && value === Number.MAX_SAFE_INTEGER)) continue;
    if (keyword === 'properties' && isRecord(value)) {
      out.properties = Object.fromEntries(
        Object.entries(value as Record<string, JsonSchema>).map(([field, schema]) => [
          field,
          compact(depth === 0 && isShared(field, schema) ? undescribed(schema) : schema, output, depth + 1),
        ]),
      );
    } else if ((keyword === 'items' || keyword === 'additionalProperties') && isRecord(value)) {
      // A list's rows and a map's values sit at the depth of the field that holds them.
      out[keyword] = compact(value, output, depth);
    } else if ((keyword === 'anyOf' || keyword === 'oneOf' || keyword === 'allOf') && Array.isArray(value)) {
      out[keyword] = value.map((schema) => compact(schema as JsonSchema, output, depth));
    } else {
      out[keyword] = value;
    }
  }
  return out;
}

function isRecord(value: unknown): value is JsonSchema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function undescribed(schema: JsonSchema): JsonSchema {
  const { description: _restated, ...rest } = schema;
  return rest;
}

function isEmptySchema(value: unknown): boolean {
  return isRecord(value) && Object.keys(value).length === 0;
}

/** JSON Schema of an op's input or output as zod writes it. */
function fullSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  return z.toJSONSchema(schema, { io, target: 'draft-7', unrepresentable: 'any' }) as JsonSchema;
}

/** JSON Schema of an op's input or output as tools/list sends it. */
export function toolSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  return compact(fullSchema(schema, io), io === 'output');
}

/**
 * A write's output: its plan or its result, compacted like every output (plan and confirmation
 * are two more field names). Output schemas here name no required fields, so the branches
 * withPlanResult adds for them would allow anything: left out (issue 11's budget).
 */
function planOrResult(op: AnyOp): JsonSchema {
  const { anyOf: _branches, ...schema } = compact(withPlanResult(fullSchema(op.output, 'output')), true);
  return schema;
}

/** The tools/list entry of an op; built once at build time into dist/mcp-tools.json. */
export function toolEntry(op: AnyOp, module: string): ToolEntry {
  return {
    name: op.name,
    title: op.title,
    description: op.description,
    // A write also takes the token of its plan, and answers with either that plan or its result.
    inputSchema: op.effect === 'write' ? withConfirmationInput(toolSchema(op.input, 'input')) : toolSchema(op.input, 'input'),
    outputSchema: op.effect === 'write' ? planOrResult(op) : toolSchema(op.output, 'output'),
    annotations: annotationsFor(op),
    effect: op.effect,
    cluster: op.rbac.length > 0,
    ...((op.listedWith ?? op.requires)?.length ? { listedWith: [...(op.listedWith ?? op.requires ?? [])] } : {}),
    module,
  };
}
