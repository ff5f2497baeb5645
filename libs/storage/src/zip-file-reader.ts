import type { FileHandle } from 'node:fs/promises';
import { Reader } from '@zip.js/zip.js';

/**
 * A ZIP on local disk for zip.js, read with positioned reads: only the central directory and one chunk are in memory,
 * whatever the archive's size (uploads are spooled to disk first).
 */
export class FileHandleReader extends Reader<FileHandle> {
  constructor(
    private readonly handle: FileHandle,
    fileSize: number,
  ) {
    super(handle);
    this.size = fileSize;
  }

  override async readUint8Array(index: number, length: number): Promise<Uint8Array> {
    const buffer = Buffer.alloc(Math.max(0, Math.min(length, this.size - index)));
    if (buffer.length === 0) return buffer;
    const { bytesRead } = await this.handle.read(buffer, 0, buffer.length, index);
    return buffer.subarray(0, bytesRead);
  }
}
