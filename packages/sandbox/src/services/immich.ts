/**
 * A fake Immich server (current API, >= 1.118): `x-api-key` auth, `/api/server/*` info,
 * statistics (admin), storage, users, legacy jobs and external libraries. The old
 * `/api/server-info/*` paths answer 404 as a current server does (NestJS's 404 body, before any
 * auth check, like any unknown route).
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { at, secret, timeSpec } from './common.js';
import { Router, serveHttp, type HttpService, type Reply, type Req } from './router.js';

const QUEUES = [
  'thumbnailGeneration',
  'metadataExtraction',
  'videoConversion',
  'faceDetection',
  'facialRecognition',
  'smartSearch',
  'duplicateDetection',
  'backgroundTask',
  'storageTemplateMigration',
  'migration',
  'search',
  'sidecar',
  'library',
  'notifications',
  'backupDatabase',
];

export const immichScenario = z.strictObject({
  apiKey: z.string().optional(),
  /** the API key's user is an admin (server statistics, jobs) */
  admin: z.boolean().default(true),
  version: z
    .string()
    .regex(/^v\d+\.\d+\.\d+$/)
    .default('v1.123.0'),
  users: z
    .array(
      z.strictObject({
        name: z.string(),
        email: z.string(),
        admin: z.boolean().default(false),
        photos: z.number().int(),
        videos: z.number().int(),
        usagePhotos: z.number(),
        usageVideos: z.number(),
        quotaSizeInBytes: z.number().nullish(),
      }),
    )
    .default([]),
  storage: z.strictObject({ diskSizeRaw: z.number(), diskUseRaw: z.number() }).default({ diskSizeRaw: 3_998_831_550_464, diskUseRaw: 1_215_430_410_240 }),
  jobs: z
    .record(
      z.string(),
      z.strictObject({
        active: z.number().int().default(0),
        completed: z.number().int().default(0),
        failed: z.number().int().default(0),
        delayed: z.number().int().default(0),
        waiting: z.number().int().default(0),
        paused: z.number().int().default(0),
        isPaused: z.boolean().default(false),
      }),
    )
    .default({}),
  libraries: z
    .array(z.strictObject({ name: z.string(), importPaths: z.array(z.string()), assetCount: z.number().int(), refreshed: timeSpec.default('-1d') }))
    .default([]),
});
export type ImmichScenario = z.output<typeof immichScenario>;

function human(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = bytes,
    i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}

const nest = (statusCode: number, error: string, message: string, extra: Record<string, unknown> = {}): Reply => ({
  status: statusCode,
  body: { message, error, statusCode, ...extra },
});

export class FakeImmich {
  url = '';
  readonly apiKey: string;
  readonly requests: { method: string; path: string }[] = [];
  private http: HttpService | undefined;
  private readonly userIds: string[];

  constructor(
    private readonly s: ImmichScenario,
    private readonly now: () => Date,
  ) {
    this.apiKey = s.apiKey ?? secret(32).replace(/[-_]/g, 'x').slice(0, 43);
    this.userIds = s.users.map(() => randomUUID());
  }

  /** Immich is read-only here: a reset only clears the request log. */
  reset(): void {
    this.requests.length = 0;
  }

  async start(host: string): Promise<void> {
    type Meta = { auth: 'none' | 'user' | 'admin' };
    const r = new Router<Meta>();
    const NONE: Meta = { auth: 'none' },
      USER: Meta = { auth: 'user' },
      ADMIN: Meta = { auth: 'admin' };
    const [major, minor, patch] = this.s.version.slice(1).split('.').map(Number);
    r.add('GET', '/api/server/ping', () => ({ status: 200, body: { res: 'pong' } }), NONE)
      .add('GET', '/api/server/version', () => ({ status: 200, body: { major, minor, patch } }), NONE)
      .add(
        'GET',
        '/api/server/features',
        () => ({
          status: 200,
          body: {
            smartSearch: true,
            facialRecognition: true,
            duplicateDetection: true,
            map: true,
            reverseGeocoding: true,
            importFaces: false,
            sidecar: true,
            search: true,
            trash: true,
            oauth: false,
            oauthAutoLaunch: false,
            passwordLogin: true,
            configFile: false,
            email: false,
          },
        }),
        NONE,
      )
      .add(
        'GET',
        '/api/server/config',
        () => ({
          status: 200,
          body: {
            loginPageMessage: '',
            trashDays: 30,
            userDeleteDelay: 7,
            oauthButtonText: 'Login with OAuth',
            isInitialized: true,
            isOnboarded: true,
            externalDomain: '',
            publicUsers: true,
            mapDarkStyleUrl: '',
            mapLightStyleUrl: '',
          },
        }),
        NONE,
      )
      .add('GET', '/api/server/about', () => ({ status: 200, body: this.about() }), USER)
      .add('GET', '/api/server/storage', () => ({ status: 200, body: this.storage() }), USER)
      .add('GET', '/api/server/statistics', () => ({ status: 200, body: this.statistics() }), ADMIN)
      .add('GET', '/api/users', () => ({ status: 200, body: this.s.users.map((_, i) => this.user(i)) }), USER)
      .add(
        'GET',
        '/api/users/me',
        () => ({
          status: 200,
          body: this.user(
            Math.max(
              0,
              this.s.users.findIndex((u) => u.admin),
            ),
          ),
        }),
        USER,
      )
      .add('GET', '/api/jobs', () => ({ status: 200, body: this.jobs() }), ADMIN)
      .add('GET', '/api/libraries', () => ({ status: 200, body: this.libraries() }), ADMIN)
      .add(
        'POST',
        '/api/libraries/:id/scan',
        (q) => (this.libraries().some((l) => l.id === q.params.id) ? { status: 204 } : nest(400, 'Bad Request', 'Library not found')),
        ADMIN,
      );
    this.http = await serveHttp<Meta>(
      {
        router: r,
        before: (req, meta) => {
          this.requests.push({ method: req.method, path: req.path });
          if (!meta || meta.auth === 'none') return undefined;
          const key = req.headers['x-api-key'];
          const correlationId = randomUUID().slice(0, 8);
          if (key === undefined || key === '') return nest(401, 'Unauthorized', 'Authentication required', { correlationId });
          if (key !== this.apiKey) return nest(401, 'Unauthorized', 'Invalid API key', { correlationId });
          if (meta.auth === 'admin' && !this.s.admin) return nest(403, 'Forbidden', 'Forbidden', { correlationId });
          return undefined;
        },
        notFound: (req: Req) => nest(404, 'Not Found', `Cannot ${req.method} ${req.path}`),
      },
      host,
    );
    this.url = this.http.url;
  }

  stop(): Promise<void> {
    return this.http?.stop() ?? Promise.resolve();
  }

  private about(): Record<string, unknown> {
    const v = this.s.version;
    return {
      version: v,
      versionUrl: `https://github.com/immich-app/immich/releases/tag/${v}`,
      licensed: false,
      build: '12345678901',
      buildUrl: 'https://github.com/immich-app/immich/actions/runs/12345678901',
      buildImage: v,
      buildImageUrl: 'https://github.com/immich-app/immich/pkgs/container/immich-server',
      repository: 'immich-app/immich',
      repositoryUrl: 'https://github.com/immich-app/immich',
      sourceRef: v,
      sourceCommit: 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678',
      sourceUrl: `https://github.com/immich-app/immich/commit/${v}`,
      nodejs: 'v22.12.0',
      exiftool: '13.00',
      ffmpeg: '7.0.2-7',
      libvips: '8.16.0',
      imagemagick: '7.1.1-41',
    };
  }

  private storage(): Record<string, unknown> {
    const { diskSizeRaw, diskUseRaw } = this.s.storage;
    const avail = diskSizeRaw - diskUseRaw;
    return {
      diskSize: human(diskSizeRaw),
      diskUse: human(diskUseRaw),
      diskAvailable: human(avail),
      diskSizeRaw,
      diskUseRaw,
      diskAvailableRaw: avail,
      diskUsagePercentage: Math.round((diskUseRaw / diskSizeRaw) * 10_000) / 100,
    };
  }

  private statistics(): Record<string, unknown> {
    const us = this.s.users.map((u, i) => ({
      userId: this.userIds[i],
      userName: u.name,
      photos: u.photos,
      videos: u.videos,
      usage: u.usagePhotos + u.usageVideos,
      usagePhotos: u.usagePhotos,
      usageVideos: u.usageVideos,
      quotaSizeInBytes: u.quotaSizeInBytes ?? null,
    }));
    const sum = (k: 'photos' | 'videos' | 'usage' | 'usagePhotos' | 'usageVideos'): number => us.reduce((n, u) => n + u[k], 0);
    return {
      photos: sum('photos'),
      videos: sum('videos'),
      usage: sum('usage'),
      usagePhotos: sum('usagePhotos'),
      usageVideos: sum('usageVideos'),
      usageByUser: us,
    };
  }

  private user(i: number): Record<string, unknown> {
    const u = this.s.users[i];
    if (!u) return {};
    return {
      id: this.userIds[i],
      email: u.email,
      name: u.name,
      profileImagePath: '',
      avatarColor: 'primary',
      profileChangedAt: at('-300d', this.now()).toISOString(),
      isAdmin: u.admin,
    };
  }

  private jobs(): Record<string, unknown> {
    return Object.fromEntries(
      QUEUES.map((q) => {
        const j = this.s.jobs[q];
        return [
          q,
          {
            jobCounts: {
              active: j?.active ?? 0,
              completed: j?.completed ?? 0,
              failed: j?.failed ?? 0,
              delayed: j?.delayed ?? 0,
              waiting: j?.waiting ?? 0,
              paused: j?.paused ?? 0,
            },
            queueStatus: { isActive: (j?.active ?? 0) > 0, isPaused: j?.isPaused ?? false },
          },
        ];
      }),
    );
  }

  private libraries(): { id: string; [k: string]: unknown }[] {
    const start = this.now();
    return this.s.libraries.map((l, i) => ({
      id: `7f0c1d2e-3a4b-4c5d-8e6f-${String(i + 1).padStart(12, '0')}`,
      name: l.name,
      ownerId: this.userIds[0] ?? '',
      importPaths: l.importPaths,
      exclusionPatterns: ['**/@eaDir/**', '**/.*/**'],
      assetCount: l.assetCount,
      refreshedAt: at(l.refreshed, start).toISOString(),
      createdAt: at('-300d', start).toISOString(),
      updatedAt: at(l.refreshed, start).toISOString(),
    }));
  }
}
