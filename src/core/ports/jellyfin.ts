/**
 * What ops need from Jellyfin (10.10, 10.11; the routes are the same in 12.0); implemented in
 * src/adapters/http/jellyfin.ts. Every call stops with the op's signal (ServicePorts).
 *
 * Item and task ids go into URL paths (`/Items/{id}/Refresh`), so they are `JellyfinId`s: a GUID
 * checked and normalised by `parseJellyfinId` — in the op's input schema and again in the client
 * before any path is built. `../System/Shutdown` must never reach a URL.
 */
import { z } from 'zod';

declare const jellyfinId: unique symbol;
/** 32 lowercase hex digits, as Jellyfin prints item ids; only `parseJellyfinId` makes one. */
export type JellyfinId = string & { readonly [jellyfinId]: true };

const GUID_PLAIN = /^[0-9a-f]{32}$/i;
const GUID_DASHED = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Also accepted: the dashed form in braces, as .NET prints it ("B" format). */
const GUID_BRACED = /^\{[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\}$/i;

/**
 * A GUID in one of its usual spellings (32 hex digits, or 8-4-4-4-12 with dashes, optionally in
 * braces) → the 32-lowercase-hex form; anything else → undefined. No trimming, no decoding:
 * `%2e%2e`, `../x`, 31 or 33 digits, a dash in the wrong place are all refused.
 */
export function parseJellyfinId(text: string): JellyfinId | undefined {
  if (typeof text !== 'string') return undefined;
  if (GUID_PLAIN.test(text)) return text.toLowerCase() as JellyfinId;
  if (GUID_DASHED.test(text) || GUID_BRACED.test(text)) return text.replace(/[-{}]/g, '').toLowerCase() as JellyfinId;
  return undefined;
}

export const JELLYFIN_ID_RULE = 'must be a Jellyfin item id: a GUID of 32 hex digits, with or without dashes';

/** The input-schema form: validates and normalises to the 32-hex form. */
export const jellyfinIdSchema = z.string().transform((text, ctx): JellyfinId => {
  const id = parseJellyfinId(text);
  if (id) return id;
  ctx.addIssue({ code: 'custom', message: JELLYFIN_ID_RULE });
  return z.NEVER;
});

export interface JellyfinSystemInfo {
  serverName: string;
  version: string;
  productName?: string;
  operatingSystem?: string;
  hasPendingRestart?: boolean;
  isShuttingDown?: boolean;
  hasUpdateAvailable?: boolean;
}

export interface JellyfinCounts {
  movies: number;
  series: number;
  episodes: number;
  albums: number;
  songs: number;
  musicVideos: number;
  books: number;
  boxSets: number;
  /** What Jellyfin reports as the total (ItemCount). */
  items: number;
}

export interface JellyfinSession {
  id: string;
  userName?: string;
  client?: string;
  deviceName?: string;
  lastActivity?: string;
  nowPlaying?: {
    name: string;
    type?: string;
    seriesName?: string;
    /** Seconds. */
    position?: number;
    /** Seconds. */
    runtime?: number;
    paused: boolean;
    playMethod?: string;
  };
}

export interface JellyfinLibrary {
  name: string;
  collectionType?: string;
  locations: string[];
  /** The library folder's item id, to refresh just this library. */
  itemId?: JellyfinId;
  /** Idle | Active | Cancelled ... as Jellyfin says it. */
  refreshStatus?: string;
  refreshProgress?: number;
}

export type JellyfinTaskState = 'Idle' | 'Running' | 'Cancelling';

export interface JellyfinTask {
  id: JellyfinId;
  key?: string;
  name: string;
  category?: string;
  state: JellyfinTaskState | string;
  progress?: number;
  hidden?: boolean;
  lastResult?: {
    status: string;
    startTime?: string;
    endTime?: string;
    errorMessage?: string;
  };
}

export interface JellyfinItem {
  id: JellyfinId;
  name: string;
  type: string;
  year?: number;
  path?: string;
  overview?: string;
  providerIds: Record<string, string>;
  /** ISO time; null (or 0001-01-01) when Jellyfin never refreshed its metadata; undefined when it did not say. */
  dateLastRefreshed?: string | null;
}

export interface JellyfinItemQuery {
  searchTerm?: string;
  /** Series, Movie, ... */
  types?: string[];
  ids?: JellyfinId[];
  /** The API's own "lacks metadata" filters. */
  hasOverview?: boolean;
  hasTmdbId?: boolean;
  hasImdbId?: boolean;
  hasTvdbId?: boolean;
  startIndex?: number;
  limit: number;
}

export interface JellyfinRefreshOptions {
  metadata: 'Default' | 'FullRefresh';
  images: 'Default' | 'FullRefresh';
  replaceAllMetadata: boolean;
}

export interface JellyfinPort {
  /** Where it is (the base URL), for messages. */
  readonly target: string;
  systemInfo(): Promise<JellyfinSystemInfo>;
  counts(): Promise<JellyfinCounts>;
  sessions(): Promise<JellyfinSession[]>;
  libraries(): Promise<JellyfinLibrary[]>;
  tasks(): Promise<JellyfinTask[]>;
  task(id: JellyfinId): Promise<JellyfinTask>;
  /** Starts a scheduled task (204); it runs on the server. */
  startTask(id: JellyfinId): Promise<void>;
  items(query: JellyfinItemQuery): Promise<{ items: JellyfinItem[]; total: number }>;
  /** Queues a refresh of one item (Jellyfin answers at once; the work runs on its refresh queue). */
  refreshItem(id: JellyfinId, options: JellyfinRefreshOptions): Promise<void>;
}

/** Whether Jellyfin has ever filled in this item's metadata (the UI hides series that it has not). */
export function hasMetadata(item: JellyfinItem): boolean {
  // DateLastRefreshed is what the UI goes by; servers that do not report it are judged by what a refresh fills in.
  if (item.dateLastRefreshed !== undefined) return item.dateLastRefreshed !== null && !item.dateLastRefreshed.startsWith('0001-');
  return Boolean(item.overview) || Object.keys(item.providerIds).length > 0;
}
