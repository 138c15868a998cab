import { parseArgs } from 'node:util';
import { z } from 'zod';
import { readFile } from 'node:fs/promises';
import { parseConfigFile, resolveSecret } from '../../core/config.js';
import { UserError } from '../../core/errors.js';
import type { AuditRecord } from '../../core/run-op.js';
import { parseDuration } from '../../core/schemas.js';
import { plural } from '../../ops/shared/format.js';
import { auditLine } from '../audit.js';
import { RUNTIME_FLAGS, createRuntime } from '../runtime.js';
import { stderrLogger } from '../stderr.js';
import type { GateLoad, RunCall } from './call-gate.js';
import type { HttpServer } from './http.js';
import type { Caller } from './keys.js';
import type { Metrics } from './metrics.js';

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
    // Each flag's type from its schema (under .default()/.optional()); z.toJSONSchema cost ~5 ms of CPU here.
    const options = Object.fromEntries(
      Object.entries(serveFlagsSchema.shape).map(([name, field]) => [name, { type: field.unwrap().def.type === 'boolean' ? 'boolean' : 'string' } as const]),
    );
    values = parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values;
  } catch (err) {
    throw new UserError((err as Error).message.split('\n')[0] ?? 'bad arguments', { hint: 'see: homelab mcp serve --help' });
  }
  const parsed = serveOptionsSchema.safeParse(values, { jitless: true });
  if (!parsed.success)
    throw new UserError(parsed.error.issues.map((i) => (i.path.length ? `--${i.path.join('.')}: ${i.message}` : i.message)).join('; '), {
      hint: 'see: homelab mcp serve --help',
    });
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
  // prom-client is loaded for --http only: the stdio server and the CLI never pay for it.
  const metrics = options.http
    ? await httpMetrics(
        tools.map((t) => t.name),
        version,
        () => http?.load(),
      )
    : undefined;
  // Every tool call (a write at each step), one JSON line: on stdout with --http (the container's log;
  // stdout carries nothing else there), on stderr with --stdio (stdout carries the protocol), and in
  // the audit file when one is configured.
  const auditStream = options.http ? process.stdout : process.stderr;
  const audit = (record: AuditRecord) => {
    auditStream.write(auditLine(record));
    void runtime.auditToFile(record).catch((err: Error) => log.warn(`audit log not written: ${err.message}`));
    metrics?.call(record);
  };
  const clusters = { contexts: () => runtime.kubeContexts(), kubeFor: (name: string) => runtime.kubeFor(name) };
  const newServer = (runCall: RunCall | undefined, caller: Caller | 'stdio', requestId?: string) =>
    createMcpServer({
      tools,
      loadOp: importOp,
      context: runtime.context,
      // A read-scoped key gets the read-only server: the write tools are neither listed nor run.
      readOnly: runtime.config.readOnly || (caller !== 'stdio' && caller.scope === 'read'),
      version,
      audit,
      caller: caller === 'stdio' ? 'stdio' : caller.name,
      requestId,
      confirmations,
      runCall,
      clusters,
    });

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
    const connection = serveStdio(() => newServer(undefined, 'stdio'), { onerror: (err) => log.debug(`MCP stdio: ${err.message}`) });
    await ended;
    await connection.close();
    await runtime.close();
    return;
  }

  const [{ serveHttp }, { FileWatch }, { configFileWatch, keySource }] = await Promise.all([import('./http.js'), import('./watch.js'), import('./reload.js')]);
  const source = await keySource(mcp, process.env, log);
  // Rotation without a restart: the keys (when they come from a file) and the config's allow-lists follow
  // their files. The watches hold nothing open: they end with the process.
  const watches: Array<{ close(): void }> = [];
  if (source?.file) watches.push(new FileWatch(source.file.watched, source.file.text, log, (result) => metrics?.reload('keys', result)));
  if (runtime.configPath) {
    const path = runtime.configPath;
    const text = await readFile(path, 'utf8');
    watches.push(
      new FileWatch(configFileWatch(runtime.config, path, process.env, await parseConfigFile(text, path, process.env)), text, log, (result) =>
        metrics?.reload('config', result),
      ),
    );
  }
  const writeTools = new Set(tools.filter((t) => t.effect === 'write').map((t) => t.name));
  const http: HttpServer = await serveHttp({
    host: options.host,
    port: options.port,
    keys: source?.keys,
    allowedHosts: mcp.allowedHosts,
    allowedOrigins: mcp.allowedOrigins,
    limits: {
      maxConcurrentCalls: mcp.maxConcurrentCalls,
      maxQueuedCalls: mcp.maxQueuedCalls,
      maxBatch: mcp.maxBatch,
      idleMs: (parseDuration(mcp.idleTimeout) ?? 10) * 1000,
    },
    rateLimit: mcp.rateLimit,
    writeTools,
    newServer: (runCall, request) => newServer(runCall, request.caller, request.requestId),
    audit,
    ready: (signal) => runtime.apiServerReady(signal),
    metrics,
    log,
    now: runtime.context.now,
  });
  const keysSaid = source ? ` (API key required: ${source.keys.describe()} from ${source.origin})` : '';
  log.progress(`homelab MCP server listening on ${http.url}${runtime.config.readOnly ? ' (read-only)' : ''}${keysSaid}`);

  // SIGTERM (Kubernetes, docker stop) and Ctrl-C: stop taking requests, let the ones in flight finish
  // within mcp.shutdownGrace, then leave with 0.
  const graceMs = (parseDuration(mcp.shutdownGrace) ?? 10) * 1000;
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  const { running, waiting } = http.load();
  log.progress(
    `${signal}: no new requests; ${running + waiting ? `waiting up to ${graceMs / 1000} s for ${plural(running + waiting, 'tool call')} in flight` : 'nothing in flight'}`,
  );
  const cut = await http.close(graceMs);
  if (cut) log.warn(`stopped with ${plural(cut, 'request')} unfinished after the grace period (mcp.shutdownGrace ${mcp.shutdownGrace})`);
  for (const w of watches) w.close();
  await runtime.close();
  log.progress('stopped');
}

/** The /metrics of the HTTP server; `load` reads the call gate once the server is up. */
async function httpMetrics(tools: string[], version: string, load: () => GateLoad | undefined): Promise<Metrics> {
  const { Metrics } = await import('./metrics.js');
  return new Metrics({ version, tools, load: () => load() ?? { running: 0, waiting: 0 } });
}
