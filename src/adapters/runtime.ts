import { appendFile } from 'node:fs/promises';
import { loadConfig, type Config } from '../core/config.js';
import type { Logger, OpContextBase } from '../core/op.js';
import type { AuditRecord } from '../core/run-op.js';
import { auditLine } from './audit.js';
import { KubeClient, type KubeConnectOptions } from './kube/client.js';
import { readKubeconfig } from './kube/kubeconfig.js';
import { createServices } from './services.js';

/**
 * The command-line flags every door takes about where it runs (the CLI's global flags, `mcp serve`'s
 * own): one description each, read by both.
 */
export const RUNTIME_FLAGS = {
  config: 'Config file (default: $HOMELAB_CONFIG, else $XDG_CONFIG_HOME/homelab/config.yaml)',
  kubeconfig: 'Path to the kubeconfig file (default: $KUBECONFIG, else ~/.kube/config, else in-cluster)',
  context: 'The kubeconfig context to use',
  debug: 'Show stack traces and debug logs on stderr',
} as const;

/** What a door knows about where it runs: its flags and environment. */
export interface RuntimeOptions {
  configFile?: string;
  kubeconfig?: string;
  context?: string;
  readOnly?: boolean;
  env: Record<string, string | undefined>;
  log: Logger;
  /** Why an exec credential plugin may not read stdin (MCP over stdio: it carries the protocol). */
  stdinUnavailable?: string;
  /** Every wait's cadence (OpContext.pollIntervalMs); absent, each op's own. */
  pollIntervalMs?: number;
}

export interface KubeContexts {
  names: string[];
  /** --context, else the config file's kubernetes.context, else the kubeconfig's current-context. */
  default: string | undefined;
}

export interface Runtime {
  config: Config;
  configPath: string | undefined;
  context: OpContextBase;
  /** Appends a call's record (redacted) to the audit file when the config names one; each door adds its own sinks. */
  auditToFile(record: AuditRecord): Promise<void>;
  /** Resolves when the Kubernetes API server answers its readiness check (GET /readyz); rejects saying why not. */
  apiServerReady(signal: AbortSignal): Promise<void>;
  /**
   * The kubeconfig's contexts, for a door that lets its caller pick one (read once); undefined when no
   * kubeconfig file is there (in-cluster, where the service account is the only identity).
   */
  kubeContexts(): Promise<KubeContexts | undefined>;
  /** A client for a context of the same kubeconfig (one per context, made on first use and kept); the default one for its own name. */
  kubeFor(context: string): KubeClient;
  /**
   * Logs out of services, closes connections and waits until the audit records so far are in the file
   * (a process that exits right after, as `mcp serve --stdio` does when its client goes, loses none); call
   * once when the process is done.
   */
  close(): Promise<void>;
}

/**
 * The composition root both doors share: config, the Kubernetes port and the clock. Nothing here
 * connects anywhere until an op asks (the Kubernetes client is loaded on first use).
 */
export async function createRuntime(options: RuntimeOptions): Promise<Runtime> {
  const { config, path } = await loadConfig({ flag: options.configFile, env: options.env });
  if (options.readOnly) config.readOnly = true;
  // --kubeconfig, then the config file's kubernetes.kubeconfig, then what kubectl reads ($KUBECONFIG,
  // ~/.kube/config, in-cluster). The config file naming one beats $KUBECONFIG: said, not silent.
  const fromConfig = options.kubeconfig === undefined ? config.kubernetes.kubeconfig : undefined;
  if (fromConfig && options.env.KUBECONFIG && options.env.KUBECONFIG !== fromConfig) {
    options.log.warn(`using the kubeconfig the config file names (kubernetes.kubeconfig: ${fromConfig}), not $KUBECONFIG (${options.env.KUBECONFIG})`);
  }
  const connect: KubeConnectOptions = {
    kubeconfig: options.kubeconfig ?? config.kubernetes.kubeconfig,
    context: options.context ?? config.kubernetes.context,
    env: options.env,
    stdinUnavailable: options.stdinUnavailable,
  };
  const kube = new KubeClient(connect);
  const others = new Map<string, KubeClient>();
  let contexts: Promise<KubeContexts | undefined> | undefined;
  const services = createServices({ config, env: options.env, log: options.log });
  /** The audit file's writes, in the order the records came. */
  let auditWrites: Promise<void> = Promise.resolve();
  return {
    config,
    configPath: path,
    context: { kube, services, config, now: () => new Date(), log: options.log, pollIntervalMs: options.pollIntervalMs },
    close: async () => {
      await Promise.all([services.close(), kube.close(), ...[...others.values()].map((k) => k.close()), auditWrites]);
    },
    kubeContexts() {
      contexts ??= readKubeconfig({ kubeconfig: connect.kubeconfig, env: options.env }).then((merged) =>
        merged.files.length === 0 ? undefined : { names: [...merged.contexts.keys()].sort(), default: connect.context ?? merged.currentContext },
      );
      // A kubeconfig that could not be read is read again next time (a long-running server recovers once it is fixed).
      contexts.catch(() => {
        contexts = undefined;
      });
      return contexts;
    },
    kubeFor(context) {
      if (context === connect.context) return kube;
      let client = others.get(context);
      if (!client) {
        client = new KubeClient({ ...connect, context });
        others.set(context, client);
      }
      return client;
    },
    async auditToFile(record) {
      const file = config.audit.file;
      if (!file) return;
      // One write after another, so the file keeps the records' order (a write's plan, confirmation
      // and apply come a millisecond apart; concurrent appends may land in any order).
      const write = auditWrites.then(() => appendFile(file, auditLine(record), { mode: 0o600 }));
      auditWrites = write.catch(() => undefined);
      await write;
    },
    async apiServerReady(signal) {
      await kube.readyz(signal);
    },
  };
}
