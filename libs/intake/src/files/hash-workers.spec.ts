import { randomBytes } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ThreadedHashingStream } from './hash-workers';
import { HashingStream } from './hashing-stream';

const sink = () =>
  new Writable({
    write(_chunk, _encoding, callback) {
      callback();
    },
  });

function* chunked(data: Buffer, sizes: number[]) {
  for (let offset = 0, i = 0; offset < data.length; i++) {
    const size = sizes[i % sizes.length];
    yield data.subarray(offset, offset + size);
    offset += size;
  }
}

describe(ThreadedHashingStream.name, () => {
  it.each([
    ['an empty file', 0, [1]],
    ['a few bytes', 17, [5]],
    ['one block exactly', 1024 * 1024, [64 * 1024]],
    ['many blocks in small chunks', 13 * 1024 * 1024 + 3, [65_536, 1, 100_000]],
    ['chunks larger than a block', 11 * 1024 * 1024 + 11, [3 * 1024 * 1024 + 1]],
  ])('gives the digests, size and head of the thread-local hashing for %s', async (_name, size, sizes) => {
    const data = randomBytes(size);
    const inline = new HashingStream();
    await pipeline(Readable.from(chunked(data, sizes)), inline, sink());
    const sut = new ThreadedHashingStream();

    await pipeline(Readable.from(chunked(data, sizes)), sut, sink());

    expect(await sut.digest()).toEqual(inline.digest());
  });

  it('hashes files sent at the same time apart', async () => {
    const files = [randomBytes(3 * 1024 * 1024 + 5), randomBytes(2 * 1024 * 1024 + 9)];
    const streams = files.map(() => new ThreadedHashingStream());

    await Promise.all(files.map((data, i) => pipeline(Readable.from(chunked(data, [70_000])), streams[i], sink())));

    for (const [i, data] of files.entries()) {
      const inline = new HashingStream();
      await pipeline(Readable.from([data]), inline, sink());
      expect(await streams[i].digest()).toEqual(inline.digest());
    }
  });
});
