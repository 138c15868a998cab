/**
 * Orders strings by their UTF-16 code units, as kubectl orders names: the same on every machine. Not
 * localeCompare: its order follows the user's locale (a list or a confirmation's key order would
 * differ between a laptop and the container), and loading ICU's collation data costs a long-running
 * MCP server ~3 MiB (bench: peak RSS).
 */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
