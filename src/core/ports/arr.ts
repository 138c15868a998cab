/**
 * What ops need from the media automation stack; implemented in src/adapters/http/{starr,bazarr,
 * sabnzbd,qbittorrent}.ts. API versions (each client's header says which paths it uses):
 * Sonarr v4 and Radarr v5 (/api/v3, X-Api-Key), Prowlarr 1.x (/api/v1), Bazarr 1.4+ (/api,
 * X-API-KEY), SABnzbd 4.x (/api?mode=…), qBittorrent 4.6/5.x (Web API v2, cookie session).
 * Every call stops with the op's signal (ServicePorts).
 */
import type { Counted } from './authentik.js';

export type { Counted } from './authentik.js';

/** The two apps that grab releases for a library and share one API: Sonarr (series) and Radarr (movies). */
export type StarrApp = 'sonarr' | 'radarr';
export type ArrApp = StarrApp | 'prowlarr' | 'bazarr' | 'sabnzbd' | 'qbittorrent';

export interface ArrSystem {
  appName: string;
  version: string;
  instanceName?: string;
}

/** One line of System → Status → Health. */
export interface ArrHealth {
  source: string;
  /** ok, notice, warning, error */
  type: string;
  message: string;
  wikiUrl?: string;
}

/** The episode or movie a queue item or a missing entry is about. */
export interface StarrItem {
  /** Episode id (Sonarr) or movie id (Radarr): what a search is asked for. */
  id: number;
  /** "Severance S02E04 Who Is Alive?" or "Arrival (2016)". */
  label: string;
  /** The series' or movie's titleSlug, as the allow-list names it ("severance", "arrival-2016"). */
  slug?: string;
  /** When it aired or was released (ISO), when known. */
  date?: string;
}

export interface StarrQueueItem {
  id: number;
  title: string;
  /** queued, paused, downloading, completed, failed, warning, delay, downloadClientUnavailable, … */
  status: string;
  /** ok, warning, error */
  trackedDownloadStatus?: string;
  /** downloading, importPending, importBlocked, importing, imported, failedPending, failed, ignored */
  trackedDownloadState?: string;
  /** What the app says is wrong, one line each. */
  messages: string[];
  downloadClient?: string;
  protocol?: string;
  size?: number;
  sizeLeft?: number;
  timeLeft?: string;
  added?: string;
  item?: StarrItem;
}

export interface ArrDisk {
  path: string;
  label?: string;
  free: number;
  total: number;
}

export interface ArrIndexer {
  id: number;
  name: string;
  enabled: boolean;
  protocol?: string;
  /** Set while the app has disabled it after failures (ISO). */
  disabledTill?: string;
  mostRecentFailure?: string;
  initialFailure?: string;
}

export interface ArrCommand {
  id: number;
  name: string;
  /** queued, started, completed, failed, aborted, cancelled, orphaned */
  status: string;
  message?: string;
  queued?: string;
  ended?: string;
}

export interface StarrPort {
  readonly app: StarrApp;
  readonly target: string;
  system(): Promise<ArrSystem>;
  health(): Promise<ArrHealth[]>;
  /** Queue items, oldest first; `limit` of them and the total. */
  queue(limit: number): Promise<Counted<StarrQueueItem>>;
  /** Monitored episodes/movies without a file (Wanted → Missing), newest first. */
  missing(limit: number): Promise<Counted<StarrItem>>;
  /** The episode (Sonarr) or movie (Radarr) with this id; NotFound when there is none. */
  item(id: number): Promise<StarrItem>;
  diskSpace(): Promise<ArrDisk[]>;
  indexers(): Promise<ArrIndexer[]>;
  /**
   * Removes a queue item from the download client and blocklists its release, so the app grabs
   * another release of the same episode/movie (unless `redownload` is false).
   */
  retry(queueId: number, options: { redownload: boolean }): Promise<void>;
  /** Starts an EpisodeSearch (Sonarr) or MoviesSearch (Radarr) for these ids. */
  search(ids: number[]): Promise<ArrCommand>;
  command(id: number): Promise<ArrCommand>;
}

export interface ProwlarrPort {
  readonly target: string;
  system(): Promise<ArrSystem>;
  health(): Promise<ArrHealth[]>;
  indexers(): Promise<ArrIndexer[]>;
}

export interface BazarrWanted {
  /** "Severance 2x04 Who Is Alive?" or the movie's title. */
  label: string;
  /** Languages missing, as Bazarr names them ("English", "French:forced"). */
  missing: string[];
}

export interface BazarrPort {
  readonly target: string;
  version(): Promise<string>;
  health(): Promise<Array<{ object: string; issue: string }>>;
  wantedEpisodes(limit: number): Promise<Counted<BazarrWanted>>;
  wantedMovies(limit: number): Promise<Counted<BazarrWanted>>;
}

export interface SabnzbdSlot {
  id: string;
  name: string;
  /** Downloading, Queued, Paused, Fetching, Grabbing, Propagating, … */
  status: string;
  percentage: number;
  mbLeft: number;
  timeLeft?: string;
  category?: string;
}

export interface SabnzbdQueue {
  /** Downloading, Paused, Idle */
  status: string;
  paused: boolean;
  speedKBs: number;
  mbLeft: number;
  /** Free and total space (bytes) of the incomplete (1) and complete (2) folders' disks. */
  disks: Array<{ folder: 'incomplete' | 'complete'; free: number; total: number }>;
  slots: Counted<SabnzbdSlot>;
}

export interface SabnzbdFailed {
  id: string;
  name: string;
  failMessage?: string;
  completed?: string;
  category?: string;
}

export interface SabnzbdPort {
  readonly target: string;
  version(): Promise<string>;
  queue(limit: number): Promise<SabnzbdQueue>;
  /** Failed jobs in the history, newest first. */
  failed(limit: number): Promise<Counted<SabnzbdFailed>>;
  /** Retries a failed job of the history (mode=retry). */
  retry(id: string): Promise<void>;
}

export interface QbittorrentTorrent {
  hash: string;
  name: string;
  /** error, missingFiles, stalledDL, pausedDL/stoppedDL, downloading, uploading, … (v4 and v5 names) */
  state: string;
  progress: number;
  size: number;
  eta?: number;
  category?: string;
  addedOn?: string;
}

export interface QbittorrentState {
  /** connected, firewalled, disconnected */
  connectionStatus: string;
  /** Bytes per second. */
  dlSpeed: number;
  upSpeed: number;
  /** Free bytes on the disk torrents are saved to. */
  freeSpace?: number;
  torrents: QbittorrentTorrent[];
}

export interface QbittorrentPort {
  readonly target: string;
  version(): Promise<string>;
  /** The transfer state and every torrent (one /sync/maindata). */
  state(): Promise<QbittorrentState>;
}

/** A SABnzbd job id as the API prints it; only such ids go into a request. */
export const SABNZBD_ID = /^SABnzbd_nzo_[A-Za-z0-9_-]{1,64}$/;
