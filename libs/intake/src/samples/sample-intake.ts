import { HttpStatus, Injectable, Logger } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import { CasesRepository } from '@sigdesk/cases';
import { AppConfig } from '@sigdesk/config';
import { AppError } from '@sigdesk/http';
import { ObjectStore, SINGLE_PUT_LIMIT, StorageKeys } from '@sigdesk/storage';
import { ArchiveError } from '../archive/archive-error';
import { isProtectedZip, startsWithEncryptedZipEntry, unpackProtectedZip } from '../archive/protected-zip';
import type { SpooledFile, SpoolOptions, StagedCopy } from '../files/spool';
import { ExactLength } from '../files/staging-tap';
import { SpoolFolders } from '../files/spool-folders';
import { MultipartSubmission, readMultipart } from '../submissions/multipart-reader';
import { SampleObjectClaimsRepository, UPLOAD_CLAIM_RENEW_MS, UploadClaim } from './sample-object-claims.repository';
import { SampleObjectRemover } from './sample-object-remover';
import { StagingObjectsRepository } from './staging-objects.repository';
import { UnendedUploadClaims } from './unended-upload-claims';

/**
 * How samples come in, for a new submission and for a reply alike: read from multipart while hashed, refused
 * when empty, unpacked from protected ZIPs within the archive limits, and stored under their SHA-256.
 */
/** How long a request waits for the sweeper to finish removing an object it needs, and how often it looks. */
const DELETION_WAIT_MS = 15_000;
const DELETION_POLL_MS = 100;
/** How long the end of a request waits for a staging upload it gave up to stop, before leaving it to the sweeper. */
const STAGING_SETTLE_MS = 30_000;

/** A staging object a request writes: removed when the request ends. */
interface StagingUpload {
  key: string;
  stored: Promise<boolean>;
  abort(): void;
}

/**
 * One request's temporary things: its private spool folder, made when first asked for, and the staging objects
 * its files are copied to while they arrive.
 */
export interface IntakeWork {
  folder: () => Promise<string>;
  staging: StagingUpload[];
}

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
    private readonly stagingObjects: StagingObjectsRepository,
  ) {}

  /**
   * Runs `work` with a private temporary folder, made when first asked for (a request refused before its first
   * file makes none), and removes it afterwards whatever happens, with the staging objects the request wrote.
   */
  async withWorkDir<T>(work: (workDir: IntakeWork) => Promise<T>): Promise<T> {
    const staging: StagingUpload[] = [];
    const renewal = setInterval(() => {
      this.stagingObjects.renew(staging.map((s) => s.key)).catch((error: unknown) => {
        this.logger.warn({ err: error }, 'renewing staging objects failed; retrying');
      });
    }, UPLOAD_CLAIM_RENEW_MS);
    renewal.unref();
    try {
      return await this.spool.withFolder((folder) => work({ folder, staging }));
    } finally {
      clearInterval(renewal);
      await this.removeStaging(staging);
    }
  }

  /**
   * Reads a multipart upload within the configured limits; `beforeFiles` checks the fields before any byte of
   * a file is read (see {@link readMultipart}).
   */
  async read(
    request: FastifyRequest,
    workDir: IntakeWork,
    options: {
      fileField?: string;
      beforeFiles?: (fields: Record<string, string>) => Promise<void>;
      /** Copy a large file to a staging object while it arrives, for storeAndRecord (samples only). */
      stage?: boolean;
    } = {},
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
      {
        fileField: options.fileField ?? 'sample',
        spoolDir: workDir.folder,
        beforeFiles: options.beforeFiles,
        stage: options.stage ? (size) => this.stager(workDir, size) : undefined,
      },
    );
    const empty = upload.files.find((f) => f.size === 0);
    if (empty) throw AppError.badRequest('empty_sample', `The sample "${empty.fileName}" is empty (0 bytes).`);
    return upload;
  }

  /** Protected ZIPs become their files; everything else is a sample as it is. Duplicates collapse to one. */
  async unpack(files: SpooledFile[], workDir: IntakeWork): Promise<SpooledFile[]> {
    const samples: SpooledFile[] = [];
    for (const file of files) {
      if (file.type === 'zip' && (await isProtectedZip(file.path))) {
        try {
          samples.push(...(await unpackProtectedZip(file, await workDir.folder(), this.config.limits.archive)));
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
        await this.store(sample);
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

  /**
   * Writes a sample under its content address: a server-side copy of the staging object it was copied to while it
   * arrived, when that copy holds it; else from the spool folder.
   */
  private async store(sample: SpooledFile): Promise<void> {
    const key = StorageKeys.sample(sample.sha256);
    if (sample.staged && (await sample.staged.stored)) {
      try {
        await this.objects.copy(sample.staged.key, key);
        return;
      } catch (error) {
        this.logger.warn({ err: error, sha256: sample.sha256 }, 'copying a staging object failed; sending the file');
      }
    }
    await this.objects.putFile(key, sample.path, sample.size);
  }

  /**
   * How a file part of `size` bytes is copied to a staging object while it arrives: listed (for the sweeper)
   * before its upload begins, as one streamed PUT of that size. Not for a ZIP whose first entry is encrypted (a
   * sample-exchange archive: its entries are the samples), nor past what one PUT and one copy may carry.
   */
  private stager(workDir: IntakeWork, size: number): SpoolOptions['stage'] {
    if (size > SINGLE_PUT_LIMIT) return undefined;
    let copy: StagedCopy | undefined;
    return {
      open: (head) => {
        if (startsWithEncryptedZipEntry(head)) return null;
        const key = StorageKeys.staging(randomUUID());
        const body = new ExactLength(size);
        const controller = new AbortController();
        // the SDK pipes the body: a body that fails must end the request itself
        body.on('error', () => controller.abort());
        const stored = this.stagingObjects
          .list(key)
          .then(() => this.objects.putStream(key, body, size, { signal: controller.signal }))
          .then(
            () => true,
            (error: unknown) => {
              body.destroy();
              if (!controller.signal.aborted) {
                this.logger.warn({ err: error, key }, 'a staging upload failed; the file is sent once received');
              }
              return false;
            },
          );
        workDir.staging.push({ key, stored, abort: () => controller.abort() });
        copy = { key, stored };
        return body;
      },
      copy: () => copy,
    };
  }

  /**
   * Removes a request's staging objects, and their rows once they are gone. An upload still running (the request
   * failed before its file ended) is aborted first. What cannot be removed now stays listed, for the sweeper.
   */
  private async removeStaging(staging: StagingUpload[]): Promise<void> {
    for (const upload of staging) {
      try {
        upload.abort();
        const settled = await Promise.race([
          upload.stored.then(() => true),
          new Promise<false>((resolve) => setTimeout(resolve, STAGING_SETTLE_MS, false).unref()),
        ]);
        if (!settled) throw new Error(`the staging upload did not stop within ${STAGING_SETTLE_MS} ms`);
        await this.objects.delete(upload.key);
        await this.stagingObjects.forget(upload.key);
      } catch (error) {
        // the request's answer is its own: the sweeper removes what is left
        this.logger.warn({ err: error, key: upload.key }, 'removing a staging object failed; left to the sweeper');
      }
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
        for (const sample of again) await this.store(sample);
      } finally {
        await this.claims.releaseUploads(reclaimed);
      }
    } catch (error) {
      // the request's own work is done (or failed for its own reason): this must not change its answer
      this.logger.error({ err: error, samples: claim.claims.map((c) => c.sha256) }, 'ending sample claims failed');
    }
  }
}
