import { parseArgs } from 'node:util';
import { z } from 'zod';
import { resolveSecret } from '../../core/config.js';
import { parseDuration } from '../../core/schemas.js';
import { UserError } from '../../core/errors.js';
import type { AuditRecord } from '../../core/run-op.js';
import { RUNTIME_FLAGS, createRuntime } from '../runtime.js';
import { stderrLogger } from '../stderr.js';
import type { RunCall } from './call-gate.js';

/**
 * `homelab mcp serve`'s flags, defined once: the fast start parses argv against it without oclif,
 * and the oclif command (for --help, and when oclif runs it anyway) derives its flags from it.
 */
export const serveFlagsSchema = z
  .object({
    stdio: z.boolean().default(false).describe('Speak MCP over stdin/stdout'),
    http: z.boolean().default(false).describe('Speak Streamable HTTP at /mcp'),
    host: z.string().min(1).default('127.0.0.1').describe('Address to listen on with --http'),
    port: z.coerce.number().int().min(0).max(65535).default(3000).describe('Port to listen on with --http (0 picks a free one)'),
    'read-only': z.boolean().default(false).describe('Offer and allow only tools that change nothing'),
    config: z.string().optional().describe(RUNTIME_FLAGS.config),
    kubeconfig: z.string().optional().describe(RUNTIME_FLAGS.kubeconfig),
    context: z.string().optional().describe(RUNTIME_FLAGS.context),
    debug: z.boolean().default(false).describe(RUNTIME_FLAGS.debug),
  })
  .strict();

export const serveOptionsSchema = serveFlagsSchema.refine((o) => o.stdio !== o.http, { message: 'give exactly one of --stdio or --http' });
export type ServeOptions = z.output<typeof serveOptionsSchema>;

/** Parses argv after `mcp serve` without oclif, for the start-up path MCP clients wait on. */
export function parseServeArgs(argv: string[]): ServeOptions {
  let values: Record<string, unknown>;
  try {
    const fields = (z.toJSONSchema(serveFlagsSchema, { io: 'input' }) as { properties: Record<string, { type?: string }> }).properties;
    const options = Object.fromEntries(Object.entries(fields).map(([name, spec]) => [name, { type: spec.type === 'boolean' ? 'boolean' : 'string' } as const]));
    values = parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values;
  } catch (err) {
    throw new UserError((err as Error).message.split('\n')[0] ?? 'bad arguments', { hint: 'see: homelab mcp serve --help' });
  }
  const parsed = serveOptionsSchema.safeParse(values);
  if (!parsed.success) throw new UserError(parsed.error.issues.map((i) => (i.path.length ? `--${i.path.join('.')}: ${i.message}` : i.message)).join('; '), { hint: 'see: homelab mcp serve --help' });
  return parsed.data;
}

/** Runs the MCP server until stdin closes (stdio) or SIGINT/SIGTERM (http). */
export async function serveMcp(options: ServeOptions, version: string): Promise<void> {
  const log = stderrLogger(options.debug);
  const runtime = await createRuntime({
    configFile: options.config,
    kubeconfig: options.kubeconfig,
    context: options.context,
    readOnly: options['read-only'],
    env: process.env,
    log,
    ...(options.stdio ? { stdinUnavailable: 'it carries the MCP protocol' } : {}),
  });
  const [{ createMcpServer, importOp, readToolManifest }, { Confirmations }] = await Promise.all([import('./server.js'), import('./confirmations.js')]);
  const tools = await readToolManifest();
  const { mcp } = runtime.config;
  // One set of tokens for the process: every per-request server (HTTP) checks the same ones.
  const confirmations = mcp.confirmWrites
    ? new Confirmations({
        key: mcp.confirmationKey ? await resolveSecret(mcp.confirmationKey, process.env) : undefined,
        ttlMs: (parseDuration(mcp.confirmationTtl) ?? 300) * 1000,
        now: runtime.context.now,
      })
    : undefined;
  // Every step of a write is audited on stderr (the container's log) and in the audit file when one is configured.
  const audit = (record: AuditRecord) => {
    process.stderr.write(`${JSON.stringify({ audit: record })}\n`);
    void runtime.auditToFile(record).catch((err: Error) => log.warn(`audit log not written: ${err.message}`));
  };
  const clusters = { contexts: () => runtime.kubeContexts(), kubeFor: (name: string) => runtime.kubeFor(name) };
  const newServer = (caller: string, runCall?: RunCall) =>
    createMcpServer({ tools, loadOp: importOp, context: runtime.context, readOnly: runtime.config.readOnly, version, audit, caller, confirmations, runCall, clusters });

  if (options.stdio) {
    const { serveStdio } = await import('@modelcontextprotocol/server/stdio');
    // The client went away mid-answer: nothing left to say to anyone, so leave quietly.
    process.stdout.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE') throw err;
      void runtime.close().finally(() => process.exit(0));
    });
    const ended = new Promise<void>((resolve) => {
      process.stdin.once('end', resolve);
      process.stdin.once('close', resolve);
    });
    // One connection, either era: a client of 2025 opens with initialize, one of 2026-07-28 with server/discover.
    const connection = serveStdio(() => newServer('stdio'), { onerror: (err) => log.debug(`MCP stdio: ${err.message}`) });
    await ended;
    await connection.close();
    await runtime.close();
    return;
  }

  const { serveHttp } = await import('./http.js');
  const keyRef = mcp.apiKey ?? (process.env.HOMELAB_API_KEY ? { env: 'HOMELAB_API_KEY' } : undefined);
  const apiKey = keyRef ? await resolveSecret(keyRef, process.env) : undefined;
  if (apiKey !== undefined && apiKey.length < 16) throw new UserError('the MCP API key is shorter than 16 characters; use a long random one (openssl rand -hex 32)');
  const http = await serveHttp({
    host: options.host,
    port: options.port,
    apiKey,
    allowedHosts: mcp.allowedHosts,
    allowedOrigins: mcp.allowedOrigins,
    limits: { maxConcurrentCalls: mcp.maxConcurrentCalls, maxQueuedCalls: mcp.maxQueuedCalls, maxBatch: mcp.maxBatch },
    newServer: (runCall, caller) => newServer(caller, runCall),
    log,
  });
  log.progress(`homelab MCP server listening on ${http.url}${runtime.config.readOnly ? ' (read-only)' : ''}${apiKey ? ' (API key required)' : ''}`);
  await new Promise<void>((resolve) => {
    const stop = () => void http.close().then(resolve);
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await runtime.close();
}
