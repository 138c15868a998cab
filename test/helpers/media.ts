/** What the media ops answer, as the tests read it. */
export interface Finding {
  severity: string;
  kind: string;
  name: string;
  reason: string;
  message: string;
}
export interface Media {
  verdict: string;
  summary: string;
  jellyfin: {
    configured: boolean;
    reachable?: boolean;
    version?: string;
    counts?: { movies: number; series: number };
    sessions?: Array<{ user?: string; playing?: string }>;
    libraries?: Array<{ name: string }>;
    failedTasks?: Array<{ name: string; status: string }>;
  };
  immich: { configured: boolean; reachable?: boolean; version?: string; photos?: number; videos?: number; usage?: number; users?: Array<{ name: string }> };
  findings: Finding[];
}
export interface Fixed {
  outcome: 'refreshed' | 'ambiguous' | 'not-exact';
  matches: Array<{ id: string; name: string; foundBy: string[]; exact: boolean; fix: { tool: string; input: Record<string, unknown>; command: string } }>;
  refreshed?: { id: string; name: string; metadata: string; hasMetadata: boolean; providerIds: Record<string, string> };
}
