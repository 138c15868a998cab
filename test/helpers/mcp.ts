import { spawn, type ChildProcess } from 'node:child_process';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { ClientCapabilities } from '@modelcontextprotocol/sdk/types.js';
import { BIN, cliEnv } from './cli.js';

/** The real SDK client talking to `homelab mcp serve --stdio`, as Claude Desktop would; `capabilities` as the client declares them. */
export async function stdioClient(
  env: Record<string, string>,
  extraArgs: string[] = [],
  capabilities: ClientCapabilities = {},
): Promise<{ client: Client; stderr: () => string; close(): Promise<void> }> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [BIN, 'mcp', 'serve', '--stdio', ...extraArgs],
    env: cliEnv(env),
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const client = new Client({ name: 'homelab-test', version: '1.0.0' }, { capabilities });
  await client.connect(transport);
  return { client, stderr: () => stderr, close: () => client.close() };
}

export interface HttpServerProcess {
  url: string;
  child: ChildProcess;
  stderr: () => string;
  /** What it wrote to stdout: the audit log, one JSON line per tool call. */
  stdout: () => string;
  /** SIGTERM, then its exit code (null when a signal ended it). */
  stop(): Promise<number | null>;
}

/** Starts `homelab mcp serve --http --port 0` and waits for the line that says where it listens. */
export function startHttpServer(env: Record<string, string>, extraArgs: string[] = []): Promise<HttpServerProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'mcp', 'serve', '--http', '--port', '0', ...extraArgs], {
      env: cliEnv(env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`server did not start: ${stderr}`));
    }, 15_000);
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      const match = /listening on (http:\/\/\S+)/.exec(stderr);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve({
          url: match[1],
          child,
          stderr: () => stderr,
          stdout: () => stdout,
          stop: () =>
            new Promise<number | null>((done) => {
              if (child.exitCode !== null || child.signalCode !== null) return done(child.exitCode);
              child.once('exit', (code) => done(code));
              child.kill('SIGTERM');
            }),
        });
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited ${code}: ${stderr}`));
    });
  });
}

export async function httpClient(url: string, headers: Record<string, string>): Promise<Client> {
  const client = new Client({ name: 'homelab-test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } }));
  return client;
}

type CallResult = Awaited<ReturnType<Client['callTool']>>;

/**
 * Calls a tool as an assistant does once the person has agreed: a write answers with its plan and
 * a confirmation token first, and the same call with the token applies it. A read, a refusal or a
 * plan with nothing to confirm comes back from the first call as it is.
 */
export async function callConfirmed(client: Client, name: string, args: Record<string, unknown>): Promise<CallResult> {
  const first = await client.callTool({ name, arguments: args });
  const token = (first.structuredContent as { confirmation?: { token?: string } } | undefined)?.confirmation?.token;
  if (first.isError || !token) return first;
  return client.callTool({ name, arguments: { ...args, confirmationToken: token } });
}
