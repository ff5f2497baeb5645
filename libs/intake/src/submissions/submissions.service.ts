import { Injectable, Logger } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { localDate, OrganizationsRepository, Principal, selectActiveContract } from '@sigdesk/accounts';
import {
  CasesRepository,
  CaseTransitions,
  customerCaseView,
  CustomerCaseView,
  eventActor,
  ResponseClock,
} from '@sigdesk/cases';
import { AppConfig } from '@sigdesk/config';
import type { Contract, Organization } from '@sigdesk/db';
import { AppError, parseInput } from '@sigdesk/http';
import { JobName, jobIdFor, OutboxRepository, UnitOfWork } from '@sigdesk/queues';
import { ReleasesService } from '@sigdesk/releases';
import { idempotencyConflict, submissionFingerprint } from './idempotency';
import { IdempotencyRepository, isUniqueViolation } from './idempotency.repository';
import { StorageKeys } from '@sigdesk/storage';
import { SampleIntake } from '../samples/sample-intake';
import { SubmissionFields, submissionFieldsSchema } from './submission.schema';

export interface SubmissionResult {
  status: number;
  body: CustomerCaseView;
  replayed: boolean;
}

class PremiumExhausted extends Error {}

interface Submitter {
  organization: Organization;
  contract: Contract;
}

interface CheckedSubmission {
  release: { version: number };
  channel: string;
}

/**
 * Intake: a customer's upload becomes a queued case, or is refused with nothing stored. Files are spooled to a
 * private temporary folder while hashed, checked, unpacked, then written to S3 under their SHA-256; the case,
 * its samples, its timeline, the premium incident and the intake job commit in one transaction.
 */
@Injectable()
export class SubmissionsService {
  private readonly logger = new Logger(SubmissionsService.name);

  constructor(
    private readonly config: AppConfig,
    private readonly releases: ReleasesService,
    private readonly organizations: OrganizationsRepository,
    private readonly cases: CasesRepository,
    private readonly idempotency: IdempotencyRepository,
    private readonly samples: SampleIntake,
    private readonly outbox: OutboxRepository,
    private readonly unitOfWork: UnitOfWork,
    private readonly clock: ResponseClock,
    private readonly transitions: CaseTransitions,
  ) {}

  async submit(principal: Principal, request: FastifyRequest, idempotencyKey?: string): Promise<SubmissionResult> {
    const organizationId = principal.organizationId!;
    // A retry of a submission already answered is answered as the first time, once its fields and files are
    // known to be the same: the rules below may say otherwise by now (the last premium incident spent by it).
    const retry = idempotencyKey ? Boolean(await this.idempotency.find(organizationId, idempotencyKey)) : false;
    // Before the body: whoever cannot submit today is refused before any byte of a sample is read.
    let submitter = retry ? undefined : await this.submitter(organizationId, new Date());
    let checked: CheckedSubmission | undefined;
    return this.samples.withWorkDir(async (workDir) => {
      const upload = await this.samples.read(request, workDir, {
        stage: true,
        // Clients send the fields before the files: what they make refusable is refused before any file is
        // spooled. Fields that may still follow the files are checked once the body is read.
        beforeFiles: async (sent) => {
          const early = submissionFieldsSchema.safeParse(sent);
          const stillToCome = (issue: { path: PropertyKey[] }) =>
            issue.path.length > 0 && !(String(issue.path[0]) in sent);
          if (!early.success && early.error.issues.every(stillToCome)) return;
          const fields = parseInput(submissionFieldsSchema, sent, 'submission');
          if (!submitter) return;
          try {
            checked = await this.check(fields, submitter, new Date());
          } catch (error) {
            // the first attempt of this retry may have been answered meanwhile (and spent the last incident)
            if (idempotencyKey && (await this.idempotency.find(organizationId, idempotencyKey))) return;
            throw error;
          }
        },
      });
      const fields = parseInput(submissionFieldsSchema, upload.fields, 'submission');
      if (upload.files.length === 0) {
        throw AppError.badRequest('sample_required', 'Attach at least one sample as a file part named "sample".');
      }

      const fingerprint = submissionFingerprint(upload.fields, upload.files);
      if (idempotencyKey) {
        const replay = await this.replay(organizationId, idempotencyKey, fingerprint);
        if (replay) return replay;
      }
      submitter ??= await this.submitter(organizationId, new Date());
      checked ??= await this.check(fields, submitter, new Date());
      const { organization, contract } = submitter;
      const { release, channel } = checked;
      const now = new Date();

      const samples = await this.samples.unpack(upload.files, workDir);
      const clock = this.clock.start(organization, contract.tier, fields.severity, now);
      return await this.samples.storeAndRecord(samples, async () => {
        try {
          const body = await this.unitOfWork.run(async (trx) => {
            if (fields.premium && !(await this.organizations.consumePremiumIncident(trx, contract.id))) {
              throw new PremiumExhausted();
            }
            const created = await this.cases.insertCase(trx, {
              reference: await this.cases.nextReference(trx, now),
              organization_id: organizationId,
              contract_id: contract.id,
              tier: contract.tier,
              kind: fields.kind,
              severity: fields.severity,
              premium: fields.premium,
              status: 'received',
              product: fields.product,
              product_version: fields.productVersion,
              database_channel: channel,
              database_version: release.version,
              detection_name: fields.detectionName ?? null,
              description: fields.description,
              submitted_by: principal.actorId,
              response_due_at: clock.responseDueAt,
              sla_warning_at: clock.warningAt,
              group_id: await this.cases.openGroupWithSamples(
                trx,
                samples.map((s) => s.sha256),
              ),
              created_at: now,
              updated_at: now,
            });
            await this.cases.upsertSamples(
              trx,
              samples.map((s) => ({ ...s, storageKey: StorageKeys.sample(s.sha256) })),
            );
            await this.cases.linkSamples(
              trx,
              created.id,
              samples.map((s) => ({ sha256: s.sha256, fileName: s.fileName, archivePath: s.archivePath ?? null })),
            );
            await this.cases.addEvent(trx, {
              caseId: created.id,
              type: 'status_changed',
              toStatus: 'received',
              ...eventActor(principal),
            });
            const queued = await this.transitions.move(trx, created, 'queued', principal, {
              data: { databaseVersion: release.version, samples: samples.length },
              now,
            });
            await this.clock.scheduleTimers(trx, created.id, clock);
            await this.outbox.add(
              trx,
              JobName.IntakeCase,
              { caseId: created.id },
              jobIdFor(JobName.IntakeCase, created.id),
            );

            const [linked, events] = await Promise.all([
              this.cases.samplesOf(created.id, trx),
              this.cases.eventsOf(created.id, trx),
            ]);
            const view = customerCaseView(queued, linked, events);
            if (idempotencyKey) {
              await this.idempotency.insert(trx, {
                organizationId,
                key: idempotencyKey,
                fingerprint,
                caseId: created.id,
                status: 201,
                body: view,
              });
            }
            return view;
          });
          this.logger.log({ caseId: body.id, reference: body.reference, samples: samples.length }, 'case received');
          return { status: 201, body, replayed: false };
        } catch (error) {
          if (error instanceof PremiumExhausted) throw this.premiumExhausted(contract.premium_total);
          if (idempotencyKey && isUniqueViolation(error, 'idempotency_keys_pkey')) {
            const replay = await this.replay(organizationId, idempotencyKey, fingerprint);
            if (replay) return replay;
          }
          throw error;
        }
      });
    });
  }

  /** The organisation and its contract in force today; refused when there is none. */
  private async submitter(organizationId: string, now: Date): Promise<Submitter> {
    const organization = await this.organizations.findById(organizationId);
    if (!organization) throw AppError.forbidden('The organization of this API key no longer exists.');
    const contract = selectActiveContract(
      await this.organizations.listContracts(organizationId),
      localDate(now, organization.timezone),
    );
    if (!contract) {
      throw AppError.unprocessable(
        'no_active_contract',
        'Your organization has no support contract in force today, so it cannot submit cases. Contact your account manager.',
      );
    }
    return { organization, contract };
  }

  /**
   * The rules the fields alone decide, checked before the samples are read: current databases, premium in the
   * contract and left this term (the transaction spends the incident, and refuses if another took the last one).
   */
  private async check(fields: SubmissionFields, { contract }: Submitter, now: Date): Promise<CheckedSubmission> {
    const channel = fields.databaseChannel ?? this.config.releases.defaultChannel;
    const release = await this.releases.assertCurrent(
      channel,
      fields.databaseVersion !== undefined
        ? { version: fields.databaseVersion }
        : { releasedAt: fields.databaseReleasedAt! },
      now,
    );
    if (fields.premium && contract.tier !== 'msa_start') {
      throw AppError.unprocessable(
        'premium_not_in_contract',
        'Premium incidents are part of MSA Start contracts only.',
      );
    }
    if (fields.premium && contract.premium_used >= contract.premium_total) {
      throw this.premiumExhausted(contract.premium_total);
    }
    return { release, channel };
  }

  private premiumExhausted(total: number) {
    return AppError.unprocessable(
      'premium_incidents_exhausted',
      'Your MSA Start contract has no premium incident left this term. Submit without "premium" to open a standard incident.',
      { premiumIncidents: { total, used: total, remaining: 0 } },
    );
  }

  private async replay(organizationId: string, key: string, fingerprint: string): Promise<SubmissionResult | null> {
    const stored = await this.idempotency.find(organizationId, key);
    if (!stored) return null;
    if (stored.fingerprint !== fingerprint) throw idempotencyConflict(key);
    return { status: stored.status, body: stored.body as CustomerCaseView, replayed: true };
  }
}
