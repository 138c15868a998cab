import { z } from 'zod';
import type { AnyOp } from '../../core/op.js';
import { withConfirmationInput, withPlanResult } from './confirmations.js';

/** Hints for MCP clients; the SDK's ToolAnnotations shape. */
export interface ToolAnnotations {
  title: string;
  readOnlyHint: boolean;
  destructiveHint: boolean;
  idempotentHint: boolean;
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
  inputSchema: Record<string, unknown>;
  outputSchema: Record<string, unknown>;
  annotations: ToolAnnotations;
  effect: 'read' | 'write';
  /** It talks to the Kubernetes API (it has RBAC rules): the tools that take a `context` when the kubeconfig has several. */
  cluster: boolean;
  /** Path of the op's module, relative to dist/. */
  module: string;
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

/** JSON Schema (draft-07, what MCP clients validate with) of an op's input or output. */
function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  return z.toJSONSchema(schema, { io, target: 'draft-7', unrepresentable: 'any' }) as Record<string, unknown>;
}

/** The tools/list entry of an op; built once at build time into dist/mcp-tools.json. */
export function toolEntry(op: AnyOp, module: string): ToolEntry {
  return {
    name: op.name,
    title: op.title,
    description: op.description,
    // A write also takes the token of its plan, and answers with either that plan or its result.
    inputSchema: op.effect === 'write' ? withConfirmationInput(jsonSchema(op.input, 'input')) : jsonSchema(op.input, 'input'),
    outputSchema: op.effect === 'write' ? withPlanResult(jsonSchema(op.output, 'output')) : jsonSchema(op.output, 'output'),
    annotations: annotationsFor(op),
    effect: op.effect,
    cluster: op.rbac.length > 0,
    module,
  };
}
