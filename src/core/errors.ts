/**
 * The one error vocabulary of homelab. Ops throw these (or anything, which runOp maps to Upstream);
 * each door maps them once: the CLI to exit codes, MCP to `isError` tool results.
 */
export type ErrorKind = 'UserError' | 'PolicyDenied' | 'Forbidden' | 'NotFound' | 'Upstream' | 'Timeout';

export class HomelabError extends Error {
  readonly kind: ErrorKind;
  /** What the user can do about it; printed on its own line after the message. */
  readonly hint: string | undefined;

  constructor(kind: ErrorKind, message: string, options?: { hint?: string; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = kind;
    this.kind = kind;
    this.hint = options?.hint;
  }
}

type Options = { hint?: string; cause?: unknown };

/** Bad input: a name that is not a name, a flag out of range, a missing confirmation. */
export class UserError extends HomelabError {
  constructor(message: string, options?: Options) {
    super('UserError', message, options);
  }
}
/** Our own policy said no: read-only mode, an allow-list, a key's scope. */
export class PolicyDenied extends HomelabError {
  constructor(message: string, options?: Options) {
    super('PolicyDenied', message, options);
  }
}
/** The cluster or a service said no (401/403): names what is missing. */
export class Forbidden extends HomelabError {
  constructor(message: string, options?: Options) {
    super('Forbidden', message, options);
  }
}
export class NotFound extends HomelabError {
  constructor(message: string, options?: Options) {
    super('NotFound', message, options);
  }
}
/** Something we called failed or could not be reached. */
export class Upstream extends HomelabError {
  constructor(message: string, options?: Options) {
    super('Upstream', message, options);
  }
}
export class Timeout extends HomelabError {
  constructor(message: string, options?: Options) {
    super('Timeout', message, options);
  }
}

/** Exit codes from sysexits.h, so scripts can tell "fix your input" from "try again later". */
export const EXIT_CODES: Record<ErrorKind, number> = {
  UserError: 64, // EX_USAGE
  PolicyDenied: 77, // EX_NOPERM
  Forbidden: 69, // EX_UNAVAILABLE: the cluster refused us
  NotFound: 66, // EX_NOINPUT: no such pod, node, object or title (a typo, not an outage)
  Upstream: 69,
  Timeout: 75, // EX_TEMPFAIL
};

export function isHomelabError(err: unknown): err is HomelabError {
  return err instanceof HomelabError;
}

/** Best-effort one-line text of anything thrown; never "[object Object]". */
export function describeError(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  if (typeof err === 'string') return err;
  if (err && typeof err === 'object') {
    const m = (err as { message?: unknown }).message;
    if (typeof m === 'string' && m) return m;
    try {
      return JSON.stringify(err);
    } catch {
      /* fall through */
    }
  }
  return String(err);
}

const ERROR_CLASSES: Record<ErrorKind, new (message: string, options?: Options) => HomelabError> = {
  UserError,
  PolicyDenied,
  Forbidden,
  NotFound,
  Upstream,
  Timeout,
};

/**
 * A write of several steps that failed after changing something: the same kind of error (so the
 * exit code still says why), with the state it left and the command that finishes the job.
 */
export function partlyDone(err: unknown, state: string, finish: string): HomelabError {
  const kind = isHomelabError(err) ? err.kind : 'Upstream';
  const before = isHomelabError(err) && err.hint ? `${err.hint}; then ` : '';
  return new ERROR_CLASSES[kind](`${describeError(err)}. ${state}`, { hint: `${before}finish with: ${finish}`, cause: err });
}
