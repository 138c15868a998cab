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

export interface Op<I extends InputSchema = InputSchema, O extends OutputSchema = OutputSchema> {
  /** snake_case `domain_verb`: the MCP tool name and the audit log's name for it. */
  name: string;
  title: string;
  /** What it does, when to use it, what it returns (MCP description, CLI --help). */
  description: string;
  effect: Effect;
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
   * Home services the op cannot work without: checked before a write asks for confirmation, so
   * nobody confirms a change that could never happen.
   */
  requires?: readonly ServiceName[];
  run(ctx: OpContext, input: z.output<I>): Promise<z.input<O>>;
  summarize?(output: z.output<O>): Summary;
}

/** Identity with inference: the one way an op is declared. */
export function defineOp<I extends InputSchema, O extends OutputSchema>(op: Op<I, O>): Op<I, O> {
  if (!/^[a-z]+(_[a-z]+)+$/.test(op.name)) throw new Error(`op name must be domain_verb snake_case: ${op.name}`);
  return op;
}

/** An op whose schema types are erased; what registries and doors hold. */
export type AnyOp = Op<InputSchema, OutputSchema>;
