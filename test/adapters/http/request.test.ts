import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Upstream } from '../../../src/core/errors.js';
import { HttpService, type HttpAnswer } from '../../../src/adapters/http/request.js';

// One check of an answer's shape serves every HTTP client (the *arr apps, Authentik, Rancher, Pi-hole, AdGuard, Jellyfin, Immich).
describe('HttpService.parsed', () => {
  const http = new HttpService({ name: 'Jellyfin', baseUrl: 'http://127.0.0.1:9/', timeoutMs: 1000 });
  const schema = z.object({ Version: z.string(), Items: z.array(z.object({ Id: z.string() })) });
  const answer = (text: string): HttpAnswer => ({ status: 200, headers: {}, text });
  const call = { method: 'GET', path: '/System/Info' } as const;

  it('returns the answer as the schema reads it', () => {
    expect(http.parsed(schema, answer('{"Version":"10.10.3","Items":[{"Id":"a","Extra":1}]}'), call, 'is it Jellyfin 10.10 or newer?')).toEqual({
      Version: '10.10.3',
      Items: [{ Id: 'a' }],
    });
  });

  it('names the service, the call, where the shape differs and what to check', () => {
    const err = (() => {
      try {
        http.parsed(schema, answer('{"Version":"10.10.3","Items":[{"Id":7}]}'), call, 'is it Jellyfin 10.10 or newer?');
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(Upstream);
    expect((err as Error).message).toMatch(
      /^Jellyfin at http:\/\/127\.0\.0\.1:9 answered GET \/System\/Info in an unexpected shape \(Items\.0\.Id: .+\): is it Jellyfin 10\.10 or newer\?$/,
    );
  });

  it('says "answer" when the whole answer is of another shape, and adds no hint when none is given', () => {
    expect(() => http.parsed(schema, answer('[]'), call, undefined)).toThrow(/in an unexpected shape \(answer: [^)]+\)$/);
  });

  it('says when the answer is not JSON at all', () => {
    expect(() => http.parsed(schema, answer('<html>login</html>'), call, undefined)).toThrow(/with something that is not JSON \(HTTP 200\)/);
  });
});
