/** Why an archive was refused. Codes are part of the HTTP API (422 bodies): never rename one. */
export type ArchiveErrorCode =
  | 'archive_wrong_password'
  | 'archive_not_protected'
  | 'archive_too_many_entries'
  | 'archive_too_large'
  | 'archive_ratio_exceeded'
  | 'archive_nested_too_deep'
  | 'archive_unsafe_path'
  | 'archive_corrupt'
  | 'archive_empty';

export class ArchiveError extends Error {
  constructor(
    readonly code: ArchiveErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}
