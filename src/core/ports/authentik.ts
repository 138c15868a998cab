/**
 * What ops need from Authentik (API v3, /api/v3/…, as served by 2024.x through 2026.x); implemented
 * in src/adapters/http/authentik.ts. Read-only: homelab never changes Authentik. Every call stops
 * with the op's signal (ServicePorts).
 */

/** A page of a longer list: the items asked for and how many there are in all. */
export interface Counted<T> {
  items: T[];
  total: number;
}

export interface AuthentikVersion {
  current: string;
  latest?: string;
  outdated: boolean;
}

export interface AuthentikUser {
  pk: number;
  username: string;
  name: string;
  active: boolean;
  superuser: boolean;
  /** ISO time; undefined when the user never logged in. */
  lastLogin?: string;
  /** internal, external, service_account, internal_service_account */
  type?: string;
}

export interface AuthentikUserCounts {
  total: number;
  active: number;
  superusers: number;
}

export interface AuthentikApplication {
  slug: string;
  name: string;
  /** The provider it is served by; undefined when it has none (the application cannot be used). */
  provider?: { pk: number; name: string; type: string };
  launchUrl?: string;
}

export interface AuthentikOutpost {
  pk: string;
  name: string;
  /** proxy, ldap, radius, rac */
  type: string;
  providers: number;
  /** goauthentik.io/outposts/embedded for the embedded outpost. */
  managed?: string;
}

/** One connected instance of an outpost, as it last reported in. */
export interface AuthentikOutpostInstance {
  uid: string;
  hostname: string;
  lastSeen: string;
  version: string;
  versionShould: string;
  versionOutdated: boolean;
}

export interface AuthentikEvent {
  pk: string;
  created: string;
  /** The user name the attempt gave, as Authentik recorded it. */
  username?: string;
  clientIp?: string;
}

export interface AuthentikPort {
  /** Where it is (the base URL), for messages. */
  readonly target: string;
  version(): Promise<AuthentikVersion>;
  userCounts(): Promise<AuthentikUserCounts>;
  /** Users, the most recent login first; `superusersOnly` narrows to superusers. */
  users(limit: number, options?: { superusersOnly?: boolean }): Promise<Counted<AuthentikUser>>;
  applications(limit: number): Promise<Counted<AuthentikApplication>>;
  outposts(): Promise<AuthentikOutpost[]>;
  /** The outpost's connected instances; [] when none has reported in. */
  outpostHealth(pk: string): Promise<AuthentikOutpostInstance[]>;
  /** login_failed events since `since`, newest first: up to `limit` of them, and how many there were (at most `scanMax` are read). */
  failedLogins(since: Date, limit: number, scanMax: number): Promise<Counted<AuthentikEvent> & { scanCapped: boolean }>;
}
