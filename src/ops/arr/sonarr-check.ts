import { starrCheck } from './starr.js';

/** Sonarr (services.sonarr): its health, stuck downloads, missing episodes, disks and indexers. */
export const sonarrCheck = starrCheck('sonarr');
