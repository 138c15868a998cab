import { z } from 'zod';
import { CLI_COMMANDS } from './cli-commands.js';

/**
 * How an op's input becomes a homelab command line: the command's words, the fields taken as
 * positional arguments (in order), and the flag each other field is. Generated for every op into
 * cli-commands.ts by scripts/cli-commands.ts from the commands themselves.
 */
export interface CliCommandShape {
  command: string;
  args: readonly string[];
  flags: Record<string, { flag: string; char?: string; kind: 'value' | 'list' | 'switch' | 'switch-default-on' }>;
}

export type ToolName = keyof typeof CLI_COMMANDS;
type FixValue = string | number | boolean | readonly string[];

/**
 * What fixes or explains a finding, as data: the MCP tool and its arguments, and the same as a
 * command line that runs exactly as printed (a test runs every one the sandbox produces).
 */
export const fixSchema = z.object({
  tool: z.string().describe('Tool to call'),
  input: z.record(z.string(), z.unknown()).describe('Its arguments'),
  command: z.string().describe('The same as a shell command'),
});
export type Fix = z.infer<typeof fixSchema>;

/** A fix through one of homelab's own tools; undefined fields are left out. */
export function fix(tool: ToolName, input: Record<string, FixValue | undefined>): Fix {
  const defined = Object.fromEntries(Object.entries(input).filter((entry): entry is [string, FixValue] => entry[1] !== undefined));
  return { tool, input: defined, command: commandLine(tool, defined) };
}

/** The homelab command line for a tool call, quoted for a POSIX shell. */
export function commandLine(tool: ToolName, input: Record<string, FixValue>): string {
  const shape: CliCommandShape = CLI_COMMANDS[tool];
  const flags: string[] = [];
  for (const [field, value] of Object.entries(input)) {
    if (shape.args.includes(field)) continue;
    const flag = shape.flags[field];
    if (!flag) throw new Error(`internal error: ${tool} has no input field ${field}`);
    const name = flag.char ? `-${flag.char}` : `--${flag.flag}`;
    if (flag.kind === 'switch' || flag.kind === 'switch-default-on') {
      if (value === true) flags.push(`--${flag.flag}`);
      else if (flag.kind === 'switch-default-on') flags.push(`--no-${flag.flag}`);
    } else if (Array.isArray(value)) {
      for (const item of value) flags.push(name, quote(String(item)));
    } else {
      flags.push(name, quote(String(value)));
    }
  }
  const positional = shape.args.filter((field) => input[field] !== undefined).map((field) => String(input[field]));
  const command = ['homelab', ...shape.command.split(' ')];
  // A value that starts with a dash would be read as a flag: the flags go first and `--` ends them.
  if (positional.some((value) => value.startsWith('-'))) return [...command, ...flags, '--', ...positional.map(quote)].join(' ');
  return [...command, ...positional.map(quote), ...flags].join(' ');
}

function quote(value: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}
