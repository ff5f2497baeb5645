/**
 * A streaming reader of tar archives (POSIX ustar, with GNU long names and pax extended headers), enough to list the
 * files of an uploaded rule pack. It never writes to disk and holds at most one header and one chunk of data.
 */

const BLOCK = 512;
/** Long names and pax records are a few hundred bytes; anything near this is an attack on memory. */
const MAX_META_BYTES = 1024 * 1024;
/** A run of meta headers (long name, pax) belongs to one entry: a long run describes nothing and only costs work. */
const MAX_META_IN_A_ROW = 16;
const BODY_CHUNK = 64 * 1024;

export type TarEntryKind = 'file' | 'directory' | 'link' | 'special' | 'unsupported';

export interface TarEntry {
  /** The name as stored (pax `path`, GNU long name, or ustar prefix + name), not yet checked or normalised. */
  name: string;
  kind: TarEntryKind;
  /** Bytes of data that follow the header (0 for links, directories and devices). */
  size: number;
  /** The entry's data; what is not read before the next entry is asked for is skipped. */
  body: AsyncIterable<Buffer>;
}

/** The bytes are not a well-formed tar archive (bad checksum, bad number, truncated...). */
export class TarFormatError extends Error {}

/** Yields the entries of the tar archive read from `source`, checking each header's checksum. */
export async function* readTar(source: AsyncIterable<Uint8Array>): AsyncGenerator<TarEntry> {
  const queue = new ByteQueue(source[Symbol.asyncIterator]());
  let longName: string | undefined;
  let pax: PaxFields = {};
  let metaInARow = 0;
  for (let index = 0; ; index++) {
    const block = await queue.read(BLOCK);
    if (block.length < BLOCK) {
      throw new TarFormatError(
        block.length === 0 ? 'the archive ends without its end-of-archive marker (truncated?)' : 'truncated header',
      );
    }
    if (block.every((byte) => byte === 0)) {
      // Read to the end, so that the decompressor below checks its own trailer (a truncated gzip is still refused).
      await queue.drain();
      return;
    }
    const header = parseHeader(block, index === 0);
    if (isMeta(header.typeflag)) {
      if (++metaInARow > MAX_META_IN_A_ROW) throw new TarFormatError('too many extended headers in a row');
      if (header.size > MAX_META_BYTES) throw new TarFormatError('an extended header larger than 1 MiB');
      const data = await queue.read(header.size);
      if (data.length < header.size) throw new TarFormatError('truncated extended header');
      await queue.skipExactly(padding(header.size));
      if (header.typeflag === 'L') longName = decodeName(cString(data, 0, data.length));
      else if (header.typeflag === 'x') pax = parsePax(data);
      // 'K' (long link name) and 'g' (global pax defaults) tell nothing this reader uses.
      continue;
    }
    metaInARow = 0;
    const name = pax.path ?? longName ?? header.name;
    const kind = kindOf(header.typeflag, name);
    // POSIX: links, devices, FIFOs and directories have no data blocks, whatever their size field says.
    const size = kind === 'file' || kind === 'unsupported' ? (pax.size ?? header.size) : 0;
    longName = undefined;
    pax = {};
    let unread = size;
    const body: AsyncIterable<Buffer> = {
      async *[Symbol.asyncIterator]() {
        while (unread > 0) {
          const chunk = await queue.readSome(Math.min(unread, BODY_CHUNK));
          if (chunk.length === 0) throw new TarFormatError('truncated file data');
          unread -= chunk.length;
          yield chunk;
        }
      },
    };
    yield { name, kind, size, body };
    await queue.skipExactly(unread);
    unread = 0;
    await queue.skipExactly(padding(size));
  }
}

interface Header {
  name: string;
  typeflag: string;
  size: number;
}

interface PaxFields {
  path?: string;
  size?: number;
}

function parseHeader(block: Buffer, first: boolean): Header {
  const stored = parseOctal(block.subarray(148, 156), 'checksum');
  let unsigned = 8 * 0x20;
  let signed = 8 * 0x20;
  for (let i = 0; i < BLOCK; i++) {
    if (i >= 148 && i < 156) continue;
    unsigned += block[i];
    signed += block[i] > 127 ? block[i] - 256 : block[i];
  }
  if (stored !== unsigned && stored !== signed) {
    throw new TarFormatError(first ? 'not a tar archive' : 'a header checksum does not match (damaged archive)');
  }
  const typeflag = block[156] === 0 ? '0' : String.fromCharCode(block[156]);
  const name = cString(block, 0, 100);
  // GNU tar writes "ustar  \0" and keeps times where POSIX keeps the prefix: only a POSIX header has a prefix.
  const prefix = block.toString('latin1', 257, 263) === 'ustar\0' ? cString(block, 345, 155) : Buffer.alloc(0);
  const fullName = prefix.length > 0 ? Buffer.concat([prefix, Buffer.from('/'), name]) : name;
  return { name: decodeName(fullName), typeflag, size: parseSize(block.subarray(124, 136)) };
}

function kindOf(typeflag: string, name: string): TarEntryKind {
  switch (typeflag) {
    case '0':
    case '7':
      // Pre-POSIX archives mark directories only by a trailing slash.
      return name.endsWith('/') ? 'directory' : 'file';
    case '5':
    case 'D':
      return 'directory';
    case '1':
    case '2':
      return 'link';
    case '3':
    case '4':
    case '6':
      return 'special';
    default:
      // Sparse files, volume labels, multi-volume parts, vendor types: skipped, their data read past.
      return 'unsupported';
  }
}

function isMeta(typeflag: string): boolean {
  return typeflag === 'L' || typeflag === 'K' || typeflag === 'x' || typeflag === 'g';
}

function padding(size: number): number {
  return (BLOCK - (size % BLOCK)) % BLOCK;
}

/** The bytes of a NUL-terminated field. */
function cString(buffer: Buffer, start: number, length: number): Buffer {
  const field = buffer.subarray(start, start + length);
  const end = field.indexOf(0);
  return end === -1 ? field : field.subarray(0, end);
}

const NAME_DECODER = new TextDecoder('utf-8', { fatal: true });

/** Names are UTF-8 in modern archives; older ones may be in a legacy code page, shown byte for byte. */
function decodeName(bytes: Buffer): string {
  try {
    return NAME_DECODER.decode(bytes);
  } catch {
    return bytes.toString('latin1');
  }
}

function parseOctal(field: Buffer, what: string): number {
  const text = field
    .toString('latin1')
    .replace(/[\0 ]+$/, '')
    .replace(/^ +/, '');
  if (!/^[0-7]*$/.test(text)) throw new TarFormatError(`a header's ${what} is not an octal number`);
  const value = text === '' ? 0 : parseInt(text, 8);
  if (!Number.isSafeInteger(value)) throw new TarFormatError(`a header's ${what} is out of range`);
  return value;
}

/** Octal, or GNU's base-256 (first byte 0x80) for sizes of 8 GiB and more. */
function parseSize(field: Buffer): number {
  if ((field[0] & 0x80) === 0) return parseOctal(field, 'size');
  if (field[0] !== 0x80) throw new TarFormatError("a header's size is negative or out of range");
  let value = 0;
  for (let i = 1; i < field.length; i++) value = value * 256 + field[i];
  if (!Number.isSafeInteger(value)) throw new TarFormatError("a header's size is out of range");
  return value;
}

/** Records are `<length> <key>=<value>\n`, the length counting the whole record in bytes. */
function parsePax(data: Buffer): PaxFields {
  const fields: PaxFields = {};
  let position = 0;
  while (position < data.length) {
    const space = data.indexOf(0x20, position);
    const lengthText = space === -1 ? '' : data.toString('latin1', position, space);
    const length = /^[1-9][0-9]{0,7}$/.test(lengthText) ? Number(lengthText) : NaN;
    const end = position + length;
    if (!(end <= data.length && end > space + 1 && data[end - 1] === 0x0a)) {
      throw new TarFormatError('a malformed pax extended header');
    }
    const record = data.subarray(space + 1, end - 1);
    const equals = record.indexOf(0x3d);
    if (equals <= 0) throw new TarFormatError('a malformed pax extended header');
    const key = record.toString('latin1', 0, equals);
    const value = record.subarray(equals + 1);
    if (key === 'path') fields.path = decodeName(value);
    if (key === 'size') {
      const text = value.toString('latin1');
      const size = /^[0-9]{1,16}$/.test(text) ? Number(text) : NaN;
      if (!Number.isSafeInteger(size)) throw new TarFormatError('a pax size that is not a number');
      fields.size = size;
    }
    position = end;
  }
  return fields;
}

/** Bytes from an async iterator, read by exact counts (headers) or as they come (data). */
class ByteQueue {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private ended = false;

  constructor(private readonly source: AsyncIterator<Uint8Array>) {}

  /** Exactly `count` bytes, or fewer at the end of the stream. */
  async read(count: number): Promise<Buffer> {
    while (this.buffered < count && (await this.pull()));
    return this.take(Math.min(count, this.buffered));
  }

  /** Between 1 and `max` bytes, as they arrive; empty at the end of the stream. */
  async readSome(max: number): Promise<Buffer> {
    if (this.buffered === 0) await this.pull();
    if (this.buffered === 0) return Buffer.alloc(0);
    return this.take(Math.min(max, this.chunks[0].length));
  }

  async skipExactly(count: number): Promise<void> {
    let left = count;
    while (left > 0) {
      const chunk = await this.readSome(Math.min(left, BODY_CHUNK));
      if (chunk.length === 0) throw new TarFormatError('truncated file data');
      left -= chunk.length;
    }
  }

  async drain(): Promise<void> {
    this.chunks = [];
    this.buffered = 0;
    while (await this.pull()) {
      this.chunks = [];
      this.buffered = 0;
    }
  }

  private async pull(): Promise<boolean> {
    if (this.ended) return false;
    const next = await this.source.next();
    if (next.done) {
      this.ended = true;
      return false;
    }
    const chunk = Buffer.from(next.value.buffer, next.value.byteOffset, next.value.byteLength);
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    return true;
  }

  private take(count: number): Buffer {
    const parts: Buffer[] = [];
    let left = count;
    while (left > 0) {
      const head = this.chunks[0];
      if (head.length <= left) {
        parts.push(head);
        this.chunks.shift();
        left -= head.length;
      } else {
        parts.push(head.subarray(0, left));
        this.chunks[0] = head.subarray(left);
        left = 0;
      }
    }
    this.buffered -= count;
    return parts.length === 1 ? parts[0] : Buffer.concat(parts);
  }
}
