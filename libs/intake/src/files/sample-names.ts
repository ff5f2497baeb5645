/**
 * The names customers give their samples (an upload's file name, an entry's path inside a protected ZIP) are
 * shown to people, in consoles, listings and error messages; they are never paths, and a sample's identity is its
 * SHA-256. So a name keeps only what is seen: no control character (C0, DEL, C1), no formatting character
 * (bidirectional marks, embeddings, overrides and isolates, zero-width characters, the byte order mark, tags: with
 * U+202E, `invoice<U+202E>txt.exe` reads as `invoicexet.txt`), no line or paragraph separator and no half of a
 * surrogate pair; and it has a length a screen can show.
 */

/** The longest file name kept, in characters (as most file systems allow). */
export const MAX_SAMPLE_NAME_LENGTH = 255;
/** The longest path of a file inside archives kept (`samples.zip!dir/inner.zip!a.exe`), in characters. */
export const MAX_ARCHIVE_PATH_LENGTH = 1024;
/** The name of a sample whose name had nothing visible. */
export const UNNAMED_SAMPLE = 'sample';

/** Control (Cc), format (Cf), line and paragraph separators (Zl, Zp), and lone surrogates (Cs). */
const HIDDEN = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/gu;
const ELLIPSIS = '…';

/**
 * `name` without hidden characters, at most `max` characters (code points, so that no character is cut in two):
 * a longer one keeps its beginning and its end (where the extension is), with an ellipsis between.
 */
export function visibleName(name: string, max: number): string {
  const characters = [...name.replace(HIDDEN, '').trim()];
  if (characters.length <= max) return characters.join('');
  const tail = Math.min(64, Math.floor((max - 1) / 3));
  return `${characters
    .slice(0, max - 1 - tail)
    .join('')
    .trimEnd()}${ELLIPSIS}${characters.slice(characters.length - tail).join('')}`;
}

/**
 * `name` as a message quotes it: every hidden character written out as its code (`\u202E`), so that a person sees
 * that it is there without a terminal acting on it, and at most `max` characters.
 */
export function printableName(name: string, max: number): string {
  const escaped = name.replace(
    HIDDEN,
    (character) => `\\u${(character.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`,
  );
  return visibleName(escaped, max);
}

/** A file name to keep and show: visible, at most 255 characters, `sample` when nothing visible is left. */
export function sampleFileName(name: string | undefined): string {
  return visibleName(name ?? '', MAX_SAMPLE_NAME_LENGTH) || UNNAMED_SAMPLE;
}

/** An entry path's folders and file name, each visible; folders with nothing visible left go. */
function entryParts(entryPath: string): { folders: string[]; name: string } {
  const parts = entryPath.split(/[\\/]/);
  const name = sampleFileName(parts.pop());
  return { folders: parts.map((part) => visibleName(part, MAX_SAMPLE_NAME_LENGTH)).filter(Boolean), name };
}

/** The file name of an archive entry (`dir/a.exe` → `a.exe`), as {@link sampleFileName} keeps it. */
export function archiveEntryFileName(entryPath: string): string {
  return entryParts(entryPath).name;
}

/**
 * The path of a file taken out of an archive, `<archive>!<folders>/<file name>` (the archive being the upload's
 * name, or the path of the archive it was nested in), each part visible, at most 1,024 characters.
 */
export function archiveEntryPath(archive: string, entryPath: string): string {
  const { folders, name } = entryParts(entryPath);
  return visibleName(`${archive}!${[...folders, name].join('/')}`, MAX_ARCHIVE_PATH_LENGTH);
}
