import { z } from 'zod';
import { UserError } from '../../core/errors.js';

/**
 * Where the next answer of a bounded list starts. An answer is cut by rows (limit) or by bytes, so
 * it can end inside the API's page: the token names the API page it started in (the server's
 * continue token, or the first page's resourceVersion, so that page is read again as it was) and
 * how many of that page's objects were already shown.
 */
const tokenSchema = z
  .object({
    /** The server's continue token of the page. */
    c: z.string().optional(),
    /** The resourceVersion of the first page, when the page is the first. */
    rv: z.string().optional(),
    /** Objects of the page already shown. */
    s: z.number().int().min(0).max(100_000),
  })
  .strict();
export type PageToken = z.infer<typeof tokenSchema>;

export const continueSchema = z
  .string()
  .min(1)
  .max(8192)
  .regex(/^[A-Za-z0-9_-]+$/, 'must be the continue token of a previous answer');

export function encodeToken(token: PageToken): string {
  return Buffer.from(JSON.stringify(token)).toString('base64url');
}

export function decodeToken(text: string): PageToken {
  try {
    return tokenSchema.parse(JSON.parse(Buffer.from(text, 'base64url').toString('utf8')));
  } catch {
    throw new UserError('continue: not a continue token of a previous answer (copy it whole from that answer)');
  }
}
