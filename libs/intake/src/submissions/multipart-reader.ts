import type { Readable } from 'node:stream';
import type { FastifyRequest } from 'fastify';
import { AppError } from '@sigdesk/http';
import { sampleFileName } from '../files/sample-names';
import { SpooledFile, spoolToFile } from '../files/spool';

/** How often a file part is checked for a body cut short inside it. */
const STALL_CHECK_MS = 250;

export interface MultipartLimits {
  maxFileBytes: number;
  maxFiles: number;
  maxFields: number;
  maxFieldBytes: number;
}

export interface MultipartSubmission {
  fields: Record<string, string>;
  files: SpooledFile[];
}

/**
 * Reads a multipart request part by part: fields into memory (small and bounded), each file part streamed
 * to `dir` while it is hashed. Nothing here is stored anywhere that outlives the request.
 */
export async function readMultipart(
  request: FastifyRequest,
  dir: string,
  limits: MultipartLimits,
  fileField: string,
): Promise<MultipartSubmission> {
  if (!request.isMultipart()) {
    throw new AppError(
      415,
      'not_multipart',
      'Send the submission as multipart/form-data, with the sample as a file part.',
    );
  }
  const fields: Record<string, string> = Object.create(null) as Record<string, string>;
  const files: SpooledFile[] = [];
  try {
    const parts = request.parts({
      limits: {
        fileSize: limits.maxFileBytes,
        files: limits.maxFiles,
        fields: limits.maxFields,
        fieldSize: limits.maxFieldBytes,
        parts: limits.maxFiles + limits.maxFields,
        headerPairs: 100,
      },
    });
    for await (const part of parts) {
      if (part.type === 'file') {
        if (part.fieldname !== fileField) {
          part.file.resume();
          throw AppError.badRequest(
            'unexpected_file',
            `Files go in parts named "${fileField}"; this request has one named "${part.fieldname}".`,
          );
        }
        const spooled = await untilStalled(
          request,
          part.file,
          spoolToFile(part.file, dir, sampleFileName(part.filename)),
        );
        if (part.file.truncated) throw fileTooLarge(limits.maxFileBytes);
        files.push(spooled);
      } else {
        if (part.fieldnameTruncated || part.valueTruncated) {
          throw AppError.tooLarge(
            'field_too_large',
            `The field "${part.fieldname}" is longer than ${limits.maxFieldBytes} bytes.`,
          );
        }
        if (part.fieldname in fields) {
          throw AppError.badRequest('duplicate_field', `The field "${part.fieldname}" appears more than once.`);
        }
        fields[part.fieldname] = String(part.value);
      }
    }
  } catch (error) {
    throw translateMultipartError(error, limits);
  }
  return { fields, files };
}

/**
 * The multipart parser reports a body cut short inside a file ("part terminated early") as an 'error' event on
 * the file stream, which may fire before anyone listens and then leaves the stream neither ended nor destroyed.
 * So once the whole request has arrived, a file stream that its consumer is pulling from (flowing: spoolToFile
 * pipes it), with nothing left to give, that still has not ended is treated as malformed instead of waited on
 * forever. A file stream its consumer holds back (paused: the hashing or the disk is behind) is waiting on the
 * consumer, not on the request: its buffer may be empty with its end already read by the parser but not yet
 * delivered, which is not a truncated body.
 */
async function untilStalled<T>(
  request: FastifyRequest,
  file: Pick<Readable, 'readableLength' | 'readableEnded' | 'readableFlowing'>,
  work: Promise<T>,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const stalled = new Promise<never>((_, reject) => {
    timer = setInterval(() => {
      const raw = request.raw;
      const received = raw.complete || raw.readableEnded || raw.destroyed;
      if (received && file.readableFlowing === true && !file.readableEnded && file.readableLength === 0) {
        reject(new Error('Part terminated early due to unexpected end of multipart data'));
      }
    }, STALL_CHECK_MS);
  });
  try {
    return await Promise.race([work, stalled]);
  } finally {
    clearInterval(timer);
  }
}

function fileTooLarge(maxFileBytes: number) {
  return AppError.tooLarge(
    'sample_too_large',
    `A sample is larger than the ${formatBytes(maxFileBytes)} accepted. Compress it in a ZIP protected with "infected", or contact support.`,
    { maxSampleBytes: maxFileBytes },
  );
}

function translateMultipartError(error: unknown, limits: MultipartLimits): unknown {
  if (error instanceof AppError) return error;
  const code = (error as { code?: string }).code;
  switch (code) {
    case 'FST_REQ_FILE_TOO_LARGE':
      return fileTooLarge(limits.maxFileBytes);
    case 'FST_FILES_LIMIT':
      return AppError.tooLarge('too_many_files', `A submission takes at most ${limits.maxFiles} files.`, {
        maxFiles: limits.maxFiles,
      });
    case 'FST_FIELDS_LIMIT':
    case 'FST_PARTS_LIMIT':
      return AppError.tooLarge('too_many_parts', 'The request has more fields or parts than a submission can have.');
    case 'FST_PROTO_VIOLATION':
      return AppError.badRequest('invalid_field_name', 'A field name is not allowed.');
    case 'FST_INVALID_MULTIPART_CONTENT_TYPE':
      return new AppError(415, 'not_multipart', 'Send the submission as multipart/form-data.');
    case 'ERR_STREAM_PREMATURE_CLOSE':
      // the parser destroys the file part it is in when the body ends inside it
      return AppError.badRequest('malformed_multipart', 'The multipart body ended inside a file part.');
  }
  if (error instanceof Error && /multipart|boundary|unexpected end|malformed|part terminated/i.test(error.message)) {
    return AppError.badRequest('malformed_multipart', `The multipart body could not be read: ${error.message}.`);
  }
  return error;
}

export function formatBytes(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${Number.isInteger(value) ? value : value.toFixed(1)} ${units[unit]}`;
}
