import { starrCheck } from './starr.js';

/** Radarr (services.radarr): its health, stuck downloads, missing movies, disks and indexers. */
export const radarrCheck = starrCheck('radarr');
