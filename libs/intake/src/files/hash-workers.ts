import { Transform, TransformCallback } from 'node:stream';
import { Worker } from 'node:worker_threads';
import { FILE_TYPE_HEAD_BYTES } from './file-type';
import type { FileDigest } from './hashing-stream';

type Algorithm = 'sha256' | 'sha1' | 'md5';
const ALGORITHMS: readonly Algorithm[] = ['sha256', 'sha1', 'md5'];

/** Bytes copied into one shared block before the block is handed to the hashing threads. */
const BLOCK_BYTES = 1024 * 1024;
/** Blocks handed on and not yet hashed by every thread, past which the stream holds its source back. */
const BLOCKS_IN_FLIGHT = 8;

/**
 * One thread per algorithm, each hashing the blocks of every file in turn (messages of one file arrive in order).
 * Evaluated source rather than a file, so that it runs alike from the build and from the tests' TypeScript.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const open = new Map();
parentPort.on('message', (message) => {
  if (message.type === 'block') {
    let hash = open.get(message.file);
    if (!hash) open.set(message.file, (hash = createHash(workerData.algorithm)));
    hash.update(new Uint8Array(message.block, 0, message.length));
    parentPort.postMessage({ type: 'hashed', file: message.file });
  } else if (message.type === 'end') {
    const hash = open.get(message.file) ?? createHash(workerData.algorithm);
    open.delete(message.file);
    parentPort.postMessage({ type: 'digest', file: message.file, hex: hash.digest('hex') });
  } else if (message.type === 'drop') {
    open.delete(message.file);
  }
});
`;

type WorkerAnswer = { type: 'hashed'; file: number } | { type: 'digest'; file: number; hex: string };

interface FileListener {
  hashed(algorithm: Algorithm): void;
  digest(algorithm: Algorithm, hex: string): void;
  failed(error: Error): void;
}

/**
 * The hashing threads, started when first needed and shared by every request. A thread that dies fails the files
 * it was hashing (their requests answer 500) and is started again for the next file.
 */
class HashThreads {
  private readonly workers = new Map<Algorithm, Worker>();
  private readonly files = new Map<number, FileListener>();
  private nextFile = 1;

  open(listener: FileListener): number {
    const file = this.nextFile++;
    this.files.set(file, listener);
    for (const algorithm of ALGORITHMS) this.worker(algorithm);
    this.holdProcess();
    return file;
  }

  block(file: number, block: SharedArrayBuffer, length: number): void {
    for (const algorithm of ALGORITHMS) this.worker(algorithm).postMessage({ type: 'block', file, block, length });
  }

  end(file: number): void {
    for (const algorithm of ALGORITHMS) this.worker(algorithm).postMessage({ type: 'end', file });
  }

  /** Forgets a file that will not end (its request failed). */
  drop(file: number): void {
    if (!this.files.delete(file)) return;
    for (const worker of this.workers.values()) worker.postMessage({ type: 'drop', file });
    this.holdProcess();
  }

  close(file: number): void {
    this.files.delete(file);
    this.holdProcess();
  }

  /** Threads keep the process alive while they have files to hash, and only then. */
  private holdProcess(): void {
    for (const worker of this.workers.values()) {
      if (this.files.size > 0) worker.ref();
      else worker.unref();
    }
  }

  private worker(algorithm: Algorithm): Worker {
    let worker = this.workers.get(algorithm);
    if (worker) return worker;
    worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { algorithm } });
    worker.on('message', (answer: WorkerAnswer) => {
      const listener = this.files.get(answer.file);
      if (answer.type === 'hashed') listener?.hashed(algorithm);
      else listener?.digest(algorithm, answer.hex);
    });
    const gone = (error: Error) => {
      if (this.workers.get(algorithm) !== worker) return;
      this.workers.delete(algorithm);
      const listeners = [...this.files.values()];
      this.files.clear();
      this.holdProcess();
      for (const listener of listeners) listener.failed(error);
    };
    worker.on('error', gone);
    worker.on('exit', (code) => gone(new Error(`the ${algorithm} hashing thread exited (code ${code})`)));
    this.workers.set(algorithm, worker);
    this.holdProcess();
    return worker;
  }
}

const threads = new HashThreads();

/**
 * A pass-through that hashes what flows through it as {@link HashingStream} does, but on three other threads (one
 * per algorithm), so that the three digests of a large file are computed at once and off the event loop. Chunks are
 * copied into shared blocks of 1 MiB, a ring of BLOCKS_IN_FLIGHT + 1 reused for the whole file; the stream holds its
 * source back while BLOCKS_IN_FLIGHT blocks wait for a thread, so memory stays constant whatever the size. Worth it
 * for large files only: a message to a thread costs more than hashing a few kilobytes.
 */
export class ThreadedHashingStream extends Transform {
  private readonly file: number;
  private readonly ring = Array.from({ length: BLOCKS_IN_FLIGHT + 1 }, () => new SharedArrayBuffer(BLOCK_BYTES));
  /** Blocks handed to the threads, and of those, how many each thread has hashed (each hashes them in order). */
  private sent = 0;
  private readonly hashedBy = new Map<Algorithm, number>(ALGORITHMS.map((a) => [a, 0]));
  private filled = 0;
  private waiting: (() => void) | null = null;
  private size = 0;
  private head: Buffer = Buffer.alloc(0);
  private readonly digests = new Map<Algorithm, string>();
  private readonly done: Promise<FileDigest>;
  private settle!: { resolve: (digest: FileDigest) => void; reject: (error: Error) => void };
  private failure: Error | null = null;

  constructor() {
    super();
    this.done = new Promise<FileDigest>((resolve, reject) => (this.settle = { resolve, reject }));
    this.done.catch(() => undefined); // read through digest(); a stream that fails reports it itself
    this.file = threads.open({
      hashed: (algorithm) => {
        this.hashedBy.set(algorithm, this.hashedBy.get(algorithm)! + 1);
        if (this.waiting && this.inFlight() < BLOCKS_IN_FLIGHT) this.wake();
      },
      digest: (algorithm, hex) => {
        this.digests.set(algorithm, hex);
        if (this.digests.size < ALGORITHMS.length) return;
        threads.close(this.file);
        this.settle.resolve({
          sha256: this.digests.get('sha256')!,
          sha1: this.digests.get('sha1')!,
          md5: this.digests.get('md5')!,
          size: this.size,
          head: this.head,
        });
      },
      failed: (error) => {
        this.failure = error;
        this.settle.reject(error);
        this.wake();
      },
    });
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.size += chunk.length;
    if (this.head.length < FILE_TYPE_HEAD_BYTES) {
      this.head = Buffer.concat([this.head, chunk.subarray(0, FILE_TYPE_HEAD_BYTES - this.head.length)]);
    }
    this.fill(chunk, 0, callback);
  }

  override _flush(callback: TransformCallback): void {
    if (this.failure) return callback(this.failure);
    if (this.filled > 0) this.send();
    threads.end(this.file);
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (!this.writableFinished) threads.drop(this.file);
    callback(error);
  }

  /** The digests, once the stream has ended. */
  digest(): Promise<FileDigest> {
    return this.done;
  }

  /** Copies `chunk` from `offset` into the ring, waiting for a free block when every other one is in flight. */
  private fill(chunk: Buffer, offset: number, callback: TransformCallback): void {
    while (offset < chunk.length) {
      if (this.failure) return callback(this.failure);
      if (this.filled === 0 && this.inFlight() >= BLOCKS_IN_FLIGHT) {
        this.waiting = () => this.fill(chunk, offset, callback);
        return;
      }
      const block = this.ring[this.sent % this.ring.length];
      const n = Math.min(chunk.length - offset, BLOCK_BYTES - this.filled);
      new Uint8Array(block, this.filled, n).set(chunk.subarray(offset, offset + n));
      this.filled += n;
      offset += n;
      if (this.filled === BLOCK_BYTES) this.send();
    }
    callback(null, chunk);
  }

  private inFlight(): number {
    return this.sent - Math.min(...this.hashedBy.values());
  }

  private wake(): void {
    const waiting = this.waiting;
    this.waiting = null;
    waiting?.();
  }

  private send(): void {
    threads.block(this.file, this.ring[this.sent % this.ring.length], this.filled);
    this.sent++;
    this.filled = 0;
  }
}
