/** What ops need from Nas; implemented in src/adapters/ssh/nas.ts. (Filled in by the issue-4 work.) */
export interface NasPort {
  /** Where it is, for messages. */
  readonly target: string;
}
