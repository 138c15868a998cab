import { existsSync, realpathSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Args, Flags } from '@oclif/core';
import { HomelabCommand } from '../../adapters/cli/base.js';
import { readKubeconfig } from '../../adapters/kube/kubeconfig.js';
import {
  CLIENTS,
  SERVER_NODE_OPTIONS,
  alone,
  clientFile,
  mergeInto,
  serverEntry,
  type LocalServer,
  type McpClient,
  type ServerSpec,
} from '../../adapters/mcp/client-config.js';
import { loadConfig } from '../../core/config.js';
import { UserError } from '../../core/errors.js';

const NAME = /^[A-Za-z][A-Za-z0-9_-]*$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const RESTART: Record<McpClient, string> = {
  'claude-desktop': 'quit and reopen Claude Desktop',
  'claude-code': "start Claude Code in this folder (it asks once to trust the project's servers); /mcp shows the server",
  cursor: 'restart Cursor, or toggle the server in Settings → MCP',
  vscode: 'open the folder in VS Code; the MCP: List Servers command shows and starts the server',
};

export default class McpConfig extends HomelabCommand {
  static override summary = 'Print or write the MCP configuration of Claude Desktop, Claude Code, Cursor or VS Code';
  static override description =
    "Prints the entry that starts homelab's MCP server from CLIENT, with absolute paths (this node binary and " +
    'bin/run.js, the config file and kubeconfig this command resolves now), read-only unless --allow-writes. With ' +
    "--write it merges the entry into the client's file, keeping every other server and setting, after copying the " +
    'file aside (FILE.<time>.bak). Files: claude-desktop ~/Library/Application Support/Claude/claude_desktop_config.json ' +
    '(macOS), %APPDATA%\\Claude\\claude_desktop_config.json (Windows), ~/.config/Claude/claude_desktop_config.json ' +
    '(Linux); claude-code ./.mcp.json (the project); cursor ~/.cursor/mcp.json; vscode ./.vscode/mcp.json (the ' +
    'workspace). With --http URL the entry reaches a server already running (`homelab mcp serve --http`, e.g. in the ' +
    'cluster) with the API key read from the environment variable --key-env when the client starts: the key itself ' +
    'is never written. Claude Desktop takes local servers only.';
  static override examples = [
    '<%= config.bin %> mcp config claude-desktop',
    { description: "Write it into Claude Desktop's file (a backup of the old one is kept)", command: '<%= config.bin %> mcp config claude-desktop --write' },
    {
      description: 'Let the assistant also make changes (each one still asks for confirmation)',
      command: '<%= config.bin %> mcp config cursor --allow-writes --write',
    },
    {
      description: 'Claude Code, reaching the server in the cluster',
      command: '<%= config.bin %> mcp config claude-code --http https://homelab.example.lan/mcp --key-env HOMELAB_API_KEY --write',
    },
  ];
  static override args = {
    client: Args.string({ description: 'The MCP client to configure', options: [...CLIENTS], required: true }),
  };
  static override flags = {
    http: Flags.string({ description: 'URL of a running `homelab mcp serve --http` (…/mcp) instead of starting a local server', helpValue: 'URL' }),
    'key-env': Flags.string({
      description: 'With --http: the environment variable that holds the API key when the client starts',
      default: 'HOMELAB_API_KEY',
      helpValue: 'NAME',
    }),
    write: Flags.boolean({ description: "Merge the entry into the client's file (a copy of the old file is kept) instead of printing it" }),
    'allow-writes': Flags.boolean({ description: 'Offer the tools that change things too (default: --read-only)' }),
    name: Flags.string({ description: 'Name of the server entry', default: 'homelab' }),
    file: Flags.string({ description: "The client's file, when it is not in the usual place (e.g. a VS Code user profile's mcp.json)", helpValue: 'PATH' }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(McpConfig);
    this.debugEnabled = Boolean(flags.debug);
    const client = args.client as McpClient;
    if (!NAME.test(flags.name)) throw new UserError(`--name: "${flags.name}" must start with a letter and hold only letters, digits, - and _`);
    const spec: ServerSpec = flags.http ? this.remote(flags.http, flags['key-env'], flags['allow-writes']) : await this.local(flags);
    const target = clientFile(client, process.env, process.cwd());
    if (flags.file) target.file = path.resolve(flags.file);
    const entry = serverEntry(client, spec);
    if (!flags.write) {
      process.stdout.write(`${JSON.stringify(alone(target, flags.name, entry), null, 2)}\n`);
      process.stderr.write(`Goes into ${target.file} under "${target.root}"; run again with --write to merge it there.\n`);
      return;
    }
    const { backup, replaced } = await mergeInto(target, flags.name, entry, new Date());
    process.stderr.write(
      `${replaced ? 'Replaced' : 'Added'} "${flags.name}" in ${target.file}${backup ? ` (the file as it was: ${backup})` : ''}${spec.kind === 'stdio' && !flags['allow-writes'] ? ', read-only' : ''}.\n` +
        `Next: ${RESTART[client]}.\n`,
    );
  }

  private remote(url: string, keyEnv: string, allowWrites: boolean): ServerSpec {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new UserError(`--http: "${url}" is not a URL`, { hint: 'e.g. --http https://homelab.example.lan/mcp' });
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new UserError(`--http: "${url}" is not an http(s) URL`);
    if (parsed.username || parsed.password) throw new UserError('--http: put no credentials in the URL; the key comes from --key-env');
    if (!ENV_NAME.test(keyEnv)) throw new UserError(`--key-env: "${keyEnv}" is not an environment variable name`);
    if (allowWrites)
      throw new UserError('--allow-writes is for the local server; whether a server over HTTP offers writes is set where it runs (mcp serve --read-only)');
    return { kind: 'http', url: parsed.href, keyEnv };
  }

  /** The local server as this command sees things now: the config file, kubeconfig and context it resolves. */
  private async local(flags: { config?: string; kubeconfig?: string; context?: string; 'allow-writes': boolean }): Promise<LocalServer> {
    const env = process.env;
    const { config, path: configPath } = await loadConfig({ flag: flags.config, env });
    const args = [...SERVER_NODE_OPTIONS, realpathSync(path.join(this.config.root, 'bin', 'run.js')), 'mcp', 'serve', '--stdio'];
    if (!flags['allow-writes']) args.push('--read-only');
    const serverEnv: Record<string, string> = {};
    if (configPath) args.push('--config', path.resolve(configPath));

    // The kubeconfig the server would read, made absolute: clients start servers with their own
    // working directory and environment (Claude Desktop passes little more than HOME and PATH).
    let kubeconfig: string | undefined;
    if (flags.kubeconfig) kubeconfig = path.resolve(flags.kubeconfig);
    else if (!config.kubernetes.kubeconfig && env.KUBECONFIG) {
      const files = env.KUBECONFIG.split(path.delimiter)
        .filter(Boolean)
        .map((f) => path.resolve(f));
      if (files.length === 1) kubeconfig = files[0];
      else serverEnv.KUBECONFIG = files.join(path.delimiter);
    } else if (!config.kubernetes.kubeconfig) {
      const home = path.join(env.HOME || os.homedir(), '.kube', 'config');
      if (existsSync(home)) kubeconfig = home;
    }
    if (kubeconfig) args.push('--kubeconfig', kubeconfig);
    const merged = await readKubeconfig({
      kubeconfig: kubeconfig ?? config.kubernetes.kubeconfig,
      env: serverEnv.KUBECONFIG ? { ...env, KUBECONFIG: serverEnv.KUBECONFIG } : env,
    });
    if (merged.files.length === 0)
      this.logger().warn('no kubeconfig found: the server will look for the in-cluster service account, and fail outside a cluster');
    if (flags.context) {
      if (merged.files.length && !merged.contexts.has(flags.context)) {
        throw new UserError(
          `--context: the kubeconfig has no context named "${flags.context}" (it has: ${[...merged.contexts.keys()].sort().join(', ') || 'none'})`,
        );
      }
      args.push('--context', flags.context);
    }
    // Exec credential plugins (aws, gke-gcloud-auth-plugin, kubelogin) are found on PATH: give the server this one.
    if ([...merged.users.values()].some((u) => u.value.exec) && env.PATH) serverEnv.PATH = env.PATH;
    return { kind: 'stdio', command: process.execPath, args, env: serverEnv };
  }
}
