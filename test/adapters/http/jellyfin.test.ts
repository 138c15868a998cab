import { describe, expect, it } from 'vitest';
import { jellyfinIdSchema, parseJellyfinId } from '../../../src/core/ports/jellyfin.js';
import { JellyfinClient } from '../../../src/adapters/http/jellyfin.js';
import { HttpService } from '../../../src/adapters/http/request.js';

const PLAIN = 'f27caa37e5142225cceded48f6553502';

describe('Jellyfin item ids', () => {
  it('accepts 32 hex digits, with or without dashes or braces, in any case, and normalises them', () => {
    expect(parseJellyfinId(PLAIN)).toBe(PLAIN);
    expect(parseJellyfinId(PLAIN.toUpperCase())).toBe(PLAIN);
    expect(parseJellyfinId('f27caa37-e514-2225-cced-ed48f6553502')).toBe(PLAIN);
    expect(parseJellyfinId('{F27CAA37-E514-2225-CCED-ED48F6553502}')).toBe(PLAIN);
    expect(jellyfinIdSchema.parse('f27caa37-e514-2225-cced-ed48f6553502')).toBe(PLAIN);
  });

  it.each([
    ['a path', '../System/Shutdown'],
    ['a URL-encoded path', '%2e%2e'],
    ['encoded dots before a GUID', `%2e%2e%2f${PLAIN}`],
    ['31 hex digits', PLAIN.slice(1)],
    ['33 hex digits', `${PLAIN}0`],
    ['a non-hex letter', `${PLAIN.slice(1)}g`],
    ['dashes in the wrong places', 'f27caa37e-514-2225-cced-ed48f6553502'],
    ['dashes without all the groups', 'f27caa37-e5142225cceded48f6553502'],
    ['surrounding spaces', ` ${PLAIN} `],
    ['a newline after it', `${PLAIN}\n`],
    ['a query string', `${PLAIN}?x=1`],
    ['a slash after it', `${PLAIN}/Refresh`],
    ['an empty string', ''],
    ['one brace', `{${PLAIN}`],
  ])('refuses %s', (_what, text) => {
    expect(parseJellyfinId(text)).toBeUndefined();
    const parsed = jellyfinIdSchema.safeParse(text);
    expect(parsed.success).toBe(false);
    if (!parsed.success) expect(parsed.error.issues[0]?.message).toMatch(/must be a Jellyfin item id: a GUID of 32 hex digits/);
  });

  it('is checked again by the client before any path is built: no request leaves', async () => {
    const http = new HttpService({ name: 'Jellyfin', baseUrl: 'http://127.0.0.1:9', timeoutMs: 1000 });
    let requests = 0;
    http.request = async () => {
      requests++;
      throw new Error('no request should be made');
    };
    const client = new JellyfinClient(http, 'key');
    const forged = '../System/Shutdown' as Parameters<JellyfinClient['refreshItem']>[0];
    await expect(client.refreshItem(forged, { metadata: 'FullRefresh', images: 'FullRefresh', replaceAllMetadata: false })).rejects.toThrow(
      /refusing to use "..\/System\/Shutdown" as a Jellyfin id/,
    );
    await expect(client.startTask('%2e%2e' as typeof forged)).rejects.toThrow(/Jellyfin id/);
    await expect(client.task(PLAIN.slice(1) as typeof forged)).rejects.toThrow(/Jellyfin id/);
    await expect(client.items({ ids: ['../x' as typeof forged], limit: 1 })).rejects.toThrow(/Jellyfin id/);
    expect(requests).toBe(0);
  });
});
