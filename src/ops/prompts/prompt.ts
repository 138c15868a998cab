import { z } from 'zod';

/** A prompt's arguments: strings, as MCP carries them; each described (the client shows the description). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type PromptArguments = z.ZodObject<Record<string, z.ZodType<string | undefined, any>>>;

/**
 * A prompt an assistant offers its person (MCP prompts/list, prompts/get): a task in words that
 * names the tools it uses. Data next to the ops, so the MCP door only lists and renders them.
 */
export interface PromptDef<A extends PromptArguments = PromptArguments> {
  /** snake_case, like the tools. */
  name: string;
  title: string;
  /** One or two sentences: what the person gets. The tools it uses are added when listed. */
  description: string;
  arguments: A;
  /** Tools it calls, each one the registry has. */
  tools: readonly string[];
  /** Tools it prefers when the server offers them (another issue's, or write tools hidden by read-only mode). */
  optionalTools?: readonly string[];
  /** The user message; `offers(tool)` says whether this server lists the tool, so the text names only those. */
  render(args: z.output<A>, offers: (tool: string) => boolean): string;
}

export function definePrompt<A extends PromptArguments>(prompt: PromptDef<A>): PromptDef<A> {
  if (!/^[a-z]+(_[a-z]+)*$/.test(prompt.name)) throw new Error(`prompt name must be snake_case: ${prompt.name}`);
  return prompt;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyPrompt = PromptDef<any>;

/** A free-text argument: one line, bounded, so it cannot smuggle a second instruction block into the prompt. */
export const promptText = (max: number) =>
  z
    .string()
    .trim()
    .min(1)
    .max(max)
    .refine((s) => ![...s].some((c) => c.charCodeAt(0) < 0x20 || c === '\u007f'), 'must be one line of text');

/** "`a`, `b` and `c`". */
export function toolList(tools: readonly string[]): string {
  const quoted = tools.map((t) => `\`${t}\``);
  return quoted.length <= 1 ? (quoted[0] ?? '') : `${quoted.slice(0, -1).join(', ')} and ${quoted.at(-1)}`;
}

/** What every prompt says about findings: fix each with the tool and input it names, never guess. */
export const FINDINGS_RULES =
  'Each finding carries `fix` (a tool, its input and the same as a shell command) when homelab can fix or explain it: ' +
  'offer that, exactly as given. Resource links in a result (logs, a Flux object, a runbook) explain a finding: read them before guessing.';
