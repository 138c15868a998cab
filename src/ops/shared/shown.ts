import { z } from 'zod';
import type { Finding } from './findings.js';

/** What a bounded status answer says of the findings it does not list. */
export const findingsCountSchema = {
  findingsTotal: z.number().int().describe('All findings, before the answer was cut to the listed objects'),
  findingsByReason: z.record(z.string(), z.number().int()).describe('All findings counted by reason'),
};

/** An object as findings and the objects of an answer name it. */
type Named = { kind: string; namespace?: string; name: string };
const keyOf = (o: Named): string => `${o.kind}\u0000${o.namespace ?? ''}\u0000${o.name}`;

/**
 * The findings an answer cut to `limit` objects keeps: all but those about the objects it leaves
 * out (`all` minus `listed`), so what could not be read, or an object too malformed to list, is
 * still said; with every finding counted by reason, so what is left out is still counted.
 */
export function findingsShown(
  findings: readonly Finding[],
  all: readonly Named[],
  listed: readonly Named[],
): { findings: Finding[]; findingsTotal: number; findingsByReason: Record<string, number> } {
  const kept = new Set(listed.map(keyOf));
  const cut = new Set(all.map(keyOf).filter((k) => !kept.has(k)));
  const findingsByReason: Record<string, number> = {};
  for (const f of findings) findingsByReason[f.reason] = (findingsByReason[f.reason] ?? 0) + 1;
  return { findings: findings.filter((f) => !cut.has(keyOf(f))), findingsTotal: findings.length, findingsByReason };
}
