import fastifyMultipart from '@fastify/multipart';
import fastify, { FastifyInstance } from 'fastify';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Transform, TransformCallback } from 'node:stream';
import { AppError } from '@sigdesk/http';
import type { SpoolOptions } from '../files/spool';
import { readMultipart } from './multipart-reader';

/**
 * The consumer of each file part, made slow on demand: when `consumer.slow`, spoolToFile reads the part through a
 * pass-through that holds each chunk for `consumer.holdMs` before handing it on (the hashing or the disk falling
 * behind), and whose buffer is one byte, so that every chunk it takes holds the part back.
 */
const consumer = {
  slow: false,
  holdMs: 0,
  /** Bytes handed on to the real spooling so far. */
  passed: 0,
  /** The file part being consumed. */
  source: undefined as Readable | undefined,
};

jest.mock('../files/spool', () => {
  const actual = jest.requireActual<typeof import('../files/spool')>('../files/spool');
  return {
    ...actual,
    spoolToFile: (source: Readable, dir: string, fileName: string, options?: SpoolOptions) => {
      consumer.source = source;
      if (!consumer.slow) return actual.spoolToFile(source, dir, fileName, options);
      const slow = new Transform({
        highWaterMark: 1,
        transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
          const handOn = () => {
            consumer.passed += chunk.length;
            callback(null, chunk);
          };
          if (consumer.holdMs > 0) setTimeout(handOn, consumer.holdMs);
          else handOn();
        },
      });
      return actual.spoolToFile(source.pipe(slow), dir, fileName, options);
    },
  };
});

const BOUNDARY = 'test-boundary';
const LIMITS = {
  maxFileBytes: 64 * 1024 * 1024,
  maxFiles: 5,
  maxFields: 10,
  maxFieldBytes: 1024,
  maxUploadBytes: 256 * 1024 * 1024,
};

function filePartHead(fileName: string, first = true): Buffer {
  return Buffer.from(
    `${first ? '' : '\r\n'}--${BOUNDARY}\r\nContent-Disposition: form-data; name="sample"; filename="${fileName}"\r\n` +
      'Content-Type: application/octet-stream\r\n\r\n',
  );
}
const CLOSING = Buffer.from(`\r\n--${BOUNDARY}--\r\n`);

interface Answer {
  status: number;
  body: { error?: string; files?: Array<{ size: number; sha256: string }> };
}

describe(readMultipart.name, () => {
  let server: FastifyInstance;
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sigdesk-multipart-spec-'));
    server = fastify();
    await server.register(fastifyMultipart);
    server.post('/upload', async (request, reply) => {
      try {
        const upload = await readMultipart(request, LIMITS, {
          fileField: 'sample',
          spoolDir: () => Promise.resolve(dir),
        });
        return { files: upload.files.map((f) => ({ size: f.size, sha256: f.sha256 })) };
      } catch (error) {
        if (error instanceof AppError) return reply.status(error.getStatus()).send({ error: error.code });
        return reply.status(500).send({ error: 'unexpected' });
      }
    });
    await server.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await server?.close();
    await rm(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    consumer.slow = false;
    consumer.holdMs = 0;
    consumer.passed = 0;
    consumer.source = undefined;
  });

  /**
   * Sends a multipart body in pieces, each after `before` (if given) has resolved: like a client on a network,
   * slower than the server's disk. The body's length is announced in full, whatever is sent.
   */
  function send(pieces: Array<{ bytes: Buffer; before?: () => Promise<void> }>, contentLength?: number) {
    const length = contentLength ?? pieces.reduce((sum, p) => sum + p.bytes.length, 0);
    const { port } = server.server.address() as AddressInfo;
    return new Promise<Answer>((resolve, reject) => {
      const req = httpRequest(
        {
          host: '127.0.0.1',
          port,
          path: '/upload',
          method: 'POST',
          agent: false,
          headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}`, 'content-length': length },
        },
        (res) => {
          let text = '';
          res.on('data', (chunk: Buffer) => (text += chunk.toString()));
          res.on('end', () => {
            req.destroy(); // a body cut short is never finished
            resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Answer['body'] });
          });
        },
      );
      req.on('error', reject);
      void (async () => {
        for (const piece of pieces) {
          await piece.before?.();
          req.write(piece.bytes);
        }
      })().catch(reject);
    });
  }

  /** Resolves once the consumer has taken `bytes` and pulls from the part again (its buffer drained). */
  async function consumerCaughtUp(bytes: number): Promise<void> {
    while (consumer.passed < bytes || consumer.source?.readableFlowing !== true) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  it('reads a whole file whose consumer falls behind after the body has arrived', async () => {
    // 16 MiB arrive and are consumed; then the last bytes and the closing boundary arrive while the consumer
    // holds each chunk for a second: the part's buffer is empty, its end read by the parser but not yet delivered
    consumer.slow = true;
    const bulk = Buffer.alloc(16 * 1024 * 1024, 0x5a);
    const last = Buffer.alloc(1024, 0xa5);
    const res = await send([
      { bytes: Buffer.concat([filePartHead('big.bin'), bulk]) },
      {
        bytes: Buffer.concat([last, CLOSING]),
        before: async () => {
          await consumerCaughtUp(bulk.length);
          consumer.holdMs = 1_000;
        },
      },
    ]);
    expect(res).toEqual({
      status: 200,
      body: {
        files: [
          {
            size: bulk.length + last.length,
            sha256: createHash('sha256').update(bulk).update(last).digest('hex'),
          },
        ],
      },
    });
  });

  it('refuses a body cut short inside a file with 400 rather than waiting for it, with a slow consumer too', async () => {
    for (const holdMs of [0, 100]) {
      consumer.slow = holdMs > 0;
      consumer.holdMs = holdMs;
      for (const size of [3, 300_000]) {
        const res = await send([{ bytes: filePartHead('cut.bin') }, { bytes: Buffer.alloc(size, 1) }]);
        expect({ holdMs, size, ...res }).toEqual({ holdMs, size, status: 400, body: { error: 'malformed_multipart' } });
      }
    }
  });

  it('refuses a body cut short inside its second file with 400', async () => {
    const res = await send([
      { bytes: filePartHead('first.bin') },
      { bytes: Buffer.alloc(200_000, 2) },
      { bytes: filePartHead('second.bin', false) },
      { bytes: Buffer.alloc(300_000, 3) },
    ]);
    expect(res).toEqual({ status: 400, body: { error: 'malformed_multipart' } });
  });
});
