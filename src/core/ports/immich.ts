/**
 * What ops need from Immich (its current API, server ≥ 1.118: `/api/server/*`; the old
 * `/api/server-info/*` paths were removed); implemented in src/adapters/http/immich.ts.
 * Every call stops with the op's signal (ServicePorts).
 */

export interface ImmichAbout {
  /** As Immich prints it, e.g. "v3.2.2". */
  version: string;
  build?: string;
}

export interface ImmichUserUsage {
  userId: string;
  userName: string;
  photos: number;
  videos: number;
  /** Bytes. */
  usage: number;
  quotaSizeInBytes?: number | null;
}

export interface ImmichStatistics {
  photos: number;
  videos: number;
  /** Bytes. */
  usage: number;
  usagePhotos?: number;
  usageVideos?: number;
  usageByUser: ImmichUserUsage[];
}

export interface ImmichStorage {
  /** Human readable, as Immich prints them ("1.8 TiB"). */
  diskSize: string;
  diskUse: string;
  diskAvailable: string;
  diskSizeRaw: number;
  diskUseRaw: number;
  diskAvailableRaw: number;
  diskUsagePercentage: number;
}

export interface ImmichQueue {
  name: string;
  active: number;
  waiting: number;
  failed: number;
  delayed: number;
  paused: boolean;
}

export interface ImmichPort {
  /** Where it is (the base URL), for messages. */
  readonly target: string;
  /** GET /api/server/about (any user's key): the version; also proves the key works. */
  about(): Promise<ImmichAbout>;
  /** GET /api/server/statistics: needs an admin key (Forbidden otherwise). */
  statistics(): Promise<ImmichStatistics>;
  /** GET /api/server/storage. */
  storage(): Promise<ImmichStorage>;
  /** GET /api/jobs (the "legacy" queue status, served from 1.x to 3.x): needs an admin key. */
  queues(): Promise<ImmichQueue[]>;
}
