import { describe, expect, it } from 'vitest';

describe('title matching for jellyfin fix', () => {
  it('takes a title from a series folder or from the folder a movie file sits in', async () => {
    const { folderTitle } = await import('../../../src/ops/media/lookup.js');
    expect(folderTitle('/media/tv/Better Off Ted (2009) [tmdbid-18586]')).toBe('Better Off Ted');
    expect(folderTitle('/media/movies/Step Brothers (2008)/Step Brothers.mkv')).toBe('Step Brothers');
    expect(folderTitle(undefined)).toBeUndefined();
  });
});
