import { AppError } from './app-error';
import { isTimestamp, isUuid } from './input';

/** Keyset position in a list sorted newest first: opaque to clients, validated when it comes back. */
export interface PagePosition {
  createdAt: string;
  id: string;
}

export function encodeCursor(position: PagePosition): string {
  return Buffer.from(JSON.stringify([position.createdAt, position.id])).toString('base64url');
}

export function decodeCursor(cursor: string): PagePosition {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value.length === 2 && isTimestamp(value[0]) && isUuid(value[1])) {
      return { createdAt: value[0], id: value[1] };
    }
  } catch {
    // fall through
  }
  throw invalidCursor();
}

/** The answer to a cursor this API did not hand out (forged, truncated, or of another list). */
export function invalidCursor(): AppError {
  return AppError.badRequest('invalid_cursor', 'The cursor is not one this API returned. Start again without it.');
}
