import { HttpStatus, Injectable, Logger } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { CasesRepository } from '@sigdesk/cases';
import { AppConfig } from '@sigdesk/config';
import { AppError } from '@sigdesk/http';
import { ObjectStore, StorageKeys } from '@sigdesk/storage';
import { ArchiveError } from '../archive/archive-error';
import { isProtectedZip, unpackProtectedZip } from '../archive/protected-zip';
import type { SpooledFile } from '../files/spool';
import { SpoolFolders } from '../files/spool-folders';
import { MultipartSubmission, readMultipart } from '../submissions/multipart-reader';
import { SampleObjectClaimsRepository, UPLOAD_CLAIM_RENEW_MS, UploadClaim } from './sample-object-claims.repository';
import { SampleObjectRemover } from './sample-object-remover';
import { UnendedUploadClaims } from './unended-upload-claims';

/**
 * How samples come in, for a new submission and for a reply alike: read from multipart while hashed, refused
 * when empty, unpacked from protected ZIPs within the archive limits, and stored under their SHA-256.
 */
/** How long a request waits for the sweeper to finish removing an object it needs, and how often it looks. */
const DELETION_WAIT_MS = 15_000;
const DELETION_POLL_MS = 100;

@Injectable()
export class SampleIntake {
  private readonly logger = new Logger(SampleIntake.name);

  constructor(
    private readonly config: AppConfig,
    private readonly cases: CasesRepository,
    private readonly objects: ObjectStore,
    private readonly claims: SampleObjectClaimsRepository,
    private readonly remover: SampleObjectRemover,
    private readonly spool: SpoolFolders,
    private readonly unended: UnendedUploadClaims,
  ) {}

  /**
   * Runs `work` with a private temporary folder, made when first asked for (a request refused before its first
   * file makes none) and removed afterwards, whatever happens.
   */
  withWorkDir<T>(work: (dir: () => Promise<string>) => Promise<T>): Promise<T> {
    return this.spool.withFolder(work);
  }

  /**
   * Reads a multipart upload within the configured limits; `beforeFiles` checks the fields before any byte of
   * a file is read (see {@link readMultipart}).
   */
  async read(
    request: FastifyRequest,
    workDir: () => Promise<string>,
    options: { fileField?: string; beforeFiles?: (fields: Record<string, string>) => Promise<void> } = {},
  ): Promise<MultipartSubmission> {
    const limits = this.config.limits.multipart;
    const upload = await readMultipart(
      request,
      {
        maxFileBytes: limits.fileBytes,
        maxFiles: limits.files,
        maxFields: limits.fields,
        maxFieldBytes: limits.fieldBytes,
        maxUploadBytes: limits.uploadBytes,
      },
      { fileField: options.fileField ?? 'sample', spoolDir: workDir, beforeFiles: options.beforeFiles },
    );
    const empty = upload.files.find((f) => f.size === 0);
    if (empty) throw AppError.badRequest('empty_sample', `The sample "${empty.fileName}" is empty (0 bytes).`);
    return upload;
  }

  /** Protected ZIPs become their files; everything else is a sample as it is. Duplicates collapse to one. */
  async unpack(files: SpooledFile[], workDir: () => Promise<string>): Promise<SpooledFile[]> {
    const samples: SpooledFile[] = [];
    for (const file of files) {
      if (file.type === 'zip' && (await isProtectedZip(file.path))) {
        try {
          samples.push(...(await unpackProtectedZip(file, await workDir(), this.config.limits.archive)));
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
   * Writes each sample under its content address, then runs `record` (the transaction that records them).
   * From before the uploads until `record` is done, the samples' objects are claimed (see
   * {@link SampleObjectClaimsRepository}): the orphan sweeper cannot remove an object this relies on, whether
   * it uploads it or finds it recorded already. When `record` fails (refused by a rule checked in its
   * transaction, or anything else), the objects uploaded here are removed before the error goes on, unless
   * another request relies on them by then; what cannot be removed now (S3 failing, the process dying) stays
   * listed for the orphan sweeper.
   */
  async storeAndRecord<T>(samples: SpooledFile[], record: () => Promise<T>): Promise<T> {
    const claim = await this.claimUploads(samples.map((s) => s.sha256));
    const renewal = this.keepRenewing(claim);
    const uploaded: string[] = [];
    let recorded = false;
    try {
      for (const sample of samples) {
        if (claim.known.has(sample.sha256)) continue;
        uploaded.push(sample.sha256); // before the upload: one that fails may have stored the object all the same
        await this.objects.putFile(StorageKeys.sample(sample.sha256), sample.path, sample.size);
      }
      const result = await record();
      recorded = true;
      return result;
    } finally {
      const renewedAt = renewal.stop();
      await this.endClaim(claim, samples, renewedAt);
      if (!recorded) await this.removeUploaded(uploaded);
    }
  }

  /** Renews the claim while the request works; `stop` says when it was last taken or renewed. */
  private keepRenewing(claim: UploadClaim): { stop(): number } {
    let renewedAt = Date.now();
    const timer = setInterval(() => {
      const attempt = Date.now();
      this.claims.renewUploads(claim).then(
        () => (renewedAt = attempt),
        (error: unknown) => this.logger.warn({ err: error }, 'renewing sample claims failed; retrying'),
      );
    }, UPLOAD_CLAIM_RENEW_MS);
    timer.unref();
    return {
      stop: () => {
        clearInterval(timer);
        return renewedAt;
      },
    };
  }

  /** Removes the objects a failed request uploaded; the first failure leaves the rest to the orphan sweeper. */
  private async removeUploaded(hashes: string[]): Promise<void> {
    for (const sha256 of hashes) {
      try {
        await this.remover.remove(sha256);
      } catch (error) {
        // the request's answer is its own error: this must not change it
        this.logger.warn({ err: error, samples: hashes }, 'removing the samples of a failed request failed');
        return;
      }
    }
  }

  /** Upload claims, after waiting out the removal of an object of these samples that a sweeper has begun. */
  private async claimUploads(hashes: string[]): Promise<UploadClaim> {
    const deadline = Date.now() + DELETION_WAIT_MS;
    for (;;) {
      const claim = await this.claims.claimUploads(hashes);
      if (claim) return claim;
      if (Date.now() > deadline) {
        throw new AppError(
          HttpStatus.SERVICE_UNAVAILABLE,
          'sample_storage_busy',
          'A file you sent is being removed from storage as an unused copy; send your request again in a minute.',
        );
      }
      await new Promise((resolve) => setTimeout(resolve, DELETION_POLL_MS));
    }
  }

  /**
   * Ends the claims. A claim that had expired (this took longer than its lifetime) may have let a sweeper remove
   * the object meanwhile; if the sample is recorded now, its object is stored again, under a new claim.
   */
  private async endClaim(claim: UploadClaim, samples: SpooledFile[], renewedAt: number): Promise<void> {
    let lost: string[];
    try {
      lost = await this.claims.releaseUploads(claim);
    } catch (error) {
      // PostgreSQL is away: ended once it answers again, so that what this uploaded is not kept until expiry
      this.logger.warn({ err: error, samples: claim.claims.map((c) => c.sha256) }, 'ending sample claims failed');
      this.unended.add(claim, renewedAt);
      return;
    }
    try {
      if (lost.length === 0) return;
      const recorded = await this.cases.knownSamples(lost);
      const again = samples.filter((s) => recorded.has(s.sha256));
      if (again.length === 0) return;
      const reclaimed = await this.claimUploads(again.map((s) => s.sha256));
      try {
        for (const sample of again) {
          await this.objects.putFile(StorageKeys.sample(sample.sha256), sample.path, sample.size);
        }
      } finally {
        await this.claims.releaseUploads(reclaimed);
      }
    } catch (error) {
      // the request's own work is done (or failed for its own reason): this must not change its answer
      this.logger.error({ err: error, samples: claim.claims.map((c) => c.sha256) }, 'ending sample claims failed');
    }
  }
}
