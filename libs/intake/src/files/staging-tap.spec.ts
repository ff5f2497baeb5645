import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ExactLength, StagingTap } from './staging-tap';

async function collect(source: Iterable<Buffer>, through: ExactLength): Promise<Buffer> {
  const out: Buffer[] = [];
  await pipeline(
    Readable.from(source),
    through,
    new Writable({
      write(chunk: Buffer, _encoding, callback) {
        out.push(chunk);
        callback();
      },
    }),
  );
  return Buffer.concat(out);
}

describe(ExactLength.name, () => {
  it('passes a body of exactly the announced size', async () => {
    const parts = [Buffer.from('abc'), Buffer.from('defg')];
    expect((await collect(parts, new ExactLength(7))).toString()).toBe('abcdefg');
  });

  it('fails a longer body before its last bytes pass', async () => {
    const passed: Buffer[] = [];
    const sut = new ExactLength(5);
    sut.on('data', (chunk: Buffer) => passed.push(chunk));
    await expect(pipeline(Readable.from([Buffer.from('abc'), Buffer.from('def')]), sut)).rejects.toThrow(/longer/);
    expect(Buffer.concat(passed).length).toBeLessThan(5);
  });

  it('never gives all the bytes of a shorter body', async () => {
    const passed: Buffer[] = [];
    const sut = new ExactLength(10);
    sut.on('data', (chunk: Buffer) => passed.push(chunk));
    await expect(pipeline(Readable.from([Buffer.from('abc'), Buffer.from('def')]), sut)).rejects.toThrow(/6 bytes/);
    expect(Buffer.concat(passed).toString()).toBe('abc');
  });
});

describe(StagingTap.name, () => {
  it('copies every byte and ends the copy, and passes the file on unchanged', async () => {
    const copied: Buffer[] = [];
    let ended = false;
    let head: Buffer | undefined;
    const copy = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        copied.push(chunk);
        callback();
      },
      final(callback) {
        ended = true;
        callback();
      },
    });
    const sut = new StagingTap((first) => ((head = first), copy));
    const parts = [Buffer.from('P'), Buffer.from('K'), Buffer.alloc(100, 1)];
    const out: Buffer[] = [];

    await pipeline(Readable.from(parts), sut, async (source: AsyncIterable<Buffer>) => {
      for await (const chunk of source) out.push(chunk);
    });
    await new Promise((resolve) => setImmediate(resolve));

    expect(Buffer.concat(out)).toEqual(Buffer.concat(parts));
    expect(Buffer.concat(copied)).toEqual(Buffer.concat(parts));
    expect(head?.length).toBeGreaterThanOrEqual(30);
    expect(ended).toBe(true);
  });

  it('goes on without a copy that fails', async () => {
    const copy = new Writable({
      write(_chunk, _encoding, callback) {
        callback(new Error('storage failed'));
      },
    });
    const sut = new StagingTap(() => copy);
    const out: Buffer[] = [];

    await pipeline(Readable.from([Buffer.alloc(40), Buffer.alloc(40), Buffer.alloc(40)]), sut, async (source) => {
      for await (const chunk of source as AsyncIterable<Buffer>) out.push(chunk);
    });

    expect(Buffer.concat(out).length).toBe(120);
    expect(copy.destroyed).toBe(true);
  });

  it('destroys the copy of a file that fails', async () => {
    const copy = new Writable({
      write(_chunk, _encoding, callback) {
        callback();
      },
    });
    const sut = new StagingTap(() => copy);
    async function* failing() {
      yield Buffer.alloc(64);
      throw new Error('cut short');
    }

    await expect(
      pipeline(Readable.from(failing()), sut, new Writable({ write: (_c, _e, cb) => cb() })),
    ).rejects.toThrow('cut short');

    expect(copy.destroyed).toBe(true);
  });
});
