/** How answers say counts and sizes, the same in every op. */

/** "1 problem", "3 problems"; `plurals` for words that do not just take an s ("ingress" → "ingresses"). */
export function plural(n: number, word: string, plurals = `${word}s`): string {
  return `${n} ${n === 1 ? word : plurals}`;
}

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/**
 * 98237412352 → "91 GiB", 9663676416 → "9.0 GiB", 512 → "512 B": binary units, one decimal under
 * ten and whole numbers above, as `df -h` prints them.
 */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < BYTE_UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value >= 10 || unit === 0 ? Math.round(value) : value.toFixed(1)} ${BYTE_UNITS[unit]}`;
}
