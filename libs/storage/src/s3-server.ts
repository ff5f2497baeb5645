import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import S3rver from 's3rver';
import {
  CHALLENGE_HEADER,
  PROOF_HEADER,
  S3Credentials,
  serverProof,
  sha256Hex,
  SignatureRefusal,
  UNSIGNED_PAYLOAD,
  verifySignatureV4,
} from './s3-signature';

/**
 * Node's http server closes a keep-alive connection after 5 s idle by default. The S3 client reuses idle sockets;
 * when its event loop lags, it can send a request on a socket that the server has just closed, and a streamed PUT
 * (which the SDK never retries) fails with ECONNRESET (3 failures in 163 under load). So the server keeps idle
 * connections well past the client's own idle timeout (`CLIENT_IDLE_SOCKET_MS` in s3-client.factory.ts, 30 s): the
 * client is always the one to close an idle connection. `headersTimeout` must stay above `keepAliveTimeout`.
 */
export const S3_SERVER_KEEP_ALIVE_MS = 65_000;
const HEADERS_TIMEOUT_MS = 66_000;
/** How long `close()` lets requests in flight finish before it cuts their connections. */
const CLOSE_GRACE_MS = 5_000;
/**
 * A body whose SHA-256 is signed is read and checked before s3rver stores anything, so it is held in memory: the SDK
 * signs the hash of buffers only (parts of 8 MiB at most); streams go as UNSIGNED-PAYLOAD.
 */
const MAX_HASHED_BODY_BYTES = 64 * 1024 * 1024;

export interface S3ServerOptions {
  /** Where the buckets and objects are kept. */
  directory: string;
  /** A port on 127.0.0.1; 0 for a free one. */
  port: number;
  region: string;
  /** The only key pair whose signatures are accepted. */
  credentials: S3Credentials;
  /** Refused requests and server errors; the default says nothing. */
  warn?: (message: string) => void;
}

export interface S3Server {
  endpoint: string;
  port: number;
  close(): Promise<void>;
}

/** The parts of s3rver's Koa context that the signature check uses. */
interface KoaContext {
  req: IncomingMessage | Readable;
  status: number;
  type: string;
  body: unknown;
  set(name: string, value: string): void;
}
type KoaMiddleware = (ctx: KoaContext, next: () => Promise<void>) => Promise<void>;

/** s3rver's own table of accounts: its routes look the access key up again after the check here. */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const s3rverAccounts = require('s3rver/lib/models/account') as {
  DUMMY_ACCOUNT: { createKeyPair(accessKeyId: string, secretAccessKey: string): void };
};

function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

function respondRefusal(ctx: KoaContext, refusal: Pick<SignatureRefusal, 'status' | 'code' | 'message'>): void {
  ctx.status = refusal.status;
  ctx.type = 'application/xml';
  ctx.body =
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<Error><Code>${escapeXml(refusal.code)}</Code><Message>${escapeXml(refusal.message)}</Message></Error>`;
  // the body of a refused request is not read: the connection goes rather than the rest of it being waited for
  ctx.set('Connection', 'close');
}

/** The body, when it is at most `limit` bytes; null past it. */
async function readBody(request: IncomingMessage, limit: number): Promise<Buffer | null> {
  const declared = Number(request.headers['content-length'] ?? 0);
  if (declared > limit) return null;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) return null;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/**
 * Every request must carry a valid Signature Version 4 by `credentials`; a body whose hash is signed must have that
 * hash. Runs before any of s3rver's own middleware, so nothing is read, listed or stored for a refused request.
 */
function signatureCheck(options: S3ServerOptions): KoaMiddleware {
  const keys = new Map([[options.credentials.accessKeyId, options.credentials.secretAccessKey]]);
  return async (ctx, next) => {
    const request = ctx.req as IncomingMessage;
    const verdict = verifySignatureV4(
      { method: request.method ?? '', url: request.url ?? '', rawHeaders: request.rawHeaders },
      keys,
      options.region,
    );
    if (!verdict.ok) {
      options.warn?.(
        `the S3 server refused ${request.method} ${(request.url ?? '').split('?')[0]} from ` +
          `${request.socket.remoteAddress}: ${verdict.code} (${verdict.message})`,
      );
      return respondRefusal(ctx, verdict);
    }
    const challenge = request.headers[CHALLENGE_HEADER];
    if (typeof challenge === 'string')
      ctx.set(PROOF_HEADER, serverProof(options.credentials.secretAccessKey, challenge));
    if (verdict.payloadHash !== UNSIGNED_PAYLOAD) {
      const body = await readBody(request, MAX_HASHED_BODY_BYTES);
      if (!body) {
        return respondRefusal(ctx, {
          status: 400,
          code: 'EntityTooLarge',
          message: `A body over ${MAX_HASHED_BODY_BYTES} bytes must be sent as UNSIGNED-PAYLOAD.`,
        });
      }
      if (sha256Hex(body) !== verdict.payloadHash) {
        return respondRefusal(ctx, {
          status: 400,
          code: 'XAmzContentSHA256Mismatch',
          message: "The provided 'x-amz-content-sha256' header does not match what was computed.",
        });
      }
      // s3rver reads the body from ctx.req: it gets the bytes that were checked
      ctx.req = Readable.from(body.length ? [body] : [], { objectMode: false });
    }
    await next();
  };
}

/**
 * An S3 server (s3rver) on 127.0.0.1 only, that answers only requests signed (AWS Signature Version 4, in the
 * Authorization header or a presigned URL) with `credentials`. s3rver alone checks no V4 signature and serves
 * anonymous requests. A signed request with an `x-sigdesk-challenge` header gets the server's proof that it knows the
 * secret (`x-sigdesk-proof`, see `serverProof`). Rejects when it cannot listen (the error keeps its `code`, e.g. EADDRINUSE); never leaves an
 * 'error' event unhandled.
 */
export async function startS3Server(options: S3ServerOptions): Promise<S3Server> {
  mkdirSync(options.directory, { recursive: true });
  const app = new S3rver({ directory: options.directory, silent: true, vhostBuckets: false });
  s3rverAccounts.DUMMY_ACCOUNT.createKeyPair(options.credentials.accessKeyId, options.credentials.secretAccessKey);
  (app as unknown as { middleware: KoaMiddleware[] }).middleware.unshift(signatureCheck(options));
  const koa = app as unknown as {
    on(event: 'error', listener: (error: Error & { status?: number }) => void): void;
    logger: { close(): void };
  };
  // s3rver answers its errors itself; what is a fault of the server is worth a line
  koa.on('error', (error) => {
    if ((error.status ?? 500) >= 500) options.warn?.(`the S3 server failed a request: ${error.stack ?? String(error)}`);
  });

  const handle = app.callback() as (req: IncomingMessage, res: ServerResponse) => void;
  const server: Server = createServer(handle);
  server.keepAliveTimeout = S3_SERVER_KEEP_ALIVE_MS;
  server.headersTimeout = HEADERS_TIMEOUT_MS;

  const port = await new Promise<number>((resolve, reject) => {
    const failed = (error: NodeJS.ErrnoException) => {
      server.removeListener('listening', listening);
      reject(
        Object.assign(new Error(`the S3 server cannot listen on 127.0.0.1:${options.port}: ${error.message}`), {
          code: error.code,
          cause: error,
        }),
      );
    };
    const listening = () => {
      server.removeListener('error', failed);
      resolve((server.address() as AddressInfo).port);
    };
    server.once('error', failed);
    server.once('listening', listening);
    server.listen(options.port, '127.0.0.1');
  }).catch((error: unknown) => {
    koa.logger.close();
    throw error;
  });
  // later errors of the listening socket (too many open files on accept, ...) are reported, never thrown
  server.on('error', (error) => options.warn?.(`the S3 server: ${error.message}`));

  let closing: Promise<void> | undefined;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        const cut = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS);
        server.close(() => {
          clearTimeout(cut);
          koa.logger.close();
          resolve();
        });
        server.closeIdleConnections();
      })),
  };
}
