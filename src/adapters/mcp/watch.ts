import { createHash } from 'node:crypto';
import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import type { Logger } from '../../core/op.js';

export interface WatchedFile {
  /** For log lines and metrics: "keys file", "config file". */
  label: string;
  path: string;
  /**
   * Validates and applies the new text; throws (a UserError that says what is wrong) to refuse it,
   * and the state it had stays. Returns a short account of what changed, for the log.
   */
  apply(text: string): Promise<string>;
}

export type ReloadResult = 'applied' | 'refused';

/** How long after the last event the file is read: an editor's or the kubelet's several steps end first. */
const SETTLE_MS = 150;
/**
 * A look every so often besides the events: some filesystems send none (NFS, some overlays), and a
 * watcher ends when its directory is replaced. Cheap: one small read, compared by digest.
 */
const POLL_MS = 10_000;

const digest = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * Follows a file that changes on disk while the server runs, and applies each new content once.
 *
 * It watches the file's directory, not the file: a Kubernetes ConfigMap or Secret volume changes by
 * writing a new timestamped directory and renaming the `..data` symlink onto it, so the file's own
 * path (a symlink through `..data`) never sees an event; editors that save by rename replace the
 * file the same way. Every event in the directory leads to one read after SETTLE_MS, and the content
 * is applied only when it differs from the last one seen (applied or refused).
 */
export class FileWatch {
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly poll: NodeJS.Timeout;
  private lastDigest: string;
  private running: Promise<void> = Promise.resolve();

  constructor(
    private readonly file: WatchedFile,
    initialText: string,
    private readonly log: Logger,
    private readonly onResult: (result: ReloadResult) => void,
  ) {
    this.lastDigest = digest(initialText);
    this.startWatcher();
    this.poll = setInterval(() => this.check(), POLL_MS).unref();
  }

  private startWatcher(): void {
    try {
      this.watcher = watch(dirname(this.file.path), { persistent: false }, () => this.soon());
      // The directory went away (an unmounted volume): the poll goes on looking, and restarts the watch.
      this.watcher.on('error', () => {
        this.watcher?.close();
        this.watcher = undefined;
      });
    } catch (err) {
      this.log.warn(
        `cannot watch ${dirname(this.file.path)} for changes to the ${this.file.label} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); looking every ${POLL_MS / 1000} s instead`,
      );
    }
  }

  private soon(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.check(), SETTLE_MS).unref();
  }

  /** One look at a time: a check that starts while one runs waits for it. */
  check(): Promise<void> {
    this.running = this.running.then(() => this.look());
    return this.running;
  }

  private async look(): Promise<void> {
    if (!this.watcher) this.startWatcher();
    let text: string;
    try {
      text = await readFile(this.file.path, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'error';
      const seen = `unreadable:${code}`;
      if (seen === this.lastDigest) return;
      this.lastDigest = seen;
      this.log.warn(`${this.file.label} ${this.file.path} cannot be read (${code}): keeping the last good one`);
      this.onResult('refused');
      return;
    }
    const now = digest(text);
    if (now === this.lastDigest) return;
    this.lastDigest = now;
    try {
      const what = await this.file.apply(text);
      this.log.progress(`${this.file.label} ${basename(this.file.path)} reloaded: ${what}`);
      this.onResult('applied');
    } catch (err) {
      this.log.warn(
        `${this.file.label} ${this.file.path} changed but is refused, keeping the last good one: ${(err as Error).message.replace(/:\n\s*/, ': ').replace(/\n\s*/g, '; ')}`,
      );
      this.onResult('refused');
    }
  }

  close(): void {
    clearTimeout(this.timer);
    clearInterval(this.poll);
    this.watcher?.close();
  }
}
