/** What ops need from Adguard; implemented in src/adapters/http/adguard.ts. (Filled in by the issue-4 work.) */
export interface AdguardPort {
  /** Where it is, for messages. */
  readonly target: string;
}
