import { Transform, TransformCallback, type Readable } from 'node:stream';
import type { FastifyRequest } from 'fastify';
import { AppError } from '@sigdesk/http';
import { sampleFileName } from '../files/sample-names';
import { SpooledFile, spoolToFile, SpoolOptions } from '../files/spool';
import { BodyPrefix, firstFileSize } from './body-prefix';

/** How often a file part is checked for a body cut short inside it. */
const STALL_CHECK_MS = 250;

/**
 * Header pairs read from each part; a part has two or three (disposition, type, encoding). The parser bounds a
 * part's header block at 16 KiB whatever this says, and refuses more as a malformed body.
 */
const PART_HEADER_PAIRS = 16;

/**
 * From this size on, a body's first file part is copied to a staging object while it arrives: below it, the staging
 * object's requests (list, PUT, copy, delete) cost more than the overlap saves.
 */
export const LARGE_UPLOAD_BYTES = 4 * 1024 * 1024;

export interface MultipartLimits {
  maxFileBytes: number;
  maxFiles: number;
  maxFields: number;
  maxFieldBytes: number;
  /** the whole body: every file part together, as declared by Content-Length and as counted while read */
  maxUploadBytes: number;
}

export interface MultipartSubmission {
  fields: Record<string, string>;
  files: SpooledFile[];
}

export interface MultipartReading {
  /** The name of the file parts; a file part of another name is refused. */
  fileField: string;
  /** The folder file parts are spooled to, asked for only when the first file part arrives (after `beforeFiles`). */
  spoolDir: () => Promise<string>;
  /**
   * Checks the fields before any byte of a file is read: called once, at the first file part (with the fields
   * sent before it), or at the end of a body without files. What it throws refuses the request at once.
   */
  beforeFiles?: (fields: Record<string, string>) => Promise<void>;
  /**
   * Copies the first file part to object storage while it is received, when its size can be told in advance:
   * when it is the last part of a body whose Content-Length is given, its size follows from where its content
   * begins. Called then, with that size; what it gives decides, on the file's first bytes, whether and where.
   * A file of another size (it was not the last part after all) is not copied, and says so (`staged.stored`).
   */
  stage?: (size: number) => SpoolOptions['stage'];
}

/**
 * Reads a multipart request part by part: fields into memory (small and bounded), each file part streamed
 * to the spool folder while it is hashed. Nothing here is stored anywhere that outlives the request.
 */
export async function readMultipart(
  request: FastifyRequest,
  limits: MultipartLimits,
  reading: MultipartReading,
): Promise<MultipartSubmission> {
  const { fileField } = reading;
  if (!request.isMultipart()) {
    throw new AppError(
      415,
      'not_multipart',
      'Send the submission as multipart/form-data, with the sample as a file part.',
    );
  }
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > limits.maxUploadBytes) throw uploadTooLarge(limits.maxUploadBytes);

  const fields: Record<string, string> = Object.create(null) as Record<string, string>;
  const files: SpooledFile[] = [];
  const budget = { remaining: limits.maxUploadBytes };
  let checked = false;
  let fieldCount = 0;
  let partCount = 0;
  const prefix = reading.stage && Number.isFinite(declared) ? new BodyPrefix() : undefined;
  const checkFields = async () => {
    if (checked) return;
    checked = true;
    await reading.beforeFiles?.(fields);
  };
  try {
    const parts = request.parts({
      limits: {
        fileSize: limits.maxFileBytes,
        files: limits.maxFiles,
        // one more than allowed, refused below as it arrives: the parser would skip it silently and report the
        // count only after the parts already read (a file part and its checks could come first)
        fields: limits.maxFields + 1,
        fieldSize: limits.maxFieldBytes,
        parts: limits.maxFiles + limits.maxFields,
        headerPairs: PART_HEADER_PAIRS,
      },
    });
    const iterator = parts[Symbol.asyncIterator]();
    // the first step starts the parser, which pipes the body into itself: the prefix is read alongside from now
    let step = iterator.next();
    prefix?.attach(request.raw);
    for (let result = await step; !result.done; result = await step) {
      const part = result.value;
      partCount++;
      if (part.type === 'file') {
        if (part.fieldname !== fileField) {
          part.file.resume();
          throw AppError.badRequest(
            'unexpected_file',
            `Files go in parts named "${fileField}"; this request has one named "${part.fieldname}".`,
          );
        }
        try {
          await checkFields();
        } catch (error) {
          part.file.resume();
          throw error;
        }
        const dir = await reading.spoolDir();
        let stage: SpoolOptions['stage'];
        if (prefix && files.length === 0) {
          const size = firstFileSize(prefix.detach(), request.headers['content-type'] ?? '', partCount, declared);
          if (size !== null && size >= LARGE_UPLOAD_BYTES && size <= limits.maxFileBytes) stage = reading.stage?.(size);
        }
        const spooled = await untilStalled(
          request,
          part.file,
          spoolToFile(part.file, dir, sampleFileName(part.filename), {
            meter: meter(budget, limits.maxUploadBytes),
            stage,
          }),
        );
        if (part.file.truncated) throw fileTooLarge(limits.maxFileBytes);
        files.push(spooled);
      } else {
        if (part.fieldnameTruncated || part.valueTruncated) {
          throw AppError.tooLarge(
            'field_too_large',
            `The field "${part.fieldname}" is longer than ${limits.maxFieldBytes} bytes.`,
            { maxFieldBytes: limits.maxFieldBytes },
          );
        }
        if (++fieldCount > limits.maxFields) throw tooManyFields(limits.maxFields);
        if (part.fieldname in fields) {
          throw AppError.badRequest('duplicate_field', `The field "${part.fieldname}" appears more than once.`);
        }
        fields[part.fieldname] = String(part.value);
      }
      step = iterator.next();
    }
  } catch (error) {
    throw translateMultipartError(error, limits);
  } finally {
    prefix?.detach();
  }
  await checkFields();
  return { fields, files };
}

/** Counts the bytes of every file part of a request against the upload's bound, and fails past it. */
function meter(budget: { remaining: number }, maxUploadBytes: number): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
      budget.remaining -= chunk.length;
      if (budget.remaining < 0) callback(uploadTooLarge(maxUploadBytes));
      else callback(null, chunk);
    },
  });
}

function tooManyFields(maxFields: number) {
  return AppError.badRequest('too_many_fields', `A request takes at most ${maxFields} fields.`, { maxFields });
}

function uploadTooLarge(maxUploadBytes: number) {
  return AppError.tooLarge(
    'upload_too_large',
    `The request is larger than the ${formatBytes(maxUploadBytes)} one upload may have. Send the samples in several requests.`,
    { maxUploadBytes },
  );
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
      return AppError.badRequest('too_many_files', `A request takes at most ${limits.maxFiles} files.`, {
        maxFiles: limits.maxFiles,
      });
    case 'FST_FIELDS_LIMIT':
      return tooManyFields(limits.maxFields);
    case 'FST_PARTS_LIMIT':
      return AppError.badRequest('too_many_parts', 'The request has more parts than it can have.', {
        maxParts: limits.maxFiles + limits.maxFields,
      });
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
