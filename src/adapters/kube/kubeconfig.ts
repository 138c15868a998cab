/**
 * Kubeconfig read the way kubectl reads it (client-go `tools/clientcmd`: loader.go, validation.go,
 * client_config.go, merged_client_builder.go), without @kubernetes/client-node:
 * - files: `--kubeconfig` alone (it must exist); else `$KUBECONFIG` split on the OS path list
 *   separator, duplicates and empty entries dropped, missing files ignored; else ~/.kube/config.
 * - merge: for clusters, users, contexts and extensions the FIRST file to define a name wins (the
 *   whole entry); `current-context` and each preference likewise come from the first file to set them.
 * - relative paths in a file (certificate-authority, client-certificate, client-key, tokenFile, an
 *   exec command containing a slash) are resolved against THAT file's directory.
 * - no context chosen (none in the files, no `--context`): the in-cluster service account, when in a pod.
 * `loadKubeconfig()` returns a {@link ResolvedCluster}: what an HTTPS request or the exec WebSocket needs.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import type { Agent as HttpAgent, AgentOptions } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { z } from 'zod';
import { UserError } from '../../core/errors.js';
import { Credentials, type AuthConfig, type Credential } from './credentials.js';
import type { ExecClusterInfo, ExecPluginConfig } from './exec-plugin.js';

// ---------------------------------------------------------------------------------------------
// The file's shape: clientcmd/api/v1 types.go. Unknown keys are dropped, as kubectl does; a known
// key of the wrong type is an error naming its path.

/** Go decodes []byte fields with base64.StdEncoding, which skips \r and \n and wants padding. */
function isBase64(s: string): boolean {
  return /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(s.replace(/[\r\n]/g, ''));
}
const base64 = z.string().refine(isBase64, 'is not valid base64');
const extensions = z.array(z.object({ name: z.string().default(''), extension: z.unknown() })).optional();

const ClusterSchema = z.object({
  server: z.string().optional(),
  'tls-server-name': z.string().optional(),
  'insecure-skip-tls-verify': z.boolean().optional(),
  'certificate-authority': z.string().optional(),
  'certificate-authority-data': base64.optional(),
  'proxy-url': z.string().optional(),
  'disable-compression': z.boolean().optional(),
  extensions,
});

const ExecSchema = z.object({
  command: z.string().optional(),
  args: z.array(z.string()).optional(),
  env: z.array(z.object({ name: z.string().default(''), value: z.string().default('') })).optional(),
  apiVersion: z.string().optional(),
  installHint: z.string().optional(),
  provideClusterInfo: z.boolean().optional(),
  interactiveMode: z.string().optional(),
});

const UserSchema = z.object({
  'client-certificate': z.string().optional(),
  'client-certificate-data': base64.optional(),
  'client-key': z.string().optional(),
  'client-key-data': base64.optional(),
  token: z.string().optional(),
  tokenFile: z.string().optional(),
  as: z.string().optional(),
  'as-uid': z.string().optional(),
  'as-groups': z.array(z.string()).optional(),
  'as-user-extra': z.record(z.string(), z.array(z.string())).optional(),
  username: z.string().optional(),
  password: z.string().optional(),
  'auth-provider': z.object({ name: z.string().default(''), config: z.record(z.string(), z.string()).optional() }).optional(),
  exec: ExecSchema.optional(),
  extensions,
});

const ContextSchema = z.object({
  cluster: z.string().optional(),
  user: z.string().optional(),
  namespace: z.string().optional(),
  extensions,
});

const FileSchema = z.object({
  kind: z.string().optional(),
  apiVersion: z.string().optional(),
  preferences: z.object({ colors: z.boolean().optional(), extensions }).optional(),
  clusters: z.array(z.object({ name: z.string().default(''), cluster: ClusterSchema.default({}) })).optional(),
  users: z.array(z.object({ name: z.string().default(''), user: UserSchema.default({}) })).optional(),
  contexts: z.array(z.object({ name: z.string().default(''), context: ContextSchema.default({}) })).optional(),
  'current-context': z.string().optional(),
  extensions,
});

export type ClusterConfig = z.infer<typeof ClusterSchema>;
export type UserConfig = z.infer<typeof UserSchema>;
export type ContextConfig = z.infer<typeof ContextSchema>;
type KubeconfigFile = z.infer<typeof FileSchema>;

/** An entry of the merged config and the file it came from (its relative paths resolve there). */
export interface Sourced<T> {
  file: string;
  value: T;
}

/** The merged kubeconfig, as `kubectl config view --merge` shows it (paths as written). */
export interface MergedKubeconfig {
  /** the files that were read, in order (missing `$KUBECONFIG` entries left out) */
  files: string[];
  /** where the files came from, for messages: `--kubeconfig FILE`, `$KUBECONFIG`, `~/.kube/config` */
  source: string;
  currentContext: string | undefined;
  preferences: { colors?: boolean; extensions: Map<string, unknown> };
  clusters: Map<string, Sourced<ClusterConfig>>;
  users: Map<string, Sourced<UserConfig>>;
  contexts: Map<string, Sourced<ContextConfig>>;
  extensions: Map<string, unknown>;
}

// ---------------------------------------------------------------------------------------------
// Options and the result.

export interface KubeconfigOptions {
  /** --kubeconfig (or the config file's kubernetes.kubeconfig): that file alone; it must exist */
  kubeconfig?: string;
  /** --context: overrides the kubeconfig's current-context */
  context?: string;
  /** the environment ($KUBECONFIG, $HOME, KUBERNETES_SERVICE_HOST/PORT, POD_NAMESPACE); default process.env */
  env?: NodeJS.ProcessEnv;
  /** where the in-cluster service account is mounted; default /var/run/secrets/kubernetes.io/serviceaccount */
  serviceAccountDir?: string;
  /** exec credential plugins: whether stdin is a terminal a person types into (default process.stdin.isTTY) */
  stdinIsTerminal?: boolean;
  /** exec credential plugins: why stdin cannot be used at all (e.g. "it carries the MCP protocol") */
  stdinUnavailable?: string;
  /** where an exec plugin's stderr is copied (its prompts and warnings), as kubectl does; default process.stderr */
  pluginStderr?: Writable | null;
  /** upper bound on one exec plugin run; default 60 s, or 5 min when it may ask a person */
  pluginTimeoutMs?: number;
  /** upper bound on opening a proxy tunnel; default 30 s */
  proxyConnectTimeoutMs?: number;
  /** options of the one agent per cluster (keep-alive by default) */
  agentOptions?: AgentOptions;
  /** clock, for credential expiry */
  now?: () => number;
}

/** What one HTTPS request (or the exec WebSocket upgrade) needs; spread into https.request / new WebSocket. */
export interface KubeRequestOptions {
  agent: HttpAgent;
  /** Authorization and Impersonate-* headers */
  headers: Record<string, string | string[]>;
  ca?: string;
  cert?: string;
  key?: string;
  servername?: string;
  rejectUnauthorized: boolean;
}

export interface ResolvedCluster {
  /** the API server URL without a trailing slash, e.g. https://192.168.1.50:6443 */
  readonly server: string;
  /** the context used; undefined in-cluster */
  readonly contextName: string | undefined;
  readonly clusterName: string;
  readonly userName: string;
  /** the context's namespace, else the service account's (in-cluster), else "default" */
  readonly namespace: string;
  /** Go's http.Transport asks for gzip unless the cluster sets disable-compression */
  readonly disableCompression: boolean;
  /** credentials are applied per request: exec plugins and token files rotate them */
  requestOptions(): Promise<KubeRequestOptions>;
  /**
   * The API server answered 401 to a request made with `used`: drop the credential it carried
   * (exec plugin result, token file) so the next requestOptions() fetches a fresh one. True when
   * something was dropped, i.e. one retry may succeed.
   */
  onUnauthorized(used: KubeRequestOptions): boolean;
  /** one line for messages: context, cluster, server, user and where the kubeconfig came from */
  describe(): string;
  /** closes the agent's idle keep-alive sockets */
  close(): void;
}

const DEFAULT_SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
const EXEC_CLUSTER_EXTENSION = 'client.authentication.k8s.io/exec';
/** client-go applies this default to v1beta1/v1alpha1 exec configs when it decodes the file */
const DEFAULTS_INTERACTIVE_MODE = new Set(['client.authentication.k8s.io/v1beta1', 'client.authentication.k8s.io/v1alpha1']);

// ---------------------------------------------------------------------------------------------
// Reading and merging.

function errnoCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

/** `clusters[1] ("home").cluster.server` from a zod issue path, naming the entry when it has a name. */
function describePath(doc: unknown, where: readonly PropertyKey[]): string {
  let out = '';
  let node: unknown = doc;
  for (const key of where) {
    if (typeof key === 'number') {
      node = Array.isArray(node) ? node[key] : undefined;
      const name = node && typeof node === 'object' ? (node as { name?: unknown }).name : undefined;
      out += `[${key}]${typeof name === 'string' && name ? ` ("${name}")` : ''}`;
    } else {
      node = node && typeof node === 'object' ? (node as Record<string, unknown>)[String(key)] : undefined;
      out += out ? `.${String(key)}` : String(key);
    }
  }
  return out || 'the document';
}

/** YAML null is Go's zero value: the same as leaving the key out. */
function dropNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(dropNulls);
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== null)
        .map(([k, v]) => [k, dropNulls(v)]),
    );
  }
  return value;
}

/** One kubeconfig file, parsed and checked; throws a UserError naming the file and the key. */
export async function readKubeconfigFile(file: string): Promise<KubeconfigFile> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new UserError(`cannot read kubeconfig ${file}: ${errnoCode(err) === 'EISDIR' ? 'it is a directory' : (err as Error).message}`);
  }
  const { parse } = await import('yaml');
  let doc: unknown;
  try {
    // kubectl reads YAML 1.1 (yes/on are booleans) but keeps 1:20 and dates as strings
    doc = parse(text, {
      version: '1.1',
      customTags: (tags) => tags.filter((t) => typeof t === 'string' || (t.format !== 'TIME' && t.tag !== 'tag:yaml.org,2002:timestamp')),
    });
  } catch (err) {
    throw new UserError(`kubeconfig ${file} is not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new UserError(`kubeconfig ${file} is not a kubeconfig: the document is not a mapping`);
  // Read once per process (and on change): no compiled fast path, as for the config file.
  const parsed = FileSchema.safeParse(dropNulls(doc), { jitless: true });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new UserError(`kubeconfig ${file}: ${describePath(doc, issue?.path ?? [])}: ${issue?.message ?? 'invalid'}`);
  }
  const config = parsed.data;
  if (config.kind && config.kind !== 'Config') throw new UserError(`kubeconfig ${file} has kind "${config.kind}"; a kubeconfig is kind: Config`);
  if (config.apiVersion && config.apiVersion !== 'v1')
    throw new UserError(`kubeconfig ${file} has apiVersion "${config.apiVersion}"; kubectl reads apiVersion: v1`);
  for (const u of config.users ?? []) {
    const exec = u.user.exec;
    if (exec && !exec.interactiveMode && exec.apiVersion && DEFAULTS_INTERACTIVE_MODE.has(exec.apiVersion)) exec.interactiveMode = 'IfAvailable';
  }
  return config;
}

/** Converts a file's list into a map; a name twice in one file is an error, as in kubectl. */
function addNamed<T>(into: Map<string, Sourced<T>>, list: Array<{ name: string } & Record<string, unknown>> | undefined, key: string, file: string): void {
  const seen = new Set<string>();
  for (const entry of list ?? []) {
    if (seen.has(entry.name)) throw new UserError(`kubeconfig ${file}: ${key === 'user' ? 'users' : `${key}s`} has two entries named "${entry.name}"`);
    seen.add(entry.name);
    if (!into.has(entry.name)) into.set(entry.name, { file, value: entry[key] as T });
  }
}

function addExtensions(into: Map<string, unknown>, list: Array<{ name: string; extension?: unknown }> | undefined): void {
  for (const e of list ?? []) if (!into.has(e.name)) into.set(e.name, e.extension);
}

/** Which files to read, per client-go's ClientConfigLoadingRules. */
function kubeconfigPaths(options: KubeconfigOptions): { files: string[]; explicit: boolean; source: string } {
  const env = options.env ?? process.env;
  if (options.kubeconfig) return { files: [options.kubeconfig], explicit: true, source: `--kubeconfig ${options.kubeconfig}` };
  if (env.KUBECONFIG) {
    const files = [...new Set(env.KUBECONFIG.split(path.delimiter))].filter((f) => f !== '');
    return { files, explicit: false, source: `KUBECONFIG=${env.KUBECONFIG}` };
  }
  const home = env.HOME || os.homedir();
  return { files: [path.join(home, '.kube', 'config')], explicit: false, source: '~/.kube/config' };
}

/** Reads and merges the kubeconfig files as kubectl does (see the module comment). */
export async function readKubeconfig(options: KubeconfigOptions = {}): Promise<MergedKubeconfig> {
  const { files, explicit, source } = kubeconfigPaths(options);
  const merged: MergedKubeconfig = {
    files: [],
    source,
    currentContext: undefined,
    preferences: { extensions: new Map() },
    clusters: new Map(),
    users: new Map(),
    contexts: new Map(),
    extensions: new Map(),
  };
  for (const name of files) {
    const file = path.resolve(name);
    try {
      await stat(file);
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') throw new UserError(`cannot read kubeconfig ${name}: ${(err as Error).message}`);
      if (explicit) throw new UserError(`the kubeconfig ${name} does not exist`);
      continue;
    }
    const config = await readKubeconfigFile(file);
    merged.files.push(file);
    addNamed(merged.clusters, config.clusters, 'cluster', file);
    addNamed(merged.users, config.users, 'user', file);
    addNamed(merged.contexts, config.contexts, 'context', file);
    addExtensions(merged.extensions, config.extensions);
    addExtensions(merged.preferences.extensions, config.preferences?.extensions);
    merged.currentContext ||= config['current-context'] || undefined;
    if (config.preferences?.colors) merged.preferences.colors = true;
  }
  return merged;
}

// ---------------------------------------------------------------------------------------------
// The chosen context, checked as client-go's ConfirmUsable does, with its files read.

/** Everything a request needs, before credentials are fetched. */
interface Target {
  contextName: string | undefined;
  clusterName: string;
  userName: string;
  namespace: string;
  source: string;
  server: URL;
  tls: { ca?: string; cert?: string; key?: string; servername?: string; rejectUnauthorized: boolean };
  proxyUrl: URL | undefined;
  disableCompression: boolean;
  auth: AuthConfig;
}

/** client-go's IsDNS1123Label: what a namespace must look like. */
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

function resolveIn(file: string, p: string | undefined): string | undefined {
  return p ? path.resolve(path.dirname(file), p) : undefined;
}

async function readReferenced(file: string, what: string, owner: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw new UserError(`cannot read ${what} ${file} of ${owner}: ${(err as Error).message}`);
  }
}

function decode64(data: string): string {
  return Buffer.from(data.replace(/[\r\n]/g, ''), 'base64').toString('utf8');
}

/** Parses the API server URL as client-go's DefaultServerURL does (no scheme: https when TLS is configured). */
function serverUrl(raw: string, tlsConfigured: boolean, clusterName: string, where: string): URL {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\/./i.test(raw) ? raw : `${tlsConfigured ? 'https' : 'http'}://${raw}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new UserError(`cluster "${clusterName}" in ${where} has server "${raw}", which is not a URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new UserError(`cluster "${clusterName}" in ${where} has server "${raw}": only https:// and http:// are supported`);
  return url;
}

function proxyUrlOf(raw: string | undefined, clusterName: string, where: string): URL | undefined {
  if (!raw) return undefined;
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    url = undefined;
  }
  if (!url || !['http:', 'https:', 'socks5:'].includes(url.protocol)) {
    throw new UserError(`invalid proxy-url "${raw}" for cluster "${clusterName}" in ${where}: it must be an http://, https:// or socks5:// URL`);
  }
  return url;
}

function checkCertificate(pem: string, what: string): void {
  try {
    new X509Certificate(pem);
  } catch (err) {
    throw new UserError(`${what} is not a PEM certificate: ${(err as Error).message}`);
  }
}

/** The client certificate and key, from files or -data, checked to belong together. */
async function clientCertificate(user: UserConfig, file: string, userName: string): Promise<{ cert?: string; key?: string }> {
  const owner = `user "${userName}" in ${file}`;
  const hasCert = Boolean(user['client-certificate'] || user['client-certificate-data']);
  const hasKey = Boolean(user['client-key'] || user['client-key-data']);
  if (!hasCert && !hasKey) return {};
  if (user['client-certificate'] && user['client-certificate-data'])
    throw new UserError(`${owner} sets both client-certificate and client-certificate-data; keep one`);
  if (user['client-key'] && user['client-key-data']) throw new UserError(`${owner} sets both client-key and client-key-data; keep one`);
  if (!hasKey) throw new UserError(`${owner} has a client certificate but no client-key or client-key-data`);
  if (!hasCert) throw new UserError(`${owner} has a client key but no client-certificate or client-certificate-data`);
  const certFile = resolveIn(file, user['client-certificate']);
  const keyFile = resolveIn(file, user['client-key']);
  const cert = certFile ? await readReferenced(certFile, 'client-certificate', owner) : decode64(user['client-certificate-data'] ?? '');
  const key = keyFile ? await readReferenced(keyFile, 'client-key', owner) : decode64(user['client-key-data'] ?? '');
  checkCertificate(cert, `the client certificate of ${owner}`);
  let matches: boolean;
  try {
    matches = new X509Certificate(cert).checkPrivateKey(createPrivateKey(key));
  } catch (err) {
    throw new UserError(`the client key of ${owner} is not a PEM private key: ${(err as Error).message}`);
  }
  if (!matches) throw new UserError(`the client certificate and key of ${owner} do not belong together`);
  return { cert, key };
}

/** The exec plugin's settings, checked as client-go's validateAuthInfo does. */
function execConfig(exec: NonNullable<UserConfig['exec']>, file: string, userName: string, cluster: ExecClusterInfo): ExecPluginConfig {
  const owner = `user "${userName}" in ${file}`;
  if (!exec.command) throw new UserError(`the exec credential plugin of ${owner} has no command`);
  if (!exec.apiVersion) throw new UserError(`the exec credential plugin of ${owner} has no apiVersion (client.authentication.k8s.io/v1 or v1beta1)`);
  if (exec.apiVersion !== 'client.authentication.k8s.io/v1' && exec.apiVersion !== 'client.authentication.k8s.io/v1beta1') {
    throw new UserError(
      `the exec credential plugin of ${owner} asks for ${exec.apiVersion}; homelab speaks client.authentication.k8s.io/v1 and v1beta1, as kubectl does`,
    );
  }
  if (!exec.interactiveMode)
    throw new UserError(`the exec credential plugin of ${owner} has no interactiveMode (Never, IfAvailable or Always); ${exec.apiVersion} requires it`);
  if (exec.interactiveMode !== 'Never' && exec.interactiveMode !== 'IfAvailable' && exec.interactiveMode !== 'Always') {
    throw new UserError(`the exec credential plugin of ${owner} has interactiveMode "${exec.interactiveMode}"; it must be Never, IfAvailable or Always`);
  }
  if ((exec.env ?? []).some((e) => !e.name)) throw new UserError(`the exec credential plugin of ${owner} has an env entry without a name`);
  // a bare name is looked up on PATH; one with a slash is a path relative to the kubeconfig
  const command = exec.command.includes(path.sep) ? path.resolve(path.dirname(file), exec.command) : exec.command;
  return {
    command,
    args: exec.args ?? [],
    env: exec.env ?? [],
    apiVersion: exec.apiVersion,
    installHint: exec.installHint,
    interactiveMode: exec.interactiveMode,
    cluster: exec.provideClusterInfo ? cluster : undefined,
    owner,
  };
}

/** Legacy auth-provider: kubectl 1.26+ keeps only oidc; gcp and azure became exec plugins. */
function authProvider(provider: NonNullable<UserConfig['auth-provider']>, owner: string): AuthConfig['oidc'] {
  switch (provider.name) {
    case 'gcp':
      throw new UserError(`${owner} uses the gcp auth-provider, which kubectl removed`, {
        hint: 'use the gke-gcloud-auth-plugin exec credential plugin: gcloud components install gke-gcloud-auth-plugin, then gcloud container clusters get-credentials CLUSTER',
      });
    case 'azure':
      throw new UserError(`${owner} uses the azure auth-provider, which kubectl removed`, {
        hint: 'use the kubelogin exec credential plugin (https://github.com/Azure/kubelogin): kubelogin convert-kubeconfig',
      });
    case 'oidc': {
      const config = provider.config ?? {};
      if (!config['idp-issuer-url'] || !config['client-id']) throw new UserError(`the oidc auth-provider of ${owner} needs idp-issuer-url and client-id`);
      return { idToken: config['id-token'], canRefresh: Boolean(config['refresh-token']), owner };
    }
    default:
      throw new UserError(`${owner} uses the auth-provider "${provider.name}", which kubectl does not know`, {
        hint: 'use an exec credential plugin (users[].user.exec)',
      });
  }
}

/** The chosen context's cluster and user, validated, with their files read. Undefined: no context chosen. */
async function targetFromKubeconfig(merged: MergedKubeconfig, contextOverride: string | undefined): Promise<Target | undefined> {
  const contextName = contextOverride || merged.currentContext;
  if (!contextName) return undefined;
  const where = merged.files.length ? merged.files.join(', ') : merged.source;
  const known = [...merged.contexts.keys()].sort();
  const context = merged.contexts.get(contextName);
  if (!context) {
    throw new UserError(`context "${contextName}" is not in the kubeconfig (${merged.source}; it has: ${known.join(', ') || 'no contexts'})`, {
      hint: known.length ? `kubectl config get-contexts lists them; pick one with --context ${known[0]}` : undefined,
    });
  }
  const ctx = context.value;
  if (!ctx.cluster) throw new UserError(`context "${contextName}" in ${context.file} names no cluster`);
  const cluster = merged.clusters.get(ctx.cluster);
  if (!cluster) throw new UserError(`context "${contextName}" in ${context.file} names cluster "${ctx.cluster}", which is not in the kubeconfig (${where})`);
  const userName = ctx.user ?? '';
  const user = userName ? merged.users.get(userName) : { file: context.file, value: {} };
  if (!user) throw new UserError(`context "${contextName}" in ${context.file} names user "${userName}", which is not in the kubeconfig (${where})`);
  const namespace = ctx.namespace || 'default';
  if (!DNS_LABEL.test(namespace) || namespace.length > 63)
    throw new UserError(`context "${contextName}" in ${context.file} has namespace "${namespace}", which is not a valid namespace name`);

  const c = cluster.value;
  const clusterWhere = `cluster "${ctx.cluster}" in ${cluster.file}`;
  if (!c.server) throw new UserError(`${clusterWhere} has no server`);
  if (c['certificate-authority'] && c['certificate-authority-data'])
    throw new UserError(`${clusterWhere} sets both certificate-authority and certificate-authority-data; keep one`);
  const caFile = resolveIn(cluster.file, c['certificate-authority']);
  const ca = caFile
    ? await readReferenced(caFile, 'certificate-authority', clusterWhere)
    : c['certificate-authority-data']
      ? decode64(c['certificate-authority-data'])
      : undefined;
  if (ca !== undefined) checkCertificate(ca, `the certificate-authority of ${clusterWhere}`);
  // client-go's TLSConfigFor refuses this pair rather than guess which was meant
  if (ca !== undefined && c['insecure-skip-tls-verify'])
    throw new UserError(`${clusterWhere} sets insecure-skip-tls-verify together with a certificate authority; kubectl refuses that, keep one`);

  const u = user.value;
  const owner = `user "${userName}" in ${user.file}`;
  if (u.token && (u.username || u.password)) throw new UserError(`${owner} has both a token and a username/password; kubectl allows only one`);
  if ((u['as-groups']?.length || u['as-uid'] || Object.keys(u['as-user-extra'] ?? {}).length) && !u.as) {
    throw new UserError(`${owner} asks for impersonated groups, uid or extra without a user to impersonate (as)`);
  }
  if (u.exec && u['auth-provider']) throw new UserError(`${owner} sets both exec and auth-provider; keep one`);
  const { cert, key } = await clientCertificate(u, user.file, userName);
  const server = serverUrl(c.server, Boolean(ca || cert || c['insecure-skip-tls-verify']), ctx.cluster, cluster.file);
  const proxyUrl = proxyUrlOf(c['proxy-url'], ctx.cluster, cluster.file);
  const execCluster: ExecClusterInfo = {
    server: c.server,
    'tls-server-name': c['tls-server-name'],
    'insecure-skip-tls-verify': c['insecure-skip-tls-verify'],
    'certificate-authority-data': ca === undefined ? undefined : Buffer.from(ca).toString('base64'),
    'proxy-url': c['proxy-url'],
    'disable-compression': c['disable-compression'],
    config: c.extensions?.find((e) => e.name === EXEC_CLUSTER_EXTENSION)?.extension,
  };
  return {
    contextName,
    clusterName: ctx.cluster,
    userName,
    namespace,
    source: merged.source,
    server,
    proxyUrl,
    tls: { ca, cert, key, servername: c['tls-server-name'] || undefined, rejectUnauthorized: !c['insecure-skip-tls-verify'] },
    disableCompression: Boolean(c['disable-compression']),
    auth: {
      owner,
      token: u.token || undefined,
      tokenFile: resolveIn(user.file, u.tokenFile),
      username: u.username,
      password: u.password,
      hasClientCertificate: Boolean(cert),
      exec: u.exec ? execConfig(u.exec, user.file, userName, execCluster) : undefined,
      oidc: u['auth-provider'] ? authProvider(u['auth-provider'], owner) : undefined,
      impersonate: u.as ? { user: u.as, uid: u['as-uid'], groups: u['as-groups'] ?? [], extra: u['as-user-extra'] ?? {} } : undefined,
      // client-go reads the user's credentials only when the transport is TLS: none go out in clear text
      // (impersonation still applies)
      ...(server.protocol !== 'https:'
        ? { token: undefined, tokenFile: undefined, username: undefined, password: undefined, exec: undefined, oidc: undefined }
        : {}),
    },
  };
}

/** client-go's InClusterConfig: the pod's service account, when there is one. */
async function inClusterTarget(options: KubeconfigOptions): Promise<Target | undefined> {
  const env = options.env ?? process.env;
  const dir = options.serviceAccountDir ?? DEFAULT_SERVICE_ACCOUNT_DIR;
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  const tokenFile = path.join(dir, 'token');
  if (!host || !port) return undefined;
  try {
    if (!(await stat(tokenFile)).isFile()) return undefined;
  } catch {
    return undefined;
  }
  // client-go carries on without the CA file (system roots) when it cannot be read
  const ca = await readFile(path.join(dir, 'ca.crt'), 'utf8').catch(() => undefined);
  const fromFile = (await readFile(path.join(dir, 'namespace'), 'utf8').catch(() => '')).trim();
  return {
    contextName: undefined,
    clusterName: 'in-cluster',
    userName: 'service account',
    source: `the in-cluster service account (${dir})`,
    namespace: env.POD_NAMESPACE || fromFile || 'default',
    server: new URL(`https://${host.includes(':') ? `[${host}]` : host}:${port}`),
    proxyUrl: undefined,
    tls: { ca, rejectUnauthorized: true },
    disableCompression: false,
    auth: { owner: `the service account token ${tokenFile}`, tokenFile, hasClientCertificate: false },
  };
}

// ---------------------------------------------------------------------------------------------
// The result.

class KubeCluster implements ResolvedCluster {
  readonly server: string;
  readonly contextName: string | undefined;
  readonly clusterName: string;
  readonly userName: string;
  readonly namespace: string;
  readonly disableCompression: boolean;
  private readonly used = new WeakMap<KubeRequestOptions, Credential>();
  private agentInstance: HttpAgent | undefined;

  constructor(
    private readonly target: Target,
    private readonly credentials: Credentials,
    private readonly options: KubeconfigOptions,
  ) {
    this.server = target.server.origin + target.server.pathname.replace(/\/+$/, '');
    this.contextName = target.contextName;
    this.clusterName = target.clusterName;
    this.userName = target.userName;
    this.namespace = target.namespace;
    this.disableCompression = target.disableCompression;
  }

  /** One agent per cluster, keep-alive; through the proxy when the cluster has a proxy-url. */
  private async agent(): Promise<HttpAgent> {
    if (this.agentInstance) return this.agentInstance;
    const agentOptions: AgentOptions = { keepAlive: true, ...this.options.agentOptions };
    const secure = this.target.server.protocol === 'https:';
    if (this.target.proxyUrl) {
      const { tunnelAgent } = await import('./proxy.js');
      this.agentInstance ??= tunnelAgent({
        proxy: this.target.proxyUrl,
        secure,
        agentOptions,
        timeoutMs: this.options.proxyConnectTimeoutMs ?? 30_000,
        proxyTls: { ca: this.target.tls.ca, rejectUnauthorized: this.target.tls.rejectUnauthorized },
      });
    } else {
      // Loaded here, with the first request: `mcp serve` lists its tools without node:http(s) and TLS.
      const { Agent } = secure ? await import('node:https') : await import('node:http');
      this.agentInstance ??= new Agent(agentOptions);
    }
    return this.agentInstance;
  }

  async requestOptions(): Promise<KubeRequestOptions> {
    const [credential, agent] = await Promise.all([this.credentials.current(), this.agent()]);
    const { ca, servername, rejectUnauthorized } = this.target.tls;
    const options: KubeRequestOptions = {
      agent,
      headers: { ...credential.headers },
      rejectUnauthorized,
      ...(ca !== undefined ? { ca } : {}),
      ...(servername ? { servername } : {}),
      ...((credential.cert ?? this.target.tls.cert) ? { cert: credential.cert ?? this.target.tls.cert, key: credential.key ?? this.target.tls.key } : {}),
    };
    this.used.set(options, credential);
    return options;
  }

  onUnauthorized(used: KubeRequestOptions): boolean {
    const credential = this.used.get(used);
    return credential ? this.credentials.onUnauthorized(credential) : false;
  }

  describe(): string {
    const t = this.target;
    if (t.contextName === undefined) return `${t.source} at ${this.server}`;
    return `context "${t.contextName}" (cluster "${t.clusterName}" at ${this.server}, user "${t.userName || '(none)'}", from ${t.source})`;
  }

  close(): void {
    this.agentInstance?.destroy();
    this.agentInstance = undefined;
  }
}

/** The chosen context of an already merged kubeconfig (or the in-cluster service account), ready for requests. */
export async function resolveCluster(merged: MergedKubeconfig, options: KubeconfigOptions = {}): Promise<ResolvedCluster> {
  const target = (await targetFromKubeconfig(merged, options.context)) ?? (await inClusterTarget(options));
  if (!target) {
    if (merged.files.length === 0) {
      throw new UserError(
        `no kubeconfig found (looked at ${merged.source === '~/.kube/config' ? '$KUBECONFIG, ~/.kube/config' : merged.source} and the in-cluster service account)`,
        {
          hint: 'pass --kubeconfig FILE or set KUBECONFIG (on k3s the file is /etc/rancher/k3s/k3s.yaml); to try homelab without a cluster: homelab sandbox',
        },
      );
    }
    const known = [...merged.contexts.keys()].sort();
    throw new UserError(
      `the kubeconfig (${merged.files.join(', ')}) sets no current-context${known.length ? ` (it has: ${known.join(', ')})` : ' and has no contexts'}`,
      {
        hint: known.length ? `pick one with --context ${known[0]}, or: kubectl config use-context ${known[0]}` : undefined,
      },
    );
  }
  const credentials = new Credentials(target.auth, {
    stdinIsTerminal: options.stdinIsTerminal ?? process.stdin.isTTY === true,
    stdinUnavailable: options.stdinUnavailable,
    stderr: options.pluginStderr === undefined ? process.stderr : options.pluginStderr,
    timeoutMs: options.pluginTimeoutMs,
    env: options.env ?? process.env,
    now: options.now ?? Date.now,
  });
  await credentials.check();
  return new KubeCluster(target, credentials, options);
}

/** Reads the kubeconfig as kubectl does and resolves the chosen context: see the module comment. */
export async function loadKubeconfig(options: KubeconfigOptions = {}): Promise<ResolvedCluster> {
  return resolveCluster(await readKubeconfig(options), options);
}
