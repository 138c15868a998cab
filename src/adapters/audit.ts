import type { AuditRecord } from '../core/run-op.js';

/**
 * The audit log's line for a record, with secrets taken out: whatever a sink writes (stdout,
 * stderr, the audit file) goes through here. Tool arguments are the caller's to choose, so values
 * are redacted by what they are called (a password, a token, a key) and by what they look like (a
 * URL carrying credentials), wherever they sit.
 */
export function auditLine(record: AuditRecord): string {
  return `${JSON.stringify({
    ...record,
    input: redact(record.input, 0),
    ...(record.error !== undefined ? { error: redactText(record.error) } : {}),
    ...(record.result !== undefined ? { result: redactText(record.result) } : {}),
  })}\n`;
}

export const REDACTED = '[redacted]';

/** Field names whose values are secrets (confirmationToken, apiKey, password, client_secret, …). */
const SECRET_NAME = /pass(word|wd|phrase)?$|secret|token|api[-_]?key|^key$|authorization|credential|private[-_]?key|cookie|signature/i;
/** user:password@ in a URL. */
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^/?#@\s]+@/gi;
/** A query parameter named like a secret (?token=…, &api_key=…). */
const SECRET_QUERY = /([?&](?:[a-z0-9_-]*(?:token|key|secret|password|passwd|sig|signature|auth)[a-z0-9_-]*)=)[^&#\s]*/gi;

function redactText(text: string): string {
  return text.replace(URL_USERINFO, `$1${REDACTED}@`).replace(SECRET_QUERY, `$1${REDACTED}`);
}

function redact(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return redactText(value);
  if (!value || typeof value !== 'object') return value;
  // Arguments are validated and small; anything nested deeper than this is summarised, not walked.
  if (depth > 8) return REDACTED;
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, SECRET_NAME.test(k) ? REDACTED : redact(v, depth + 1)]));
}
