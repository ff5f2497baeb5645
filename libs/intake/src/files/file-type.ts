/**
 * The type of a sample, read from its first bytes (never from the name or the client's content type).
 * Names are stable values shown to analysts: never rename one.
 */
export type SampleType =
  | 'pe'
  | 'elf'
  | 'macho'
  | 'zip'
  | 'rar'
  | '7z'
  | 'gzip'
  | 'bzip2'
  | 'xz'
  | 'cab'
  | 'pdf'
  | 'ole'
  | 'rtf'
  | 'dex'
  | 'java_class'
  | 'lnk'
  | 'png'
  | 'jpeg'
  | 'gif'
  | 'script'
  | 'html'
  | 'text'
  | 'binary';

/** How many leading bytes {@link detectFileType} needs. */
export const FILE_TYPE_HEAD_BYTES = 512;

const startsWith = (head: Buffer, bytes: number[], offset = 0) =>
  head.length >= offset + bytes.length && bytes.every((b, i) => head[offset + i] === b);

const MAGIC: Array<[SampleType, number[], number?]> = [
  ['elf', [0x7f, 0x45, 0x4c, 0x46]],
  ['macho', [0xfe, 0xed, 0xfa, 0xce]],
  ['macho', [0xfe, 0xed, 0xfa, 0xcf]],
  ['macho', [0xce, 0xfa, 0xed, 0xfe]],
  ['macho', [0xcf, 0xfa, 0xed, 0xfe]],
  ['zip', [0x50, 0x4b, 0x03, 0x04]],
  ['zip', [0x50, 0x4b, 0x05, 0x06]],
  ['rar', [0x52, 0x61, 0x72, 0x21, 0x1a, 0x07]],
  ['7z', [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c]],
  ['gzip', [0x1f, 0x8b]],
  ['bzip2', [0x42, 0x5a, 0x68]],
  ['xz', [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]],
  ['cab', [0x4d, 0x53, 0x43, 0x46]],
  ['pdf', [0x25, 0x50, 0x44, 0x46, 0x2d]],
  ['ole', [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]],
  ['rtf', [0x7b, 0x5c, 0x72, 0x74, 0x66]],
  ['dex', [0x64, 0x65, 0x78, 0x0a]],
  ['java_class', [0xca, 0xfe, 0xba, 0xbe]],
  ['lnk', [0x4c, 0x00, 0x00, 0x00, 0x01, 0x14, 0x02, 0x00]],
  ['png', [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]],
  ['jpeg', [0xff, 0xd8, 0xff]],
  ['gif', [0x47, 0x49, 0x46, 0x38]],
];

export function detectFileType(head: Buffer): SampleType {
  if (startsWith(head, [0x4d, 0x5a])) return 'pe';
  for (const [type, bytes, offset] of MAGIC) if (startsWith(head, bytes, offset)) return type;
  if (startsWith(head, [0x23, 0x21])) return 'script';
  if (!looksLikeText(head)) return 'binary';
  const text = head.toString('utf8').trimStart().slice(0, 256).toLowerCase();
  if (text.startsWith('<!doctype html') || text.startsWith('<html') || text.includes('<script')) return 'html';
  if (/^(@echo off|powershell|param\s*\(|function\s|set-|dim\s|option explicit|import\s|var\s|const\s)/.test(text)) {
    return 'script';
  }
  return 'text';
}

function looksLikeText(head: Buffer): boolean {
  if (head.length === 0) return false;
  let control = 0;
  for (const byte of head) {
    if (byte === 0) return false;
    if (byte < 0x09 || (byte > 0x0d && byte < 0x20)) control++;
  }
  return control / head.length < 0.05;
}
