import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { AuditRecord } from '../../core/run-op.js';
import type { GateLoad } from './call-gate.js';
import type { ReloadResult } from './watch.js';

/**
 * How a call ended, from the record of its last step; undefined for a step that is not the last (a
 * write's plan that went on to its confirmation, a confirmation that went on to the apply). A write
 * whose plan went back to be confirmed with a token ended "planned"; its apply is a call of its own.
 */
function callOutcome(record: AuditRecord): AuditRecord['outcome'] | 'planned' | undefined {
  switch (record.phase) {
    case undefined:
    case 'apply':
      return record.outcome;
    case 'plan':
      return record.outcome === 'ok' ? undefined : record.outcome;
    case 'confirmation':
      if (record.outcome !== 'ok') return record.outcome;
      return record.confirmation === 'pending' ? 'planned' : undefined;
  }
}

/** Why a request was refused at the door, as the auth failures metric labels it. */
export type AuthFailure = 'missing' | 'invalid' | 'expired' | 'scope';

export interface MetricsOptions {
  version: string;
  /** The tools the server offers: a call naming anything else is counted as "unknown" (labels stay bounded). */
  tools: readonly string[];
  /** The call gate's load when scraped. */
  load: () => GateLoad;
}

/**
 * The HTTP door's Prometheus metrics, `homelab_mcp_*` (process and Node.js metrics under their usual
 * names, so stock dashboards read them). Loaded by `mcp serve --http` only: prom-client is not
 * imported by the CLI or the stdio server. Tool calls are counted from the audit records, so the
 * metrics and the audit log cannot disagree.
 */
export class Metrics {
  readonly registry = new Registry();
  private readonly tools: ReadonlySet<string>;
  private readonly calls: Counter<'tool' | 'outcome'>;
  private readonly duration: Histogram<'tool'>;
  private readonly authFailures: Counter<'reason'>;
  private readonly rateLimited: Counter<'key'>;
  private readonly reloads: Counter<'file' | 'result'>;

  constructor(options: MetricsOptions) {
    const registers = [this.registry];
    this.tools = new Set(options.tools);
    collectDefaultMetrics({ register: this.registry });
    new Gauge({ name: 'homelab_mcp_build_info', help: 'The running homelab version (always 1)', labelNames: ['version'], registers }).set(
      { version: options.version },
      1,
    );
    this.calls = new Counter({
      name: 'homelab_mcp_tool_calls_total',
      help: "Tool calls answered, by tool and outcome (ok; error: a result with isError; refused: not run; planned: a write's plan handed back to be confirmed)",
      labelNames: ['tool', 'outcome'],
      registers,
    });
    this.duration = new Histogram({
      name: 'homelab_mcp_tool_call_duration_seconds',
      help: 'How long tool calls that ran took, by tool',
      labelNames: ['tool'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
      registers,
    });
    new Gauge({
      name: 'homelab_mcp_tool_calls_in_flight',
      help: 'Tool calls running now',
      registers,
      collect() {
        this.set(options.load().running);
      },
    });
    new Gauge({
      name: 'homelab_mcp_tool_calls_waiting',
      help: 'Tool calls admitted and waiting for a turn (mcp.maxConcurrentCalls)',
      registers,
      collect() {
        this.set(options.load().waiting);
      },
    });
    this.authFailures = new Counter({
      name: 'homelab_mcp_auth_failures_total',
      help: 'Requests refused for their key: missing, invalid or expired (401), or a read key calling a write tool (scope, 403)',
      labelNames: ['reason'],
      registers,
    });
    this.rateLimited = new Counter({ name: 'homelab_mcp_rate_limited_total', help: 'Requests refused with 429, by key', labelNames: ['key'], registers });
    this.reloads = new Counter({
      name: 'homelab_mcp_config_reloads_total',
      help: 'Changes to the keys file or the config file seen on disk, applied or refused',
      labelNames: ['file', 'result'],
      registers,
    });
    // Present from the start at 0, so rate() and absent() read well before the first event.
    for (const reason of ['missing', 'invalid', 'expired', 'scope'] as const) this.authFailures.inc({ reason }, 0);
    for (const file of ['keys', 'config']) for (const result of ['applied', 'refused']) this.reloads.inc({ file, result }, 0);
  }

  /** Counts a call from its audit record: a read's one, a write's last (it records each step). */
  call(record: AuditRecord): void {
    const outcome = callOutcome(record);
    if (outcome === undefined) return;
    const tool = this.tools.has(record.op) ? record.op : 'unknown';
    this.calls.inc({ tool, outcome });
    if (outcome !== 'refused') this.duration.observe({ tool }, record.durationMs / 1000);
  }

  authFailure(reason: AuthFailure): void {
    this.authFailures.inc({ reason });
  }

  rateLimit(key: string): void {
    this.rateLimited.inc({ key });
  }

  reload(file: 'keys' | 'config', result: ReloadResult): void {
    this.reloads.inc({ file, result });
  }

  /** The exposition text and its content type. */
  async render(): Promise<{ text: string; contentType: string }> {
    return { text: await this.registry.metrics(), contentType: this.registry.contentType };
  }
}
