import { createHash, Hash } from 'node:crypto';
import { Transform, TransformCallback } from 'node:stream';
import { FILE_TYPE_HEAD_BYTES } from './file-type';

export interface FileDigest {
  sha256: string;
  sha1: string;
  md5: string;
  size: number;
  head: Buffer;
}

/**
 * A pass-through that hashes what flows through it (SHA-256 for identity; SHA-1 and MD5 for analysts'
 * tools) and keeps the first bytes for type detection. Memory stays constant whatever the size.
 */
export class HashingStream extends Transform {
  private readonly sha256: Hash = createHash('sha256');
  private readonly sha1: Hash = createHash('sha1');
  private readonly md5: Hash = createHash('md5');
  private size = 0;
  private head: Buffer = Buffer.alloc(0);

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.sha256.update(chunk);
    this.sha1.update(chunk);
    this.md5.update(chunk);
    this.size += chunk.length;
    if (this.head.length < FILE_TYPE_HEAD_BYTES) {
      this.head = Buffer.concat([this.head, chunk.subarray(0, FILE_TYPE_HEAD_BYTES - this.head.length)]);
    }
    callback(null, chunk);
  }

  /** Valid once the stream has ended. */
  digest(): FileDigest {
    return {
      sha256: this.sha256.digest('hex'),
      sha1: this.sha1.digest('hex'),
      md5: this.md5.digest('hex'),
      size: this.size,
      head: this.head,
    };
  }
}
