import { Transform, TransformCallback, type Writable } from 'node:stream';

/** Bytes of a file looked at before deciding whether it is copied while received (a ZIP's first entry header). */
export const STAGING_HEAD_BYTES = 30;
/** How long a copy that cannot keep up may hold the file back before it is given up (the file goes on to disk). */
const STAGING_STALL_MS = 10_000;

/**
 * Where a file being received is copied as it arrives, decided on its first bytes: a writable that receives every
 * byte of the file and is ended after the last, or destroyed when the file fails; null: not copied.
 */
export type StagingOpener = (head: Buffer) => Writable | null;

/**
 * A pass-through that copies what flows through it to the writable `open` gives. The copy never fails the file:
 * a copy that fails, or that holds the file back longer than STAGING_STALL_MS, is given up and the file goes on
 * without it (its consumer then stores the file from disk).
 */
export class StagingTap extends Transform {
  private head: Buffer[] = [];
  private headBytes = 0;
  /** undefined until decided. */
  private target: Writable | null | undefined;
  private ended = false;

  constructor(private readonly open: StagingOpener) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (this.target !== undefined) return this.forward(chunk, callback);
    this.head.push(chunk);
    this.headBytes += chunk.length;
    if (this.headBytes < STAGING_HEAD_BYTES) return callback(null, chunk);
    this.forward(this.decide(), () => callback(null, chunk));
  }

  override _flush(callback: TransformCallback): void {
    const finish = () => {
      this.ended = true;
      if (this.target && !this.target.destroyed) this.target.end();
      callback();
    };
    if (this.target !== undefined) return finish();
    this.forward(this.decide(), finish);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (this.target && (error || !this.ended)) this.target.destroy(error ?? new Error('the file was cut short'));
    callback(error);
  }

  /** Opens the copy, and returns what it must be given first (the bytes held to decide). */
  private decide(): Buffer {
    const head = Buffer.concat(this.head);
    this.head = [];
    let target: Writable | null = null;
    try {
      target = this.open(head);
    } catch {
      target = null;
    }
    // its failure is the copy's consumer's business: here it only ends the copying
    target?.on('error', () => undefined);
    this.target = target;
    return head;
  }

  /** Copies `chunk`, then calls `done` (at once, or once the copy has room again, or once it is given up). */
  private forward(chunk: Buffer, done: TransformCallback): void {
    const target = this.target;
    if (!target || target.destroyed || chunk.length === 0) return done(null, chunk);
    if (target.write(chunk)) return done(null, chunk);
    let called = false;
    const go = () => {
      if (called) return;
      called = true;
      clearTimeout(timer);
      target.off('drain', go);
      target.off('close', go);
      done(null, chunk);
    };
    const timer = setTimeout(() => {
      target.destroy(new Error(`the copy kept the file waiting for ${STAGING_STALL_MS} ms`));
      go();
    }, STAGING_STALL_MS);
    target.once('drain', go);
    target.once('close', go);
  }
}

/**
 * A pass-through for a body of exactly `size` bytes, for a PUT that announces them: the last chunk is held back
 * until the source has ended with exactly that many bytes, so that the receiver never has them all (and never
 * stores the object) unless the file is exactly that long. More bytes, or fewer, fail it.
 */
export class ExactLength extends Transform {
  private held: Buffer | null = null;
  private total = 0;

  constructor(private readonly size: number) {
    // room for a few chunks of the file while the connection to S3 is busy, so that neither side waits on each chunk
    super({ highWaterMark: 1024 * 1024 });
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.total += chunk.length;
    if (this.total > this.size) return callback(new Error(`the file is longer than the ${this.size} bytes announced`));
    if (this.held) this.push(this.held);
    this.held = chunk;
    callback();
  }

  override _flush(callback: TransformCallback): void {
    if (this.total !== this.size) {
      return callback(new Error(`the file has ${this.total} bytes, not the ${this.size} announced`));
    }
    if (this.held) this.push(this.held);
    this.held = null;
    callback();
  }
}
