import type { Readable } from 'node:stream';

/** The most of a body kept to find where its first file part's content begins: fields come first, and are small. */
const MAX_PREFIX_BYTES = 256 * 1024;

/** The first bytes of a request's raw body, read alongside the multipart parser (which consumes the body). */
export class BodyPrefix {
  private readonly chunks: Buffer[] = [];
  private bytes = 0;
  private source: Readable | undefined;
  private readonly onData = (chunk: Buffer) => {
    if (this.bytes >= MAX_PREFIX_BYTES) return this.detach();
    this.chunks.push(chunk.subarray(0, MAX_PREFIX_BYTES - this.bytes));
    this.bytes += Math.min(chunk.length, MAX_PREFIX_BYTES - this.bytes);
  };

  /** Reads `source` alongside its consumer: attach once the consumer pipes it (a 'data' listener starts the flow). */
  attach(source: Readable): void {
    this.source = source;
    source.on('data', this.onData);
  }

  /** Stops reading, and returns what was read. */
  detach(): Buffer {
    this.source?.off('data', this.onData);
    this.source = undefined;
    return Buffer.concat(this.chunks);
  }
}

/**
 * The size of the content of the multipart body's part number `partNumber` (from 1), if it is the body's last
 * part and the body ends as clients end it (`\r\n--boundary--\r\n`): the declared length less where the part's
 * content begins (found in `prefix`) and less the closing delimiter. Null when the prefix does not show where the
 * part's content begins. A wrong guess (another part follows, or an epilogue) only means a size that the part's
 * content will not have.
 */
export function firstFileSize(
  prefix: Buffer,
  contentType: string,
  partNumber: number,
  declared: number,
): number | null {
  const boundary = /;\s*boundary=(?:"([^"]+)"|([^\s;]+))/i.exec(contentType);
  const value = boundary?.[1] ?? boundary?.[2];
  if (!value) return null;
  // as the parser reads it: a CRLF before the first delimiter as before every other
  const body = Buffer.concat([Buffer.from('\r\n'), prefix]);
  const delimiter = Buffer.from(`\r\n--${value}`, 'latin1');
  let at = -1;
  for (let n = 0; n < partNumber; n++) {
    at = body.indexOf(delimiter, at + 1);
    if (at < 0) return null;
  }
  const headersEnd = body.indexOf('\r\n\r\n', at + delimiter.length);
  if (headersEnd < 0) return null;
  const contentStart = headersEnd + 4 - 2;
  return declared - contentStart - Buffer.byteLength(`\r\n--${value}--\r\n`, 'latin1');
}
