/**
 * The simulated homelab's Kubernetes API server. `startSandbox()` serves a scenario over HTTPS on
 * 127.0.0.1, writes a kubeconfig for it and starts the scenario's fake home services; real clients
 * (kubectl, @kubernetes/client-node) work against it unchanged. It says what it runs (URLs,
 * credentials as files, the kubeconfig); a client writes its own configuration from that.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:https';
import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_CONTROLLERS, startControllers } from './controllers/controllers.js';
import { expandScenario } from './scenario/expand.js';
import { DEFAULT_DELAYS, OPERATOR_CONTROLLERS, type ControllerDelays } from './controllers/operators.js';
import { BUILTIN_RESOURCES, customResource, KindRegistry, type ResourceDef } from './apiserver/kinds.js';
import { LogBook } from './apiserver/logs.js';
import { Authorizer, type PolicyRule } from './apiserver/rbac.js';
import { loadScenarioFile, parseScenario, scenariosDir, type ParsedScenario, type Scenario } from './scenario/scenario.js';
import { createHandler, type ServerContext } from './apiserver/server.js';
import { ObjectStore } from './apiserver/store.js';
import { sharedTls } from './apiserver/tls.js';
import { handleUpgrade } from './apiserver/upgrade.js';
import { Faults, type Fault } from './apiserver/faults.js';
import { RequestLog } from './apiserver/requests.js';
import { startExec, type SandboxExecOptions } from './exec/index.js';
import { startServices, type ServiceEndpoints, type Services, type ServicesOptions, type StartedServices } from './services/index.js';

export type { PolicyRule } from './apiserver/rbac.js';
export type { Fault, Faults } from './apiserver/faults.js';
export type { LoggedRequest, RequestLog } from './apiserver/requests.js';
export type { Scenario, ParsedScenario } from './scenario/scenario.js';
export { ScenarioError, parseScenario, scenariosDir } from './scenario/scenario.js';
export { makeTls, type TlsMaterial } from './apiserver/tls.js';
export { answer, loadExecRuleFile } from './exec/rules.js';
export type { ExecRule } from './exec/index.js';
export { ObjectStore, type Change, type ChangeListener } from './apiserver/store.js';
export type { Controller, ControllerHost } from './controllers/controllers.js';
export type { ControllerDelays } from './controllers/operators.js';
export type { KubeObject } from './apiserver/types.js';
export { generateScenario } from './scenario/generate.js';
export type { Services, ServicesOptions, ServiceName, ServiceEndpoints } from './services/index.js';
export { FakePihole, FakeAdguard, FakeJellyfin, FakeImmich, type JellyfinItem, type JellyfinFlavour } from './services/index.js';

export interface SandboxOptions {
  scenario?: string; // a name under <package root>/scenarios (default 'pi-homelab') or a path to a .yaml file
  scenarioData?: Scenario; // or an already-parsed scenario object (tests/benchmarks generate these)
  host?: string; // default '127.0.0.1' (never anything else by default)
  port?: number; // default 0 = random free port
  dir?: string; // where the kubeconfig and secrets/ are written; default: a fresh mkdtemp dir
  rbac?: PolicyRule[]; // when given, every request is authorized against exactly these rules; 403 otherwise
  now?: () => Date; // clock (relative times in the scenario are resolved against it at start)
  /** how long the simulated add-on controllers take, in ms (tests shorten them): Flux reconcile 300, Job run 500, ExternalSecret sync 200 */
  delays?: Partial<ControllerDelays>;
  /** the fake home services: Jellyfin flavour, Pi-hole limits, and which fakes not to start */
  services?: ServicesOptions;
  /** pods/exec: extra scripted rules (tried first) and `v5: false` to serve v4 only */
  exec?: SandboxExecOptions;
  /** also authenticate x509 client certificates signed by the sandbox CA; `clientCert` is one */
  clientCertificates?: boolean;
  /** answers to inject from the start (a 503 on /apis, a malformed body, ...); more via `sandbox.faults` */
  faults?: Fault[];
}

export interface Sandbox {
  url: string; // https://127.0.0.1:PORT
  dir: string;
  kubeconfigPath: string;
  context: string; // the kubeconfig's (current) context
  token: string; // bearer token in the kubeconfig
  caPem: string;
  /** with `clientCertificates`: a client certificate and key the sandbox accepts (the kubeconfig keeps the token) */
  clientCert?: { certPem: string; keyPem: string };
  store: ObjectStore; // in-process access for tests: get/list/put objects
  services: Services; // the fake home services that run (per the scenario's services: section)
  endpoints: ServiceEndpoints; // where a client reaches each of them: URL and credential files
  /** the scenario's `config:` mapping, untouched: settings it wants its client to run with */
  scenarioConfig: Record<string, unknown>;
  faults: Faults; // inject and remove odd answers of the API server while it runs
  requests: RequestLog; // every authenticated request the API server got: method, path, query, Accept
  logs: LogBook; // container logs; append() reaches followers (pods/log?follow=true)
  /**
   * Back to the scenario's start without a new port, CA or token: the objects, logs, faults, the
   * controllers' pending work and the fake services' state. Open watches end (clients list again);
   * resourceVersions go on rising.
   */
  reset(): void;
  /**
   * From now on authorize every request against exactly these rules (403 otherwise), as the `rbac`
   * option does at start; undefined allows everything. reset() keeps them: they are how the sandbox
   * was started, not the cluster's state.
   */
  authorize(rules: PolicyRule[] | undefined): void;
  /** Closes the server, every socket and the fakes, and removes what start made (a temp dir whole); idempotent. */
  stop(): Promise<void>;
}

export const CONTEXT_NAME = 'homelab-sandbox';

function registryFor(s: ParsedScenario): KindRegistry {
  const disabled = new Set(s.disableGroups ?? []);
  const builtins = BUILTIN_RESOURCES.filter((r) => !disabled.has(r.group) && (r.group !== 'metrics.k8s.io' || s.metrics));
  const custom: ResourceDef[] = s.apiResources.map((a) => customResource(a));
  for (const c of custom) {
    if (builtins.some((b) => b.group === c.group && b.plural === c.plural)) throw new Error(`scenario: api resource ${c.plural}.${c.group} is built in`);
  }
  return new KindRegistry([...builtins.map((r) => ({ ...r })), ...custom]);
}

function writePrivate(file: string, text: string): void {
  writeFileSync(file, text, { mode: 0o600 });
  chmodSync(file, 0o600);
}

export async function startSandbox(opts: SandboxOptions = {}): Promise<Sandbox> {
  const now = opts.now ?? ((): Date => new Date());
  const scenario = opts.scenarioData ? parseScenario(opts.scenarioData) : await loadScenarioFile(opts.scenario ?? 'pi-homelab');
  const store = new ObjectStore(registryFor(scenario), now);
  const logs = new LogBook();
  const faults = new Faults();
  /** what the scenario starts with: start() serves it, reset() serves it again */
  const load = (): void => {
    store.adopt(expandScenario(scenario, now(), logs).objects);
    for (const f of opts.faults ?? []) faults.add(f);
  };
  load();

  const tls = sharedTls();
  const token = randomBytes(32).toString('base64url');
  const host = opts.host ?? '127.0.0.1';
  const https = await import('node:https');
  let address = '';
  const watches = new Set<ServerResponse>();
  const requests = new RequestLog();
  const ctx: ServerContext = {
    store,
    logs,
    token,
    clientCertificates: opts.clientCertificates === true,
    gitVersion: scenario.cluster.version,
    now,
    watches,
    faults,
    address: () => address,
    requests,
    volumeUsage: scenario.volumeUsage,
    authorizer: new Authorizer(opts.rbac, scenario.cluster.user),
  };
  const clientAuth = opts.clientCertificates ? { requestCert: true, rejectUnauthorized: false, ca: tls.caPem } : {};
  const server: Server = https.createServer({ key: tls.keyPem, cert: tls.certPem, ...clientAuth }, createHandler(ctx));
  const sockets = new Set<Socket>();
  server.on('secureConnection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  const exec = await startExec(scenario.exec, opts.exec, scenariosDir());
  server.on('upgrade', (req, socket: Socket, head: Buffer) => handleUpgrade(ctx, req, socket, head, exec));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const closeServer = (): Promise<void> =>
    new Promise<void>((resolve) => {
      for (const w of watches) w.end();
      server.close(() => resolve());
      for (const s of sockets) s.destroy();
      server.closeAllConnections?.();
    });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  address = `${urlHost}:${port}`;
  const url = `https://${urlHost}:${port}`;

  const files = sandboxDir(opts.dir);
  const { dir } = files;
  const kubeconfigPath = path.join(dir, 'kubeconfig');
  let side: StartedServices;
  try {
    const YAML = await import('yaml');
    writePrivate(
      kubeconfigPath,
      YAML.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        preferences: {},
        clusters: [{ name: CONTEXT_NAME, cluster: { 'certificate-authority-data': Buffer.from(tls.caPem).toString('base64'), server: url } }],
        contexts: [{ name: CONTEXT_NAME, context: { cluster: CONTEXT_NAME, user: CONTEXT_NAME } }],
        'current-context': CONTEXT_NAME,
        users: [{ name: CONTEXT_NAME, user: { token } }],
      }),
    );
    // the fakes listen on 127.0.0.1 only, whatever the API server's host
    side = await startServices(scenario.services, opts.services ?? {}, dir, now, '127.0.0.1');
  } catch (e) {
    await closeServer();
    files.remove([kubeconfigPath]);
    throw e;
  }

  const startAll = (): { stop(): void } =>
    startControllers(store, [...DEFAULT_CONTROLLERS, ...OPERATOR_CONTROLLERS], now, { ...DEFAULT_DELAYS, ...(opts.delays ?? {}) });
  let controllers = startAll();
  let stopping: Promise<void> | undefined;
  return {
    url,
    dir,
    kubeconfigPath,
    context: CONTEXT_NAME,
    token,
    caPem: tls.caPem,
    ...(opts.clientCertificates ? { clientCert: tls.client } : {}),
    store,
    faults,
    logs,
    requests,
    services: side.services,
    endpoints: side.endpoints,
    scenarioConfig: scenario.config ?? {},
    reset() {
      if (stopping) throw new Error('sandbox: reset() after stop()');
      controllers.stop();
      // open watches and log follows end, as when an API server restarts: clients list again
      for (const w of watches) w.end();
      store.clear();
      logs.clear();
      faults.clear();
      requests.clear();
      load();
      side.reset();
      controllers = startAll();
    },
    authorize(rules) {
      ctx.authorizer = new Authorizer(rules, scenario.cluster.user);
    },
    stop() {
      stopping ??= (async () => {
        controllers.stop();
        await Promise.all([side.stop(), closeServer()]);
        files.remove([kubeconfigPath]);
      })();
      return stopping;
    },
  };
}

/**
 * Where the kubeconfig and secrets/ go: a fresh temporary folder, removed whole by `remove`, or the
 * caller's, from which `remove` takes only the given files (and the folders start had to make, if empty).
 */
function sandboxDir(given: string | undefined): { dir: string; remove(files: string[]): void } {
  if (given === undefined) {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'homelab-sandbox-'));
    return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
  }
  const dir = path.resolve(given);
  const firstMade = mkdirSync(dir, { recursive: true, mode: 0o700 });
  return {
    dir,
    remove(files) {
      for (const f of files) rmSync(f, { force: true });
      if (firstMade === undefined) return;
      for (let d = dir; ; d = path.dirname(d)) {
        try {
          rmdirSync(d);
        } catch {
          return;
        } // not empty: what is left there is not ours
        if (d === firstMade) return;
      }
    },
  };
}
