/** What ops need from Pihole; implemented in src/adapters/http/pihole.ts. (Filled in by the issue-4 work.) */
export interface PiholePort {
  /** Where it is, for messages. */
  readonly target: string;
}
