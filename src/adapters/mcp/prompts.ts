import { INVALID_PARAMS, type Prompt, type Server } from '@modelcontextprotocol/server';
import type { z } from 'zod';
import { toolList, type AnyPrompt } from '../../ops/prompts/prompt.js';
import { RpcError } from './rpc-error.js';

/** A prompt as prompts/list shows it: its arguments from its zod object, and the tools it uses (of those this server offers). */
export function promptEntry(prompt: AnyPrompt, offers: (tool: string) => boolean): Prompt {
  const shape = prompt.arguments.shape as Record<string, z.ZodType>;
  const uses = [...prompt.tools, ...(prompt.optionalTools ?? [])].filter(offers);
  return {
    name: prompt.name,
    title: prompt.title,
    description: `${prompt.description} Uses ${toolList(uses)}.`,
    arguments: Object.entries(shape).map(([name, schema]) => ({ name, description: schema.description, required: !schema.safeParse(undefined).success })),
  };
}

/**
 * Prompts: defined as data in src/ops/prompts, listed and rendered here. The text names only the
 * tools this server lists (read-only mode hides the writes; a tool of another build may be absent).
 */
export function registerPrompts(server: Server, offers: (tool: string) => boolean): void {
  server.registerCapabilities({ prompts: { listChanged: false } });
  // Loaded on first use: the prompts render commands through the generated command table, which start-up need not load.
  const load = async () => (await import('../../ops/prompts/registry.js')).prompts;
  server.setRequestHandler('prompts/list', async () => ({ prompts: (await load()).map((p) => promptEntry(p, offers)) }));
  server.setRequestHandler('prompts/get', async (request) => {
    const prompt = (await load()).find((p) => p.name === request.params.name);
    if (!prompt) throw new RpcError(INVALID_PARAMS, `no prompt named ${request.params.name} (prompts/list lists them)`);
    const parsed = prompt.arguments.strict().safeParse(request.params.arguments ?? {});
    if (!parsed.success) {
      const why = parsed.error.issues.map((i: z.core.$ZodIssue) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message)).join('; ');
      throw new RpcError(INVALID_PARAMS, `prompt ${prompt.name}: ${why}`);
    }
    return {
      description: prompt.title,
      messages: [{ role: 'user' as const, content: { type: 'text' as const, text: prompt.render(parsed.data, offers) } }],
    };
  });
}
