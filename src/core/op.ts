import type { z } from 'zod';
import type { Config } from './config.js';
import type { KubePort } from './ports/kube.js';
import type { ServiceClients, ServicePorts } from './ports/services.js';

export type Effect = 'read' | 'write';
/** ok: nothing to do; warn: look soon; crit: something is down. Exit codes 0, 1, 2. */
export const VERDICTS = ['ok', 'warn', 'crit'] as const;
export type Verdict = (typeof VERDICTS)[number];

/** One Kubernetes RBAC rule an op needs; the deploy ClusterRole and the RBAC tests are generated from these. */
export interface RbacRule {
  /** '' for the core group. */
  apiGroup: string;
  /** Plural resource, with subresource where needed: 'pods/log'. */
  resource: string;
  verbs: ReadonlyArray<'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete'>;
  /**
   * Needed only in the namespaces these config settings name (e.g. exec into the Pi-hole pod):
   * the generated RBAC grants it with a Role there, not cluster-wide.
   */
  inNamespacesOf?: ReadonlyArray<NamespaceSetting>;
}

/** Config settings that name a namespace an op works in; their defaults are DEFAULT_NAMESPACES in config.ts. */
export type NamespaceSetting = 'dns' | 'debugAgent' | 'jellyfin' | 'postgres';

export interface Summary {
  verdict: Verdict;
  /** One line a person reads first: "2 problems: pod jellyfin/jellyfin-0 CrashLoopBackOff, ...". */
  line: string;
}

export interface Logger {
  /** Progress a person watching wants to see ("waiting for ..."); stderr on the CLI. */
  progress(message: string): void;
  warn(message: string): void;
  debug(message: string): void;
}

/** A home service from the config's `services:`/`nas:`; an op that needs one declares it in `requires`. */
export type ServiceName = 'pihole' | 'adguard' | 'jellyfin' | 'immich' | 'nas';

/** A home service the config can name: a key of `services:`, or `nas`. */
export type ConfiguredService = keyof Config['services'] | 'nas';

/** Whether the config names the service. */
export function isConfigured(config: Config, service: ConfiguredService): boolean {
  return service === 'nas' ? Boolean(config.nas) : Boolean(config.services[service]);
}

/** The name of an allow-list in the config's `allow:` section. */
export type AllowListName = keyof Config['allow'];

export interface OpContext {
  kube: KubePort;
  /** Pi-hole, AdGuard, Jellyfin, Immich, the NAS: each undefined when not configured; every call stops with `signal`. */
  services: ServicePorts;
  config: Config;
  /** Fires at the op's timeout or when the caller gives up (Ctrl-C, MCP cancel). */
  signal: AbortSignal;
  now(): Date;
  log: Logger;
  /**
   * Output an op streams as it comes (log lines under follow): the CLI writes it to stdout as it
   * arrives; absent over MCP and with --json, where the op returns it in its result instead.
   */
  emit?: (text: string) => void;
  /**
   * Checks one more object a write touches against an allow-list (a source that a reconcile also
   * annotates, say); throws PolicyDenied, which is audited as a refusal. A write calls it for every
   * object it will touch before its first change, so nothing is half done when one is refused.
   */
  authorize(list: AllowListName, target: string): void;
  /**
   * How often a wait asks again, in ms (a rollout, a reconcile, a Job, a sync): absent, each wait keeps
   * its own cadence (the flux CLI's 500 ms). The tests' in-process calls shorten it so they do not sleep.
   */
  pollIntervalMs?: number;
}

/**
 * What a door provides to runOp: the process-wide clients. runOp adds the signal, binds the
 * Kubernetes port and the services to it, and adds the policy checks.
 */
export type OpContextBase = Omit<OpContext, 'signal' | 'authorize' | 'services'> & { services: ServiceClients };

/** A guarded write names the allow-list it is checked against and the target it touches. */
export interface AllowListGuard<I> {
  list: AllowListName;
  /** The target as the allow-list spells it, e.g. "namespace/name". */
  target(input: I): string;
}

// `any` is needed only here, where the schema is the type parameter's upper bound.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type InputSchema = z.ZodObject<any>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type OutputSchema = z.ZodObject<any>;

/** One change a write makes, as its plan shows it before anything happens. */
export interface PlannedChange {
  /** What is done to what: "patch Deployment jellyfin/jellyfin (strategic merge)", "create Job backups/x". */
  action: string;
  /** Exactly what is sent: the patch, the object created, the request. */
  body?: unknown;
}

/** An object a plan was made from, at the version it saw; a confirmation is refused when it has moved on. */
export interface ObservedObject {
  /** "Deployment jellyfin/jellyfin" */
  object: string;
  resourceVersion: string;
}

/**
 * What a write will do, worked out from reads only: the changes, what they set in motion, and the
 * state it was made from. Every door shows it before anything changes; `state` is what `run`
 * needs from the reads (never shown). A plan with no changes (already suspended, a title that
 * matches nothing exactly) needs no confirmation: run only reports.
 */
export interface Plan<S = unknown> {
  /** One line: "restart Deployment jellyfin/jellyfin". */
  summary: string;
  changes: PlannedChange[];
  /** What else it touches: the pods that roll, the release that retries, the Secret rewritten. */
  effects: string[];
  /** Kubernetes objects it changes, at the resourceVersion the plan saw; empty for home services. */
  observed: ObservedObject[];
  state: S;
}

/** What every op declares, read or write. */
interface OpBase<I extends InputSchema, O extends OutputSchema> {
  /** snake_case `domain_verb`, or one word for an op across domains (`why`, `doctor`): the MCP tool name and the audit log's name for it. */
  name: string;
  title: string;
  /** What it does, when to use it, what it returns (MCP description, CLI --help). */
  description: string;
  input: I;
  output: O;
  rbac: readonly RbacRule[];
  timeoutMs: number;
  /** For ops that wait as long as the caller asks (follow a log for 10m): the bound for this input. */
  timeoutFor?(input: z.output<I>): number;
  /** Input fields the CLI takes as positional arguments, in order. */
  args?: ReadonlyArray<keyof z.input<I> & string>;
  /**
   * Refines what `effect` implies for MCP clients: a write is taken as destructive and not
   * idempotent unless it says otherwise; ops reach only the homelab (closed world) unless openWorld.
   */
  hints?: { destructive?: boolean; idempotent?: boolean; openWorld?: boolean };
  /** For writes restricted to an allow-list in config. */
  guard?: AllowListGuard<z.output<I>>;
  /**
   * Home services the op cannot work without: checked before a write is planned, so nobody is
   * shown a change that could never happen.
   */
  requires?: readonly ServiceName[];
  /**
   * The MCP door lists the tool only when the config names one of these (a `services:` entry, or
   * `nas`): without them it could only answer "not configured", and every listed tool costs an
   * assistant tokens on every conversation. Absent: `requires`, else always listed. A call to an
   * unlisted tool still runs and says what is missing.
   */
  listedWith?: readonly ConfiguredService[];
  summarize?(output: z.output<O>): Summary;
}

export interface ReadOp<I extends InputSchema = InputSchema, O extends OutputSchema = OutputSchema> extends OpBase<I, O> {
  effect: 'read';
  run(ctx: OpContext, input: z.output<I>): Promise<z.input<O>>;
}

/**
 * A write is planned, then confirmed by its door (a question, a token, --yes), then run with the
 * plan it was confirmed on: `run` changes what the plan says and nothing else.
 */
export interface WriteOp<I extends InputSchema = InputSchema, O extends OutputSchema = OutputSchema, S = unknown> extends OpBase<I, O> {
  effect: 'write';
  /** Reads only: what run would change. Refuses (throws) what run would refuse. */
  plan(ctx: OpContext, input: z.output<I>): Promise<Plan<S>>;
  run(ctx: OpContext, input: z.output<I>, plan: Plan<S>): Promise<z.input<O>>;
}

export type Op<I extends InputSchema = InputSchema, O extends OutputSchema = OutputSchema, S = unknown> = ReadOp<I, O> | WriteOp<I, O, S>;

/** Identity with inference: the one way an op is declared. */
export function defineOp<I extends InputSchema, O extends OutputSchema>(op: ReadOp<I, O>): ReadOp<I, O>;
export function defineOp<I extends InputSchema, O extends OutputSchema, S>(op: WriteOp<I, O, S>): WriteOp<I, O, S>;
export function defineOp(op: AnyOp): AnyOp {
  if (!/^[a-z][a-z0-9]*(_[a-z]+)*$/.test(op.name)) throw new Error(`op name must be snake_case (domain_verb, or one word across domains): ${op.name}`);
  return op;
}

/** An op whose schema types are erased; what registries and doors hold. */
export type AnyOp = Op<InputSchema, OutputSchema, unknown>;
export type AnyWriteOp = WriteOp<InputSchema, OutputSchema, unknown>;
