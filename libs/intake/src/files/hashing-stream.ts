import { createHash, Hash } from 'node:crypto';
import { Transform, TransformCallback } from 'node:stream';
import { FILE_TYPE_HEAD_BYTES } from './file-type';

export interface FileDigest {
  sha256: string;
  size: number;
  head: Buffer;
}

/**
 * A pass-through that hashes what flows through it (SHA-256, the sample's identity) and keeps the first bytes for
 * type detection. Memory stays constant whatever the size. SHA-1 and MD5, for analysts' tools, are left to the
 * intake job: computed here they cost the upload more CPU than SHA-256 itself.
 */
export class HashingStream extends Transform {
  private readonly sha256: Hash = createHash('sha256');
  private size = 0;
  private head: Buffer = Buffer.alloc(0);

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.sha256.update(chunk);
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
      size: this.size,
      head: this.head,
    };
  }
}
