import { createHash } from 'node:crypto';
import { AppError } from '@sigdesk/http';

/**
 * What makes two submissions "the same request": the fields and the files' contents and names, in order.
 * The multipart boundary and part order of fields do not matter (a retrying client builds a new body).
 */
export function submissionFingerprint(
  fields: Record<string, string>,
  files: Array<{ sha256: string; fileName: string }>,
): string {
  const canonical = JSON.stringify({
    fields: Object.keys(fields)
      .sort()
      .map((name) => [name, fields[name]]),
    files: files.map((f) => [f.sha256, f.fileName]),
  });
  return createHash('sha256').update(canonical).digest('hex');
}

export function parseIdempotencyKey(header: string | string[] | undefined): string | undefined {
  if (header === undefined) return undefined;
  const value = Array.isArray(header) ? header[0] : header;
  if (!/^[\x21-\x7e]{1,255}$/.test(value)) {
    throw AppError.badRequest(
      'invalid_idempotency_key',
      'Idempotency-Key must be 1 to 255 printable ASCII characters.',
    );
  }
  return value;
}

export function idempotencyConflict(key: string) {
  return AppError.conflict(
    'idempotency_key_reused',
    `The Idempotency-Key "${key}" was already used for a different submission. Use a new key for a new submission.`,
  );
}
