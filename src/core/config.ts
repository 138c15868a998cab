import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { homedir } from 'node:os';
import { z } from 'zod';
import { durationSchema, namespaceSchema, namespacedNameSchema, parseDuration } from './schemas.js';
import { UserError } from './errors.js';

/** Where a secret comes from. The config never holds a secret's value. */
export const secretRefSchema = z.union([
  z.object({ env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name') }).strict(),
  z.object({ file: z.string().min(1) }).strict(),
]);
export type SecretRef = z.infer<typeof secretRefSchema>;

// An allow-list entry: NAMESPACE/NAME, a whole namespace as NAMESPACE/*, or everything as */*.
export const allowEntrySchema = z
  .string()
  .regex(/^([a-z0-9]([-a-z0-9]*[a-z0-9])?|\*)\/([a-z0-9]([-a-z0-9.]*[a-z0-9])?|\*)$/, 'must be NAMESPACE/NAME, NAMESPACE/* or */*');

/** Whether an allow-list admits NAMESPACE/NAME. */
export function allowListAdmits(list: readonly string[], target: string): boolean {
  const [ns, name] = target.split('/');
  return list.some((entry) => {
    const [ens, ename] = entry.split('/');
    return (ens === '*' || ens === ns) && (ename === '*' || ename === name);
  });
}

const serviceUrlSchema = z
  .string()
  .url()
  .refine((u) => /^https?:\/\//.test(u), 'must be an http:// or https:// URL')
  .refine((u) => !new URL(u).username && !new URL(u).password, 'must not carry credentials: use the password/apiKey reference');

/** What every HTTP service entry shares. */
const serviceCommon = {
  timeoutMs: z.number().int().min(100).max(600_000).default(10_000).describe('Per-request timeout'),
  caFile: z.string().optional().describe('CA certificate (PEM) for a self-signed HTTPS service'),
};

/** A service reached with one API key (the *arr apps, SABnzbd): its URL and where the key is. */
function apiKeyService(what: string, example: string, keyHelp: string) {
  return z
    .object({
      url: serviceUrlSchema.describe(`${what} base URL, e.g. ${example}`),
      apiKey: secretRefSchema.describe(keyHelp),
      ...serviceCommon,
    })
    .strict()
    .optional();
}

/** postgres://USER@HOST[:PORT]/DATABASE[?sslmode=…]: never a password (that is `password`, a secret reference). */
const postgresUrlSchema = z
  .string()
  .refine((u) => /^postgres(ql)?:\/\/[^/]/.test(u) && URL.canParse(u), 'must be a postgres://USER@HOST:PORT/DATABASE URL')
  .refine((u) => !URL.canParse(u) || !new URL(u).password, 'must not carry the password: use password: {env: NAME} or {file: PATH}')
  .refine((u) => !URL.canParse(u) || Boolean(new URL(u).username), 'must name the user: postgres://USER@HOST/DATABASE');

/** A database or role name as psql takes it on the command line (no quoting games). */
export const pgNameSchema = z.string().regex(/^[A-Za-z_][A-Za-z0-9_$-]{0,62}$/, 'must be a PostgreSQL name (letters, digits, _, $ and -; 63 at most)');

/**
 * Where the DNS pods, the debug agent, Jellyfin and the PostgreSQL that `psql` runs in (when it is
 * reached by pod exec: Authentik's chart puts it beside Authentik) are, unless the config says otherwise.
 */
export const DEFAULT_NAMESPACES = { dns: 'pihole', debugAgent: 'mcp-homelab', jellyfin: 'jellyfin', postgres: 'authentik' } as const;

/** The origin cluster's restartable apps; what a fresh install may restart before any config exists. */
export const DEFAULT_RESTARTABLE = [
  'jellyfin/jellyfin',
  'pihole/pihole',
  'pihole/unbound',
  'immich/immich-server',
  'homepage/homepage',
  'uptime-kuma/uptime-kuma',
];

/** How much work the MCP HTTP server takes on at once, unless the config says otherwise. */
export const MCP_LIMITS = { maxConcurrentCalls: 4, maxQueuedCalls: 16, maxBatch: 10 } as const;

/**
 * Each key's default token bucket: 2 requests a second on average, 60 at once. An assistant looking
 * into a problem sends a few dozen calls in a burst, then waits on its person; a loop that went wrong
 * sends hundreds.
 */
export const MCP_RATE_LIMIT = { perMinute: 120, burst: 60 } as const;

export const configSchema = z
  .object({
    kubernetes: z
      .object({
        kubeconfig: z.string().optional().describe('Path to a kubeconfig file'),
        context: z.string().optional().describe('kubeconfig context to use'),
      })
      .strict()
      .default({}),
    readOnly: z.boolean().default(false).describe('Refuse every write operation'),
    allow: z
      .object({
        restart: z.array(allowEntrySchema).default(DEFAULT_RESTARTABLE).describe('Deployments `homelab restart` may restart'),
        flux: z.array(allowEntrySchema).default(['*/*']).describe('Flux objects that may be reconciled, suspended, resumed or healed'),
        secretsRefresh: z.array(allowEntrySchema).default([]).describe('ExternalSecrets that may be force-synced'),
        backupsTrigger: z.array(allowEntrySchema).default([]).describe('CronJobs a backup may be triggered from'),
        arr: z
          .array(allowEntrySchema)
          .default([])
          .describe('What arr retry and arr search may act on, as APP/TITLE-SLUG (sonarr/severance, radarr/*) or sabnzbd/CATEGORY'),
      })
      .strict()
      .default({ restart: DEFAULT_RESTARTABLE, flux: ['*/*'], secretsRefresh: [], backupsTrigger: [], arr: [] }),
    backups: z
      .object({
        match: z.string().min(1).default('backup').describe('CronJobs whose name, a label or namespace contains this are backups'),
        cronJobs: z.array(namespacedNameSchema).default([]).describe('More CronJobs that are backups, as NAMESPACE/NAME'),
      })
      .strict()
      .default({ match: 'backup', cronJobs: [] }),
    tailscale: z
      .object({ namespace: z.string().default('tailscale').describe('Namespace of the Tailscale operator') })
      .strict()
      .default({ namespace: 'tailscale' }),
    ingress: z
      .object({
        tlsSecrets: z
          .array(namespacedNameSchema)
          .default([])
          .describe(
            'TLS Secrets no cert-manager Certificate manages that `ingress` may check by name (a metadata-only get). ' +
              'homelab reads no Secrets otherwise; grant `get` on exactly these names (deploy/overlays/tls-secrets).',
          ),
      })
      .strict()
      .default({ tlsSecrets: [] }),
    storage: z
      .object({
        kubeletStats: z
          .boolean()
          .default(false)
          .describe(
            "Read how full each claim's volume is from the kubelets' summary API (GET nodes/NAME/proxy/stats/summary). " +
              "nodes/proxy reaches every kubelet's whole API, a privilege: homelab's role does not grant it unless you add deploy/overlays/kubelet-stats.",
          ),
      })
      .strict()
      .default({ kubeletStats: false }),
    // Home services: each is optional; one that is absent is reported as "not configured".
    services: z
      .object({
        pihole: z
          .object({
            url: serviceUrlSchema.describe('Pi-hole v6 base URL, e.g. http://pihole.lan (the API is under /api)'),
            password: secretRefSchema.optional().describe('Web or app password; omit when Pi-hole has none'),
            ...serviceCommon,
          })
          .strict()
          .optional(),
        adguard: z
          .object({
            url: serviceUrlSchema.describe('AdGuard Home base URL, e.g. http://adguard.lan:3000'),
            username: z.string().min(1),
            password: secretRefSchema,
            ...serviceCommon,
          })
          .strict()
          .optional(),
        jellyfin: z
          .object({
            url: serviceUrlSchema.describe('Jellyfin base URL, e.g. http://jellyfin.lan:8096'),
            apiKey: secretRefSchema.describe('An API key (Dashboard → API Keys)'),
            namespace: namespaceSchema.default(DEFAULT_NAMESPACES.jellyfin).describe('Namespace of the Jellyfin pod (for its library database)'),
            ...serviceCommon,
          })
          .strict()
          .optional(),
        immich: z
          .object({
            url: serviceUrlSchema.describe('Immich base URL, e.g. http://immich.lan:2283'),
            apiKey: secretRefSchema.describe('An API key (Account settings → API keys); admin for server statistics'),
            ...serviceCommon,
          })
          .strict()
          .optional(),
        authentik: z
          .object({
            url: serviceUrlSchema.describe('Authentik base URL, e.g. https://auth.example.net (the API is under /api/v3)'),
            token: secretRefSchema.describe(
              'An API token (Directory → Tokens and App passwords, intent API) of a user who may view users, applications, outposts and events',
            ),
            ...serviceCommon,
          })
          .strict()
          .optional(),
        rancher: z
          .object({
            url: serviceUrlSchema.describe('Rancher base URL, e.g. https://rancher.example.net (the API is under /v3)'),
            token: secretRefSchema.describe("An API key's bearer token, token-xxxxx:secret (User → Account & API Keys); a read-only scope is enough"),
            ...serviceCommon,
          })
          .strict()
          .optional(),
        sonarr: apiKeyService('Sonarr (v4; v3 answers the same API)', 'http://sonarr.lan:8989', 'The API key (Settings → General → Security)'),
        radarr: apiKeyService('Radarr (v5)', 'http://radarr.lan:7878', 'The API key (Settings → General → Security)'),
        prowlarr: apiKeyService('Prowlarr', 'http://prowlarr.lan:9696', 'The API key (Settings → General → Security)'),
        bazarr: apiKeyService('Bazarr (1.4 or newer)', 'http://bazarr.lan:6767', 'The API key (Settings → General → Security)'),
        sabnzbd: apiKeyService('SABnzbd', 'http://sabnzbd.lan:8080', 'The API key (Config → General → Security), not the NZB key'),
        qbittorrent: z
          .object({
            url: serviceUrlSchema.describe('qBittorrent Web UI base URL, e.g. http://qbittorrent.lan:8080 (Web API v2)'),
            username: z.string().min(1).optional().describe('Web UI user; omit when the Web UI lets this host in without logging in'),
            password: secretRefSchema.optional(),
            ...serviceCommon,
          })
          .strict()
          .refine((q) => Boolean(q.username) === Boolean(q.password), 'give username and password together, or neither')
          .optional(),
        postgres: z
          .object({
            url: postgresUrlSchema.optional().describe('postgres://USER@HOST:5432/DATABASE, when homelab can reach the server; the password is `password`'),
            password: secretRefSchema.optional().describe("The password of the URL's user"),
            caFile: z.string().optional().describe("CA certificate (PEM) the server's TLS certificate is checked against (with ?sslmode=verify-full)"),
            exec: z
              .object({
                namespace: namespaceSchema.default(DEFAULT_NAMESPACES.postgres).describe('Namespace of the database pod'),
                labelSelector: z.string().min(1).default('app.kubernetes.io/name=postgresql').describe('Label selector of the database pod'),
                container: z.string().min(1).default('postgresql').describe('Container that has psql'),
                user: pgNameSchema.default('postgres').describe("Role psql connects as (over the pod's local socket)"),
                database: pgNameSchema.default('postgres').describe('Database psql connects to'),
              })
              .strict()
              .optional()
              .describe('Run psql in the database pod (pod exec) when there is no network path to it'),
            statementTimeout: durationSchema.default('10s').describe('How long one statement may run (statement_timeout)'),
            maxRows: z.number().int().min(1).max(5000).default(200).describe('Rows a query returns at most'),
            maxBytes: z
              .number()
              .int()
              .min(1024)
              .max(4 * 1024 * 1024)
              .default(256 * 1024)
              .describe('Bytes of values a query returns at most'),
            connectTimeoutMs: z.number().int().min(100).max(120_000).default(10_000),
          })
          .strict()
          .refine((p) => Boolean(p.url) !== Boolean(p.exec), 'give either url (a network path) or exec (psql in the pod), not both or neither')
          .refine((p) => !p.password || Boolean(p.url), "password goes with url (exec uses the pod's local socket)")
          .optional(),
      })
      .strict()
      .default({}),
    uptime: z
      .object({
        targets: z
          .array(
            z
              .object({
                url: serviceUrlSchema.describe('http(s) URL to check'),
                name: z.string().min(1).max(63).optional().describe('How the answer names it (default: the URL)'),
                keyword: z.string().min(1).max(200).optional().describe('Text the page must contain'),
                expectStatus: z.array(z.number().int().min(100).max(599)).min(1).optional().describe('Statuses that mean up (default: 200-399)'),
                caFile: z.string().optional().describe('CA certificate (PEM) for a self-signed HTTPS site'),
              })
              .strict(),
          )
          .max(200)
          .default([])
          .describe('URLs `homelab uptime` checks'),
        ingresses: z.boolean().default(false).describe("Also check every host of the cluster's Ingresses"),
        warnDays: z.number().int().min(1).max(365).default(14).describe('A certificate expiring within this many days is a warning'),
        slowMs: z.number().int().min(1).max(120_000).default(3000).describe('An answer slower than this is a warning'),
        timeoutMs: z.number().int().min(100).max(120_000).default(10_000).describe('Per-URL timeout'),
      })
      .strict()
      .default({ targets: [], ingresses: false, warnDays: 14, slowMs: 3000, timeoutMs: 10_000 }),
    dns: z
      .object({ namespace: namespaceSchema.default(DEFAULT_NAMESPACES.dns).describe('Namespace of the Pi-hole and Unbound pods') })
      .strict()
      .default({ namespace: DEFAULT_NAMESPACES.dns }),
    debugAgent: z
      .object({
        namespace: namespaceSchema.default(DEFAULT_NAMESPACES.debugAgent).describe('Namespace of the debug-agent DaemonSet'),
        labelSelector: z.string().min(1).default('app.kubernetes.io/name=debug-agent').describe('Label selector of its pods'),
        container: z.string().min(1).default('agent').describe('Container to exec into'),
      })
      .strict()
      .default({ namespace: DEFAULT_NAMESPACES.debugAgent, labelSelector: 'app.kubernetes.io/name=debug-agent', container: 'agent' }),
    net: z
      .object({
        allowTargets: z
          .array(z.string().min(1))
          .default([])
          .describe("Hosts or CIDRs `net curl/ping` may reach beyond the cluster's own Ingress and Service hosts"),
      })
      .strict()
      .default({ allowTargets: [] }),
    nas: z
      .object({
        host: z.string().min(1).describe('NAS address or name'),
        port: z.number().int().min(1).max(65535).default(22),
        username: z.string().regex(/^[a-z_][a-z0-9_.-]*$/i, 'must be a user name'),
        privateKey: secretRefSchema.describe('The SSH private key: {file: ~/.ssh/id_ed25519} or {env: NAME}'),
        passphrase: secretRefSchema.optional(),
        hostKey: z
          .union([
            z.object({ fingerprint: z.string().regex(/^SHA256:[A-Za-z0-9+/]{43}=?$/, 'must be SHA256:<base64>, as ssh-keygen -lf prints it') }).strict(),
            z.object({ knownHosts: z.string().min(1) }).strict(),
          ])
          .describe('How the NAS is recognised: its key fingerprint, or a known_hosts file. Required: first contact is refused.'),
        roots: z.array(z.string().regex(/^\/./, 'must be an absolute path')).min(1).describe('Paths under which `nas touch` may act'),
        volumes: z.array(z.string().regex(/^\/./, 'must be an absolute path')).default(['/volume1']).describe('Volumes `nas df` reports'),
        connectTimeoutMs: z.number().int().min(500).max(120_000).default(10_000),
        commandTimeoutMs: z.number().int().min(500).max(600_000).default(30_000),
      })
      .strict()
      .optional(),
    health: z
      .object({
        restartWarn: z.number().int().min(1).default(5).describe('Restarts at which a container is reported'),
        eventsSince: durationSchema.default('1h').describe('How far back Warning events are reported'),
        maxEvents: z.number().int().min(0).max(200).default(20),
      })
      .strict()
      .default({ restartWarn: 5, eventsSince: '1h', maxEvents: 20 }),
    mcp: z
      .object({
        apiKey: secretRefSchema.optional().describe('Where the one HTTP API key is read from: a write-scoped key named "default" (or HOMELAB_API_KEY)'),
        keysFile: z
          .string()
          .min(1)
          .optional()
          .describe('A file of named API keys, each with a scope (read or write) and an optional expiry; reloaded when it changes (instead of apiKey)'),
        rateLimit: z
          .object({
            perMinute: z
              .number()
              .int()
              .min(1)
              .max(1_000_000)
              .default(MCP_RATE_LIMIT.perMinute)
              .describe('JSON-RPC requests a key may send per minute, on average'),
            burst: z.number().int().min(1).max(100_000).default(MCP_RATE_LIMIT.burst).describe('Requests a key may send at once before the average applies'),
          })
          .strict()
          .default(MCP_RATE_LIMIT)
          .describe('Per key (per replica); past it, 429 with Retry-After'),
        shutdownGrace: durationSchema
          .refine((s) => (parseDuration(s) ?? 0) <= 600, 'must be at most 10m')
          .default('10s')
          .describe("On SIGTERM, how long calls in flight may take to finish (keep it under the pod's terminationGracePeriodSeconds)"),
        idleTimeout: durationSchema
          .refine((s) => {
            const secs = parseDuration(s) ?? 0;
            return secs >= 1 && secs <= 300;
          }, 'must be a duration from 1s to 5m')
          .default('10s')
          .describe(
            'Over HTTP, how long a connection may stay silent before its request begins or in the middle of its body; then it is closed (408 in a body)',
          ),
        allowedHosts: z.array(z.string()).default([]).describe('Extra Host header values accepted over HTTP'),
        allowedOrigins: z.array(z.string()).default([]).describe('Origins accepted over HTTP (browsers)'),
        // Sized for a Pi and the Deployment's 256Mi limit: 4 health checks of a 5,000-pod cluster peak near 200 MiB.
        maxConcurrentCalls: z.number().int().min(1).max(64).default(MCP_LIMITS.maxConcurrentCalls).describe('Tool calls the HTTP server runs at once'),
        maxQueuedCalls: z
          .number()
          .int()
          .min(0)
          .max(1000)
          .default(MCP_LIMITS.maxQueuedCalls)
          .describe('Tool calls that may wait for a turn; beyond, 503 with Retry-After'),
        maxBatch: z.number().int().min(1).max(100).default(MCP_LIMITS.maxBatch).describe('Messages in one JSON-RPC batch; a longer batch is refused'),
        confirmWrites: z
          .boolean()
          .default(true)
          .describe(
            'A write tool answers with its plan first and applies it when called again with its token (or the person accepts a form); false applies at once, for unattended automation',
          ),
        confirmationKey: secretRefSchema
          .optional()
          .describe('Signs confirmation tokens so that every replica accepts them; without it each process signs with its own random key'),
        confirmationTtl: durationSchema
          .refine((s) => {
            const secs = parseDuration(s) ?? 0;
            return secs >= 10 && secs <= 1800;
          }, 'must be a duration from 10s to 30m')
          .default('5m')
          .describe('How long a confirmation token (and a confirmation form) stays valid'),
      })
      .strict()
      .superRefine((mcp, ctx) => {
        if (mcp.apiKey && mcp.keysFile) {
          ctx.addIssue({ code: 'custom', path: ['keysFile'], message: 'give either apiKey (one key) or keysFile (named keys), not both' });
        }
        if (mcp.rateLimit.burst < mcp.maxBatch) {
          ctx.addIssue({
            code: 'custom',
            path: ['rateLimit', 'burst'],
            message: `must be at least maxBatch (${mcp.maxBatch}): a batch costs one per message, and a longer one could never pass`,
          });
        }
        if (mcp.maxBatch > mcp.maxConcurrentCalls + mcp.maxQueuedCalls) {
          ctx.addIssue({
            code: 'custom',
            path: ['maxBatch'],
            message: `must be at most maxConcurrentCalls + maxQueuedCalls (${mcp.maxConcurrentCalls + mcp.maxQueuedCalls}): a longer batch could never be admitted`,
          });
        }
      })
      .default({
        allowedHosts: [],
        allowedOrigins: [],
        ...MCP_LIMITS,
        rateLimit: MCP_RATE_LIMIT,
        shutdownGrace: '10s',
        idleTimeout: '10s',
        confirmWrites: true,
        confirmationTtl: '5m',
      }),
    audit: z
      .object({ file: z.string().optional().describe('Append a JSON line per tool call (reads and writes, from the CLI and MCP) to this file') })
      .strict()
      .default({}),
  })
  .strict();

export type Config = z.output<typeof configSchema>;

export interface ConfigSource {
  /** --config */
  flag?: string;
  env: Record<string, string | undefined>;
}

/** --config, then HOMELAB_CONFIG, then $XDG_CONFIG_HOME/homelab/config.yaml. */
export function configPath(source: ConfigSource): { path: string; explicit: boolean } {
  if (source.flag) return { path: source.flag, explicit: true };
  if (source.env.HOMELAB_CONFIG) return { path: source.env.HOMELAB_CONFIG, explicit: true };
  const base = source.env.XDG_CONFIG_HOME || join(source.env.HOME || homedir(), '.config');
  return { path: join(base, 'homelab', 'config.yaml'), explicit: false };
}

/** Keys whose values are file paths, wherever they sit (secret references are `{file: PATH}`). */
const PATH_KEYS = new Set(['file', 'kubeconfig', 'caFile', 'knownHosts', 'keysFile']);

/**
 * `~/x` is the home folder's x, and a relative path is relative to the config file's folder (as in
 * a kubeconfig), not to wherever homelab was started from (an MCP client starts it anywhere).
 */
function resolvePaths(value: unknown, baseDir: string | undefined, home: string): unknown {
  if (Array.isArray(value)) return value.map((v) => resolvePaths(v, baseDir, home));
  if (!value || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, v]) => {
      if (!PATH_KEYS.has(key) || typeof v !== 'string') return [key, resolvePaths(v, baseDir, home)];
      const expanded = v === '~' ? home : v.startsWith('~/') ? join(home, v.slice(2)) : v;
      return [key, baseDir && !isAbsolute(expanded) ? resolve(baseDir, expanded) : expanded];
    }),
  );
}

/** Validates a parsed config; messages name the bad key ("allow.restart[2]: must be NAMESPACE/NAME"). */
export function parseConfig(data: unknown, origin = 'config', file?: { dir: string; home: string }): Config {
  // Parsed once per process: zod compiling its fast path for the schema costs more than it saves (~10 ms of start-up).
  const result = configSchema.safeParse(data ?? {}, { jitless: true });
  if (result.success) return resolvePaths(result.data, file?.dir, file?.home ?? homedir()) as Config;
  const problems = result.error.issues.map((issue) => {
    const key = formatPath(issue.path);
    if (issue.code === 'unrecognized_keys') {
      return `${key ? key + ': ' : ''}unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
    }
    return `${key || '(top level)'}: ${issue.message}`;
  });
  throw new UserError(`invalid ${origin}:\n  ${problems.join('\n  ')}`);
}

export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  return path.reduce<string>((out, part) => (typeof part === 'number' ? `${out}[${part}]` : out ? `${out}.${String(part)}` : String(part)), '');
}

/** No file at the default place means defaults; a file named explicitly must exist. */
export async function loadConfig(source: ConfigSource): Promise<{ config: Config; path: string | undefined }> {
  const { path, explicit } = configPath(source);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' && !explicit) return { config: parseConfig({}), path: undefined };
    throw new UserError(`cannot read config file ${path}: ${(err as Error).message}`);
  }
  return { config: await parseConfigFile(text, path, source.env), path };
}

/** The text of the config file at `path`, validated, its relative paths resolved against its folder. */
export async function parseConfigFile(text: string, path: string, env: Record<string, string | undefined>): Promise<Config> {
  // yaml costs ~40 ms to load: only when there is a file to read.
  const { parse: parseYaml } = await import('yaml');
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (err) {
    throw new UserError(`config file ${path} is not valid YAML: ${(err as Error).message}`);
  }
  return parseConfig(data, `config file ${path}`, { dir: dirname(resolve(path)), home: env.HOME || homedir() });
}

/** Reads a secret from where its reference points; the value never enters logs or errors. */
export async function resolveSecret(ref: SecretRef, env: Record<string, string | undefined>): Promise<string> {
  if ('env' in ref) {
    const value = env[ref.env];
    if (!value) throw new UserError(`environment variable ${ref.env} is not set (it should hold a secret)`);
    return value.trim();
  }
  try {
    return (await readFile(ref.file, 'utf8')).trim();
  } catch (err) {
    throw new UserError(`cannot read secret file ${ref.file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
}
