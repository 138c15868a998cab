import type { Config } from '../../core/config.js';

export type NasConfig = NonNullable<Config['nas']>;

export const NOT_CONFIGURED = 'the NAS is not configured';
export const CONFIGURE_HINT = 'add a nas: section to the config file (host, username, privateKey, hostKey, roots); see `homelab nas touch --help`';

/** The first line of a command's complaint, bounded, for a message. */
export function firstLine(text: string): string {
  const line = text.trim().split('\n')[0] ?? '';
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}
