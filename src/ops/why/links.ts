import { z } from 'zod';
import { describeError, isHomelabError } from '../../core/errors.js';
import type { OpContext } from '../../core/op.js';
import { fixSchema, type Fix } from '../shared/fix.js';
import type { Finding } from '../shared/findings.js';

/**
 * One link of the chain `why` walks: an object (or the DNS answer for a name) and its state.
 * ok; warn or crit (broken); unknown (it could not be read: never taken for ok); skipped (nothing
 * to check here, e.g. DNS when no Pi-hole runs).
 */
export const LINK_STATES = ['ok', 'warn', 'crit', 'unknown', 'skipped'] as const;
export type LinkState = (typeof LINK_STATES)[number];

/** Most evidence lines a link carries, and the longest one. */
const MAX_EVIDENCE = 6;
const MAX_EVIDENCE_CHARS = 240;

export const linkSchema = z.object({
  kind: z.string().describe('Kubernetes kind, or DNS for the name lookup'),
  namespace: z.string().optional(),
  name: z.string(),
  state: z.enum(LINK_STATES),
  detail: z.string(),
  explainedBy: z.string().optional().describe('The deeper link that breaks this one: KIND NAMESPACE/NAME'),
  evidence: z.array(z.string()).optional().describe('Condition and event messages, last log lines'),
  fix: fixSchema.optional(),
});
export type Link = z.infer<typeof linkSchema>;

export const isBroken = (l: Link): boolean => l.state === 'warn' || l.state === 'crit';

/** "Service jellyfin/jellyfin", as links name each other. */
export function labelOf(l: Pick<Link, 'kind' | 'namespace' | 'name'>): string {
  return `${l.kind} ${l.namespace ? `${l.namespace}/` : ''}${l.name}`;
}

/** Digests as people compare them: the first 12 hex digits (main@sha1:3f9c1e7a52b0). */
function shortDigests(text: string): string {
  return text.replace(/\b(sha1|sha256):([0-9a-f]{12})[0-9a-f]{8,}/g, '$1:$2');
}

/** One line of evidence, whitespace folded, digests shortened, cut to size. */
export function evidenceLine(text: string): string {
  const one = shortDigests(text.replace(/\s+/g, ' ').trim());
  return one.length > MAX_EVIDENCE_CHARS ? `${one.slice(0, MAX_EVIDENCE_CHARS - 1)}…` : one;
}

/** A link's state from the findings about its object: the worst of them, ok without any. */
export function stateOf(findings: readonly Finding[]): LinkState {
  return findings.some((f) => f.severity === 'crit') ? 'crit' : findings.length ? 'warn' : 'ok';
}

/** The fields a link takes from its worst finding: its message and fix. */
export function fromFinding(f: Finding | undefined): { detail?: string; fix?: Fix } {
  return f ? { detail: `${f.reason}: ${f.message}`, ...(f.fix ? { fix: f.fix } : {}) } : {};
}

/**
 * The links found so far, in the order walked (outside in), each object once, and the labels of
 * every object on the chain (Flux's labels name the object that applied it).
 */
export class Chain {
  readonly links: Link[] = [];
  /** Flux owners named by the labels of objects on the chain, in the order met. */
  readonly labels: Array<Record<string, string>> = [];

  constructor(readonly ctx: OpContext) {}

  find(kind: string, namespace: string | undefined, name: string): Link | undefined {
    return this.links.find((l) => l.kind === kind && l.namespace === namespace && l.name === name);
  }

  add(link: Link): Link {
    const clean: Link = { ...link, detail: shortDigests(link.detail) };
    if (clean.evidence) clean.evidence = clean.evidence.filter(Boolean).slice(0, MAX_EVIDENCE).map(evidenceLine);
    if (!clean.evidence?.length) delete clean.evidence;
    this.links.push(clean);
    return clean;
  }

  /** Appends what a walk run beside this one found, after what this one has: the order stays the walk's, not the network's. */
  adopt(other: Chain): void {
    this.links.push(...other.links);
    this.labels.push(...other.labels);
  }

  /** Records an object's labels: the Flux object that applied it is found from them. */
  saw(meta: { labels?: Record<string, string> } | undefined): void {
    if (meta?.labels) this.labels.push(meta.labels);
  }

  /**
   * A read that may fail the way a cluster fails (refused, not served, unavailable): its value, or
   * undefined with an unknown link saying what could not be read. A bug or a cancel goes on up.
   */
  async read<T>(what: Pick<Link, 'kind' | 'namespace' | 'name'>, read: () => Promise<T>): Promise<T | undefined> {
    try {
      return await read();
    } catch (err) {
      if (this.ctx.signal.aborted || !isHomelabError(err)) throw err;
      this.add({ ...what, state: 'unknown', detail: `could not check: ${describeError(err)}` });
      return undefined;
    }
  }

  /**
   * What a check it ran could not read (its findings of kind Check: a 403, a kind not served): an
   * unknown link each, so a walk that could not see part of its chain never reads as all ok.
   */
  unreadable(findings: readonly Finding[]): void {
    for (const f of findings.filter((x) => x.kind === 'Check')) {
      if (!this.find('Check', f.namespace, f.name))
        this.add({ kind: 'Check', ...(f.namespace ? { namespace: f.namespace } : {}), name: f.name, state: 'unknown', detail: `could not read: ${f.message}` });
    }
  }

  /** Marks `link` as broken because of `cause`, a deeper broken link on its chain. */
  explain(link: Link | undefined, cause: Link | undefined): void {
    if (link && cause && link !== cause && isBroken(link) && isBroken(cause) && !link.explainedBy) link.explainedBy = labelOf(cause);
  }
}
