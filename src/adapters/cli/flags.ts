import { Args, Flags, type Interfaces } from '@oclif/core';
import { z } from 'zod';
import type { AnyOp } from '../../core/op.js';
import { UserError } from '../../core/errors.js';
import { NAMESPACED_NAME_PATTERN } from '../../core/schemas.js';

/** The JSON Schema of one input field, as zod renders it; the CLI's flags are read off it. */
interface FieldSchema {
  type?: string | string[];
  pattern?: string;
  description?: string;
  default?: unknown;
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  items?: FieldSchema;
  anyOf?: FieldSchema[];
}

interface ObjectSchema {
  properties?: Record<string, FieldSchema>;
  required?: string[];
}

export function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** The JSON Schema of a zod object's input side; flags are read off it. */
export function jsonSchemaOf(schema: z.ZodType): ObjectSchema {
  return z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as ObjectSchema;
}

export function inputSchemaOf(op: AnyOp): ObjectSchema {
  return jsonSchemaOf(op.input);
}

/** Short flags people already know from kubectl. */
export const SHORT_FLAGS: Record<string, 'n' | 'c' | 'f' | 'l'> = { namespace: 'n', container: 'c', follow: 'f', labelSelector: 'l' };

/** A flag's help: its description and range; undefined when it has neither (oclif then lines it up with the others). */
function describe(field: FieldSchema): string | undefined {
  const range = field.minimum !== undefined && field.maximum !== undefined ? `(${field.minimum}–${field.maximum})` : '';
  return [field.description, range].filter(Boolean).join(' ') || undefined;
}

/** A positional NAMESPACE/NAME field of an op without a namespace field: the CLI also takes NAME -n NAMESPACE. */
function namespacedArg(op: AnyOp, schema: ObjectSchema): string | undefined {
  if (schema.properties?.namespace) return undefined;
  return (op.args ?? []).find((field) => schema.properties?.[field]?.pattern === NAMESPACED_NAME_PATTERN.source);
}

/** One oclif flag per input field that is not a positional argument; defaults and limits from the schema. */
export function flagsFor(op: AnyOp): Interfaces.FlagInput {
  const schema = inputSchemaOf(op);
  const flags = flagsOf(schema, new Set<string>(op.args ?? []));
  if (namespacedArg(op, schema))
    flags.namespace = Flags.string({
      char: 'n',
      description: `Namespace, as kubectl takes it (then ${namespacedArg(op, schema)?.toUpperCase()} is just the name)`,
    });
  return flags;
}

/** One oclif flag per field of a zod object but those `except` names; for a command that is not an op (mcp serve). */
export function flagsFromSchema(schema: z.ZodType, except: Iterable<string> = []): Interfaces.FlagInput {
  return flagsOf(jsonSchemaOf(schema), new Set(except));
}

function flagsOf(schema: ObjectSchema, except: ReadonlySet<string>): Interfaces.FlagInput {
  const required = new Set(schema.required ?? []);
  const flags: Interfaces.FlagInput = {};
  for (const [field, spec] of Object.entries(schema.properties ?? {})) {
    if (except.has(field)) continue;
    const name = kebab(field);
    const common = { description: describe(spec), required: required.has(field) && spec.default === undefined, char: SHORT_FLAGS[field] };
    const type = Array.isArray(spec.type) ? spec.type.find((t) => t !== 'null') : spec.type;
    if (type === 'boolean') {
      flags[name] = Flags.boolean({ ...common, required: false, allowNo: spec.default === true });
    } else if (type === 'integer') {
      flags[name] = Flags.integer({ ...common, min: spec.minimum, max: spec.maximum, default: spec.default as number | undefined });
    } else if (type === 'array') {
      // Several values as --only a --only b, or --only a,b.
      flags[name] = Flags.string({ ...common, multiple: true, delimiter: ',', options: spec.items?.enum?.map(String) });
    } else {
      flags[name] = Flags.string({ ...common, options: spec.enum?.map(String), default: spec.default as string | undefined });
    }
  }
  return flags;
}

export function argsFor(op: AnyOp): Record<string, ReturnType<typeof Args.string>> {
  const schema = inputSchemaOf(op);
  const required = new Set(schema.required ?? []);
  const args: Record<string, ReturnType<typeof Args.string>> = {};
  for (const field of op.args ?? []) {
    const spec = schema.properties?.[field];
    args[field] = Args.string({ description: spec?.description, required: required.has(field) });
  }
  return args;
}

/** Flag and argument values back into the op's input object (kebab-case → camelCase). */
export function inputFrom(op: AnyOp, flags: Record<string, unknown>, args: Record<string, unknown>): Record<string, unknown> {
  const schema = inputSchemaOf(op);
  const input: Record<string, unknown> = {};
  for (const field of Object.keys(schema.properties ?? {})) {
    const value = (op.args ?? []).includes(field) ? args[field] : flags[kebab(field)];
    if (value !== undefined) input[field] = value;
  }
  const namespaced = namespacedArg(op, schema);
  const namespace = flags.namespace;
  if (namespaced && typeof namespace === 'string' && typeof input[namespaced] === 'string') {
    const given = input[namespaced] as string;
    if (!given.includes('/')) input[namespaced] = `${namespace}/${given}`;
    else if (!given.startsWith(`${namespace}/`))
      throw new UserError(`${namespaced.toUpperCase()} ${given} names namespace ${given.split('/')[0]} but -n says ${namespace}: give it once`);
  }
  return input;
}

/** How the CLI names an input field in an error: `--max-bytes`, or `POD` for an argument. */
export function fieldLabelFor(op: AnyOp): (field: string) => string {
  return (field) => ((op.args ?? []).includes(field) ? field.toUpperCase() : `--${kebab(field)}`);
}
