import { S3Client } from '@aws-sdk/client-s3';

export interface S3Settings {
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
}

/**
 * How long the client keeps an idle connection for reuse. A server closes idle connections too (node's default: after
 * 5 s); a request sent on a connection the server is closing fails with ECONNRESET, and a streamed upload is never
 * retried. So the client closes first: after this long, or one second before the `Keep-Alive: timeout=N` that the
 * server announces when that is shorter (node's agent does that only when it has an idle timeout of its own). The
 * embedded S3 server keeps idle connections for 65 s (s3-server.ts).
 */
export const CLIENT_IDLE_SOCKET_MS = 30_000;

/**
 * The one place an S3 client is made. Checksums only when the operation requires them: the SDK's default
 * CRC32 trailers corrupt streamed uploads on some S3-compatible servers (s3rver among them).
 */
export function createS3Client(settings: S3Settings): S3Client {
  const client = new S3Client({
    endpoint: settings.endpoint,
    region: settings.region,
    forcePathStyle: true,
    credentials: { accessKeyId: settings.accessKeyId, secretAccessKey: settings.secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    requestHandler: { httpAgent: { timeout: CLIENT_IDLE_SOCKET_MS } },
  });
  // Every error of this client carries the SDK's `$metadata`, as the SDK's retry step gives it to the errors it
  // retried: a streamed upload is never retried, and its network errors would come out bare, alike the database's.
  // The HTTP error filter tells a storage outage (503, dependency "storage") by it.
  client.middlewareStack.add(
    (next) => async (args) => {
      try {
        return await next(args);
      } catch (error) {
        if (typeof error === 'object' && error !== null && !('$metadata' in error) && Object.isExtensible(error)) {
          Object.assign(error, { $metadata: {} });
        }
        throw error;
      }
    },
    { step: 'initialize', priority: 'high', name: 'errorMetadata' },
  );
  return client;
}
