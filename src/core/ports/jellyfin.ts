/** What ops need from Jellyfin; implemented in src/adapters/http/jellyfin.ts. (Filled in by the issue-4 work.) */
export interface JellyfinPort {
  /** Where it is, for messages. */
  readonly target: string;
}
