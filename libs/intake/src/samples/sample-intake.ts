import { Injectable } from '@nestjs/common';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyRequest } from 'fastify';
import { CasesRepository } from '@sigdesk/cases';
import { AppConfig } from '@sigdesk/config';
import { AppError } from '@sigdesk/http';
import { ObjectStore, StorageKeys } from '@sigdesk/storage';
import { ArchiveError } from '../archive/archive-error';
import { isProtectedZip, unpackProtectedZip } from '../archive/protected-zip';
import type { SpooledFile } from '../files/spool';
import { MultipartSubmission, readMultipart } from '../submissions/multipart-reader';
import { SUBMISSION_MAX_FIELD_BYTES, SUBMISSION_MAX_FIELDS } from '../submissions/submission.schema';

/**
 * How samples come in, for a new submission and for a reply alike: read from multipart while hashed, refused
 * when empty, unpacked from protected ZIPs within the archive limits, and stored under their SHA-256.
 */
@Injectable()
export class SampleIntake {
  constructor(
    private readonly config: AppConfig,
    private readonly cases: CasesRepository,
    private readonly objects: ObjectStore,
  ) {}

  /** Runs `work` with a private temporary folder that is removed afterwards, whatever happens. */
  async withWorkDir<T>(work: (dir: string) => Promise<T>): Promise<T> {
    const dir = await mkdtemp(join(tmpdir(), 'sigdesk-intake-'));
    try {
      return await work(dir);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  async read(request: FastifyRequest, workDir: string, fileField = 'sample'): Promise<MultipartSubmission> {
    const upload = await readMultipart(
      request,
      workDir,
      {
        maxFileBytes: this.config.intake.maxSampleBytes,
        maxFiles: this.config.intake.maxFilesPerSubmission,
        maxFields: SUBMISSION_MAX_FIELDS,
        maxFieldBytes: SUBMISSION_MAX_FIELD_BYTES,
      },
      fileField,
    );
    const empty = upload.files.find((f) => f.size === 0);
    if (empty) throw AppError.badRequest('empty_sample', `The sample "${empty.fileName}" is empty (0 bytes).`);
    return upload;
  }

  /** Protected ZIPs become their files; everything else is a sample as it is. Duplicates collapse to one. */
  async unpack(files: SpooledFile[], workDir: string): Promise<SpooledFile[]> {
    const samples: SpooledFile[] = [];
    for (const file of files) {
      if (file.type === 'zip' && (await isProtectedZip(file.path))) {
        try {
          samples.push(...(await unpackProtectedZip(file, workDir, this.config.intake.archive)));
        } catch (error) {
          if (error instanceof ArchiveError) {
            throw AppError.unprocessable(error.code, error.message, { archive: file.fileName, ...error.details });
          }
          throw error;
        }
      } else {
        samples.push(file);
      }
    }
    const seen = new Set<string>();
    return samples.filter((s) => !seen.has(s.sha256) && seen.add(s.sha256));
  }

  /**
   * Writes each sample under its content address. A sample already recorded in PostgreSQL is not sent again;
   * an object written here whose transaction then fails is removed by the orphan sweeper.
   */
  async store(samples: SpooledFile[]): Promise<void> {
    const known = await this.cases.knownSamples(samples.map((s) => s.sha256));
    for (const sample of samples) {
      if (known.has(sample.sha256)) continue;
      await this.objects.putFile(StorageKeys.sample(sample.sha256), sample.path, sample.size);
    }
  }
}
