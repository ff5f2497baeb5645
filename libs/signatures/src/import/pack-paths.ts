/**
 * Names inside an uploaded rule pack: attacker-controlled strings that are shown to people and turned into YARA
 * namespaces, never into filesystem paths.
 */

/** Longest path kept; longer names are skipped (no honest rule pack nests that deep). */
export const MAX_PATH_LENGTH = 1024;
export const MAX_NAMESPACE_LENGTH = 200;
/** Leaves room in a namespace for the paths of the files. */
const MAX_PACK_NAME_LENGTH = 64;
/** Skipped names are echoed back: keep them short so a 64 KiB name cannot flood a response or a log. */
const MAX_SHOWN_NAME_LENGTH = 200;

const YARA_EXTENSION = /\.(yar|yara)$/i;
const ARCHIVE_EXTENSION = /\.(zip|tgz|tar\.gz|tar|gz|yar|yara)$/i;
// C0 and C1 controls and DEL: they hide or fake characters in a listing (a carriage return, an escape sequence).
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f-\u009f]/;
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/g;
const NOT_NAMESPACE_CHARACTERS = /[^A-Za-z0-9_./-]/g;

export type EntryPath = { ok: true; path: string } | { ok: false; reason: string };

export const UNSAFE_PATH = 'an unsafe path (.. segment, absolute or drive path, or control character)';
export const PATH_TOO_LONG = `a path longer than ${MAX_PATH_LENGTH} characters`;

/**
 * The path of an archive entry as the pack lists it: `\` read as `/`, leading `./` and `/` dropped, empty and `.`
 * segments removed. Names that climb (`..`, or `.. ` and `...` which Windows reads as `..`), name a drive or a UNC
 * share, or hold control characters are refused.
 */
export function normaliseEntryPath(rawName: string): EntryPath {
  if (CONTROL_CHARACTER.test(rawName)) return { ok: false, reason: UNSAFE_PATH };
  const slashed = rawName.replace(/\\/g, '/');
  if (/^[A-Za-z]:/.test(slashed) || slashed.startsWith('//')) return { ok: false, reason: UNSAFE_PATH };
  const segments = slashed.split('/').filter((segment) => segment !== '' && segment !== '.');
  if (segments.some((segment) => segment.includes('..') && /^[. ]+$/.test(segment))) {
    return { ok: false, reason: UNSAFE_PATH };
  }
  const path = segments.join('/');
  if (path.length > MAX_PATH_LENGTH) return { ok: false, reason: PATH_TOO_LONG };
  return { ok: true, path };
}

export function isYaraPath(path: string): boolean {
  return YARA_EXTENSION.test(path);
}

/** Resource forks and Finder data a Mac adds to the archives it makes (`__MACOSX/…`, `._name`). */
export function isMacMetadata(path: string): boolean {
  const segments = path.split('/');
  return segments[0] === '__MACOSX' || segments[segments.length - 1].startsWith('._');
}

/** A name as messages and skipped entries show it: control characters written out, and short. */
export function shownName(name: string): string {
  const visible = name.replace(
    CONTROL_CHARACTERS,
    (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  return visible.length > MAX_SHOWN_NAME_LENGTH ? `${visible.slice(0, MAX_SHOWN_NAME_LENGTH)}…` : visible;
}

/** The last segment of an upload's file name (browsers may send `C:\fakepath\rules.yar`), safe to show. */
export function uploadBaseName(fileName: string): string {
  const segments = fileName.replace(/\\/g, '/').split('/');
  return segments[segments.length - 1].replace(CONTROL_CHARACTERS, '').slice(0, MAX_PATH_LENGTH);
}

/**
 * Why a pack name an admin gives cannot be used (null: it can): it starts the namespaces of the pack's files, and an
 * import replaces the files of the pack of the same name in its channel's database.
 */
export function packNameProblem(name: string): string | null {
  if (!/^[A-Za-z0-9_.-]+$/.test(name) || /^[._]*$/.test(name) || name.length > MAX_PACK_NAME_LENGTH) {
    return `a pack name is 1 to ${MAX_PACK_NAME_LENGTH} letters, digits, ".", "_" and "-", not only dots and underscores`;
  }
  return null;
}

/** The pack's name from the upload's: archive and YARA extensions dropped, restricted to namespace characters. */
export function packNameOf(fileName: string): string {
  let name = uploadBaseName(fileName);
  while (ARCHIVE_EXTENSION.test(name)) name = name.replace(ARCHIVE_EXTENSION, '');
  const sanitised = name.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, MAX_PACK_NAME_LENGTH);
  // A name of dots and underscores only would make namespaces like `../x`: meaningless, and confusing to read.
  return /^[._]*$/.test(sanitised) ? 'pack' : sanitised;
}

/**
 * Gives each path (in the order given) a YARA namespace `${packName}/${path without .yar/.yara}`, restricted to
 * [A-Za-z0-9_./-], at most 200 characters, and unique: a later path whose namespace is taken gets `_2`, `_3`, …
 * A folder every path is in (`signature-base-master/`, as an archive of a repository has) is left out of them.
 */
export function assignNamespaces(packName: string, paths: readonly string[]): string[] {
  const taken = new Set<string>();
  const top = commonFolder(paths);
  return paths.map((path) => {
    const within = path.slice(top.length).replace(YARA_EXTENSION, '');
    const base = `${packName}/${within}`.replace(NOT_NAMESPACE_CHARACTERS, '_');
    let namespace = base.slice(0, MAX_NAMESPACE_LENGTH);
    for (let counter = 2; taken.has(namespace); counter++) {
      const suffix = `_${counter}`;
      namespace = `${base.slice(0, MAX_NAMESPACE_LENGTH - suffix.length)}${suffix}`;
    }
    taken.add(namespace);
    return namespace;
  });
}

/** The first folder of the paths (with its slash) when every path is in it, else ''. */
function commonFolder(paths: readonly string[]): string {
  const first = paths[0]?.split('/')[0];
  if (first === undefined || paths.some((path) => !path.startsWith(`${first}/`))) return '';
  return `${first}/`;
}
