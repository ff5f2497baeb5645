import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { CasesRepository } from '@sigdesk/cases';
import { AppConfig } from '@sigdesk/config';
import { WebhooksRepository } from '@sigdesk/notifications';
import { JobName, JobOf, jobIdFor, JobQueueService, QueueTimeoutError } from '@sigdesk/queues';
import { RulePacksRepository, SignaturesRepository } from '@sigdesk/signatures';

/** Periodic work. Each scheduler id is persisted in the queues' store: never rename one. */
export interface PeriodicJob {
  id: string;
  job: JobName;
  everyMs: number;
}

export function periodicJobs(config: AppConfig): PeriodicJob[] {
  return [
    { id: 'relay-outbox', job: JobName.RelayOutbox, everyMs: 15_000 },
    { id: 'sweep-orphan-samples', job: JobName.SweepOrphanSamples, everyMs: 30 * 60_000 },
    { id: 'prune-idempotency-keys', job: JobName.PruneIdempotencyKeys, everyMs: 60 * 60_000 },
    { id: 'release-stale-claims', job: JobName.ReleaseStaleClaims, everyMs: 60_000 },
    // retention: what nobody accepted or used for days goes (see each sweep); an hour late costs nothing
    { id: 'sweep-rule-pack-imports', job: JobName.SweepRulePackImports, everyMs: 60 * 60_000 },
    { id: 'sweep-compiled-rulesets', job: JobName.SweepCompiledRulesets, everyMs: 60 * 60_000 },
    { id: 'prune-scan-verdicts', job: JobName.PruneScanVerdicts, everyMs: 60 * 60_000 },
    // records every warning and breach that is due: it covers the delayed timers the queues lost
    { id: 'sweep-response-clocks', job: JobName.SweepResponseClocks, everyMs: 60_000 },
    // resumes stalled builds and builds approved MSA Start changes whose request was lost
    { id: 'sweep-unbuilt-changes', job: JobName.SweepUnbuiltChanges, everyMs: 60_000 },
    { id: 'scheduled-builds', job: JobName.RequestScheduledBuilds, everyMs: config.builds.scheduledEveryMs },
  ];
}

/** How often a worker compares what PostgreSQL says is due with what the queues hold. */
export const RECONCILE_EVERY_MS = 30_000;
const PAGE_SIZE = 500;

export interface Reconciliation {
  /** the schedulers that were missing (or had lost their next job) and were made again */
  schedulers: string[];
  relayed: number;
  /** per kind of work: the jobs added or run again */
  restored: { intake: number; digests: number; validations: number; analyses: number; deliveries: number };
}

/**
 * PostgreSQL is the system of record; the queues only carry work. When they lose jobs (Redis restarted empty,
 * rows deleted, a job that ran out of attempts while a dependency was down), this puts back what PostgreSQL says
 * is due and no job carries: the periodic jobs' schedulers, the outbox, intake not completed, samples without their
 * SHA-1 and MD5 outside any case awaiting intake, validations not finished and webhook deliveries not sent, each
 * under its deterministic job id, so that doing it twice, or in several workers at once, adds nothing twice. Builds
 * and response clocks need no more than their sweeps, which read PostgreSQL (see `periodicJobs`). A worker runs it at
 * start, every RECONCILE_EVERY_MS, and soon after the queues' connection comes back; every call to the queues is
 * bounded in time, so a store that is down makes a run fail quickly, never hang.
 */
@Injectable()
export class QueueReconciler implements OnModuleDestroy {
  private readonly logger = new Logger(QueueReconciler.name);
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private again = false;
  private stopped = false;
  private readonly onReady = () => this.soon();

  constructor(
    private readonly config: AppConfig,
    private readonly jobs: JobQueueService,
    private readonly cases: CasesRepository,
    private readonly signatures: SignaturesRepository,
    private readonly webhooks: WebhooksRepository,
    private readonly rulePacks: RulePacksRepository,
  ) {}

  /** Reconciles every RECONCILE_EVERY_MS, and whenever a connection of the queues becomes ready again. */
  start(): void {
    this.timer = setInterval(() => this.soon(), RECONCILE_EVERY_MS);
    for (const queue of this.jobs.allQueues()) queue.getBackend().on('ready', this.onReady);
  }

  /** A run as soon as possible: one at a time, and one more after the current one for every request meanwhile. */
  soon(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.reconcile()
      .then(
        (done) => this.report(done),
        (error: unknown) =>
          this.logger.warn({ err: error }, 'reconciling the queues with PostgreSQL failed; it will run again'),
      )
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.soon();
        }
      });
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    for (const queue of this.jobs.allQueues()) queue.getBackend().off('ready', this.onReady);
    await this.running;
  }

  async reconcile(): Promise<Reconciliation> {
    const schedulers: string[] = [];
    for (const periodic of periodicJobs(this.config)) {
      if (await this.jobs.ensureScheduler(periodic.id, periodic.job, periodic.everyMs)) schedulers.push(periodic.id);
    }
    // committed while the queues were away
    const relayed = await this.jobs.relayOutbox();
    const restored = {
      intake: await this.restoreAll(
        (after) => this.cases.awaitingIntake(after, PAGE_SIZE),
        JobName.IntakeCase,
        (caseId) => ({ caseId }),
      ),
      digests: await this.restoreAll(
        (after) => this.cases.awaitingDigests(after, PAGE_SIZE),
        JobName.DigestSample,
        (sha256) => ({ sha256 }),
      ),
      validations: await this.restoreAll(
        (after) => this.signatures.validatingChanges(after, PAGE_SIZE),
        JobName.ValidateSignatureChange,
        (changeId) => ({ changeId }),
      ),
      analyses: await this.restoreAll(
        (after) => this.rulePacks.analysing(after, PAGE_SIZE),
        JobName.AnalyseRulePack,
        (importId) => ({ importId }),
      ),
      deliveries: await this.restoreAll(
        (after) => this.webhooks.pendingDeliveries(after, PAGE_SIZE),
        JobName.DeliverWebhook,
        (deliveryId) => ({ deliveryId }),
      ),
    };
    return { schedulers, relayed, restored };
  }

  /** Every entity `page` lists gets its job back (see `JobQueueService.restore`); how many had to be. */
  private async restoreAll<N extends JobName>(
    page: (afterId: string | undefined) => Promise<string[]>,
    name: N,
    payloadOf: (id: string) => JobOf<N>,
  ): Promise<number> {
    let restored = 0;
    let after: string | undefined;
    for (;;) {
      // what PostgreSQL says is due as of now: a job that finished before this was read did not do it
      const dueAsOf = new Date();
      const ids = await page(after);
      for (const id of ids) {
        // the process is stopping: the next start reconciles
        if (this.stopped) return restored;
        try {
          const outcome = await this.jobs.restore(name, payloadOf(id), jobIdFor(name, id), dueAsOf);
          if (outcome === 'added' || outcome === 'rerun') {
            restored++;
            this.logger.log({ job: name, id, outcome }, 'job restored from PostgreSQL');
          }
        } catch (error) {
          // the queues are not answering: the rest would not either
          if (error instanceof QueueTimeoutError) throw error;
          this.logger.warn({ job: name, id, err: error }, 'could not restore a job; the next run will try again');
        }
      }
      if (ids.length < PAGE_SIZE) return restored;
      after = ids[ids.length - 1];
    }
  }

  private report(done: Reconciliation): void {
    const { schedulers, relayed, restored } = done;
    if (
      schedulers.length ||
      relayed ||
      restored.intake ||
      restored.digests ||
      restored.validations ||
      restored.deliveries
    ) {
      this.logger.log({ schedulers, relayed, restored }, 'queues reconciled with PostgreSQL');
    }
  }
}
