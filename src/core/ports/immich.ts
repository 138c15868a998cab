/** What ops need from Immich; implemented in src/adapters/http/immich.ts. (Filled in by the issue-4 work.) */
export interface ImmichPort {
  /** Where it is, for messages. */
  readonly target: string;
}
