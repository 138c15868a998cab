/** Kubernetes resource quantities: parse to a number (cores or bytes) and format as metrics-server does. */
const SUFFIX: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 1024,
  Mi: 1024 ** 2,
  Gi: 1024 ** 3,
  Ti: 1024 ** 4,
  Pi: 1024 ** 5,
  Ei: 1024 ** 6,
};

export function parseQuantity(q: string | number): number {
  if (typeof q === 'number') return q;
  const m = /^([+-]?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)(n|u|m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/.exec(q.trim());
  if (!m) throw new Error(`not a quantity: ${q}`);
  return Number(m[1]) * (SUFFIX[m[2] ?? ''] as number);
}

/** cores -> "123456789n" */
export const nanoCores = (cores: number): string => `${Math.round(cores * 1e9)}n`;
/** bytes -> "123456Ki" */
export const kibibytes = (bytes: number): string => `${Math.round(bytes / 1024)}Ki`;
