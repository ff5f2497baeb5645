import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { detectFileType, SampleType } from './file-type';
import { HashingStream } from './hashing-stream';

/** A file received or unpacked during one submission, kept in a private temporary folder until stored. */
export interface SpooledFile {
  /** Where the bytes are on local disk (a random name: entry names never become paths). */
  path: string;
  /** The name the customer gave (upload file name, or the entry name inside an archive). */
  fileName: string;
  /** For a file taken out of an archive: the archive's name and the entry path, e.g. `samples.zip!dir/a.exe`. */
  archivePath?: string;
  sha256: string;
  sha1: string;
  md5: string;
  size: number;
  type: SampleType;
}

/** Streams `source` to a new file in `dir`, hashing on the way. */
export async function spoolToFile(
  source: Readable | AsyncIterable<Uint8Array>,
  dir: string,
  fileName: string,
): Promise<SpooledFile> {
  const path = join(dir, randomUUID());
  const hasher = new HashingStream();
  await pipeline(source, hasher, createWriteStream(path, { flags: 'wx', mode: 0o600 }));
  const digest = hasher.digest();
  return {
    path,
    fileName,
    sha256: digest.sha256,
    sha1: digest.sha1,
    md5: digest.md5,
    size: digest.size,
    type: detectFileType(digest.head),
  };
}
