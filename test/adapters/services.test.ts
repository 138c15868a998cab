import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createServices } from '../../src/adapters/services.js';
import { parseConfig } from '../../src/core/config.js';
import { defineOp, type OpContext } from '../../src/core/op.js';
import type { KubePort } from '../../src/core/ports/kube.js';
import { runOp } from '../../src/core/run-op.js';

const quiet = { progress: () => {}, warn: () => {}, debug: () => {} };
const unusedKube = { withSignal: () => unusedKube, pending: () => [] } as unknown as KubePort;

/** A home service that takes every request and never answers, and says when the caller gave one up. */
function silentService(): { server: Server; url: () => string; asked: string[]; closed: (path: string) => Promise<void> } {
  const asked: string[] = [];
  const waiting = new Map<string, Array<() => void>>();
  const done = new Set<string>();
  const server = createServer((req: IncomingMessage) => {
    const path = (req.url ?? '').split('?')[0] ?? '';
    asked.push(`${req.method} ${path}`);
    req.socket.on('close', () => {
      done.add(path);
      for (const wake of waiting.get(path) ?? []) wake();
    });
  });
  return {
    server,
    url: () => `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    asked,
    closed: (path) => (done.has(path) ? Promise.resolve() : new Promise((resolve) => waiting.set(path, [...(waiting.get(path) ?? []), resolve]))),
  };
}

/** An op that asks one service one thing, within 300 ms. */
function asking(name: string, call: (ctx: OpContext) => Promise<unknown>) {
  return defineOp({
    name: `test_${name}`,
    title: name,
    description: `asks ${name}`,
    effect: 'read',
    input: z.object({}).strict(),
    output: z.object({}),
    rbac: [],
    timeoutMs: 300,
    async run(ctx) {
      await call(ctx);
      return {};
    },
  });
}

describe('the home services, bound to the op that calls them', () => {
  const svc = silentService();
  beforeAll(async () => {
    await new Promise<void>((resolve) => svc.server.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    svc.server.closeAllConnections();
    await new Promise((resolve) => svc.server.close(resolve));
  });

  // Each service's own timeout is 60 s: only the op's signal can end these requests at 300 ms.
  const cases = [
    { name: 'jellyfin', path: '/System/Info', call: async (ctx: OpContext) => (await ctx.services.jellyfin())?.systemInfo() },
    { name: 'immich', path: '/api/server/about', call: async (ctx: OpContext) => (await ctx.services.immich())?.about() },
    { name: 'adguard', path: '/control/status', call: async (ctx: OpContext) => (await ctx.services.adguard())?.status() },
    { name: 'pihole', path: '/api/dns/blocking', call: async (ctx: OpContext) => (await ctx.services.pihole())?.blocking() },
  ];

  it.each(cases)('stop asking $name when the op times out: the request is closed, not left to the service timeout', async ({ name, path, call }) => {
    const service = { url: svc.url(), timeoutMs: 60_000 };
    const config = parseConfig({
      services: {
        jellyfin: { ...service, apiKey: { env: 'KEY' } },
        immich: { ...service, apiKey: { env: 'KEY' } },
        adguard: { ...service, username: 'admin', password: { env: 'KEY' } },
        pihole: service,
      },
    });
    const services = createServices({ config, env: { KEY: 'secret' }, log: quiet });
    try {
      const started = svc.asked.length;
      await expect(
        runOp(asking(name, call), {}, { context: { kube: unusedKube, services, config, now: () => new Date(), log: quiet }, via: 'test' }),
      ).rejects.toMatchObject({ kind: 'Timeout', message: `test_${name} timed out after 300ms` });
      expect(svc.asked.slice(started)).toEqual([`GET ${path}`]);
      // The op's signal closed the request it had in flight.
      await svc.closed(path);
    } finally {
      await services.close();
    }
  });
});
