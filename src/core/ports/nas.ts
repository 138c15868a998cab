/**
 * What ops need from the NAS; implemented over SSH in src/adapters/ssh/nas.ts.
 *
 * Commands are argument vectors, never shell strings: the adapter quotes every element for the
 * remote user's shell, so no text an op passes can become shell syntax.
 */
export interface NasPort {
  /** Where it is, for messages: user@host:port. */
  readonly target: string;
  /**
   * Runs one command on the NAS. Resolves with its exit status whatever it is (a non-zero exit is
   * the op's to judge); rejects when the command could not be run or finished: no connection
   * (Upstream), the key refused (Forbidden), the host key not trusted (Upstream), past its timeout
   * (Timeout), or the op's signal fired (its reason; the command's channel is closed).
   */
  exec(argv: readonly string[], options?: NasExecOptions): Promise<NasExecResult>;
}

export interface NasExecOptions {
  /** At most this long (and never longer than the configured commandTimeoutMs). */
  timeoutMs?: number;
  /** Bytes kept of stdout and of stderr each (default 1 MiB); more is dropped and `truncated` set. */
  maxOutputBytes?: number;
}

export interface NasExecResult {
  stdout: string;
  stderr: string;
  /** null when the command ended by a signal. */
  exitCode: number | null;
  signal?: string;
  /** Output went past maxOutputBytes and was cut. */
  truncated: boolean;
}
