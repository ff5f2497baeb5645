import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { transportError } from './api';
import { CliError, Output } from './io';
import { Progress } from './progress';

/** The storage server refused a download; 403 is what an expired presigned URL gets. */
export class DownloadError extends CliError {
  constructor(
    readonly status: number,
    name: string,
  ) {
    super('download_failed', `Downloading ${name} failed: the storage server answered ${status}.`);
  }
}

/**
 * Streams `url` to `path` (never whole in memory), through `path.part` renamed at the end: a file under its final
 * name is always complete. The URL is presigned: no API key is sent to the storage server.
 */
export async function downloadTo(
  url: string,
  path: string,
  options: { label: string; progress: Output; signal?: AbortSignal },
): Promise<number> {
  let response: Response;
  try {
    response = await fetch(url, { signal: options.signal });
  } catch (error) {
    throw transportError(error, new URL(url), options.signal);
  }
  if (!response.ok || !response.body) {
    await response.body?.cancel().catch(() => undefined);
    throw new DownloadError(response.status, options.label);
  }
  // a compressed transfer's content-length counts the compressed bytes, not what is written
  const length = response.headers.get('content-encoding') ? null : response.headers.get('content-length');
  const total = length && /^\d+$/.test(length) ? Number(length) : undefined;
  const progress = new Progress(options.progress, options.label, total);
  const partial = `${path}.part`;
  let bytes = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      bytes += chunk.length;
      progress.update(bytes);
      callback(null, chunk);
    },
  });
  try {
    await pipeline(
      Readable.fromWeb(response.body as unknown as WebReadableStream<Uint8Array>),
      counter,
      createWriteStream(partial),
      { signal: options.signal },
    );
    await rename(partial, path);
  } catch (error) {
    progress.fail();
    await rm(partial, { force: true });
    if (options.signal?.aborted) throw new CliError('interrupted', `Stopped while downloading ${options.label}.`);
    if (error instanceof CliError) throw error;
    throw new CliError('download_failed', `Downloading ${options.label} failed: ${(error as Error).message}`);
  }
  progress.done(bytes);
  return bytes;
}
